"""The configuration and the refresh's date, as tables the SQL models join against."""

import dagster as dg

from pipelines.resources import PathlensResource
from pipelines.transform import write_settings


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["config", "settings"], kinds={"duckdb"}, group_name="catalog"),
        dg.AssetSpec(["config", "golden_paths"], kinds={"duckdb"}, group_name="catalog"),
        dg.AssetSpec(["config", "gpu_resources"], kinds={"duckdb"}, group_name="catalog"),
        dg.AssetSpec(["config", "team_aliases"], kinds={"duckdb"}, group_name="catalog"),
        dg.AssetSpec(["raw", "refreshes"], kinds={"duckdb"}, group_name="catalog"),
    ],
    name="refresh_settings",
)
def refresh_settings(context: dg.AssetExecutionContext, pathlens: PathlensResource):
    """`config.settings` (one row), `config.golden_paths`, and this refresh's row in raw.refreshes.

    Rebuilt whole every refresh; the refresh row is keyed by the Dagster run id.
    """
    as_of = pathlens.refresh_as_of()
    with pathlens.build_connection() as con:
        write_settings(con, pathlens.settings(), as_of=as_of, refresh_id=context.run.run_id)
    yield dg.MaterializeResult(asset_key=["config", "settings"], metadata={"as_of": str(as_of)})
    yield dg.MaterializeResult(asset_key=["config", "golden_paths"])
    yield dg.MaterializeResult(asset_key=["config", "gpu_resources"])
    yield dg.MaterializeResult(asset_key=["config", "team_aliases"])
    yield dg.MaterializeResult(asset_key=["raw", "refreshes"], metadata={"refresh_id": context.run.run_id})
