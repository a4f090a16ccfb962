"""The tables behind a report, one CSV each, at full precision.

Text cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) get a leading
`'` (escape.csv_cell); lists are joined with `; `; NULL is an empty cell.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from pipelines.reports.data import ReportData
from pipelines.reports.escape import csv_cell


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return csv_cell("; ".join(str(v) for v in value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return csv_cell(value)


def to_csv(columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> str:
    """CSV text with a header row and one line per row (missing keys are empty)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return buffer.getvalue()


def report_tables(data: ReportData) -> dict[str, str]:
    """file stem → CSV text, for every table the report shows."""
    p = data.period
    summary = [{
        "metric": r.metric, "label": r.label, "unit": r.unit, "value": r.value, "previous": r.previous,
        "change": r.change, "period_start": p.start.date(), "period_end": p.end.date(),
    } for r in data.summary]
    alert_cols = ["severity", "rule", "subject", "repo", "period", "value", "threshold", "message",
                  "raised_at", "first_raised_at", "alert_key"]
    return {
        "summary": to_csv(["metric", "label", "unit", "value", "previous", "change", "period_start",
                           "period_end"], summary),
        "alerts": to_csv(alert_cols, data.alerts),
        "new_escape_hatches": to_csv(["service", "repo", "owner", "reasons", "created_at"], data.escape_hatches.new),
        "escape_hatches": to_csv(["service", "repo", "owner", "reasons", "created_at", "exception_requests",
                                  "open_exception_requests", "latest_request_repo", "latest_request_number",
                                  "latest_request_state", "latest_request_url"], data.escape_hatches.services),
        "teams_below_threshold": to_csv(["owner", "services_created", "golden_path_created",
                                         "new_service_adoption"], data.worst_teams),
        "template_health": to_csv(["golden_path", "head_at", "days_since_change", "stale", "services",
                                   "services_current", "median_commits_behind", "p90_commits_behind",
                                   "services_unresolved", "services_far_behind", "share_far_behind",
                                   "far_behind_commits"], data.maintenance),
        "exception_requests_opened": to_csv(["repo", "number", "title", "team", "state", "opened_at", "closed_at",
                                             "days_to_close"], data.requests_opened),
        "ci_friction": to_csv(["group", "runs", "failure_rate", "median_duration_s", "previous_runs",
                               "previous_failure_rate", "previous_median_duration_s"], data.friction),
        "adoption_monthly": to_csv(data.adoption_monthly.columns, data.adoption_monthly.to_dicts()),
        "exception_requests_monthly": to_csv(data.exceptions_monthly.columns, data.exceptions_monthly.to_dicts()),
    }
