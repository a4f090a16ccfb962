"""The services table and one service's whole record."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from dashboards.lib.filters import Filters
from dashboards.lib.snapshot import fetch, table_exists

Connection = duckdb.DuckDBPyConnection

_SERVICES = """
select service, repo, owner, language, lifecycle, created_at, on_golden_path, golden_path,
       escape_hatch, array_to_string(escape_hatch_reasons, ', ') as escape_hatch_reasons,
       uses_platform_ci, catalogued, has_service_spec, template_source, template_commit
from marts.selected_services(teams := $teams, languages := $languages)
where created_at >= $start and created_at < $stop
order by service, repo
"""


def load_services(con: Connection, f: Filters) -> pl.DataFrame:
    """Every selected service created in the period, one row each."""
    return fetch(con, _SERVICES, f.macro_args())


@dataclass(frozen=True)
class ServiceRecord:
    fields: pl.DataFrame  # field, value (as text)
    history: pl.DataFrame
    ci: pl.DataFrame | None
    deploys: pl.DataFrame | None
    first_deploy: pl.DataFrame | None


def load_service_record(con: Connection, service: str, repo: str) -> ServiceRecord | None:
    """Everything the warehouse knows about one service, or None when it is not there."""
    key = {"service": service, "repo": repo}
    row = fetch(con, "select * from marts.services where service = $service and repo = $repo", key)
    if row.is_empty():
        return None
    record = row.row(0, named=True)
    fields = pl.DataFrame(
        {"field": list(record), "value": [_as_text(v) for v in record.values()]},
        schema={"field": pl.String, "value": pl.String},
    )
    history = fetch(con, """
        select valid_from, valid_to, owner, golden_path, on_golden_path, template_commit,
               has_service_spec, escape_hatch,
               array_to_string(escape_hatch_reasons, ', ') as escape_hatch_reasons,
               uses_platform_ci, catalogued, declared, stale_since
        from marts.service_history where service = $service and repo = $repo
        order by valid_from desc""", key)
    ci = deploys = first_deploy = None
    if table_exists(con, "marts", "ci_friction_monthly"):
        ci = fetch(con, "select * exclude (service, repo) from marts.ci_friction_monthly "
                        "where service = $service and repo = $repo order by month desc", key)
    if table_exists(con, "marts", "deploys"):
        deploys = fetch(con, "select * exclude (service, repo) from marts.deploys "
                             "where service = $service and repo = $repo order by deployed_at desc limit 50", key)
    if table_exists(con, "marts", "time_to_first_deploy"):
        first_deploy = fetch(con, "select * exclude (service, repo) from marts.time_to_first_deploy "
                                  "where service = $service and repo = $repo", key)
    return ServiceRecord(fields=fields, history=history, ci=ci, deploys=deploys,
                         first_deploy=first_deploy)


def _as_text(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
