"""Shared helpers for the GitHub source tests: settings, one load, and raw-table snapshots."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from pipelines.config import Settings, parse_settings
from pipelines.raw_schema import RAW_TABLES
from pipelines.sources.github import GitHubSource
from pipelines.warehouse import writer

NOW = datetime(2025, 6, 1, 12, 0, 0)
TOKEN = "ghp_TestToken0123456789abcdefABCDEF"
TOKEN_ENV = "PATHLENS_TEST_GITHUB_TOKEN"

# Columns that say when something was fetched, not what: ignored when comparing loads.
VOLATILE = {"fetched_at", "updated_at", "recorded_at", "occurred_at"}
ACCOUNTING = {"fetch_log", "fetch_errors", "refreshes"}


def make_settings(base_url: str, *, exception_repos: tuple[str, ...] = ("acme/platform",),
                  history_days: int | None = None, **github: Any) -> Settings:
    """Settings for the local server; `history_days` sets `history.backfill_days` (0: the REST
    path reads no history, only what each refresh sees)."""
    data: dict[str, Any] = {
        "github": {"org": "acme", "api_url": base_url, "token_env": TOKEN_ENV, "exclude_repos": ["sandbox-*"],
                   "requests_per_minute": 100_000, **github},  # no pacing against the local server
        "exceptions": {"repos": list(exception_repos)},
        **({"history": {"backfill_days": history_days}} if history_days is not None else {}),
    }
    return parse_settings(data, "(test)")


def load(db: Path, settings: Settings, *, refresh_id: str = "r1", now: datetime = NOW,
         sleep: Callable[[float], None] | None = None, progress: Any = None,
         environ: dict[str, str] | None = None) -> dict[str, Any]:
    """One GitHub load into the DuckDB file `db`; returns the load's metadata."""
    slept: list[float] = []
    source = GitHubSource(settings, sleep=sleep or slept.append, progress=progress,
                          environ=environ if environ is not None else {TOKEN_ENV: TOKEN}, now=lambda: now)
    with writer(db) as con:
        return source.load_into(con, refresh_id)


def raw_contents(db: Path, *, volatile: set[str] = VOLATILE) -> dict[str, list[tuple]]:
    """Every raw table's rows (sorted), without the fetch-time columns and accounting tables."""
    out: dict[str, list[tuple]] = {}
    with writer(db) as con:
        for name, table in RAW_TABLES.items():
            if name in ACCOUNTING:
                continue
            cols = [c for c in table.columns if c not in volatile]
            rows = con.execute(f"SELECT {', '.join(chr(34) + c + chr(34) for c in cols)} FROM {table.qualified}").fetchall()
            if name == "fetch_state":
                # ETags hash bodies that embed the server's URL (its port): compare everything else.
                rows = [(*r[:3], _without_etags(r[3])) for r in rows]
            out[name] = sorted(rows, key=repr)
    return out


def _without_etags(value: str) -> str:
    data = json.loads(value)
    return json.dumps({k: ("<etag>" if "etag" in k and v else v) for k, v in data.items()}, sort_keys=True)


def query(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple]:
    with writer(db) as con:
        return con.execute(sql, params or []).fetchall()
