"""GitHub raw tables: repos, their files, workflow runs, deployments, exception issues."""

import dagster as dg

from assets.sources.freshness import SOURCE_FRESHNESS
from pipelines.progress import report as report_progress
from pipelines.resources import PathlensResource
from pipelines.scrub import scrubbed_errors
from pipelines.sources.registry import GITHUB_TABLES, github_loader, plain_metadata


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["raw", name], kinds={"github", "duckdb"}, group_name="sources",
                     freshness_policy=SOURCE_FRESHNESS)
        for name in GITHUB_TABLES
    ],
    name="github_raw",
)
def github_raw(context: dg.AssetExecutionContext, pathlens: PathlensResource):
    """One row per repo / file / run / deployment / issue, upserted by natural key.

    A reload of unchanged sources writes the same rows (and, live, costs mostly 304s).
    """
    settings = pathlens.settings()

    last_stage = None

    def progress(stage: str, done: int, total: int) -> None:
        nonlocal last_stage
        if stage != last_stage:  # one log line per stage; the terminal bar shows every step
            context.log.info(f"github: {stage} ({done}/{total})")
            last_stage = stage
        report_progress(f"github: {stage}", done, total)

    loader = github_loader(settings, pathlens.refresh_as_of(), progress=progress)
    with scrubbed_errors(), pathlens.build_connection() as con:
        metadata = loader.load_into(con, context.run.run_id)
    for name in GITHUB_TABLES:
        yield dg.MaterializeResult(asset_key=["raw", name], metadata=plain_metadata(metadata))
