"""What the last refresh left behind, and how a piece of new data is committed with its cursor.

The GitHub source keeps its cursors and ETags in `raw.fetch_state` (source ``github``), one
JSON value per (scope, key): scope is ``*`` for the organisation or ``OWNER/NAME`` for a repo.

- ``files``: the `pushed_at`, default branch, tree sha and wanted-file signature the repo's
  files were last read at — they are re-read only when one of these moved;
- ``runs``: the newest run `created_at` seen (`cursor`), the start of the first window
  (`since`) and the runs that were not completed yet (`open`);
- ``issues``: the newest `updated_at` seen (`since`);
- ``etag:<part>:<url>``: a page's ETag and its `next` link (and, for the repo listing, the
  repos on it), so a 304 page can be skipped without losing the rest of the listing.

A `Batch` carries one unit of work — rows, deletions and state — and `commit` applies it in
one transaction, so a refresh killed anywhere loses nothing and duplicates nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import polars as pl

from pipelines.raw_schema import RAW_TABLES
from pipelines.sources.problems import FetchProblem
from pipelines.warehouse import transaction, upsert

SOURCE = "github"


def repo_problem(repo: str, endpoint: str, status: int | None, message: str) -> FetchProblem:
    """A GitHub problem for one repo part: a `FetchProblem` (scrubbed when made) of this source."""
    return FetchProblem(SOURCE, repo, endpoint, status, message)


@dataclass
class Batch:
    """One unit of work: applied all together or not at all."""

    label: str
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    statements: list[tuple[str, list[Any]]] = field(default_factory=list)  # run before the rows
    state: dict[tuple[str, str], dict[str, Any] | None] = field(default_factory=dict)  # None = delete
    notes: list[FetchProblem] = field(default_factory=list)  # non-fatal problems for raw.fetch_errors

    def add_rows(self, table: str, rows: list[dict[str, Any]]) -> None:
        self.rows.setdefault(table, []).extend(rows)


class StoredState:
    """A snapshot of `raw.fetch_state` for the GitHub source, read once at the start of a load."""

    def __init__(self, values: dict[tuple[str, str], str]):
        self._values = values

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection) -> StoredState:
        rows = con.execute(
            "SELECT scope, key, value FROM raw.fetch_state WHERE source = ?", [SOURCE]
        ).fetchall()
        return cls({(scope, key): value for scope, key, value in rows})

    def get(self, scope: str, key: str) -> dict[str, Any] | None:
        raw = self._values.get((scope, key))
        if raw is None:
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            return None  # unreadable state is treated as absent: the data is simply re-read
        return value if isinstance(value, dict) else None

    def keys(self, scope: str, prefix: str) -> list[str]:
        return [k for (s, k) in self._values if s == scope and k.startswith(prefix)]

    def scopes(self) -> set[str]:
        return {s for (s, _) in self._values}


def commit(con: duckdb.DuckDBPyConnection, batches: list[Batch], now: datetime) -> dict[str, int]:
    """Apply batches in one transaction; returns rows written per table.

    Batches are independent units (different repos, or different parts of one repo), so
    several may share a transaction: all their statements run first, then their rows are
    upserted per table (later batches win on a shared key), then their state is written.
    One transaction per group instead of per batch keeps a 2,000-repo refresh from spending
    its time in commits.
    """
    statements = [st for b in batches for st in b.statements]
    rows: dict[str, list[dict[str, Any]]] = {}
    state: dict[tuple[str, str], dict[str, Any] | None] = {}
    for b in batches:
        for table, table_rows in b.rows.items():
            rows.setdefault(table, []).extend(table_rows)
        state.update(b.state)
    written: dict[str, int] = {}
    with transaction(con):
        for sql, params in statements:
            con.execute(sql, params)
        for table, table_rows in rows.items():
            spec = RAW_TABLES[table]
            frame = pl.from_dicts(table_rows, schema=spec.polars_schema()) if table_rows else spec.empty()
            written[table] = upsert(con, spec, frame)
        gone = [(scope, key) for (scope, key), value in state.items() if value is None]
        if gone:
            con.register("_gone", pl.DataFrame(gone, schema={"scope": pl.String, "key": pl.String}, orient="row"))
            con.execute(
                "DELETE FROM raw.fetch_state f USING _gone g "
                "WHERE f.source = ? AND f.scope = g.scope AND f.key = g.key",
                [SOURCE],
            )
            con.unregister("_gone")
        kept = [
            {"source": SOURCE, "scope": scope, "key": key, "value": json.dumps(value, sort_keys=True), "updated_at": now}
            for (scope, key), value in state.items() if value is not None
        ]
        if kept:
            spec = RAW_TABLES["fetch_state"]
            upsert(con, spec, pl.from_dicts(kept, schema=spec.polars_schema()))
    return written
