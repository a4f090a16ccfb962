"""New-service and overall adoption (SPEC §3) by month, team, language and template.

Every number comes from the adoption macros stored in the warehouse (sql/marts/adoption*.sql,
services_created_by_template.sql), called with the page's filters: the loader only selects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

import duckdb
import polars as pl

from dashboards.lib.filters import Filters, month_start
from dashboards.lib.snapshot import fetch

Connection = duckdb.DuckDBPyConnection

ARGS = "teams := $teams, languages := $languages, start := $start, stop := $stop"

# month, the SPEC §3 adoption columns, partial (the refresh's month) and period_end
_MONTHLY = f"select * from marts.adoption({ARGS}) order by month"


def adoption_monthly(con: Connection, f: Filters) -> pl.DataFrame:
    """marts.adoption_monthly's columns for the months of the period and the selection."""
    return fetch(con, _MONTHLY, f.macro_args())


def reported_month(meta_last_complete: date, f: Filters) -> date:
    """The month the headline numbers are for: the last complete month inside the period."""
    return min(meta_last_complete, month_start(f.end))


def _by_group_month(dimension: str, label: str, missing: str) -> str:
    """New-service adoption per month and owner or language (`label`; NULL shown as the
    `missing` label), the months of the period in which the group created a service."""
    return f"""
select month, coalesce(group_value, ${missing}) as {label}, services_created, golden_path_created,
       new_service_adoption, partial
from marts.adoption_grouped(dimension := '{dimension}', {ARGS})
where services_created > 0
order by month, {label}
"""


def _by_group(dimension: str, label: str, missing: str) -> str:
    """New-service adoption over the whole period per owner or language (`label`), the groups
    that created a service in it."""
    return f"""
select coalesce(group_value, ${missing}) as {label}, services_created, golden_path_created,
       new_service_adoption
from marts.adoption_period(dimension := '{dimension}', {ARGS})
where services_created > 0
order by {label}
"""


_BY_TEAM_MONTH = _by_group_month("owner", "team", "no_team")
_BY_LANGUAGE_MONTH = _by_group_month("language", "language", "no_language")
_BY_TEAM = _by_group("owner", "team", "no_team")
_BY_LANGUAGE = _by_group("language", "language", "no_language")

_BY_TEMPLATE = f"select * from marts.services_created_by_template({ARGS})"

# the services created in the month that were on no golden path at the end of their creation
# day, with today's catalogue facts
_NOT_ON_GOLDEN_PATH = """
select c.service, c.repo, c.owner, c.language, c.created_at, s.catalogued, s.has_service_spec,
       s.uses_platform_ci
from marts.services_created(teams := $teams, languages := $languages, start := $month,
                            stop := $month + interval 1 month) as c
join marts.services as s on s.service = c.service and s.repo = c.repo
where not c.on_golden_path
order by c.owner nulls last, c.service, c.repo
"""


@dataclass(frozen=True)
class Adoption:
    monthly: pl.DataFrame
    by_team_month: pl.DataFrame
    by_language_month: pl.DataFrame
    by_team: pl.DataFrame
    by_language: pl.DataFrame
    by_template: pl.DataFrame
    todo_month: date
    todo: pl.DataFrame
    threshold: float | None
    retention: pl.DataFrame


# cohorts of the selection created in the period
_RETENTION = f"select * from marts.retention({ARGS})"


def load_adoption(con: Connection, f: Filters, last_complete_month: date) -> Adoption:
    """Adoption by month, team, language and template, and last month's off-path services."""
    args = {**f.macro_args(), "no_team": f.params()["no_team"], "no_language": f.params()["no_language"]}
    todo_month = reported_month(last_complete_month, f)
    threshold = fetch(con, "select any_value(threshold) as t from marts.adoption_monthly").item()
    return Adoption(
        monthly=adoption_monthly(con, f),
        by_team_month=fetch(con, _BY_TEAM_MONTH, args),
        by_language_month=fetch(con, _BY_LANGUAGE_MONTH, args),
        by_team=fetch(con, _BY_TEAM, args),
        by_language=fetch(con, _BY_LANGUAGE, args),
        by_template=fetch(con, _BY_TEMPLATE, args),
        todo_month=todo_month,
        todo=fetch(con, _NOT_ON_GOLDEN_PATH, {**args, "month": datetime.combine(todo_month, time.min)}),
        threshold=threshold,
        retention=fetch(con, _RETENTION, args),
    )
