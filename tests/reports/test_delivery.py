"""Webhook delivery against a local HTTP server: success, 500s then success, never succeeding,
slow; waits are injected so the tests take no real backoff time. The URL (whose path stands in
for a Slack webhook's secret) never appears in a log record, a result or delivery.json."""

from __future__ import annotations

import json
import logging
import socket

import pytest

from pipelines.reports import deliver_report, write_report
from pipelines.reports.delivery import post_json, webhook_url
from tests.reports.conftest import settings

SECRET = "SECRETtoken123"
PAYLOAD = {"text": "hello"}


@pytest.fixture(autouse=True)
def every_log_record(caplog):
    caplog.set_level(logging.DEBUG)  # urllib3 logs request paths at DEBUG ...
    for name in ("urllib3", "urllib3.connectionpool"):  # ... even if another module quietened it
        caplog.set_level(logging.DEBUG, logger=name)
    yield caplog
    records = caplog.get_records("call")
    assert any(r.name.startswith("urllib3") for r in records) or not any(
        r.name.startswith("pipelines") for r in records)  # HTTP debug logging was really on
    for record in records:
        assert SECRET not in record.getMessage(), record.getMessage()


def test_success(webhook):
    sleeps = []
    result = post_json(webhook.url, PAYLOAD, sleep=sleeps.append)
    assert (result.status, result.attempts, result.http_status, result.error) == ("delivered", 1, 200, None)
    assert webhook.requests == [("/services/T000/B000/SECRETtoken123", PAYLOAD)]
    assert sleeps == []


def test_500s_then_success(webhook):
    webhook.script = [(500, 0), (503, 0), (200, 0)]
    sleeps = []
    result = post_json(webhook.url, PAYLOAD, attempts=4, backoff_s=2.0, sleep=sleeps.append)
    assert (result.status, result.attempts, result.http_status) == ("delivered", 3, 200)
    assert sleeps == [2.0, 4.0]  # doubling backoff
    assert len(webhook.requests) == 3


def test_never_succeeding(webhook):
    webhook.script = [(500, 0)]
    sleeps = []
    result = post_json(webhook.url, PAYLOAD, attempts=4, backoff_s=1.0, max_wait_s=3.0, sleep=sleeps.append)
    assert (result.status, result.attempts, result.http_status, result.error) == ("failed", 4, 500, "HTTP 500")
    assert sleeps == [1.0, 2.0, 3.0]  # the last wait capped at max_wait_s
    assert len(webhook.requests) == 4


def test_slow_server_times_out_then_answers(webhook):
    webhook.script = [(200, 1.0), (200, 0)]  # the first answer comes after the client gave up
    sleeps = []
    result = post_json(webhook.url, PAYLOAD, attempts=3, timeout_s=0.2, sleep=sleeps.append)
    assert (result.status, result.attempts) == ("delivered", 2)
    assert sleeps == [2.0]


def test_slow_server_never_in_time(webhook):
    webhook.script = [(200, 1.0)]
    result = post_json(webhook.url, PAYLOAD, attempts=2, timeout_s=0.2, sleep=lambda s: None)
    assert (result.status, result.attempts, result.http_status, result.error) == ("failed", 2, None, "ReadTimeout")
    assert result.elapsed_s < 1.5  # bounded by the timeouts, not by the server


def test_client_errors_are_not_retried(webhook):
    webhook.script = [(404, 0)]
    result = post_json(webhook.url, PAYLOAD, attempts=4, sleep=lambda s: None)
    assert (result.status, result.attempts, result.error) == ("failed", 1, "HTTP 404")


def test_429_waits_as_told(webhook):
    webhook.script = [(429, 0), (200, 0)]
    webhook.headers = {"Retry-After": "7"}
    sleeps = []
    result = post_json(webhook.url, PAYLOAD, backoff_s=2.0, sleep=sleeps.append)
    assert result.delivered and sleeps == [7.0]


def test_nothing_listening():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    result = post_json(f"http://127.0.0.1:{port}/hook/{SECRET}", PAYLOAD, attempts=2, sleep=lambda s: None)
    assert (result.status, result.attempts, result.error) == ("failed", 2, "ConnectionError")


def test_not_configured_is_skipped_without_a_request():
    assert post_json(None, PAYLOAD).status == "skipped"


def test_url_comes_from_the_named_environment_variable():
    s = settings(reports={"webhook_url_env": "TEAM_HOOK"})
    assert webhook_url(s, {"TEAM_HOOK": " https://example.invalid/x "}) == "https://example.invalid/x"
    assert webhook_url(s, {"PATHLENS_WEBHOOK_URL": "https://example.invalid/y"}) is None
    assert webhook_url(settings(reports={"webhook_url_env": None}), {"PATHLENS_WEBHOOK_URL": "x"}) is None


def test_report_delivered_once_and_failures_recorded(org, tmp_path, webhook):
    s = settings(reports={"webhook_url_env": "HOOK", "webhook_attempts": 2})
    files = write_report(org, tmp_path, "week", s)
    environ = {"HOOK": webhook.url}

    webhook.script = [(500, 0)]
    failed = deliver_report(files, s, environ=environ, sleep=lambda _: None)
    assert (failed.status, failed.attempts, failed.error) == ("failed", 2, "HTTP 500")
    record = json.loads((files.folder / "delivery.json").read_text())
    assert (record["status"], record["attempts"], record["period"]) == ("failed", 2, "week-2024-05-06")
    assert files.html.is_file() and files.markdown.is_file()  # the files are still there

    webhook.script = [(200, 0)]
    delivered = deliver_report(files, s, environ=environ, sleep=lambda _: None)
    assert delivered.delivered
    again = deliver_report(files, s, environ=environ, sleep=lambda _: None)
    assert (again.status, again.error) == ("skipped", "already delivered")
    assert len(webhook.requests) == 3  # 2 failed attempts, 1 delivery, nothing for the repeat

    _, body = webhook.requests[-1]
    assert body == files.chat_payload  # the Block Kit message (tests/reports/test_slack.py)
    assert body["blocks"][0]["text"]["text"] == "pathlens weekly report: 6–12 May 2024"
    assert SECRET not in (files.folder / "delivery.json").read_text()
