"""Friction: golden-path services against DIY ones, from whichever friction marts exist.

Every number comes from the friction marts and macros stored in the warehouse
(sql/marts/ci_*.sql, deploys_by_month.sql, golden_path_vs_diy), called with the page's
filters; a service is its name and repo. The loader only selects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import polars as pl

from dashboards.lib.adoption import reported_month
from dashboards.lib.filters import Filters
from dashboards.lib.snapshot import fetch, table_exists

Connection = duckdb.DuckDBPyConnection

FRICTION_TABLES = ("golden_path_vs_diy", "ci_runs", "ci_friction_monthly", "time_to_first_deploy",
                   "deploys")

ARGS = "teams := $teams, languages := $languages, start := $start, stop := $stop"

_CI_MONTHLY = f"select * from marts.ci_by_month({ARGS}) order by month, on_golden_path"

_TTFD = """
select t.service, t.repo, t.created_at, t.first_production_deploy_at, t.days, t.on_golden_path
from marts.time_to_first_deploy as t
semi join marts.selected_services(teams := $teams, languages := $languages) as s
    on s.service = t.service and s.repo = t.repo
where t.created_at >= $start and t.created_at < $stop
order by t.days nulls last, t.service, t.repo
"""

_TTFD_SPREAD = f"select * from marts.time_to_first_deploy_spread({ARGS}) order by on_golden_path desc"

_DEPLOYS_MONTHLY = f"select * from marts.deploys_by_month({ARGS}) order by month, on_golden_path"

_FLAKY = """
select c.service, c.repo, s.owner, s.on_golden_path, c.runs, c.failed, c.failure_rate, c.rerun_rate,
       c.median_duration_s, c.p90_duration_s, c.median_queue_s
from marts.ci_friction_monthly as c
join marts.selected_services(teams := $teams, languages := $languages) as s
    on s.service = c.service and s.repo = c.repo
where c.month = $month
order by c.failure_rate desc nulls last, c.runs desc, c.service, c.repo
limit 25
"""


@dataclass(frozen=True)
class Friction:
    available: tuple[str, ...]
    vs_diy: pl.DataFrame | None
    ci_monthly: pl.DataFrame | None
    ttfd: pl.DataFrame | None
    ttfd_spread: pl.DataFrame | None
    deploys_monthly: pl.DataFrame | None
    flaky_month: date
    flaky: pl.DataFrame | None
    vs_diy_by_language: pl.DataFrame | None = None


def load_friction(con: Connection, f: Filters, last_complete_month: date) -> Friction:
    """Golden path against DIY, from whichever friction marts exist (none: all None)."""
    available = tuple(t for t in FRICTION_TABLES if table_exists(con, "marts", t))
    args = f.macro_args()
    month = reported_month(last_complete_month, f)
    vs_diy = ci_monthly = ttfd = ttfd_spread = flaky = deploys_monthly = None
    if "golden_path_vs_diy" in available:
        vs_diy = fetch(con, "select * from marts.golden_path_vs_diy")
    vs_diy_by_language = None
    if table_exists(con, "marts", "golden_path_vs_diy_by_language"):
        vs_diy_by_language = fetch(con, "select * from marts.golden_path_vs_diy_by_language order by metric, language")
    if "ci_runs" in available:
        ci_monthly = fetch(con, _CI_MONTHLY, args)
    if "time_to_first_deploy" in available:
        ttfd = fetch(con, _TTFD, args)
        ttfd_spread = fetch(con, _TTFD_SPREAD, args)
    if "deploys" in available:
        deploys_monthly = fetch(con, _DEPLOYS_MONTHLY, args)
    if "ci_friction_monthly" in available:
        flaky = fetch(con, _FLAKY, {**args, "month": month})
    return Friction(available=available, vs_diy=vs_diy, ci_monthly=ci_monthly, ttfd=ttfd, ttfd_spread=ttfd_spread,
                    deploys_monthly=deploys_monthly, flaky_month=month, flaky=flaky,
                    vs_diy_by_language=vs_diy_by_language)
