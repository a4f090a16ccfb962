"""The one Dagster resource every pathlens asset uses: settings plus the build warehouse."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.config import Settings, demo_settings, load_settings
from pipelines.warehouse import WarehousePaths, writer


class PathlensResource(dg.ConfigurableResource):
    """Where the configuration lives and which warehouse a run builds.

    `demo_scale` set (by `pathlens demo`) means: use the demo organisation at that scale.
    Otherwise `config_path` is read; when that file does not exist the demo is the source,
    so `dagster dev` in a fresh checkout shows the demo organisation.
    """

    config_path: str = "pathlens.yaml"
    demo_scale: str = ""
    demo_seed: int = 7
    as_of: str = ""  # fixes the refresh's "now" (ISO date/time); default: the demo's, else the clock
    warehouse: str = ""

    def settings(self) -> Settings:
        """The validated settings (raises ConfigError naming the file and key path)."""
        if self.demo_scale or not Path(self.config_path).exists():
            return demo_settings(
                scale=self.demo_scale or "default",
                seed=self.demo_seed,
                warehouse=self.warehouse or "data/pathlens.duckdb",
                as_of=self.as_of or None,
            )
        settings = load_settings(self.config_path)
        if self.warehouse:
            settings = settings.model_copy(update={"warehouse": self.warehouse})
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
        """A read-write connection to the build warehouse, closed on exit."""
        with writer(self.paths().build) as con:
            yield con


def parse_as_of(text: str) -> datetime:
    """An ISO date or date-time → naive UTC datetime."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def resource_from_environment() -> PathlensResource:
    """The resource `dagster dev` uses: `PATHLENS_CONFIG` (default pathlens.yaml)."""
    return PathlensResource(
        config_path=os.environ.get("PATHLENS_CONFIG", "pathlens.yaml"),
        warehouse=os.environ.get("PATHLENS_WAREHOUSE_OVERRIDE", ""),
    )
