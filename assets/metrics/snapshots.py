"""The dated per-service snapshot: adoption and escape-hatch history accumulate here."""

import dagster as dg

from pipelines.resources import PathlensResource
from pipelines.transform import snapshot_services


@dg.asset(key=["raw", "service_snapshots"], deps=[["intermediate", "services"]], kinds={"duckdb"}, group_name="marts")
def service_snapshots(pathlens: PathlensResource) -> dg.MaterializeResult:
    """One row per service per refresh date, from marts.services. A second refresh on the same
    date replaces that date's rows, so re-runs change nothing; earlier dates are never touched."""
    with pathlens.build_connection() as con:
        rows = snapshot_services(con)
    return dg.MaterializeResult(metadata={"rows": rows})
