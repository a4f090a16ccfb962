"""The weekly and monthly reports: files from the published warehouse, then the webhook."""

from datetime import datetime
from pathlib import Path

import dagster as dg

from pipelines.reports import deliver_report, write_report
from pipelines.reports.period import PeriodKind
from pipelines.resources import PathlensResource

REPORT_NOW_TAG = "pathlens/report_now"  # set by the report schedules: the tick's time


def _report_asset(kind: PeriodKind) -> dg.AssetsDefinition:
    @dg.asset(
        key=["reports", f"{kind}ly"],
        deps=[["published_warehouse"]],
        kinds={"python", "html", "csv"},
        group_name="reports",
        description=(
            f"The report for the last complete {kind}: HTML, Markdown and CSVs under `reports.out_dir`. "
            f"Reads only the published warehouse; the period is the last complete {kind} before the "
            "schedule's tick (or now), never past the data's refresh time. The summary goes to the "
            "webhook once per period; a failed delivery is recorded and never fails the step."
        ),
    )
    def _report(context: dg.AssetExecutionContext, pathlens: PathlensResource) -> dg.MaterializeResult:
        settings = pathlens.settings()
        tag = context.run.tags.get(REPORT_NOW_TAG)
        now = datetime.fromisoformat(tag) if tag else None
        files = write_report(pathlens.paths().published, Path(settings.reports.out_dir), kind, settings, now=now)
        delivery = deliver_report(files, settings)
        if delivery.status == "failed":
            context.log.warning(f"report written to {files.folder}, but its delivery failed: {delivery.error}")
        return dg.MaterializeResult(metadata={
            "period": files.period.slug,
            "folder": dg.MetadataValue.path(str(files.folder)),
            "html": dg.MetadataValue.path(str(files.html)),
            "delivery": delivery.status,
            "delivery_attempts": delivery.attempts,
            "delivery_error": delivery.error or "",
            "summary": dg.MetadataValue.md(files.markdown.read_text(encoding="utf-8")),
        })

    return _report


weekly_report = _report_asset("week")
monthly_report = _report_asset("month")
