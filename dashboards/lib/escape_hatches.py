"""Escape hatches: the rate and reasons at the period's end, the services using one then (with
since when, and whether they took it during the period), the rate at each month's end.

Every number comes from the escape-hatch macros stored in the warehouse
(sql/marts/escape_hatch_*.sql), called with the page's filters: the loader only selects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import polars as pl

from dashboards.lib.filters import Filters
from dashboards.lib.snapshot import fetch
from pipelines.charts import reason_label

Connection = duckdb.DuckDBPyConnection


@dataclass(frozen=True)
class EscapeSummary:
    """marts.escape_hatch_at's numbers at `measured_at` (the period's end, at most the refresh)."""

    spec_services: int
    escape_hatch_services: int
    escape_hatch_rate: float | None
    reasons: pl.DataFrame  # marts.escape_hatch_reasons_at's rows: services per reason, declared by text
    measured_at: datetime | None = None
    new_escape_hatches: int | None = None  # took the escape hatch during the period


# at the period's end: of the services existing then, each in its state then
_ESCAPE_SUMMARY = """
select * from marts.escape_hatch_period(teams := $teams, languages := $languages, start := $start, stop := $stop)
"""

# services per reason at the period's end, each declared text its own row; the texts beyond the
# DECLARED_TOP most common share one (a chart stays readable however many teams write)
DECLARED_TOP = 12
_ESCAPE_REASONS = f"""
select position, kind, reason, declared_text, escape_hatch_services, declared_texts
from marts.escape_hatch_reasons_at(teams := $teams, languages := $languages, instant := $stop,
                                   declared_top := {DECLARED_TOP})
order by position
"""


def escape_summary(con: Connection, f: Filters) -> EscapeSummary:
    """The escape-hatch rate and reason counts at the end of the period, for the selection."""
    args = f.macro_args()
    row = fetch(con, _ESCAPE_SUMMARY, args).row(0, named=True)
    return EscapeSummary(
        spec_services=row["spec_services"],
        escape_hatch_services=row["escape_hatch_services"],
        escape_hatch_rate=row["escape_hatch_rate"],
        reasons=fetch(con, _ESCAPE_REASONS, args),
        measured_at=row["measured_at"],
        new_escape_hatches=row["new_escape_hatches"],
    )


# with each hatch's exception requests (marts.escape_hatches, as of the refresh): how many, how
# many open, the latest one's state and link
_ESCAPE_HATCHES = """
select e.service, e.repo, e.owner, e.language, array_to_string(e.reasons, ', ') as reasons,
       e.reasons as reason_list, e.spec_path,
       e.created_at, e.since, e.age_days, e.new_in_period,
       coalesce(x.exception_requests, 0) as exception_requests,
       coalesce(x.open_exception_requests, 0) as open_exception_requests,
       coalesce(x.latest_request_state, 'none') as request_state,
       case when regexp_matches(x.latest_request_url, '^https?://[^\\s<>"'']+$')
            then x.latest_request_url end as request_url
from marts.escape_hatch_services(teams := $teams, languages := $languages, start := $start, stop := $stop) as e
left join marts.escape_hatches as x on x.service = e.service and x.repo = e.repo
order by e.since desc, e.service, e.repo
"""

# the selection's rate at each month's end of the period, from service history
_ESCAPE_RATE = """
select month, spec_services, escape_hatch_services, escape_hatch_rate, partial, period_end
from marts.escape_hatch_by_month(teams := $teams, languages := $languages, start := $start, stop := $stop)
order by month
"""


@dataclass(frozen=True)
class EscapeHatches:
    summary: EscapeSummary
    hatches: pl.DataFrame
    rate: pl.DataFrame


OTHER_TEXTS = "(other declared texts)"  # the bar of the texts beyond DECLARED_TOP (no reason starts with "(")


def reason_choices(reasons: pl.DataFrame) -> list[str]:
    """The reasons a drill-down can pick, as the reasons chart draws them: each row's `reason`,
    OTHER_TEXTS for the row of the declared texts beyond the top."""
    return [OTHER_TEXTS if r is None else r for r in reasons.get_column("reason").to_list()]


def reason_labels(reasons: pl.DataFrame) -> dict[str, str]:
    """Each choice of `reason_choices` and how it reads (the chart's full label): what the
    Escape hatches page's reason picker shows, and writes in the URL (`reason=`)."""
    return dict(zip(reason_choices(reasons), (reason_label(k, t, n) for k, t, n in reasons.select(
        "kind", "declared_text", "declared_texts").iter_rows()), strict=True))


def with_reason(hatches: pl.DataFrame, reason: str, reasons: pl.DataFrame) -> pl.DataFrame:
    """The rows of `hatches` (its `reason_list`) carrying `reason`; for OTHER_TEXTS, those whose
    declared text is not one the chart draws on its own bar (`reasons`' rows)."""
    if reason != OTHER_TEXTS:
        return hatches.filter(pl.col("reason_list").list.contains(reason))
    drawn = [r for r in reasons.get_column("reason").to_list() if r is not None]
    return hatches.filter(pl.col("reason_list").list.eval(
        pl.element().str.starts_with("declared:") & ~pl.element().is_in(drawn)).list.any())


def escape_monthly(con: Connection, f: Filters) -> pl.DataFrame:
    """The selection's escape-hatch rate at each month's end of the period."""
    return fetch(con, _ESCAPE_RATE, f.macro_args())


def load_escape_hatches(con: Connection, f: Filters) -> EscapeHatches:
    """The escape-hatch services with reasons and owners at the period's end, and the rate over time."""
    args = f.macro_args()
    return EscapeHatches(
        summary=escape_summary(con, f),
        hatches=fetch(con, _ESCAPE_HATCHES, args),
        rate=escape_monthly(con, f),
    )
