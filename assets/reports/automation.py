"""When things run: the daily refresh, the weekly and monthly reports, and the run-failure sensor.

The refresh is a schedule, not declarative automation: DuckDB has one writer, and
write-audit-publish wants every asset, check and the publish in one run, which one scheduled
job gives directly (docs/operations.md explains the choice). Times are UTC.
"""

from datetime import UTC, datetime

import dagster as dg

from assets.reports.reports import REPORT_NOW_TAG
from pipelines.reports.delivery import post_json, webhook_url
from pipelines.reports.failures import (
    RunFailure,
    outbox_path,
    record_failure,
    redact,
    secret_values,
)
from pipelines.reports.period import PeriodKind, last_complete
from pipelines.reports.slack import failure_payload
from pipelines.resources import PathlensResource

REFRESH_CRON = "0 5 * * *"  # every day at 05:00
WEEKLY_REPORT_CRON = "0 7 * * 1"  # Mondays at 07:00, after that day's refresh
MONTHLY_REPORT_CRON = "0 7 1 * *"  # the 1st of the month at 07:00
TIMEZONE = "UTC"
SENSOR_WEBHOOK_ATTEMPTS = 3  # a sensor evaluation must finish within a minute
SENSOR_WEBHOOK_TIMEOUT_S = 5.0

daily_refresh_job = dg.define_asset_job(
    "daily_refresh",
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("reports"),
    description="Every source, model, check and alert, then the publish (reports run on their own).",
)
weekly_report_job = dg.define_asset_job(
    "weekly_report", selection=dg.AssetSelection.assets(["reports", "weekly"]),
    description="The report for the last complete week, from the published warehouse.",
)
monthly_report_job = dg.define_asset_job(
    "monthly_report", selection=dg.AssetSelection.assets(["reports", "monthly"]),
    description="The report for the last complete month, from the published warehouse.",
)


def _tick(context: dg.ScheduleEvaluationContext) -> datetime:
    """The tick's scheduled time as naive UTC (the clock when evaluated by hand)."""
    at = context.scheduled_execution_time or datetime.now(UTC)
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at


@dg.schedule(job=daily_refresh_job, cron_schedule=REFRESH_CRON, execution_timezone=TIMEZONE,
             default_status=dg.DefaultScheduleStatus.RUNNING)
def daily_refresh_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """One refresh per day; the run key makes a re-evaluated tick launch nothing new."""
    day = _tick(context).date()
    return dg.RunRequest(run_key=f"refresh-{day.isoformat()}", tags={"pathlens/refresh_day": day.isoformat()})


def _report_schedule(kind: PeriodKind, job, cron: str) -> dg.ScheduleDefinition:
    @dg.schedule(name=f"{kind}ly_report_schedule", job=job, cron_schedule=cron, execution_timezone=TIMEZONE,
                 default_status=dg.DefaultScheduleStatus.RUNNING)
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        at = _tick(context)
        period = last_complete(kind, at)
        return dg.RunRequest(
            run_key=f"report-{period.slug}",
            tags={REPORT_NOW_TAG: at.isoformat(), "pathlens/report_period": period.slug},
        )

    return _schedule


weekly_report_schedule = _report_schedule("week", weekly_report_job, WEEKLY_REPORT_CRON)
monthly_report_schedule = _report_schedule("month", monthly_report_job, MONTHLY_REPORT_CRON)


def failure_of(context: dg.RunFailureSensorContext) -> RunFailure:
    """What failed in the run: its job, when, the failed steps and the first error's message."""
    run = context.dagster_run
    steps, message = [], ""
    for event in context.get_step_failure_events():
        steps.append(event.step_key)
        error = getattr(event.event_specific_data, "error", None)
        if error is not None and not message:
            while getattr(error, "cause", None) is not None:
                error = error.cause
            text = error.message.strip()
            message = text if text.startswith(f"{error.cls_name}:") else f"{error.cls_name}: {text}"
    if not message:
        message = context.failure_event.message or "the run failed"
    record = context.instance.get_run_record_by_id(run.run_id)
    ended = record.end_time if record is not None and record.end_time else None
    failed_at = datetime.fromtimestamp(ended, UTC) if ended else datetime.now(UTC)
    return RunFailure(run_id=run.run_id, job_name=run.job_name, failed_at=failed_at.replace(tzinfo=None, microsecond=0),
                      steps=steps, message=message)


@dg.run_failure_sensor(name="record_run_failures", default_status=dg.DefaultSensorStatus.RUNNING)
def record_run_failures(context: dg.RunFailureSensorContext, pathlens: PathlensResource) -> None:
    """Record every failed run as an alert: into the outbox the next refresh reads into
    raw.run_failures (then marts.alerts), and, when a webhook is configured, to the chat now."""
    settings = pathlens.settings()
    secrets = secret_values(settings)
    failure = failure_of(context)
    record_failure(outbox_path(pathlens.paths()), failure, secrets)
    first_line = (redact(failure.message, secrets).splitlines() or [""])[0][:300]
    payload = failure_payload(failure, first_line, dashboard_url=settings.reports.dashboard_url)
    result = post_json(webhook_url(settings), payload, attempts=SENSOR_WEBHOOK_ATTEMPTS,
                       timeout_s=SENSOR_WEBHOOK_TIMEOUT_S)
    context.log.info(f"recorded the failure of run {failure.run_id}; chat delivery: {result.status}"
                     + (f" ({result.error})" if result.error else ""))
