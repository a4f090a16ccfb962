"""Ad hoc read-only queries against the published warehouse (the SQL page and `pathlens sql`).

Two fences. First, DuckDB's own parser classifies the text: exactly one statement, and only a
query (SELECT, WITH, FROM-first, DESCRIBE, SHOW, SUMMARIZE ...) or EXPLAIN of one may
run; anything else is refused before it touches the warehouse. Second, the connection itself
(`open_reader`) is read-only, cannot reach files or the network and has its configuration
locked, so a query that gets through the first fence still cannot write, ATTACH, INSTALL/LOAD,
SET, COPY or read a file; those refusals are turned into a `QueryRefused` with a plain reason.

A timer interrupts the query at the time limit; at most `max_rows` rows are returned.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass

import duckdb
import polars as pl

from pipelines.warehouse import open_reader

ALLOWED = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}

_REFUSED_KIND = {
    "INSERT": "writes", "UPDATE": "writes", "DELETE": "writes", "MERGE_INTO": "writes",
    "CREATE": "creating objects", "CREATE_FUNC": "creating functions", "DROP": "dropping objects",
    "ALTER": "altering objects", "ATTACH": "ATTACH", "DETACH": "DETACH",
    "COPY": "COPY", "COPY_DATABASE": "COPY", "EXPORT": "EXPORT", "LOAD": "INSTALL/LOAD",
    "EXTENSION": "extensions", "SET": "SET/RESET/USE", "VARIABLE_SET": "SET VARIABLE",
    "TRANSACTION": "transactions", "PRAGMA": "PRAGMA", "CALL": "CALL", "VACUUM": "VACUUM",
    "ANALYZE": "ANALYZE", "PREPARE": "PREPARE", "EXECUTE": "EXECUTE",
    "MULTI": "multi-step statements (write PIVOT with an explicit IN list)",
}


class QueryError(Exception):
    """A query that could not run: a syntax or binder error, the time limit, a bad result."""


class QueryRefused(QueryError):
    """A statement the read-only explorer does not run (writes, files, settings, ...)."""


@dataclass(frozen=True)
class QueryResult:
    frame: pl.DataFrame
    truncated: bool
    seconds: float


def check_statement(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Raise QueryRefused unless `sql` is exactly one query (or EXPLAIN of one)."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.ParserException as exc:
        raise QueryError(str(exc).strip()) from None
    if not statements:
        raise QueryError("the query is empty")
    if len(statements) > 1:
        raise QueryRefused(f"one statement at a time, please ({len(statements)} were given)")
    kind = statements[0].type
    if kind not in ALLOWED:
        name = kind.name if hasattr(kind, "name") else str(kind)
        what = _REFUSED_KIND.get(name, name)
        raise QueryRefused(f"{name} refused: {what} not allowed here; only read-only queries "
                           "(SELECT, WITH, DESCRIBE, SUMMARIZE, EXPLAIN) run against the warehouse")


def run_query(path: str | os.PathLike[str], sql: str, *, timeout_s: float = 30,
              max_rows: int = 10_000) -> tuple[pl.DataFrame, bool]:
    """Run one read-only query; returns (at most `max_rows` rows, whether more were left out).

    Raises QueryRefused for statements that are not queries or that reach outside the
    warehouse, QueryError for anything else that fails (including the time limit), and
    FileNotFoundError when there is no warehouse.
    """
    result = execute(path, sql, timeout_s=timeout_s, max_rows=max_rows)
    return result.frame, result.truncated


def execute(path: str | os.PathLike[str], sql: str, *, timeout_s: float = 30,
            max_rows: int = 10_000) -> QueryResult:
    """`run_query` with the elapsed seconds (what the SQL page shows)."""
    started = time.perf_counter()
    con = open_reader(path)
    timer = threading.Timer(timeout_s, con.interrupt)
    timer.daemon = True
    try:
        check_statement(con, sql)
        timer.start()
        try:
            relation = con.sql(sql)
            frame = _to_polars(relation.limit(max_rows + 1))
        except duckdb.InterruptException:
            raise QueryError(f"the query was stopped at the time limit of {timeout_s:g} s") from None
        except duckdb.PermissionException as exc:
            raise QueryRefused(_permission_reason(exc)) from None
        except duckdb.InvalidInputException as exc:
            raise _invalid_input(exc) from None
        except duckdb.Error as exc:
            raise QueryError(str(exc).strip()) from None
    finally:
        timer.cancel()
        con.close()
    truncated = frame.height > max_rows
    return QueryResult(frame.head(max_rows), truncated, time.perf_counter() - started)


def _to_polars(relation: duckdb.DuckDBPyRelation) -> pl.DataFrame:
    """The relation as Polars; types Polars cannot take (INTERVAL, ...) come as text."""
    casts = [
        f'CAST("{name.replace(chr(34), chr(34) * 2)}" AS VARCHAR) AS "{name.replace(chr(34), chr(34) * 2)}"'
        if _needs_text(str(dtype)) else f'"{name.replace(chr(34), chr(34) * 2)}"'
        for name, dtype in zip(relation.columns, relation.types, strict=True)
    ]
    if any(c.startswith("CAST(") for c in casts):
        relation = relation.project(", ".join(casts))
    try:
        return relation.pl()
    except (pl.exceptions.PolarsError, duckdb.ConversionException, ValueError) as exc:
        raise QueryError(f"the result cannot be shown: {_first_line(exc)}") from None


def _needs_text(dtype: str) -> bool:
    return any(t in dtype for t in ("INTERVAL", "UNION", "BIT", "VARINT", "BIGNUM"))


def _permission_reason(exc: Exception) -> str:
    text = _first_line(exc)
    if "extension" in text.lower():
        return "loading extensions is disabled: queries read only the warehouse"
    return "reading or writing files is disabled: queries read only the warehouse's own tables"


def _invalid_input(exc: Exception) -> QueryError:
    text = _first_line(exc)
    if "read-only mode" in text:
        return QueryRefused("the warehouse is read-only")
    if "configuration has been locked" in text:
        return QueryRefused("changing settings is disabled")
    return QueryError(text)


def _first_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
