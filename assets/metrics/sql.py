"""Every `sql/staging/*.sql`, `sql/intermediate/*.sql` and `sql/marts/*.sql` as an asset, every
`sql/tests/*.sql` as a check on its table, and the Python steps among them (assets/metrics/steps.py),
all materialised by ONE subsettable Dagster step, `warehouse_models`.

Each model stays its own asset, with its own materialisation, metadata and checks in the
Dagster UI; only the step is shared. One step per model cost Dagster ~100 steps of its own
bookkeeping per refresh (start and success events, input versions read back from its storage),
several times the models' own work on the default demo (docs/benchmarks.md).

Inside the step, models are built in dependency order, as Dagster would run their steps:
- a model that fails is reported with its root cause, the models that read it (directly or not)
  are not built, and every other model still is; the step then fails naming them all
  (`pipelines.runner.ModelsFailed`), so nothing downstream of the step — the publish — runs;
- a data test with the default severity is a blocking check: when it returns rows, the models
  reading its table are not built and the step fails, so the publish does not run; a
  `-- severity: warn` test is reported and blocks nothing;
- a selection (`pathlens refresh --select`) builds only the selected models and evaluates only
  the selected checks.
"""

import contextlib
import graphlib
from collections.abc import Iterator
from dataclasses import dataclass

import dagster as dg

from assets.metrics.comparisons import COMPARISONS_STEP
from assets.metrics.snapshots import SNAPSHOT_STEP
from assets.metrics.steps import PythonStep
from assets.reports.alerts import ALERTS_STEP
from assets.retention.compaction import COMPACTION_STEP
from pipelines.resources import PathlensResource
from pipelines.runner import ModelsFailed, root_cause
from pipelines.sources.registry import GITHUB_TABLES, KUBERNETES_TABLES
from pipelines.sql_models import SqlModel, SqlTest, load_models, load_tests
from pipelines.transform import build_model, failing_rows, model_deps

STEP_NAME = "warehouse_models"
PYTHON_STEPS: tuple[PythonStep, ...] = (SNAPSHOT_STEP, COMPARISONS_STEP, COMPACTION_STEP, ALERTS_STEP)

# Tables every source appends to as it goes, not assets of their own: a model reading them
# waits for all the sources instead.
SOURCE_SIDE_TABLES = {("raw", "fetch_errors"), ("raw", "fetch_log"), ("raw", "fetch_state")}
ALL_SOURCES = [("raw", t) for t in (*GITHUB_TABLES, *KUBERNETES_TABLES, "backstage_entities")]


def _asset_deps(model: SqlModel) -> list[list[str]]:
    deps = {dep for dep in model_deps(model) if dep not in SOURCE_SIDE_TABLES}
    if any(dep in SOURCE_SIDE_TABLES for dep in model.deps):
        deps.update(ALL_SOURCES)
    return [list(dep) for dep in sorted(deps)]


def _model_spec(model: SqlModel) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=[model.schema, model.name],
        deps=_asset_deps(model),
        kinds={"sql", "duckdb"},
        group_name=model.schema,
        description=model.description or f"{model.qualified}, built from {model.path.name}",
        skippable=True,  # not built when a model it reads failed
    )


def _check_spec(test: SqlTest) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        name=test.name,
        asset=list(test.table),
        blocking=test.severity == "error",
        description=test.description or f"rows returned by {test.path.name} are violations",
    )


@dataclass(frozen=True)
class _Unit:
    """One thing the step builds: a SQL model (one asset) or a Python step (one or more)."""

    name: str  # "marts.services", or the Python step's name
    keys: frozenset[dg.AssetKey]
    deps: frozenset[dg.AssetKey]  # of the step's own assets, those it reads
    model: SqlModel | None = None
    step: PythonStep | None = None


def _units() -> tuple[_Unit, ...]:
    """Everything the step builds, in dependency order (each unit after what it reads)."""
    units: list[_Unit] = []
    for model in load_models():
        spec = _model_spec(model)
        units.append(_Unit(model.qualified, frozenset({spec.key}), frozenset(d.asset_key for d in spec.deps),
                           model=model))
    for step in PYTHON_STEPS:
        units.append(_Unit(step.name, frozenset(s.key for s in step.specs),
                           frozenset(d.asset_key for s in step.specs for d in s.deps), step=step))
    builder = {key: unit.name for unit in units for key in unit.keys}
    by_name = {unit.name: unit for unit in units}
    graph = {unit.name: {builder[d] for d in unit.deps if d in builder} - {unit.name} for unit in units}
    ordered = [by_name[name] for name in graphlib.TopologicalSorter(graph).static_order()]
    return tuple(_Unit(u.name, u.keys, frozenset(d for d in u.deps if d in builder), u.model, u.step) for u in ordered)


