"""Maintenance: are the golden paths maintained? Template health, services' drift, platform-CI
refs and languages without a golden path (marts.template_health, template_drift,
language_coverage)."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from dashboards.lib.filters import Filters
from dashboards.lib.snapshot import fetch, table_exists

Connection = duckdb.DuckDBPyConnection

_HEALTH = """
select golden_path, source, head_at, days_since_change, stale, stale_after_days, services,
       services_current, median_commits_behind, p90_commits_behind, services_unresolved,
       services_far_behind, share_far_behind, far_behind_commits, head_sha
from marts.template_health
"""

# the selected services (teams, languages) created in the period, with their drift
_DRIFT = """
select d.golden_path, d.service, d.repo, s.owner, d.template_commit, d.commits_behind,
       d.days_behind, d.resolved_sha, d.unresolved_reason, s.created_at
from marts.template_drift as d
join marts.selected_services(teams := $teams, languages := $languages) as s
    on s.service = d.service and s.repo = d.repo
where d.kind = 'template' and s.created_at >= $start and s.created_at < $stop
order by d.commits_behind desc nulls last, d.days_behind desc nulls last, d.service, d.repo
"""

ARGS = "teams := $teams, languages := $languages, start := $start, stop := $stop"

# platform-CI refs of the repos that hold a selected service created in the period (of every
# calling repo when nothing narrows the selection: start and stop NULL)
_CI_REFS = f"select * from marts.platform_ci_refs({ARGS})"

_SUMMARY = f"select * from marts.template_drift_summary({ARGS})"

_LANGUAGES = """
select language, services, golden_path_services, covered, golden_paths, services_created_90d,
       share_of_new_90d, adoption_90d
from marts.language_coverage
where $all_languages or list_contains($languages, language)
order by covered, services_created_90d desc, services desc, language
"""


@dataclass(frozen=True)
class Maintenance:
    available: bool  # the warehouse has the drift marts
    summary: dict  # golden_paths, stale_templates, services_behind, services_unresolved (selected)
    health: pl.DataFrame
    drift: pl.DataFrame
    ci_refs: pl.DataFrame
    languages: pl.DataFrame


def load_maintenance(con: Connection, f: Filters) -> Maintenance:
    """The four views of the Maintenance page; see the queries above for what filters apply."""
    if not all(table_exists(con, "marts", t) for t in ("template_health", "template_drift", "language_coverage")):
        empty = pl.DataFrame()
        return Maintenance(False, {}, empty, empty, empty, empty)
    args = f.macro_args()
    # every calling repo's refs when nothing narrows the selection
    everything = {**args, "start": None, "stop": None} if f.is_everything else args
    return Maintenance(
        available=True,
        summary=fetch(con, _SUMMARY, args).row(0, named=True),
        health=fetch(con, _HEALTH),
        drift=fetch(con, _DRIFT, args),
        ci_refs=fetch(con, _CI_REFS, everything),
        languages=fetch(con, _LANGUAGES, f.params()),
    )
