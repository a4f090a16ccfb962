"""The child process that runs one ad hoc query under limits the operating system enforces.

`pipelines.query` starts it with its limits as the first argument; it sets its rlimits first
(address space, file size, no core files), then imports DuckDB — and nothing else of weight —
and only then waits for the JSON request on stdin (so a child can be started ahead of the
query and be warm when it comes); the request's deadline sets its CPU-seconds rlimit. It opens the warehouse
sandboxed (`pipelines.sandbox`) with a fixed thread count, a DuckDB memory limit under the
rlimit (so large sorts and joins spill instead of failing) and a private spill directory of
bounded size, checks that the text is one read-only query, and writes at most `max_rows + 1`
rows as Parquet into its private directory (or, for `pathlens sql`, returns them in its reply as
JSON, see `encode`). It answers with one JSON line on stdout:
``{"ok": true, "file": ..., "truncated": ...}`` or ``{"refused"|"error": "<one line>"}``.

Limits that DuckDB cannot keep (a `range()` list of 10^9 values is not buffer-managed) end
in an allocation failure under the address-space rlimit, reported as the memory limit.
"""

from __future__ import annotations

import json
import os
import re
import resource
import sys
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from decimal import Decimal
from typing import Any

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
# EXPLAIN [ANALYZE] [(options)] <statement>: what follows is checked like any statement
_EXPLAIN = re.compile(r"^\s*explain\s+(?:analy[sz]e\s+)?(?:\([^)]*\)\s*)?", re.IGNORECASE)
_RESULT_TABLE = "memory.main._pathlens_result"
# Types Polars cannot take from Parquet, or would read inexactly: shown as text / decimal
_AS_TEXT = ("INTERVAL", "UNION", "BIT", "VARINT", "BIGNUM", "UUID", "TIME WITH TIME ZONE", "TIME_NS")


class Refused(Exception):
    """A statement the read-only explorer does not run."""


class Failed(Exception):
    """A query that could not run or whose result cannot be returned (one-line reason)."""


