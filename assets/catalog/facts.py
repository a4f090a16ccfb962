"""Parsed repository files: catalog components, service specs, template answers, CI calls."""

import dagster as dg

from pipelines.resources import PathlensResource
from pipelines.transform import FACT_TABLES, VERSION_TABLES, write_facts


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["staging", name], deps=[["raw", "repo_files"], ["raw", "repo_file_versions"]],
                     kinds={"python", "duckdb"}, group_name="catalog")
        for name in FACT_TABLES + VERSION_TABLES
    ],
    name="repo_facts",
)
def repo_facts(context: dg.AssetExecutionContext, pathlens: PathlensResource):
    """Every file in raw.repo_files parsed, and every earlier version of it in
    raw.repo_file_versions (`*_by_version`, keyed by blob); a file that cannot be parsed is a row
    of `staging.file_errors` (repo, path, severity, what was wrong), never a failed run.

    Rebuilt whole from raw each refresh, so a re-run gives the same tables.
    """
    with pathlens.build_connection() as con:
        frames = write_facts(con, pathlens.settings())
    for row in frames["file_errors"].head(20).iter_rows(named=True):
        context.log.warning(f"{row['repo']}:{row['path']}: {row['severity']}: {row['error']}")
    for name in FACT_TABLES + VERSION_TABLES:
        metadata = {"rows": frames[name].height}
        if name == "file_errors":
            metadata["files_not_used"] = frames[name].filter(severity="error").height
        yield dg.MaterializeResult(asset_key=["staging", name], metadata=metadata)
