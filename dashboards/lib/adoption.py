"""New-service and overall adoption (SPEC §3) by month, team, language and template.

Unfiltered, the months come from marts.adoption_monthly as they are; when teams or languages
narrow the services, the same definitions are applied to `selected_services`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import polars as pl

from dashboards.lib.filters import Filters, month_start
from dashboards.lib.selection import select_services
from dashboards.lib.snapshot import fetch

Connection = duckdb.DuckDBPyConnection

_ADOPTION_ALL = """
select month, services_created, golden_path_created, new_service_adoption,
       services_total, golden_path_total, overall_adoption, below_threshold, threshold
from marts.adoption_monthly
where month between date_trunc('month', $start) and $end
order by month
"""

# The definitions of marts.adoption_monthly (SPEC §3) for the selected teams and languages,
# on the mart's own month spine: each service in its state (marts.service_history) at the end
# of its creation day and at each month's end, counted when its owner and language *then* are
# selected — as marts.adoption_monthly_by_team / _by_language group them.
_ADOPTION_SELECTED = """
with hist as (
    select h.*, min(h.valid_from) over (partition by h.service, h.repo) as created_at
    from marts.service_history as h
),
chosen as (
    select * from hist
    where ($all_teams or list_contains($teams, coalesce(owner, $no_team)))
      and ($all_languages or list_contains($languages, coalesce(language, $no_language)))
),
per_month as (
    select date_trunc('month', created_at)::date as month,
           count(*) as created,
           count(*) filter (where on_golden_path) as golden
    from chosen
    where valid_from < date_trunc('day', created_at) + interval 1 day
      and (valid_to is null or valid_to >= date_trunc('day', created_at) + interval 1 day)
    group by 1
),
at_end as (
    select a.month, count(c.service) as total, count(c.service) filter (where c.on_golden_path) as golden_total
    from marts.adoption_monthly as a
    left join chosen as c
        on c.valid_from < a.month + interval 1 month
       and (c.valid_to is null or c.valid_to >= a.month + interval 1 month)
    group by a.month
),
running as (
    select a.month, a.threshold,
           coalesce(p.created, 0) as services_created,
           coalesce(p.golden, 0) as golden_path_created,
           coalesce(e.total, 0) as services_total,
           coalesce(e.golden_total, 0) as golden_path_total
    from marts.adoption_monthly as a
    left join per_month as p using (month)
    left join at_end as e using (month)
)
select month, services_created, golden_path_created,
       golden_path_created / nullif(services_created, 0) as new_service_adoption,
       services_total::bigint as services_total, golden_path_total::bigint as golden_path_total,
       golden_path_total / nullif(services_total, 0) as overall_adoption,
       golden_path_created / nullif(services_created, 0) < threshold as below_threshold,
       threshold
from running
where month between date_trunc('month', $start) and $end
order by month
"""


def adoption_monthly(con: Connection, f: Filters) -> pl.DataFrame:
    """marts.adoption_monthly's columns for the months of the period, for the selected services.

    Requires `selected_services` when teams or languages are filtered.
    """
    sql = _ADOPTION_SELECTED if f.narrows_services else _ADOPTION_ALL
    return fetch(con, sql, f.params())


def reported_month(meta_last_complete: date, f: Filters) -> date:
    """The month the headline numbers are for: the last complete month inside the period."""
    return min(meta_last_complete, month_start(f.end))


def _by_group_month(column: str, label: str, missing: str) -> str:
    """New-service adoption per month and group (`column` of selected_services, shown as
    `label`, NULL shown as the `missing` parameter) over the selected period."""
    return f"""
select date_trunc('month', created_at)::date as month,
       coalesce({column}, ${missing}) as {label},
       count(*) as services_created,
       count(*) filter (where on_golden_path) as golden_path_created,
       count(*) filter (where on_golden_path) / count(*) as new_service_adoption
from selected_services
where created_at >= $start_ts and created_at < $end_ts
group by all
order by month, {label}
"""


_BY_TEAM_MONTH = _by_group_month("owner", "team", "no_team")
_BY_LANGUAGE_MONTH = _by_group_month("language", "language", "no_language")

_BY_TEMPLATE = """
select date_trunc('month', created_at)::date as month,
       case when on_golden_path then golden_path end as golden_path,
       count(*) as services_created
from selected_services
where created_at >= $start_ts and created_at < $end_ts
group by all
order by month, golden_path nulls first
"""

_NOT_ON_GOLDEN_PATH = """
select service, repo, owner, language, created_at, catalogued, has_service_spec,
       uses_platform_ci
from selected_services
where not on_golden_path and date_trunc('month', created_at) = $month
order by owner nulls last, service, repo
"""


def _totals(by_month: pl.DataFrame, group: str) -> pl.DataFrame:
    return (
        by_month.group_by(group)
        .agg(pl.col("services_created").sum(), pl.col("golden_path_created").sum())
        .with_columns((pl.col("golden_path_created") / pl.col("services_created"))
                      .alias("new_service_adoption"))
        .sort(group)
    )


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


# cohorts created in the period (the whole organisation: retention has no team or language)
_RETENTION = """
select cohort_month, golden_path, days_after, services, still_on_golden_path, share
from marts.golden_path_retention
where cohort_month between date_trunc('month', $start) and $end
order by cohort_month, golden_path, days_after
"""


def load_adoption(con: Connection, f: Filters, last_complete_month: date) -> Adoption:
    """Adoption by month, team, language and template, and last month's off-path services."""
    select_services(con, f)
    params = f.params()
    monthly = adoption_monthly(con, f)
    by_team_month = fetch(con, _BY_TEAM_MONTH, params)
    by_language_month = fetch(con, _BY_LANGUAGE_MONTH, params)
    todo_month = reported_month(last_complete_month, f)
    threshold = fetch(con, "select any_value(threshold) as t from marts.adoption_monthly").item()
    return Adoption(
        monthly=monthly,
        by_team_month=by_team_month,
        by_language_month=by_language_month,
        by_team=_totals(by_team_month, "team"),
        by_language=_totals(by_language_month, "language"),
        by_template=fetch(con, _BY_TEMPLATE, params),
        todo_month=todo_month,
        todo=fetch(con, _NOT_ON_GOLDEN_PATH, {"month": todo_month}),
        threshold=threshold,
        retention=fetch(con, _RETENTION, params),
    )
