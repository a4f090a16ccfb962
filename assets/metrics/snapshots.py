"""The dated per-service snapshot: adoption and escape-hatch history accumulate here."""

import inspect

import dagster as dg

from assets.metrics.steps import PythonStep
from pipelines.resources import PathlensResource
from pipelines.transform import snapshot_services


def service_snapshots(context: dg.AssetExecutionContext, pathlens: PathlensResource) -> dict:
    """One row per service per refresh date, from intermediate.services. A second refresh on the
    same date replaces that date's rows, so re-runs change nothing; earlier dates are never touched."""
    with pathlens.build_connection() as con:
        rows = snapshot_services(con)
    return {"raw/service_snapshots": {"rows": rows}}


SNAPSHOT_STEP = PythonStep(
    name="service_snapshots",
    specs=(dg.AssetSpec(["raw", "service_snapshots"], deps=[["intermediate", "services"]], kinds={"duckdb"},
                        group_name="marts", description=inspect.cleandoc(service_snapshots.__doc__)),),
    run=service_snapshots,
)
