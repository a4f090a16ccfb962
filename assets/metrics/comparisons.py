"""marts.golden_path_vs_diy and marts.golden_path_vs_diy_by_language: the comparisons'
statistics (scipy) applied to the per-service SQL inputs of marts.comparison_services."""

import dagster as dg

from assets.metrics.steps import PythonStep
from pipelines.comparisons import STEP, TABLES, build_comparisons
from pipelines.descriptions import table_description
from pipelines.resources import PathlensResource


def golden_path_vs_diy(context: dg.AssetExecutionContext, pathlens: PathlensResource) -> dict:
    """Both comparison marts, rebuilt whole every refresh (sides under comparisons.min_n NULL)."""
    with pathlens.build_connection() as con:
        counts = build_comparisons(con, pathlens.settings().comparisons.min_n)
    return {table.replace(".", "/"): {"rows": rows} for table, rows in counts.items()}


# a run that will build these starts importing scipy.stats when it starts (PathlensResource)
COMPARISONS_STEP = PythonStep(
    name=STEP,
    specs=tuple(
        dg.AssetSpec(key=table.split("."), deps=[["marts", "comparison_services"]],
                     description=table_description(table), kinds={"python", "duckdb"}, group_name="marts")
        for table in TABLES
    ),
    run=golden_path_vs_diy,
)
