"""Friction: golden-path services against DIY ones, from whichever friction marts exist."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import polars as pl

from dashboards.lib.adoption import reported_month
from dashboards.lib.filters import Filters
from dashboards.lib.selection import select_services
from dashboards.lib.snapshot import fetch, table_exists

Connection = duckdb.DuckDBPyConnection

FRICTION_TABLES = ("golden_path_vs_diy", "ci_runs", "ci_friction_monthly", "time_to_first_deploy",
                   "deploys")

_CI_MONTHLY_ALL = """
select date_trunc('month', created_at)::date as month, on_golden_path, count(*) as n,
       count(*) filter (where failed)
           / nullif(count(*) filter (where failed or conclusion = 'success'), 0) as failure_rate,
       median(duration_s) as median_duration_s
from marts.ci_runs
where created_at >= $start_ts and created_at < $end_ts
group by all
order by month, on_golden_path
"""

_CI_MONTHLY_SELECTED = """
select date_trunc('month', r.created_at)::date as month, r.on_golden_path, count(*) as n,
       count(*) filter (where r.failed)
           / nullif(count(*) filter (where r.failed or r.conclusion = 'success'), 0) as failure_rate,
       median(r.duration_s) as median_duration_s
from marts.ci_runs as r
semi join selected_services as s on s.service = r.service and s.repo = r.repo
where r.created_at >= $start_ts and r.created_at < $end_ts
group by all
order by month, r.on_golden_path
"""

_TTFD = """
select t.service, t.created_at, t.first_production_deploy_at, t.days, t.on_golden_path
from marts.time_to_first_deploy as t
semi join selected_services as s on s.service = t.service
where t.created_at >= $start_ts and t.created_at < $end_ts
order by t.days nulls last, t.service
"""

_DEPLOYS_MONTHLY = """
-- production deploys per service per month: deploys of the month ÷ the services (of the
-- selection, on or off the golden path) that existed by the month's end
with months as (
    select unnest(generate_series(date_trunc('month', $start_ts::timestamp)::date,
                                  date_trunc('month', $end_ts::timestamp - interval 1 microsecond)::date,
                                  interval 1 month))::date as month
),
existing as (
    select m.month, s.on_golden_path, count(*) as services
    from months as m
    join selected_services as s on s.created_at < m.month + interval 1 month
    group by all
),
deploys as (
    select date_trunc('month', d.deployed_at)::date as month, s.on_golden_path, count(*) as deploys
    from marts.deploys as d
    join selected_services as s on s.service = d.service
    where d.production and d.deployed_at >= $start_ts and d.deployed_at < $end_ts
    group by all
)
select e.month, e.on_golden_path, coalesce(d.deploys, 0) as deploys, e.services as n,
       coalesce(d.deploys, 0) / e.services as deploys_per_service
from existing as e
left join deploys as d on d.month = e.month and d.on_golden_path = e.on_golden_path
order by e.month, e.on_golden_path
"""

_FLAKY = """
select c.service, any_value(s.owner) as owner, any_value(s.on_golden_path) as on_golden_path,
       c.runs, c.failed, c.failure_rate, c.rerun_rate, c.median_duration_s, c.p90_duration_s,
       c.median_queue_s
from marts.ci_friction_monthly as c
join selected_services as s on s.service = c.service
where c.month = $month
group by all
order by c.failure_rate desc nulls last, c.runs desc, c.service
limit 25
"""


@dataclass(frozen=True)
class Friction:
    available: tuple[str, ...]
    vs_diy: pl.DataFrame | None
    ci_monthly: pl.DataFrame | None
    ttfd: pl.DataFrame | None
    deploys_monthly: pl.DataFrame | None
    flaky_month: date
    flaky: pl.DataFrame | None
    vs_diy_by_language: pl.DataFrame | None = None


def load_friction(con: Connection, f: Filters, last_complete_month: date) -> Friction:
    """Golden path against DIY, from whichever friction marts exist (none: all None)."""
    available = tuple(t for t in FRICTION_TABLES if table_exists(con, "marts", t))
    select_services(con, f)
    params = f.params()
    month = reported_month(last_complete_month, f)
    vs_diy = ci_monthly = ttfd = flaky = deploys_monthly = None
    if "golden_path_vs_diy" in available:
        vs_diy = fetch(con, "select * from marts.golden_path_vs_diy")
    vs_diy_by_language = None
    if table_exists(con, "marts", "golden_path_vs_diy_by_language"):
        vs_diy_by_language = fetch(con, "select * from marts.golden_path_vs_diy_by_language order by metric, language")
    if "ci_runs" in available:
        ci_monthly = fetch(con, _CI_MONTHLY_SELECTED if f.narrows_services else _CI_MONTHLY_ALL, params)
    if "time_to_first_deploy" in available:
        ttfd = fetch(con, _TTFD, params)
    if "deploys" in available:
        deploys_monthly = fetch(con, _DEPLOYS_MONTHLY, {k: params[k] for k in ("start_ts", "end_ts")})
    if "ci_friction_monthly" in available:
        flaky = fetch(con, _FLAKY, {"month": month})
    return Friction(available=available, vs_diy=vs_diy, ci_monthly=ci_monthly, ttfd=ttfd,
                    deploys_monthly=deploys_monthly, flaky_month=month, flaky=flaky,
                    vs_diy_by_language=vs_diy_by_language)
