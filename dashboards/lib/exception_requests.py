"""Exception requests: per month (marts.exception_requests_monthly), by team, one by one, and
those that led to no escape hatch (marts.exception_requests `service`, `service_escape_hatch`)."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from dashboards.lib.filters import Filters
from dashboards.lib.selection import select_requests
from dashboards.lib.snapshot import fetch

Connection = duckdb.DuckDBPyConnection

_REQUESTS_MONTHLY_ALL = """
select month, opened, closed, open_at_month_end, median_days_to_close
from marts.exception_requests_monthly
where month between date_trunc('month', $start) and $end
order by month
"""

# marts.exception_requests_monthly's definitions over the selected requests, same month spine.
_REQUESTS_MONTHLY_SELECTED = """
with bounds as (
    select month, (month + interval 1 month)::timestamp as next_month
    from marts.exception_requests_monthly
    where month between date_trunc('month', $start) and $end
)
select
    b.month,
    (select count(*) from selected_requests as r
        where r.opened_at >= b.month and r.opened_at < b.next_month) as opened,
    (select count(*) from selected_requests as r
        where r.closed_at >= b.month and r.closed_at < b.next_month) as closed,
    (select count(*) from selected_requests as r
        where r.opened_at < b.next_month and (r.closed_at is null or r.closed_at >= b.next_month))
        as open_at_month_end,
    (select median(r.days_to_close) from selected_requests as r
        where r.closed_at >= b.month and r.closed_at < b.next_month) as median_days_to_close
from bounds as b
order by b.month
"""


def requests_monthly(con: Connection, f: Filters) -> pl.DataFrame:
    """Requests opened/closed/open per month of the period (requires `selected_requests`)."""
    sql = _REQUESTS_MONTHLY_SELECTED if f.teams else _REQUESTS_MONTHLY_ALL
    return fetch(con, sql, f.params())


_REQUESTS = """
select repo, number, title, team, state, opened_at, closed_at, days_to_close,
       array_to_string(labels, ', ') as labels,
       case when regexp_matches(html_url, '^https?://[^\\s<>"'']+$') then html_url end as html_url
from selected_requests
where opened_at >= $start_ts and opened_at < $end_ts
order by opened_at desc, repo, number
"""

_REQUESTS_BY_TEAM = """
select team,
       count(*) filter (where closed_at is null) as open,
       count(*) filter (where closed_at is not null) as closed,
       median(days_to_close) as median_days_to_close
from selected_requests
where opened_at >= $start_ts and opened_at < $end_ts
group by team
order by open + closed desc, team nulls last
"""

_OPEN_NOW = "select count(*) from selected_requests where closed_at is null"

# requests that led to no escape hatch: about no known service (`service` NULL), or about a
# service without one (`service_escape_hatch` false) — both from marts.exception_requests
_UNLINKED = """
select repo, number, title, team, {service} state, opened_at, closed_at,
       case when regexp_matches(html_url, '^https?://[^\\s<>"'']+$') then html_url end as html_url
from selected_requests
where {condition} and opened_at >= $start_ts and opened_at < $end_ts
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


def load_exceptions(con: Connection, f: Filters) -> Exceptions:
    """Requests per month, the requests opened in the period (with safe links), by team, and
    those of them about no known service or about a service without an escape hatch."""
    select_requests(con, f)
    params = f.params()
    return Exceptions(
        monthly=requests_monthly(con, f),
        requests=fetch(con, _REQUESTS, params),
        by_team=fetch(con, _REQUESTS_BY_TEAM, params),
        open_now=con.execute(_OPEN_NOW).fetchall()[0][0],
        unknown_teams=fetch(con, _UNKNOWN_TEAMS),
        no_service=fetch(con, _NO_SERVICE, params),
        no_escape_hatch=fetch(con, _NO_ESCAPE_HATCH, params),
    )
