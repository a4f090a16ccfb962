"""Schedules evaluated with Dagster's testing API: the right run requests at the right times."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import pytest
from dagster._utils.schedules import cron_string_iterator  # the iterator Dagster's scheduler uses

from assets.reports.automation import (
    daily_refresh_schedule,
    monthly_report_schedule,
    weekly_report_schedule,
)
from assets.reports.reports import REPORT_NOW_TAG
from pipelines.resources import PathlensResource
from pipelines.runner import PROJECT_ROOT

START = datetime(2024, 4, 28, 12, 0, tzinfo=UTC)  # a Sunday noon


def ticks(schedule: dg.ScheduleDefinition, n: int) -> list[datetime]:
    it = cron_string_iterator(START.timestamp(), schedule.cron_schedule, schedule.execution_timezone)
    return [next(it).astimezone(UTC).replace(tzinfo=None) for _ in range(n)]


def run_requests(schedule: dg.ScheduleDefinition, at: datetime) -> list[dg.RunRequest]:
    context = dg.build_schedule_context(scheduled_execution_time=at.replace(tzinfo=UTC))
    return list(schedule.evaluate_tick(context).run_requests)


def test_daily_refresh_every_morning():
    assert ticks(daily_refresh_schedule, 3) == [
        datetime(2024, 4, 29, 5), datetime(2024, 4, 30, 5), datetime(2024, 5, 1, 5)]
    [request] = run_requests(daily_refresh_schedule, datetime(2024, 4, 29, 5))
    assert request.run_key == "refresh-2024-04-29"
    assert request.tags["pathlens/refresh_day"] == "2024-04-29"
    assert daily_refresh_schedule.job_name == "daily_refresh"


def test_weekly_report_on_monday_mornings_for_the_week_before():
    assert ticks(weekly_report_schedule, 3) == [
        datetime(2024, 4, 29, 7), datetime(2024, 5, 6, 7), datetime(2024, 5, 13, 7)]
    [request] = run_requests(weekly_report_schedule, datetime(2024, 5, 13, 7))
    assert request.run_key == "report-week-2024-05-06"  # Monday 6 – Sunday 12 May
    assert request.tags == {REPORT_NOW_TAG: "2024-05-13T07:00:00", "pathlens/report_period": "week-2024-05-06",
                            "dagster/schedule_name": "weekly_report_schedule"}
    assert weekly_report_schedule.job_name == "weekly_report"


def test_monthly_report_on_the_first_for_the_month_before():
    assert ticks(monthly_report_schedule, 3) == [
        datetime(2024, 5, 1, 7), datetime(2024, 6, 1, 7), datetime(2024, 7, 1, 7)]
    [request] = run_requests(monthly_report_schedule, datetime(2024, 1, 1, 7))
    assert request.run_key == "report-month-2023-12"
    assert request.tags[REPORT_NOW_TAG] == "2024-01-01T07:00:00"


@pytest.mark.parametrize("schedule", [daily_refresh_schedule, weekly_report_schedule, monthly_report_schedule])
def test_schedules_run_in_utc_and_start_running(schedule):
    assert schedule.execution_timezone == "UTC"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING


@pytest.fixture(scope="module")
def definitions() -> dg.Definitions:
    return dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=PROJECT_ROOT),
        dg.Definitions(resources={"pathlens": PathlensResource()}),
    )


def keys(job: dg.JobDefinition) -> set[str]:
    return {k.to_user_string() for k in job.asset_layer.selected_asset_keys}


def test_jobs_select_the_right_assets(definitions):
    refresh = keys(definitions.resolve_job_def("daily_refresh"))
    assert {"raw/repos", "raw/k8s_replicasets", "marts/services", "marts/alerts", "published_warehouse",
            "raw/ci_runs_monthly_compacted"} <= refresh
    assert not any(k.startswith("reports/") for k in refresh)  # reports run on their own schedules
    assert keys(definitions.resolve_job_def("weekly_report")) == {"reports/weekly"}
    assert keys(definitions.resolve_job_def("monthly_report")) == {"reports/monthly"}


def test_alerts_are_built_before_the_publish_and_reports_after(definitions):
    graph = definitions.resolve_asset_graph()
    assert dg.AssetKey(["marts", "alerts"]) in graph.get(dg.AssetKey(["published_warehouse"])).parent_keys
    assert graph.get(dg.AssetKey(["reports", "weekly"])).parent_keys == {dg.AssetKey(["published_warehouse"])}
    # the monthly CI mart waits for the compaction step, which waits for the runs and for the
    # per repo-month figures it freezes (which in turn read the services)
    compaction = dg.AssetKey(["raw", "ci_runs_monthly_compacted"])
    repo_monthly = dg.AssetKey(["intermediate", "ci_repo_monthly"])
    compacted = dg.AssetKey(["staging", "ci_runs_monthly_compacted"])  # the staging view over it
    assert compacted in graph.get(dg.AssetKey(["marts", "ci_friction_monthly"])).parent_keys
    assert compaction in graph.get(compacted).parent_keys
    assert {dg.AssetKey(["raw", "workflow_runs"]), repo_monthly} <= graph.get(compaction).parent_keys
    assert dg.AssetKey(["intermediate", "services"]) in graph.get(repo_monthly).parent_keys
    # the per repo-month runs marts.ci_by_month reads are taken after the compaction deleted runs
    assert compacted in graph.get(dg.AssetKey(["intermediate", "ci_repo_month_runs"])).parent_keys


def test_sources_carry_a_freshness_policy(definitions):
    graph = definitions.resolve_asset_graph()
    for name in ("repos", "repo_files", "workflow_runs", "deployments", "issues", "k8s_namespaces",
                 "k8s_workloads", "k8s_replicasets"):
        policy = graph.get(dg.AssetKey(["raw", name])).freshness_policy
        assert isinstance(policy, dg.FreshnessPolicy), name
        assert policy.fail_window.to_timedelta().total_seconds() == 30 * 3600
        assert policy.warn_window.to_timedelta().total_seconds() == 26 * 3600
