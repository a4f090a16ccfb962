"""One consistent, short-lived, read-only view of the published warehouse.

A refresh publishes by `os.replace`-ing a new file over the old path, so an open connection
keeps seeing the file it opened. The dashboard reads the version (inode, mtime, size) once per
rerun and keys every cache by it; `open_snapshot` then refuses a connection whose file is no
longer that version, so a page never mixes numbers from two refreshes: the caller reruns and
reads the new one instead.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Mapping
from typing import Any

import duckdb
import polars as pl

from pipelines.warehouse import open_reader, warehouse_version
from pipelines.warehouse import warehouse_path as warehouse_path  # re-exported for the pages

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


class WarehouseChanged(RuntimeError):
    """A new warehouse was published between reading its version and opening it."""


def current_version(path: str | os.PathLike[str]) -> str:
    """The version token of the file at `path` now ("missing" when there is none)."""
    return warehouse_version(path)


@contextlib.contextmanager
def open_snapshot(path: str | os.PathLike[str], version: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A sandboxed read-only connection to exactly `version` of the warehouse, closed on exit.

    Raises WarehouseChanged when the file at `path` is no longer `version` once opened, and
    FileNotFoundError when there is no warehouse.
    """
    con = open_reader(path)
    try:
        # Checked after opening: if the version still matches, the file opened is that version.
        if warehouse_version(path) != version:
            raise WarehouseChanged(f"{path} was replaced by a refresh")
        yield con
    finally:
        con.close()


def fetch(con: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, Any] | None = None) -> pl.DataFrame:
    """The result of one query as a Polars frame; `params` may hold more names than it uses."""
    used = set(_PARAM.findall(sql))
    bound = {k: v for k, v in (params or {}).items() if k in used}
    return con.sql(sql, params=bound or None).pl()


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether `schema.table` is a table or view of the open warehouse."""
    found = con.execute(
        "select count(*) from duckdb_tables() where schema_name = $s and table_name = $t "
        "union all select count(*) from duckdb_views() where schema_name = $s and view_name = $t",
        {"s": schema, "t": table},
    ).fetchall()
    return sum(n for (n,) in found) > 0
