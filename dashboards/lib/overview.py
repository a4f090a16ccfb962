"""The overview: the headline month's adoption, its trend, escape hatches, requests, alerts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import polars as pl

from dashboards.lib.adoption import adoption_monthly, reported_month
from dashboards.lib.escape_hatches import EscapeSummary, escape_monthly, escape_summary
from dashboards.lib.exception_requests import requests_monthly
from dashboards.lib.filters import Filters
from dashboards.lib.snapshot import fetch, table_exists

Connection = duckdb.DuckDBPyConnection

TREND_MONTHS = 12


@dataclass(frozen=True)
class Overview:
    month: date
    headline: dict | None  # marts.adoption's row for the month (with the change vs the month before)
    threshold: float | None
    trend: pl.DataFrame
    escape: EscapeSummary
    requests: pl.DataFrame
    alerts: pl.DataFrame | None
    escape_monthly: pl.DataFrame


def load_overview(con: Connection, f: Filters, last_complete_month: date) -> Overview:
    """The headline month's adoption, the complete months' trend up to it (at most 12),
    escape hatches at the period's end, requests, and the selection's escape hatches and
    requests month by month."""
    monthly = adoption_monthly(con, f)
    month = reported_month(last_complete_month, f)
    complete = monthly.filter(pl.col("month") <= month)
    headline = next(complete.filter(pl.col("month") == month).iter_rows(named=True), None)
    threshold = fetch(con, "select any_value(threshold) as t from marts.adoption_monthly").item()
    alerts = None
    if table_exists(con, "marts", "alerts"):
        alerts = fetch(con, "select * from marts.alerts order by raised_at desc nulls last limit 10")
    return Overview(
        month=month, headline=headline, threshold=threshold,
        trend=complete.tail(TREND_MONTHS), escape=escape_summary(con, f), requests=requests_monthly(con, f),
        alerts=alerts, escape_monthly=escape_monthly(con, f),
    )
