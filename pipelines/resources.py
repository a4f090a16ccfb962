"""The one Dagster resource every pathlens asset uses: settings plus the build warehouse."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb

from pipelines import DEFAULT_CONFIG_FILE, WAREHOUSE_ENV
from pipelines.comparisons import TABLES as COMPARISON_TABLES
from pipelines.config import Settings, load_settings
from pipelines.sources.demo_conventions import demo_settings
from pipelines.warehouse import WarehousePaths, acquire_refresh_lock, check_warehouse_path, writer


class PathlensResource(dg.ConfigurableResource):
    """Where the configuration lives and which warehouse a run builds.

    `config_path` is read when it exists. `demo` (set by `pathlens demo`) asks for the demo
    organisation: a demo configuration file is then used with `demo_scale`, `demo_seed` and
    `as_of` overriding its own, and a live configuration is set aside for the demo's
    conventions. Without a configuration file the demo is the source, so `dagster dev` in a
    fresh checkout shows the demo organisation.
    """

    config_path: str = DEFAULT_CONFIG_FILE
    demo: bool = False
    demo_scale: str = ""
    demo_seed: int | None = None
    as_of: str = ""  # fixes the refresh's "now" (ISO date/time); default: the demo's, else the clock
    warehouse: str = ""

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """When a run starts (resources are set up once per in-process run) and it will build
        the comparisons, start importing their statistics library in the background, so the
        import overlaps the steps before them (`pipelines.stats.prefetch`)."""
        if _run_materialises(context, {tuple(table.split(".")) for table in COMPARISON_TABLES}):
            from pipelines.stats import prefetch

            prefetch()

    def settings(self) -> Settings:
        """The validated settings (raises ConfigError naming the file and key path)."""
        from_file = load_settings(self.config_path) if Path(self.config_path).exists() else None
        if from_file is not None and (from_file.is_demo or not self.demo):
            settings = from_file
            if settings.demo is not None:
                settings = _with_demo(settings, scale=self.demo_scale, seed=self.demo_seed, as_of=self.as_of)
        else:
            settings = demo_settings(
                scale=self.demo_scale or "default",
                seed=7 if self.demo_seed is None else self.demo_seed,
                as_of=self.as_of or None,
            )
        if self.warehouse:
            settings = settings.model_copy(update={"warehouse": self.warehouse})
        from pipelines.scrub import install_logging_filter, register_from_settings

        register_from_settings(settings)  # every step that reads settings knows the secrets to mask
        install_logging_filter()
        return settings

    def paths(self) -> WarehousePaths:
        return WarehousePaths.for_(self.settings().warehouse)

    def refresh_as_of(self) -> datetime:
        """The refresh's "now" (naive UTC): `as_of` if set, the demo's date, else the clock.

        The demo without a date is "now" as of today's midnight (UTC): every asset of a run
        generates the very same organisation (the generator is memoised on it), and a re-run
        on the same day changes nothing.
        """
        if self.as_of:
            return parse_as_of(self.as_of)
        settings = self.settings()
        if settings.demo is not None:
            if settings.demo.as_of:
                return parse_as_of(settings.demo.as_of)
            return datetime.now(UTC).replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
        return datetime.now(UTC).replace(tzinfo=None, microsecond=0)

    @contextlib.contextmanager
    def build_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection to the build warehouse, closed on exit.

        Checks the warehouse path first and takes the refresh lock for this process: it is
        held from the first writing step of a run until its publish (or the process's end),
        so a second refresh — the CLI beside the Dagster daemon, two cron jobs — stops with a
        clear message instead of interleaving with this one step by step.
        """
        paths = self.paths()
        check_warehouse_path(paths)
        acquire_refresh_lock(paths)
        with writer(paths.build) as con:
            yield con


def _run_materialises(context: dg.InitResourceContext, keys: set[tuple[str, ...]]) -> bool:
    """Whether the run being set up materialises any of the asset keys `keys` (an output of a
    step its execution plan executes); False outside a run."""
    run, instance = context.dagster_run, context.instance
    if run is None or instance is None or run.execution_plan_snapshot_id is None:
        return False
    plan = instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id)
    executed = set(plan.step_keys_to_execute)
    return any(
        output.properties is not None and output.properties.asset_key is not None
        and tuple(output.properties.asset_key.path) in keys
        for step in plan.steps if step.key in executed for output in step.outputs
    )


def _with_demo(settings: Settings, *, scale: str, seed: int | None, as_of: str) -> Settings:
    """A demo configuration with the scale, seed and date given on the command line, if any."""
    changes = {k: v for k, v in {"scale": scale or None, "seed": seed, "as_of": as_of or None}.items()
               if v is not None}
    return settings.model_copy(update={"demo": settings.demo.model_copy(update=changes)})


def parse_as_of(text: str) -> datetime:
    """An ISO date or date-time → naive UTC datetime."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def resource_from_environment() -> PathlensResource:
    """The resource `dagster dev` uses: `PATHLENS_CONFIG` (default pathlens.yaml)."""
    return PathlensResource(
        config_path=os.environ.get("PATHLENS_CONFIG", DEFAULT_CONFIG_FILE),
        warehouse=os.environ.get(WAREHOUSE_ENV, ""),
    )
