"""Alert rules on hand-built series, marts.alerts on the hand-built organisation, and the
failure outbox the run-failure sensor writes."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pytest

from pipelines.reports.alerts import (
    adoption_alerts,
    build_alerts,
    drift_share_alerts,
    exception_rate_alerts,
    exception_rising_alerts,
    new_escape_hatch_alerts,
    refresh_failure_alerts,
    source_failure_alerts,
    template_stale_alerts,
)
from pipelines.reports.failures import (
    RunFailure,
    ingest_failures,
    read_failures,
    record_failure,
    redact,
    secret_values,
)
from pipelines.sql_models import build_statement, load_models
from pipelines.warehouse import writer
from tests.reports.conftest import SETTINGS, build_org, settings

T = datetime.fromisoformat
M = date.fromisoformat


def adoption_row(month: str, created: int, golden: int) -> dict:
    return {"month": M(month), "services_created": created, "golden_path_created": golden,
            "new_service_adoption": golden / created if created else None}


@pytest.mark.parametrize(("as_of", "month"), [
    ("2024-05-15T10:00:00", "2024-04-01"), ("2024-01-01T00:00:00", "2023-12-01"), ("2024-03-31T23:59:59", "2024-02-01"),
])
def test_last_complete_month_is_defined_once_in_refresh_info(as_of, month):
    # the month before as_of's month, from sql/marts/refresh_info.sql (the alerts, the overview
    # and the exports read it from there), over the tables it reads
    con = duckdb.connect()
    con.execute("create schema config; create schema staging; create schema intermediate; create schema marts")
    con.execute("create table intermediate.services (stale_since timestamp)")
    con.execute("create table config.settings as select 'r' as refresh_id, 'demo' as source, $a::timestamp as as_of",
                {"a": T(as_of)})
    con.execute("create table staging.refreshes (refresh_id varchar, started_at timestamp)")
    con.execute("create table staging.file_errors (severity varchar)")
    con.execute("create table staging.fetch_errors (refresh_id varchar)")
    model = next(m for m in load_models() if m.qualified == "marts.refresh_info")
    con.execute(build_statement(model))
    assert con.sql("select last_complete_month from marts.refresh_info").fetchall() == [(M(month),)]


def test_adoption_below_threshold():
    series = [adoption_row("2024-03-01", 4, 1), adoption_row("2024-04-01", 4, 2), adoption_row("2024-05-01", 0, 0)]
    [alert] = adoption_alerts(series, month=M("2024-03-01"), threshold=0.5)  # 1 of 4 = 25%
    assert (alert.key, alert.value, alert.threshold, alert.period) == (
        "adoption_below_threshold:2024-03-01", 0.25, 0.5, M("2024-03-01"))
    assert alert.message == ("New-service adoption in March 2024 was 25.0% (1 of 4 new services from a golden "
                             "path), below the 50% threshold.")
    assert adoption_alerts(series, month=M("2024-04-01"), threshold=0.5) == []  # 50% is not below
    assert adoption_alerts(series, month=M("2024-05-01"), threshold=0.5) == []  # nothing created
    assert adoption_alerts(series, month=M("2024-06-01"), threshold=0.5) == []  # no such month


def test_exception_requests_above_a_rate():
    series = [{"month": M("2024-03-01"), "opened": 5}, {"month": M("2024-04-01"), "opened": 6}]
    assert exception_rate_alerts(series, month=M("2024-03-01"), limit=5) == []  # 5 is not above 5
    [alert] = exception_rate_alerts(series, month=M("2024-04-01"), limit=5)
    assert (alert.value, alert.threshold) == (6.0, 5.0)
    assert alert.message == "6 exception requests were opened in April 2024, more than the 5 allowed per month."


@pytest.mark.parametrize(("opened", "months", "alerted"), [
    ([1, 2, 3, 4], 3, True),  # three rises in a row up to April
    ([1, 2, 2, 4], 3, False),  # flat in February → March
    ([5, 1, 2, 3], 3, False),  # only two rises before April... the window starts with a fall
    ([5, 1, 2, 3], 2, True),  # ... which is enough for N = 2
    ([0, 0, 0, 1], 1, True),
    ([0, 0, 0, 0], 1, False),
])
def test_exception_requests_rising(opened, months, alerted):
    series = [{"month": M(f"2024-0{i + 1}-01"), "opened": n} for i, n in enumerate(opened)]  # Jan..Apr
    got = exception_rising_alerts(series, month=M("2024-04-01"), months=months)
    assert bool(got) == alerted
    if got:
        assert got[0].value == opened[-1] and got[0].threshold == months


def test_exception_requests_rising_needs_every_month():
    series = [{"month": M("2024-02-01"), "opened": 1}, {"month": M("2024-03-01"), "opened": 2},
              {"month": M("2024-04-01"), "opened": 3}]
    assert exception_rising_alerts(series, month=M("2024-04-01"), months=3) == []  # January missing
    [alert] = exception_rising_alerts(series, month=M("2024-04-01"), months=2)
    assert alert.message == "Exception requests opened rose for 2 months in a row: Feb 2024 1, Mar 2024 2, Apr 2024 3."


def test_new_escape_hatch_one_alert_per_new_service():
    new = [
        {"service": "c", "repo": "acme/c", "owner": "team-c", "reasons": ["sidecar", "gpu"]},
        {"service": "b", "repo": "acme/b", "owner": None, "reasons": ["other"]},
        {"service": "d", "repo": "acme/d", "owner": None, "reasons": []},
    ]
    got = new_escape_hatch_alerts(new)
    assert [(a.key, a.subject, a.repo) for a in got] == [
        ("new_escape_hatch:acme/b:b", "b", "acme/b"), ("new_escape_hatch:acme/c:c", "c", "acme/c"),
        ("new_escape_hatch:acme/d:d", "d", "acme/d")]
    assert got[0].message == "b (acme/b) now uses the escape hatch: other."
    assert got[1].message == "c (acme/c, owner team-c) now uses the escape hatch: sidecar, gpu."
    assert got[2].message == "d (acme/d) now uses the escape hatch: no reason recorded."


def test_source_failures_one_alert_per_source():
    errors = [{"source": "github", "repo": f"acme/r{i}", "endpoint": None, "status": 500, "message": "boom\ntrace"}
              for i in range(5)] + [{"source": "kubernetes", "repo": "prod-eu", "endpoint": "/api/v1/namespaces",
                                     "status": None, "message": "connection refused"}]
    github, kubernetes = source_failure_alerts(errors)
    assert (github.key, github.value, github.severity) == ("source_failed:github", 5.0, "error")
    assert github.message == ("github: 5 fetches failed in the latest refresh (acme/r0 HTTP 500 boom; "
                              "acme/r1 HTTP 500 boom; acme/r2 HTTP 500 boom; and 2 more).")
    assert kubernetes.message == "kubernetes: 1 fetch failed in the latest refresh (prod-eu connection refused)."


def test_refresh_failures():
    [alert] = refresh_failure_alerts([{"run_id": "abcdef0123456789", "job_name": "daily_refresh",
                                       "failed_at": T("2024-05-14T05:03:00"), "steps": ["github_raw", "x"],
                                       "message": "RuntimeError: boom"}])
    assert (alert.key, alert.subject, alert.severity) == ("refresh_failed:abcdef0123456789", "daily_refresh", "error")
    assert alert.message == ("Run abcdef01 of daily_refresh failed at 2024-05-14 05:03 UTC in github_raw, x: "
                             "RuntimeError: boom")


def health_row(golden_path: str, days: float | None, services: int, resolved: int = 0, far: int = 0,
               stale: bool | None = False) -> dict:
    return {"golden_path": golden_path, "head_at": None if days is None else T("2024-05-15T10:00:00"),
            "days_since_change": days, "services": services, "services_resolved": resolved,
            "services_far_behind": far, "share_far_behind": far / resolved if resolved else None,
            "far_behind_commits": 20, "stale_after_days": 180, "stale": stale}


def test_template_stale_alerts_the_rows_marked_stale():
    rows = [health_row("java", 274.6, 17, stale=True), health_row("go", 1.5, 55),
            health_row("gitlab", None, 3, stale=None)]
    [alert] = template_stale_alerts(rows)
    assert (alert.key, alert.rule, alert.subject, alert.value, alert.threshold) == (
        "template_stale:java", "template_stale", "java", 274.6, 180.0)
    assert alert.message == ("The java template has not changed in 275 days (last change 2024-05-15), "
                             "and 17 services still use it.")


def test_drift_share_above_the_threshold():
    # go: 12 of 40 resolved far behind = 30% > 25%; python: 10 of 40 = 25%, not above; none resolved: nothing
    rows = [health_row("go", 2, 45, resolved=40, far=12), health_row("python", 9, 40, resolved=40, far=10),
            health_row("java", 275, 3, resolved=0)]
    [alert] = drift_share_alerts(rows, share=0.25)
    assert (alert.key, alert.value, alert.threshold) == ("template_drift:go", 0.3, 0.25)
    assert alert.message == ("12 of 40 services of the go golden path (30.0%) are more than 20 commits behind "
                             "its template, above the 25% threshold.")


def test_marts_alerts_on_the_organisation(org):
    with duckdb.connect(str(org), read_only=True) as con:
        rows = con.sql("select alert_key, rule, severity, subject, repo, period, value, threshold, raised_at,"
                       " first_raised_at from marts.alerts").fetchall()
    as_of = T("2024-05-15T10:00:00")
    assert rows == [
        # the sensor's failure of 14 May falls within the 7 days before as_of
        ("refresh_failed:0123456789abcdef", "refresh_failed", "error", "daily_refresh", None, None, None, None,
         as_of, as_of),
        ("source_failed:github", "source_failed", "error", "github", None, None, 1.0, None, as_of, as_of),
        # April: bravo, charlie (golden), delta → 1 of 3
        ("adoption_below_threshold:2024-04-01", "adoption_below_threshold", "warning", "all services", None,
         M("2024-04-01"), pytest.approx(1 / 3), 0.5, as_of, as_of),
        # April: request #1 opened, more than the configured 0
        ("exception_requests_above:2024-04-01", "exception_requests_above", "warning", "exception requests", None,
         M("2024-04-01"), 1.0, 0.0, as_of, as_of),
        # 7 days before as_of (8 May 10:00) only delta used the escape hatch; hotel's spec came 10 May
        ("new_escape_hatch:acme/hotel:hotel", "new_escape_hatch", "warning", "hotel", "acme/hotel", None, None,
         None, as_of, as_of),
    ]  # rising: March 1, April 1 → no rise, and not enough months for 3


def test_a_standing_alert_keeps_when_it_was_first_raised(tmp_path):
    path = build_org(tmp_path)
    later = T("2024-05-22T10:00:00")  # April is still the last complete month
    with writer(path) as con:
        con.execute("update config.settings set as_of = $t", {"t": later})
        frame = build_alerts(con, settings())
    adoption = frame.filter(frame["rule"] == "adoption_below_threshold").to_dicts()[0]
    assert (adoption["raised_at"], adoption["first_raised_at"]) == (later, T("2024-05-15T10:00:00"))
    # 7 days before 22 May 10:00 is after the 14 May failure, so it is no longer alerted; on
    # 15 May 10:00 hotel already had the escape hatch
    assert sorted(frame["rule"].to_list()) == [
        "adoption_below_threshold", "exception_requests_above", "source_failed"]


def test_rules_can_be_switched_off(tmp_path):
    off = {"adoption_below_threshold": False, "exception_requests_above": None,
           "exception_requests_rising_months": None, "new_escape_hatch": False, "source_failed": False,
           "refresh_failed": False, "template_stale_days": None, "drift_share": None}
    path = build_org(tmp_path, {**SETTINGS, "alerts": off})
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.sql("select count(*) from marts.alerts").fetchall() == [(0,)]
        assert "first_raised_at" in [c[0] for c in con.sql("describe marts.alerts").fetchall()]


def test_failure_outbox_round_trip(tmp_path):
    outbox = tmp_path / "wh.run_failures.jsonl"
    secret = "ghp_supersecret123"
    failure = RunFailure("run-1", "daily_refresh", T("2024-05-14T05:00:00"), ["github_raw"],
                         f"GithubException: 401 for token {secret}\nTraceback ...")
    record_failure(outbox, failure, [secret])
    record_failure(outbox, RunFailure("run-2", "weekly_report", T("2024-05-13T07:00:00")), [])
    with outbox.open("a") as handle:
        handle.write("{not json\n")
    assert secret not in outbox.read_text()
    failures, problems = read_failures(outbox)
    assert [(f.run_id, f.message) for f in failures] == [
        ("run-1", "GithubException: 401 for token ***"), ("run-2", "")]
    assert len(problems) == 1 and problems[0].startswith(f"{outbox}:3: not a failure record")

    db = tmp_path / "wh.duckdb"
    with writer(db) as con:
        assert ingest_failures(con, outbox, now=T("2024-05-15T00:00:00")) == problems
        ingest_failures(con, outbox, now=T("2024-05-16T00:00:00"))  # read again: nothing changes
        rows = con.sql("select run_id, job_name, steps, recorded_at from raw.run_failures order by run_id").fetchall()
    assert rows == [("run-1", "daily_refresh", ["github_raw"], T("2024-05-15T00:00:00")),
                    ("run-2", "weekly_report", [], T("2024-05-15T00:00:00"))]


def test_secret_values_come_from_the_named_variables():
    s = settings(github={"org": "acme", "token_env": "GH_TOKEN"}, reports={"webhook_url_env": "HOOK"})
    environ = {"GH_TOKEN": "ghp_abc", "HOOK": "https://hooks.slack.com/services/T/B/xyz", "OTHER": "nope"}
    assert secret_values(s, environ) == ["https://hooks.slack.com/services/T/B/xyz", "ghp_abc"]
    assert redact("posting to https://hooks.slack.com/services/T/B/xyz with ghp_abc", secret_values(s, environ)) == (
        "posting to *** with ***")
