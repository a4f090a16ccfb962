"""Retention: workflow runs past `ci.retention_days` folded into frozen monthly figures."""

import inspect
from datetime import UTC, datetime

import dagster as dg

from assets.metrics.steps import PythonStep
from pipelines.resources import PathlensResource
from pipelines.retention import compact_ci_runs, rewrite_database


def ci_runs_monthly_compacted(context: dg.AssetExecutionContext, pathlens: PathlensResource) -> dict:
    """One row per service and compacted month: its run counts and its frozen median / p90.

    Each refresh compacts the months that ended more than `ci.retention_days` before its
    `as_of` and deletes their runs from raw.workflow_runs, in one transaction. With retention
    off (the default) it does nothing. A re-run changes nothing: compacted months are skipped.
    When runs were deleted, the build warehouse is rewritten into a fresh file, which gives the
    space back (DuckDB never shrinks a file in place); readers keep the published copy meanwhile.
    """
    settings = pathlens.settings()
    with pathlens.build_connection() as con:
        as_of = con.execute("select as_of from config.settings").fetchall()[0][0]
        result = compact_ci_runs(
            con, as_of=as_of, retention_days=settings.ci.retention_days,
            compacted_at=datetime.now(UTC).replace(tzinfo=None, microsecond=0),
        )
    metadata = result.as_metadata()
    if result.runs_deleted:
        before, after = rewrite_database(pathlens.paths().build)
        metadata.update(bytes_before_rewrite=before, bytes_after_rewrite=after)
        context.log.info(f"compacted {result.runs_compacted} runs before {result.cutoff} into "
                         f"{result.months_compacted} repo-months; build warehouse {before / 1e6:.1f} MB "
                         f"→ {after / 1e6:.1f} MB")
    return {"raw/ci_runs_monthly_compacted": metadata}


COMPACTION_STEP = PythonStep(
    name="ci_runs_monthly_compacted",
    specs=(dg.AssetSpec(
        ["raw", "ci_runs_monthly_compacted"],
        deps=[["raw", "workflow_runs"], ["intermediate", "ci_repo_monthly"], ["config", "settings"]],
        kinds={"duckdb"}, group_name="retention", description=inspect.cleandoc(ci_runs_monthly_compacted.__doc__),
    ),),
    run=ci_runs_monthly_compacted,
)
