"""A sandboxed read-only DuckDB connection to a published warehouse (imports duckdb only).

Readers (dashboard, reports, `pathlens sql` and its query child process) open the warehouse
through `open_sandboxed`. Read-only alone still lets a query read local files or ATTACH
another database; with external access disabled and the configuration locked it can read only
this warehouse. Kept free of Polars and the rest of `pipelines` so the query child process
(`pipelines.query_child`) starts in a fraction of a second.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb


class WarehouseUnreadable(Exception):
    """The warehouse file exists but DuckDB cannot open it (damaged, or not a DuckDB file)."""


def open_sandboxed(path: str | os.PathLike[str], *, threads: int | None = None, memory_limit: str | None = None,
                   temp_directory: str | None = None, max_temp_size: str | None = None,
                   allowed_directories: list[str] | None = None) -> duckdb.DuckDBPyConnection:
    """A sandboxed read-only connection to the warehouse at `path`.

    Raises FileNotFoundError when there is no warehouse yet (DuckDB would create an empty one)
    and WarehouseUnreadable, with a one-line reason, when the file is not a usable warehouse.
    The optional limits (threads, DuckDB's memory limit, where and how much it may spill) are
    set before the configuration is locked; `allowed_directories` stay readable and writable
    by DuckDB itself (the query child writes its result there), nothing else on disk is.

    The file is ATTACHed to a private in-memory database rather than opened with
    `duckdb.connect(file)`: DuckDB shares one instance per path within a process, so while any
    connection to the old file was still open, a new `connect` would keep reading the old
    file after a publish had replaced it. An attached file is the one at `path` now.
    """
    file = Path(path).expanduser()
    if not file.is_file():
        raise FileNotFoundError(f"no warehouse at {file}: run `pathlens demo` or `pathlens refresh` first")
    config: dict[str, str] = {"autoload_known_extensions": "false", "autoinstall_known_extensions": "false"}
    if threads is not None:
        config["threads"] = str(threads)
    if memory_limit is not None:
        config["memory_limit"] = memory_limit
    if temp_directory is not None:
        config["temp_directory"] = temp_directory
    if max_temp_size is not None:
        config["max_temp_directory_size"] = max_temp_size
    con = duckdb.connect(":memory:", config=config)
    try:
        if allowed_directories:
            con.execute("SET allowed_directories = ?", [list(allowed_directories)])
        # The catalog keeps the name `duckdb.connect(file)` would give it (the file's stem).
        name = file.stem if file.stem.lower() not in ("memory", "temp", "system") else "warehouse"
        quoted = '"' + name.replace('"', '""') + '"'
        try:
            con.execute(f"ATTACH ? AS {quoted} (READ_ONLY)", [str(file)])
        except duckdb.Error as exc:
            raise WarehouseUnreadable(f"the warehouse at {file} cannot be read (damaged, or not a DuckDB "
                                      f"file): {first_line(exc)}") from None
        con.execute(f"USE {quoted}")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def first_line(exc: BaseException) -> str:
    """The first line of an exception's text (DuckDB's messages run on with hints)."""
    lines = str(exc).strip().splitlines()
    return lines[0].strip() if lines else type(exc).__name__
