"""A hand-built organisation: raw rows and real file texts, run through the real transforms."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.config import parse_settings
from pipelines.raw_schema import RAW_TABLES
from pipelines.transform import build_all
from pipelines.warehouse import upsert, writer

AS_OF = datetime(2024, 5, 15, 10, 0)

SETTINGS = {
    "github": {"org": "acme", "exclude_repos": ["sandbox-*"]},
    "golden_paths": [
        {"name": "go-service", "ref": "template:default/go-service", "source": "gh:acme/template-go"},
        {"name": "python-service", "ref": "template:default/python-service", "source": "gh:acme/template-python"},
    ],
    "exceptions": {"repos": ["acme/platform"]},
    "ci": {"platform_workflow_repos": ["acme/platform-workflows"]},
}


def build(tmp_path: Path, *, repos: list[dict], files: dict[tuple[str, str], str] | None = None,
          issues: list[dict] | None = None, settings: dict | None = None, as_of: datetime = AS_OF,
          extra: dict[str, pl.DataFrame] | None = None) -> duckdb.DuckDBPyConnection:
    """Load the given raw rows into a fresh warehouse, build every model, return a connection.

    Data tests must pass on every hand-built case too (asserted here).
    """
    path = tmp_path / "wh.duckdb"
    with writer(path) as con:
        upsert(con, RAW_TABLES["repos"], pl.DataFrame(repos))
        if files:
            upsert(con, RAW_TABLES["repo_files"], pl.DataFrame(
                [{"repo": r, "path": p, "content": text, "size": len(text)} for (r, p), text in files.items()]
            ))
        if issues:
            upsert(con, RAW_TABLES["issues"], pl.DataFrame(issues))
        for name, frame in (extra or {}).items():
            upsert(con, RAW_TABLES[name], frame)
        failures = build_all(con, parse_settings(settings or SETTINGS), as_of=as_of, refresh_id="test-refresh")
    assert {k: v for k, v in failures.items() if v} == {}
    return duckdb.connect(str(path), read_only=True)


def repo(name: str, created: str, language: str | None = None, **kw) -> dict:
    return {
        "repo": f"acme/{name}", "name": name, "created_at": datetime.fromisoformat(created),
        "pushed_at": datetime.fromisoformat(created), "language": language,
        "archived": kw.get("archived", False), "fork": kw.get("fork", False),
    }


@pytest.fixture
def rows_of():
    def fetch(con: duckdb.DuckDBPyConnection, query: str) -> list[dict]:
        return con.sql(query).pl().to_dicts()
    return fetch
