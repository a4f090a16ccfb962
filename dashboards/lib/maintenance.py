"""Maintenance: are the golden paths maintained? Template health, services' drift, platform-CI
refs and languages without a golden path (marts.template_health, template_drift,
language_coverage)."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from dashboards.lib.filters import Filters
from dashboards.lib.selection import select_services
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
join selected_services as s on s.service = d.service and s.repo = d.repo
where d.kind = 'template' and s.created_at >= $start_ts and s.created_at < $end_ts
order by d.commits_behind desc nulls last, d.days_behind desc nulls last, d.service, d.repo
"""

# platform-CI refs of the repos that hold a selected service created in the period (of every
# calling repo when nothing narrows the selection)
_CI_REFS = """
select d.golden_path as workflow, d.template_commit as ref, d.resolved_sha, d.commits_behind,
       d.days_behind, d.unresolved_reason, count(distinct d.repo) as repos,
       list_sort(list_distinct(list(d.repo))) as repo_list
from marts.template_drift as d
where d.kind = 'ci'
  and ($everything or d.repo in (select repo from selected_services
                                 where created_at >= $start_ts and created_at < $end_ts))
group by all
order by d.commits_behind desc nulls first, repos desc, workflow, ref
"""

_SUMMARY = """
select
    (select count(*) from marts.template_health) as golden_paths,
    (select count(*) from marts.template_health where stale) as stale_templates,
    count(*) filter (where d.commits_behind > 0) as services_behind,
    count(*) filter (where d.unresolved_reason is not null) as services_unresolved
from marts.template_drift as d
join selected_services as s on s.service = d.service and s.repo = d.repo
where d.kind = 'template' and s.created_at >= $start_ts and s.created_at < $end_ts
"""

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
    select_services(con, f)
    params = {**f.params(), "everything": f.is_everything}
    return Maintenance(
        available=True,
        summary=fetch(con, _SUMMARY, params).row(0, named=True),
        health=fetch(con, _HEALTH),
        drift=fetch(con, _DRIFT, params),
        ci_refs=fetch(con, _CI_REFS, params),
        languages=fetch(con, _LANGUAGES, params),
    )
