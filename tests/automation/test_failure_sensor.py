"""The run-failure sensor, evaluated with Dagster's testing API on a run that really failed; then
a refresh that turns its record into an alert, and the weekly report job delivering it."""

from __future__ import annotations

import json
from datetime import datetime

import dagster as dg
import duckdb
import polars as pl
import pytest

from assets.reports.automation import record_run_failures
from assets.reports.reports import REPORT_NOW_TAG, weekly_report
from pipelines.raw_schema import RAW_TABLES
from pipelines.resources import PathlensResource
from pipelines.runner import run_refresh
from pipelines.warehouse import WarehousePaths, upsert, writer

TOKEN = "ghp_sekrit_0123456789"

CONFIG = """
warehouse: {warehouse}
github: {{org: acme, token_env: PL_TEST_TOKEN}}
golden_paths: [{{name: go-service, ref: template:default/go-service}}]
exceptions: {{repos: [acme/platform]}}
reports: {{out_dir: {out}, webhook_url_env: PL_TEST_HOOK, webhook_attempts: 2}}
"""


@dg.op
def fetch_repos():
    raise RuntimeError(f"GitHub answered 401 Bad credentials for {TOKEN}")


@dg.job
def refresh_that_fails():
    fetch_repos()


@pytest.fixture
def project(tmp_path, monkeypatch):
    warehouse = tmp_path / "data" / "pathlens.duckdb"
    config = tmp_path / "pathlens.yaml"
    config.write_text(CONFIG.format(warehouse=warehouse, out=tmp_path / "reports"))
    monkeypatch.setenv("PL_TEST_TOKEN", TOKEN)
    monkeypatch.delenv("PL_TEST_HOOK", raising=False)
    return PathlensResource(config_path=str(config), as_of="2026-04-15T12:00:00"), WarehousePaths.for_(warehouse)


def evaluate_sensor(resource: PathlensResource) -> dg.DagsterRun:
    instance = dg.DagsterInstance.ephemeral()
    result = refresh_that_fails.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    context = dg.build_run_status_sensor_context(
        sensor_name="record_run_failures",
        dagster_event=result.get_run_failure_event(),
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        resources={"pathlens": resource},
    )
    record_run_failures(context)
    return result.dagster_run


def test_failure_is_recorded_redacted_and_sent_to_the_chat(project, webhook, monkeypatch):
    resource, paths = project
    monkeypatch.setenv("PL_TEST_HOOK", webhook.url)
    run = evaluate_sensor(resource)

    outbox = paths.published.with_name("pathlens.run_failures.jsonl")
    [line] = outbox.read_text().splitlines()
    record = json.loads(line)
    assert (record["run_id"], record["job_name"], record["steps"]) == (run.run_id, "refresh_that_fails", ["fetch_repos"])
    assert record["message"] == "RuntimeError: GitHub answered 401 Bad credentials for ***"
    assert datetime.fromisoformat(record["failed_at"]).year >= 2026

    [(_, body)] = webhook.requests
    # Block Kit, like the report's message, with the plain fallback for notifications
    assert body["text"].startswith(f":rotating_light: pathlens run {run.run_id[:8]} of refresh_that_fails failed "
                                   "in fetch_repos: RuntimeError: GitHub answered 401")
    assert [b["type"] for b in body["blocks"]] == ["header", "section", "section", "divider", "context"]
    fields = [f["text"] for f in body["blocks"][1]["fields"]]
    assert fields[:2] == ["*Job*\nrefresh_that_fails", f"*Run*\n{run.run_id[:8]}"]
    assert fields[3] == "*Failed steps*\nfetch_repos"
    assert body["blocks"][2]["text"]["text"] == "*Error*\nRuntimeError: GitHub answered 401 Bad credentials for ***"
    assert TOKEN not in json.dumps(body) and TOKEN not in outbox.read_text()


def test_without_a_webhook_the_failure_is_still_recorded(project, webhook):
    resource, paths = project
    evaluate_sensor(resource)
    evaluate_sensor(resource)
    assert len(paths.published.with_name("pathlens.run_failures.jsonl").read_text().splitlines()) == 2
    assert webhook.requests == []


def setup_raw(paths: WarehousePaths) -> None:
    catalog = ("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: svc}\n"
               "spec: {type: service, owner: team-a}\n")
    with writer(paths.build) as con:
        upsert(con, RAW_TABLES["repos"], pl.DataFrame([{
            "repo": "acme/svc", "name": "svc", "created_at": datetime(2026, 4, 7), "archived": False, "fork": False}]))
        upsert(con, RAW_TABLES["repo_files"], pl.DataFrame([
            {"repo": "acme/svc", "path": "catalog-info.yaml", "content": catalog}]))


def test_recorded_failure_reaches_marts_alerts_and_the_weekly_report(project, webhook, monkeypatch):
    resource, paths = project
    run = evaluate_sensor(resource)
    setup_raw(paths)

    # the next refresh (sources stand in as the raw rows above) reads the failure into marts.alerts
    outcome = run_refresh(resource, selection="not group:sources and not group:reports",
                          instance=dg.DagsterInstance.ephemeral())
    assert outcome.success and outcome.published, outcome
    with duckdb.connect(str(paths.published), read_only=True) as con:
        alerts = con.sql("select rule, alert_key from marts.alerts order by rule").fetchall()
    assert ("refresh_failed", f"refresh_failed:{run.run_id}") in alerts
    # svc, created 7 April 2026, is not on a golden path: March had no services, so no adoption alert

    monkeypatch.setenv("PL_TEST_HOOK", webhook.url)
    result = dg.materialize([weekly_report], resources={"pathlens": resource},
                            tags={REPORT_NOW_TAG: "2026-04-20T07:00:00"}, instance=dg.DagsterInstance.ephemeral())
    assert result.success
    metadata = result.asset_materializations_for_node(weekly_report.op.name)[0].metadata
    # the data's as_of (15 April) caps the tick's 20 April: the last complete week is 6–12 April
    assert metadata["period"].value == "week-2026-04-06"
    assert (metadata["delivery"].value, metadata["delivery_attempts"].value) == ("delivered", 1)
    folder = paths.published.parent.parent / "reports" / "week-2026-04-06"
    assert (folder / "report.html").is_file() and (folder / "delivery.json").is_file()
    [(_, body)] = webhook.requests
    alerts = next(b["text"]["text"] for b in body["blocks"] if b["type"] == "section" and "Alerts" in b.get("text", {}).get("text", ""))
    assert f"Run {run.run_id[:8]} of refresh\\_that\\_fails" not in alerts  # chat text is Slack-escaped, not Markdown
    assert f"Run {run.run_id[:8]} of refresh_that_fails failed" in alerts
    assert "1 alert(s)" in body["text"]
