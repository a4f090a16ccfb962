"""Exception requests: per month, over the period, by team, one by one, and those that led to
no escape hatch (marts.exception_requests `service`, `service_escape_hatch`).

Every number comes from the exception-request macros stored in the warehouse
(sql/marts/exception_*.sql), called with the page's team filter: the loader only selects.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from dashboards.lib.filters import Filters
from dashboards.lib.snapshot import fetch

Connection = duckdb.DuckDBPyConnection

ARGS = "teams := $teams, start := $start, stop := $stop"

_MONTHLY = f"select * from marts.exception_requests_by_month({ARGS}) order by month"


def requests_monthly(con: Connection, f: Filters) -> pl.DataFrame:
    """Requests opened/closed/open at each month's end of the period, for the selected teams."""
    return fetch(con, _MONTHLY, f.macro_args())


_REQUESTS = """
select repo, number, title, team, state, opened_at, closed_at, days_to_close,
       array_to_string(labels, ', ') as labels,
       case when regexp_matches(html_url, '^https?://[^\\s<>"'']+$') then html_url end as html_url
from marts.selected_requests(teams := $teams)
where opened_at >= $start and opened_at < $stop
order by opened_at desc, repo, number
"""

_BY_TEAM = f"select team, open, closed, median_days_to_close from marts.exception_requests_by_team({ARGS})"

# opened / closed in the period, open at its end, median days to close, open at the refresh
_SUMMARY = f"select * from marts.exception_summary({ARGS})"

# requests that led to no escape hatch: about no known service (`service` NULL), or about a
# service without one (`service_escape_hatch` false) — both from marts.exception_requests
_UNLINKED = """
select repo, number, title, team, {service} state, opened_at, closed_at,
       case when regexp_matches(html_url, '^https?://[^\\s<>"'']+$') then html_url end as html_url
from marts.selected_requests(teams := $teams)
where {condition} and opened_at >= $start and opened_at < $stop
order by opened_at desc, repo, number
"""
_NO_SERVICE = _UNLINKED.format(service="", condition="service is null")
_NO_ESCAPE_HATCH = _UNLINKED.format(service="service,", condition="not service_escape_hatch")

_UNKNOWN_TEAMS = """
select owner as team, array_to_string(exception_labels, ', ') as labels, exception_requests as requests
from marts.teams
where not has_services
order by owner
"""


@dataclass(frozen=True)
class Exceptions:
    monthly: pl.DataFrame
    requests: pl.DataFrame
    by_team: pl.DataFrame
    open_now: int
    unknown_teams: pl.DataFrame  # label teams that match no service owner (a data-quality warning)
    no_service: pl.DataFrame  # requests opened in the period about no known service
    no_escape_hatch: pl.DataFrame  # requests opened in the period whose service has no escape hatch
    summary: dict | None = None  # marts.exception_summary's row for the period


def load_exceptions(con: Connection, f: Filters) -> Exceptions:
    """Requests per month, the requests opened in the period (with safe links), by team, and
    those of them about no known service or about a service without an escape hatch."""
    args = f.macro_args()
    summary = fetch(con, _SUMMARY, args).row(0, named=True)
    return Exceptions(
        monthly=requests_monthly(con, f),
        requests=fetch(con, _REQUESTS, args),
        by_team=fetch(con, _BY_TEAM, args),
        open_now=summary["open_now"],
        unknown_teams=fetch(con, _UNKNOWN_TEAMS),
        no_service=fetch(con, _NO_SERVICE, args),
        no_escape_hatch=fetch(con, _NO_ESCAPE_HATCH, args),
        summary=summary,
    )
