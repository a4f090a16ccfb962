"""Every `sql/staging/*.sql` and `sql/marts/*.sql` as an asset; every `sql/tests/*.sql` as a
blocking check on its table (a check that returns rows stops the publish)."""

import dagster as dg

from pipelines.resources import PathlensResource
from pipelines.sources.registry import GITHUB_TABLES, KUBERNETES_TABLES
from pipelines.sql_models import SqlModel, SqlTest, load_models, load_tests
from pipelines.transform import build_model, failing_rows, model_deps

# Tables every source appends to as it goes, not assets of their own: a model reading them
# waits for all the sources instead.
SOURCE_SIDE_TABLES = {("raw", "fetch_errors"), ("raw", "fetch_log"), ("raw", "fetch_state")}
ALL_SOURCES = [("raw", t) for t in (*GITHUB_TABLES, *KUBERNETES_TABLES, "backstage_entities")]


def _asset_deps(model: SqlModel) -> list[list[str]]:
    deps = {dep for dep in model_deps(model) if dep not in SOURCE_SIDE_TABLES}
    if any(dep in SOURCE_SIDE_TABLES for dep in model.deps):
        deps.update(ALL_SOURCES)
    return [list(dep) for dep in sorted(deps)]


def _model_asset(model: SqlModel) -> dg.AssetsDefinition:
    @dg.asset(
        key=[model.schema, model.name],
        deps=_asset_deps(model),
        kinds={"sql", "duckdb"},
        group_name=model.schema,
        description=model.description or f"{model.qualified}, built from {model.path.name}",
    )
    def _build(context: dg.AssetExecutionContext, pathlens: PathlensResource) -> dg.MaterializeResult:
        with pathlens.build_connection() as con:
            rows = build_model(con, model)
        return dg.MaterializeResult(metadata={"rows": rows} if rows is not None else {"materialized": model.materialized})

    return _build


def _test_check(test: SqlTest) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=list(test.table),
        name=test.name,
        blocking=test.severity == "error",
        description=test.description or f"rows returned by {test.path.name} are violations",
    )
    def _check(pathlens: PathlensResource) -> dg.AssetCheckResult:
        with pathlens.build_connection() as con:
            failures = failing_rows(con, test)
            sample = con.sql(f"SELECT * FROM ({test.sql.strip().rstrip(';')}) LIMIT 5").pl() if failures else None
        return dg.AssetCheckResult(
            passed=failures == 0,
            severity=dg.AssetCheckSeverity.ERROR if test.severity == "error" else dg.AssetCheckSeverity.WARN,
            metadata={"failing_rows": failures, **({"sample": str(sample)} if sample is not None else {})},
        )

    return _check


sql_model_assets = [_model_asset(m) for m in load_models()]
sql_test_checks = [_test_check(t) for t in load_tests()]
