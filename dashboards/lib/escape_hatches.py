"""Escape hatches: the rate and reasons (marts.escape_hatch_summary), the services with their
age and exception requests (marts.escape_hatches), the rate at each month's end
(marts.escape_hatch_monthly)."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from dashboards.lib.filters import Filters
from dashboards.lib.selection import select_services
from dashboards.lib.snapshot import fetch

Connection = duckdb.DuckDBPyConnection


@dataclass(frozen=True)
class EscapeSummary:
    """marts.escape_hatch_summary's numbers, for the selection."""

    spec_services: int
    escape_hatch_services: int
    escape_hatch_rate: float | None
    reasons: tuple[tuple[str, int], ...]


_ESCAPE_SUMMARY_ALL = "select * from marts.escape_hatch_summary"

_ESCAPE_SUMMARY_SELECTED = """
select
    count(*) filter (where has_service_spec) as spec_services,
    count(*) filter (where escape_hatch) as escape_hatch_services,
    count(*) filter (where escape_hatch) / nullif(count(*) filter (where has_service_spec), 0)
        as escape_hatch_rate,
    count(*) filter (where escape_hatch and list_contains(escape_hatch_reasons, 'gpu')) as gpu,
    count(*) filter (where escape_hatch and list_contains(escape_hatch_reasons, 'sidecar')) as sidecar,
    count(*) filter (where escape_hatch and len(list_filter(escape_hatch_reasons,
        lambda r: starts_with(r, 'declared:'))) > 0) as declared,
    count(*) filter (where escape_hatch and list_contains(escape_hatch_reasons, 'other')) as other
from selected_services
where created_at >= $start_ts and created_at < $end_ts
"""

REASONS = (("gpu", "GPU"), ("sidecar", "sidecar"), ("declared", "declared"), ("other", "other"))


def escape_summary(con: Connection, f: Filters) -> EscapeSummary:
    """The escape-hatch rate and reason counts (requires `selected_services` when filtered)."""
    sql = _ESCAPE_SUMMARY_ALL if f.is_everything else _ESCAPE_SUMMARY_SELECTED
    frame = fetch(con, sql, f.params())
    row = frame.row(0, named=True) if frame.height else {}
    return EscapeSummary(
        spec_services=row.get("spec_services") or 0,
        escape_hatch_services=row.get("escape_hatch_services") or 0,
        escape_hatch_rate=row.get("escape_hatch_rate"),
        reasons=tuple((label, row.get(col) or 0) for col, label in REASONS),
    )


# with each hatch's exception requests: how many, how many open, the latest one's state and link
_ESCAPE_HATCHES = """
select e.service, e.repo, e.owner, e.language,
       array_to_string(e.reasons, ', ') as reasons,
       e.spec_path, e.created_at, e.since, e.age_days,
       e.exception_requests, e.open_exception_requests,
       coalesce(e.latest_request_state, 'none') as request_state,
       case when regexp_matches(e.latest_request_url, '^https?://[^\\s<>"'']+$')
            then e.latest_request_url end as request_url
from marts.escape_hatches as e
semi join selected_services as s on s.service = e.service and s.repo = e.repo
where e.created_at >= $start_ts and e.created_at < $end_ts
order by e.since desc, e.service, e.repo
"""

# the whole organisation's rate at each month's end, from service history
_ESCAPE_RATE = """
select month, spec_services, escape_hatch_services, escape_hatch_rate
from marts.escape_hatch_monthly
where month between date_trunc('month', $start) and $end
order by month
"""


@dataclass(frozen=True)
class EscapeHatches:
    summary: EscapeSummary
    hatches: pl.DataFrame
    rate: pl.DataFrame


def load_escape_hatches(con: Connection, f: Filters) -> EscapeHatches:
    """The escape-hatch services with reasons and owners, and the rate over time."""
    select_services(con, f)
    params = f.params()
    return EscapeHatches(
        summary=escape_summary(con, f),
        hatches=fetch(con, _ESCAPE_HATCHES, params),
        rate=fetch(con, _ESCAPE_RATE, params),
    )
