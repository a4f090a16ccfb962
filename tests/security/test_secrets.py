"""Issue 13, items 2 and 8: no secret in any output.

Before: only 401 bodies were scrubbed. An error page echoing the `Authorization` header put
the token into raw.fetch_errors, marts.alerts, report.html/.md, alerts.csv, the webhook
message, the terminal and Dagster's logs. Here a local GitHub server echoes the request's
headers on one endpoint, and a fetch error carrying a token runs through alerts, the report
files and the webhook.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from pipelines.reports import deliver_report, write_report
from pipelines.scrub import (
    ScrubbedError,
    ScrubbingFilter,
    register_from_settings,
    scrub,
    scrubbed_errors,
)
from pipelines.sources.problems import FetchProblem
from tests.reports import conftest as reports
from tests.sources.github_helpers import NOW, TOKEN, load, make_settings, query
from tests.sources.github_server import Faults, GitHubTestServer, sample_org

FOREIGN = "ghs_AnInstallationTokenNobodyConfigured42"
WEBHOOK_SECRET = "T000/B000/SECRETtoken123"


@pytest.mark.parametrize(("text", "leaked"), [
    ('{"message": "echo", "headers": {"Authorization": "token ghp_abcdefghijklmnopqrstuvwxyz012345"}}',
     "ghp_abcdefghijklmnopqrstuvwxyz012345"),
    ("Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjF9.c2ln", "eyJhbGciOiJSUzI1NiJ9"),
    ("proxy said: Basic dXNlcjpwYXNzd29yZA== refused", "dXNlcjpwYXNzd29yZA=="),
    ("GET https://jane:hunter22@ghe.example.com/api/v3/orgs failed", "hunter22"),
    ("new token github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "github_pat_11ABCDEFG"),
    ("gho_0123456789abcdefghijABCDEFGHIJ and ghu_0123456789abcdefghij", "0123456789abcdefghij"),
])
def test_token_shapes_are_scrubbed(text: str, leaked: str):
    assert leaked not in scrub(text)
    assert "***" in scrub(text)


def test_ordinary_text_is_left_alone():
    for text in ("token exchange: HTTP 401", "Basic auth is not used", "git@github.com:acme/x.git",
                 "https://github.com/acme/template-go", "GET /repos/acme/svc: 404: Not Found"):
        assert scrub(text) == text


def test_configured_secrets_are_scrubbed_wherever_they_appear():
    settings = reports.settings(reports={"webhook_url_env": "PATHLENS_TEST_HOOK"})
    register_from_settings(settings, {"PATHLENS_TEST_HOOK": "https://hooks.example/" + WEBHOOK_SECRET})
    assert WEBHOOK_SECRET not in scrub(f"posting to https://hooks.example/{WEBHOOK_SECRET} failed")
    assert FetchProblem("x", "s", "e", 1, f"url https://hooks.example/{WEBHOOK_SECRET}").message.count("***") == 1


def test_an_error_page_echoing_the_token_reaches_neither_the_warehouse_nor_the_logs(tmp_path: Path, caplog):
    caplog.set_level(logging.DEBUG)
    faults = Faults(echo_headers_on=("/repos/acme/svc-0001/actions/runs",))
    db = tmp_path / "w.duckdb"
    with GitHubTestServer(sample_org(NOW, repos=3), tokens={TOKEN}, faults=faults) as srv:
        meta = load(db, make_settings(srv.base_url))
    assert meta["failed_repos"] == ["acme/svc-0001"]
    messages = [m for (m,) in query(db, "SELECT message FROM raw.fetch_errors")]
    assert any("request headers" in m and "***" in m for m in messages), messages
    dumped = json.dumps(query(db, "SELECT * FROM raw.fetch_errors"), default=str)
    assert TOKEN not in dumped
    assert not [r.getMessage() for r in caplog.records if TOKEN in r.getMessage()]


def test_a_token_in_a_fetch_error_reaches_no_alert_report_csv_or_webhook(tmp_path: Path, monkeypatch, webhook):
    """The fetch error is written to raw as it is (as a legacy or foreign writer would)."""
    monkeypatch.setattr(reports, "FETCH_ERRORS", [{
        **reports.FETCH_ERRORS[0], "status": 400,
        "message": f'Bad request {{"Authorization": "token {FOREIGN}"}} Authorization: Bearer {FOREIGN}'}])
    warehouse = reports.build_org(tmp_path)
    settings = reports.settings(reports={"webhook_url_env": "PATHLENS_TEST_HOOK", "out_dir": str(tmp_path / "out")})
    files = write_report(warehouse, tmp_path / "out", "month", settings)
    texts = {path.name: path.read_text() for path in files.all}
    assert any("acme/broken" in text for text in texts.values())  # the alert is there ...
    for name, text in texts.items():
        assert FOREIGN not in text, name  # ... without the token
    assert FOREIGN not in files.chat_text
    result = deliver_report(files, settings, environ={"PATHLENS_TEST_HOOK": webhook.url}, sleep=lambda s: None)
    assert result.delivered
    assert FOREIGN not in json.dumps(webhook.requests)
    from pipelines.query import run_query
    frame, _ = run_query(warehouse, "SELECT message FROM marts.alerts")
    assert FOREIGN not in json.dumps(frame.to_dicts())


def test_log_records_and_tracebacks_are_scrubbed():
    try:
        raise RuntimeError(f"upstream said Authorization: token {FOREIGN}")
    except RuntimeError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed with %s", (FOREIGN,), sys.exc_info())
    ScrubbingFilter().filter(record)
    assert FOREIGN not in record.getMessage()
    assert FOREIGN not in (record.exc_text or "")


def test_a_step_error_holding_a_secret_is_re_raised_without_it():
    with pytest.raises(ScrubbedError) as raised, scrubbed_errors():
        raise ValueError(f"could not parse {{'token': '{FOREIGN}'}}")
    assert FOREIGN not in str(raised.value) and "ValueError" in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    with pytest.raises(KeyError), scrubbed_errors():
        raise KeyError("nothing secret here")


@pytest.fixture
def webhook():
    server = reports.WebhookServer()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()
