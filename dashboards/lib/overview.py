"""The overview: the headline month's adoption, its trend, escape hatches, requests, alerts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import polars as pl

from dashboards.lib.adoption import adoption_monthly, reported_month
from dashboards.lib.escape_hatches import EscapeSummary, escape_summary
from dashboards.lib.exception_requests import requests_monthly
from dashboards.lib.filters import Filters
from dashboards.lib.selection import select_requests, select_services
from dashboards.lib.snapshot import fetch, table_exists

Connection = duckdb.DuckDBPyConnection


@dataclass(frozen=True)
class Overview:
    month: date
    headline: dict | None
    previous: dict | None
    threshold: float | None
    trend: pl.DataFrame
    escape: EscapeSummary
    requests: pl.DataFrame
    alerts: pl.DataFrame | None
    escape_monthly: pl.DataFrame


def load_overview(con: Connection, f: Filters, last_complete_month: date) -> Overview:
    """The headline month's adoption, its 12-month trend, escape hatches and requests."""
    select_services(con, f)
    select_requests(con, f)
    monthly = adoption_monthly(con, f)
    month = reported_month(last_complete_month, f)
    complete = monthly.filter(pl.col("month") <= month)
    trend = complete.tail(12)
    rows = {r["month"]: r for r in complete.tail(2).iter_rows(named=True)}
    headline = rows.get(month)
    previous = next((r for m, r in rows.items() if m < month), None)
    threshold = fetch(con, "select any_value(threshold) as t from marts.adoption_monthly").item()
    alerts = None
    if table_exists(con, "marts", "alerts"):
        alerts = _latest_alerts(fetch(con, "select * from marts.alerts"))
    return Overview(
        month=month, headline=headline, previous=previous, threshold=threshold, trend=trend,
        escape=escape_summary(con, f), requests=requests_monthly(con, f), alerts=alerts,
        escape_monthly=fetch(con, _ESCAPE_MONTHLY, f.params()),
    )


# escape-hatch services at each month's end (the whole organisation), beside the requests
_ESCAPE_MONTHLY = """
select month, escape_hatch_services, escape_hatch_rate
from marts.escape_hatch_monthly
where month between date_trunc('month', $start) and $end
order by month
"""


def _latest_alerts(alerts: pl.DataFrame, limit: int = 10) -> pl.DataFrame:
    """The `limit` most recently raised alerts of marts.alerts."""
    return alerts.sort("raised_at", descending=True, nulls_last=True).head(limit)