UNITS = _units()
TESTS_BY_KEY: dict[dg.AssetKey, tuple[SqlTest, ...]] = {}
for _test in load_tests():
    _key = dg.AssetKey(list(_test.table))
    TESTS_BY_KEY[_key] = (*TESTS_BY_KEY.get(_key, ()), _test)


def _evaluate(con, test: SqlTest) -> dg.AssetCheckResult:
    """A data test's result: passed when its query returns no rows; a sample of them otherwise."""
    failures = failing_rows(con, test)
    sample = con.sql(f"SELECT * FROM ({test.sql.strip().rstrip(';')}) LIMIT 5").pl() if failures else None
    return dg.AssetCheckResult(
        asset_key=dg.AssetKey(list(test.table)),
        check_name=test.name,
        passed=failures == 0,
        severity=dg.AssetCheckSeverity.ERROR if test.severity == "error" else dg.AssetCheckSeverity.WARN,
        metadata={"failing_rows": failures, **({"sample": str(sample)} if sample is not None else {})},
    )


class _Connection:
    """The step's connection to the build warehouse, opened when a SQL model or check needs it
    and closed before a Python step runs (a Python step opens its own, and the compaction may
    replace the file)."""

    def __init__(self, pathlens: PathlensResource) -> None:
        self._pathlens = pathlens
        self._stack = contextlib.ExitStack()
        self._con = None

    def get(self):
        if self._con is None:
            self._con = self._stack.enter_context(self._pathlens.build_connection())
        return self._con

    def close(self) -> None:
        self._con = None
        self._stack.close()


@dg.multi_asset(
    specs=[_model_spec(m) for m in load_models()] + [s for step in PYTHON_STEPS for s in step.specs],
    check_specs=[_check_spec(t) for t in load_tests()],
    can_subset=True,
    name=STEP_NAME,
)
def warehouse_models(context: dg.AssetExecutionContext, pathlens: PathlensResource) -> Iterator:
    """Every selected model in dependency order, each followed by its selected checks; see the module."""
    selected = context.selected_asset_keys
    selected_checks = context.selected_asset_check_keys
    failures: dict[str, str] = {}  # unit → root cause
    held: dict[dg.AssetKey, str] = {}  # asset not to build on → the failure or blocking check why
    not_built: dict[str, str] = {}  # unit → why
    con = _Connection(pathlens)
    try:
        for unit in UNITS:
            build = bool(selected & unit.keys)
            checks = [t for key in unit.keys for t in TESTS_BY_KEY.get(key, ())
                      if dg.AssetCheckKey(dg.AssetKey(list(t.table)), t.name) in selected_checks]
            if not build and not checks:
                continue
            blocker = next((held[d] for d in sorted(unit.deps, key=str) if d in held), None)
            if blocker is not None:
                not_built[unit.name] = blocker
                held.update(dict.fromkeys(unit.keys, blocker))
                context.log.warning(f"{unit.name} not built: {blocker}")
                continue
            if build:
                try:
                    metadata = _build(context, pathlens, con, unit)
                except Exception as exc:  # noqa: BLE001 - reported with the other failures at the end
                    con.close()  # a fresh connection for what follows
                    failures[unit.name] = root_cause(exc)
                    held.update(dict.fromkeys(unit.keys, f"{unit.name} failed"))
                    context.log.error(f"{unit.name} failed: {failures[unit.name]}")
                    continue
                for key in sorted(selected & unit.keys, key=str):
                    yield dg.MaterializeResult(asset_key=key, metadata=metadata[key])
            for test in checks:
                result = _evaluate(con.get(), test)
                yield result
                if not result.passed and test.severity == "error":
                    held[result.asset_key] = f"blocking check {test.name} failed"
    finally:
        con.close()
    if failures:
        raise ModelsFailed(failures, list(not_built))
    # a failed blocking check fails the step too: Dagster raises once every result is in


def _build(context: dg.AssetExecutionContext, pathlens: PathlensResource, con: _Connection,
           unit: _Unit) -> dict[dg.AssetKey, dict]:
    """Build one unit; returns the metadata of each of its assets."""
    if unit.model is not None:
        rows = build_model(con.get(), unit.model)
        (key,) = unit.keys
        return {key: {"rows": rows} if rows is not None else {"materialized": unit.model.materialized}}
    con.close()
    produced = unit.step.run(context, pathlens)
    return {dg.AssetKey.from_user_string(name): dict(metadata) for name, metadata in produced.items()}
