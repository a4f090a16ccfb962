"""Publish: swap the checked build warehouse in for readers, atomically."""

import dagster as dg

from pipelines.comparisons import TABLES
from pipelines.resources import PathlensResource
from pipelines.sql_models import load_models
from pipelines.warehouse import publish, release_refresh_lock


@dg.asset(
    key=["published_warehouse"],
    deps=[[m.schema, m.name] for m in load_models() if m.schema == "marts"]
    + [["marts", "alerts"], *(table.split(".") for table in TABLES)],
    kinds={"duckdb"},
    group_name="publish",
)
def published_warehouse(context: dg.AssetExecutionContext, pathlens: PathlensResource) -> dg.MaterializeResult:
    """The warehouse readers open. Runs only after every mart and its blocking checks
    succeeded in this run, so readers never see a half-built or failing refresh."""
    paths = pathlens.paths()
    published = publish(paths)
    release_refresh_lock(paths)  # taken by this run's first writing step
    size = published.stat().st_size
    context.log.info(f"published {published} ({size / 1e6:.1f} MB)")
    return dg.MaterializeResult(metadata={"path": str(published), "bytes": size})
