"""Fixed queries against the published warehouse, through the sandboxed reader connection.

The exports never take SQL from outside: each caller passes one of its own statements, with
values bound as parameters. The connection is `open_reader`'s (read-only, no files, no
network, configuration locked), opened per call and closed after it, so a publish is seen by
the next call and no lock is held between them. A timer interrupts a query at the time limit.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import duckdb

from pipelines.warehouse import open_reader


class ExportError(Exception):
    """The warehouse could not be read (missing, not refreshed, or a query that failed)."""


def select_rows(warehouse: str | os.PathLike[str], sql: str, params: dict[str, Any] | None = None,
                *, timeout_s: float = 20.0) -> list[dict[str, Any]]:
    """The rows of one read-only query as dicts (column name → Python value).

    Raises ExportError with a one-line reason when there is no warehouse, a table is missing
    (an older warehouse) or the query fails or runs past `timeout_s`.
    """
    try:
        con = open_reader(warehouse)
    except FileNotFoundError as exc:
        raise ExportError(str(exc)) from None
    except duckdb.Error as exc:
        raise ExportError(f"cannot open the warehouse {warehouse}: {_first_line(exc)}") from None
    timer = threading.Timer(timeout_s, con.interrupt)
    timer.daemon = True
    timer.start()
    try:
        relation = con.execute(sql, params or {})
        columns = [d[0] for d in relation.description]
        return [dict(zip(columns, row, strict=True)) for row in relation.fetchall()]
    except duckdb.InterruptException:
        raise ExportError(f"reading the warehouse took longer than {timeout_s:g} s") from None
    except duckdb.CatalogException as exc:
        raise ExportError(f"the warehouse lacks a table the exports read ({_first_line(exc)}); "
                          "run `pathlens refresh` to rebuild it with this version") from None
    except duckdb.Error as exc:
        raise ExportError(f"reading the warehouse failed: {_first_line(exc)}") from None
    finally:
        timer.cancel()
        con.close()


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