def set_limits(limits: dict[str, Any]) -> None:
    """Apply the OS limits to this process before anything large is loaded."""
    memory = int(limits["memory_mb"]) << 20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    files = int(limits["temp_mb"]) << 20
    resource.setrlimit(resource.RLIMIT_FSIZE, (files, files))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def set_cpu_limit(request: dict[str, Any]) -> None:
    """CPU seconds: the deadline on every thread, and a little more (the parent kills first)."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    spent = int(used.ru_utime + used.ru_stime)
    cpu = spent + max(1, int(float(request["timeout_s"]) * int(request["threads"]) + 5))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))


def check_statement(con: Any, sql: str) -> None:
    """Raise Refused unless `sql` is exactly one query, or EXPLAIN [ANALYZE] of one query."""
    import duckdb

    try:
        statements = con.extract_statements(sql)
    except duckdb.ParserException as exc:
        raise Failed(_first_line(exc)) from None
    if not statements:
        raise Failed("the query is empty")
    if len(statements) > 1:
        raise Refused(f"one statement at a time, please ({len(statements)} were given)")
    kind = statements[0].type
    if kind == duckdb.StatementType.EXPLAIN:
        text = statements[0].query
        inner = _EXPLAIN.sub("", _strip_leading_comments(text), count=1)
        if inner == _strip_leading_comments(text):
            raise Refused("EXPLAIN refused: its statement could not be told apart; write EXPLAIN SELECT ...")
        try:
            inner_statements = con.extract_statements(inner)
        except duckdb.ParserException:
            raise Refused("EXPLAIN refused: only EXPLAIN of a query runs here") from None
        if len(inner_statements) != 1 or inner_statements[0].type != duckdb.StatementType.SELECT:
            inner_kind = inner_statements[0].type.name if inner_statements else "nothing"
            raise Refused(f"EXPLAIN refused: it wraps {inner_kind}, and only EXPLAIN of a query runs here")
        return
    if kind != duckdb.StatementType.SELECT:
        name = kind.name if hasattr(kind, "name") else str(kind)
        what = _REFUSED_KIND.get(name, name)
        raise Refused(f"{name} refused: {what} not allowed here; only read-only queries "
                      "(SELECT, WITH, DESCRIBE, SUMMARIZE, EXPLAIN) run against the warehouse")


def _strip_leading_comments(text: str) -> str:
    while True:
        stripped = text.lstrip()
        if stripped.startswith("--"):
            text = stripped.split("\n", 1)[1] if "\n" in stripped else ""
        elif stripped.startswith("/*") and "*/" in stripped:
            text = stripped.split("*/", 1)[1]
        else:
            return stripped


def run(request: dict[str, Any]) -> dict[str, Any]:
    """Run the request's query; returns the reply (never raises for a query's own failure)."""
    import duckdb

    from pipelines.sandbox import WarehouseUnreadable, open_sandboxed

    tmp = request["tmpdir"]
    spill = os.path.join(tmp, "spill")
    os.makedirs(spill, exist_ok=True)
    memory_mb = int(request["memory_mb"])
    try:
        con = open_sandboxed(
            request["path"], threads=int(request["threads"]),
            # DuckDB's own limit stays well under the rlimit: buffer-managed work spills,
            # the rest (Python, lists built in one piece) has headroom before the rlimit
            memory_limit=f"{max(64, memory_mb // 2)}MiB",
            temp_directory=spill, max_temp_size=f"{int(request['temp_mb'])}MB", allowed_directories=[tmp],
        )
    except FileNotFoundError as exc:
        return {"missing": str(exc)}
    except WarehouseUnreadable as exc:
        return {"error": str(exc)}
    try:
        check_statement(con, request["sql"])
        relation = con.sql(request["sql"], params=request.get("params") or None)
        if relation is None:
            raise Failed("the statement returned no result")
        max_rows = int(request["max_rows"])
        relation.limit(max_rows + 1).create(_RESULT_TABLE)
        if request.get("rows"):
            columns, values = _fetch(con, int(request["max_bytes"]))
            return {"ok": True, "columns": columns, "rows": [[encode(v) for v in row] for row in values[:max_rows]],
                    "truncated": len(values) > max_rows}
        out = os.path.join(tmp, "result.parquet")
        rows = _export(con, int(request["max_bytes"]), out)
        return {"ok": True, "file": out, "truncated": rows > max_rows}
    except Refused as exc:
        return {"refused": str(exc)}
    except Failed as exc:
        return {"error": str(exc)}
    except (duckdb.OutOfMemoryException, MemoryError):
        return {"error": f"the query needed more than the memory limit of {memory_mb:,} MiB and was stopped"}
    except duckdb.PermissionException as exc:
        text = _first_line(exc)
        if "extension" in text.lower():
            return {"refused": "loading extensions is disabled: queries read only the warehouse"}
        return {"refused": "reading or writing files is disabled: queries read only the warehouse's own tables"}
    except duckdb.InvalidInputException as exc:
        text = _first_line(exc)
        if "read-only mode" in text:
            return {"refused": "the warehouse is read-only"}
        if "configuration has been locked" in text:
            return {"refused": "changing settings is disabled"}
        return {"error": text}
    except duckdb.Error as exc:
        text = _first_line(exc)
        if "temp" in text.lower() and ("limit" in text.lower() or "space" in text.lower()):
            return {"error": f"the query needed more than {int(request['temp_mb']):,} MiB of temporary disk space and was stopped"}
        return {"error": text}
    finally:
        con.close()


def _export(con: Any, max_bytes: int, out: str) -> int:
    """Write the result table to Parquet as Polars can read it; returns its row count.

    Raises Failed when the result, rendered as text, is over `max_bytes`: the row cap alone
    is not a byte cap (10,000 rows of 600 kB strings is 5.6 GiB).
    """
    select = _checked_projection(con, max_bytes)
    con.execute(f"COPY (SELECT {select} FROM {_RESULT_TABLE}) TO '{out}' (FORMAT parquet)")
    return con.execute(f"SELECT count(*) FROM {_RESULT_TABLE}").fetchall()[0][0]


def _fetch(con: Any, max_bytes: int) -> tuple[list[str], list[tuple]]:
    """The result table's column names and rows as Python values, the same values Polars
    would read from `_export`'s Parquet (what `pathlens sql` prints without importing Polars).

    Raises Failed like `_export` when the result is over `max_bytes` of text.
    """
    select = _checked_projection(con, max_bytes)
    result = con.execute(f"SELECT {select} FROM {_RESULT_TABLE}")
    return [d[0] for d in result.description], result.fetchall()


def _checked_projection(con: Any, max_bytes: int) -> str:
    """The SELECT list that reads the result table as Polars can hold it (see `_column`);
    raises Failed when the result, rendered as text, is over `max_bytes`."""
    table = con.table(_RESULT_TABLE)
    names, types = table.columns, [str(t) for t in table.types]
    if names:
        sizes = con.execute(f"SELECT sum(strlen(CAST(COLUMNS(*) AS VARCHAR))) FROM {_RESULT_TABLE}").fetchall()[0]
        size = sum(s or 0 for s in sizes)
        if size > max_bytes:
            raise Failed(f"the result is about {size / 2**20:,.0f} MiB of text, over the {max_bytes / 2**20:,.0f} MiB "
                         "that can be shown: select fewer rows or columns, or shorter values")
    projection = [_column(con, name, dtype) for name, dtype in zip(names, types, strict=True)]
    return ", ".join(projection) if projection else "*"


def encode(value: Any) -> Any:
    """One DuckDB value as JSON that `decode` turns back into the same Python value.

    None, booleans, integers, floats (NaN and infinities too: Python's JSON keeps them) and
    text are themselves; lists and tuples are lists; every other value is a one-key object
    naming its type, so no JSON object is ever a value of its own (a STRUCT or MAP is a
    `{"dict": [[key, value], ...]}`, keeping keys that are not text). An aware timestamp is
    given in UTC, as Polars reads it from Parquet.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {"dict": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if isinstance(value, datetime):
        return {"datetime": (value.astimezone(UTC) if value.tzinfo else value).isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, dt_time):
        return {"time": value.isoformat()}
    if isinstance(value, timedelta):
        return {"timedelta": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"bytes": bytes(value).hex()}
    return str(value)


def decode(value: Any) -> Any:
    """The Python value `encode` wrote."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    ((kind, payload),) = value.items()
    if kind == "dict":
        return {_hashable(decode(k)): decode(v) for k, v in payload}
    if kind == "decimal":
        return Decimal(payload)
    if kind == "datetime":
        return datetime.fromisoformat(payload)
    if kind == "date":
        return date.fromisoformat(payload)
    if kind == "time":
        return dt_time.fromisoformat(payload)
    if kind == "timedelta":
        return timedelta(days=payload[0], seconds=payload[1], microseconds=payload[2])
    if kind == "bytes":
        return bytes.fromhex(payload)
    raise ValueError(f"unknown value type {kind!r}")


def _hashable(key: Any) -> Any:
    return tuple(_hashable(k) for k in key) if isinstance(key, list) else key


def _column(con: Any, name: str, dtype: str) -> str:
    quoted = '"' + name.replace('"', '""') + '"'
    upper = dtype.upper()
    if any(t in upper for t in _AS_TEXT):
        return f"CAST({quoted} AS VARCHAR) AS {quoted}"
    if upper in ("HUGEINT", "UHUGEINT"):
        return f"CAST({quoted} AS DECIMAL(38, 0)) AS {quoted}"
    if upper == "DATE" or upper.startswith("TIMESTAMP"):
        # 'infinity' dates have no Polars value: such a column is shown as text
        infinite = con.execute(f"SELECT bool_or(isinf({quoted})) FROM {_RESULT_TABLE}").fetchall()[0][0]
        if infinite:
            return f"CAST({quoted} AS VARCHAR) AS {quoted}"
    return quoted


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0].strip() if lines else type(exc).__name__


def main() -> None:
    set_limits(json.loads(sys.argv[-1]))
    import duckdb  # noqa: F401 - warm: imported while the parent is still preparing the query

    text = sys.stdin.buffer.read()
    if not text.strip():
        return  # a spare child that was never used: its parent has gone
    request = json.loads(text)
    set_cpu_limit(request)
    try:
        reply = run(request)
    except MemoryError:
        reply = {"error": f"the query needed more than the memory limit of {int(request['memory_mb']):,} MiB and was stopped"}
    sys.stdout.write(json.dumps(reply))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
