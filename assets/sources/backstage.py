"""Backstage catalog entities (optional): merged with the repo files' catalog by entity name."""

import dagster as dg

from pipelines.resources import PathlensResource
from pipelines.scrub import scrubbed_errors
from pipelines.sources.registry import plain_metadata


@dg.asset(key=["raw", "backstage_entities"], kinds={"backstage", "duckdb"}, group_name="sources")
def backstage_raw(context: dg.AssetExecutionContext, pathlens: PathlensResource) -> dg.MaterializeResult:
    """One row per Component entity of the Backstage catalog API, replaced whole on each
    successful load; left as it was when the catalog is unreachable (the failure is recorded
    in raw.fetch_errors). Nothing happens without a `backstage:` section."""
    settings = pathlens.settings()
    if settings.backstage is None:
        context.log.info("no backstage: section configured; raw.backstage_entities left as it is")
        return dg.MaterializeResult(metadata={"configured": False})
    from pipelines.sources.backstage import BackstageSource

    with scrubbed_errors(), pathlens.build_connection() as con:
        metadata = BackstageSource(settings).load_into(con, context.run.run_id)
    return dg.MaterializeResult(metadata=plain_metadata(metadata))
