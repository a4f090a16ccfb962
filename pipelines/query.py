"""Ad hoc read-only queries against the published warehouse (the SQL page and `pathlens sql`).

Each query runs in a child process (`pipelines.query_child`) under limits the operating
system enforces, so one query cannot take the machine or the dashboard's server with it:

- an address-space rlimit (`memory_mb`), with DuckDB's own memory limit at half of it so that
  sorts and joins spill to disk instead of failing;
- a fixed number of threads, and a private temporary directory whose size DuckDB bounds
  (`temp_mb`, also the largest file the child may write);
- a deadline: at `timeout_s` the child is killed, whatever it is doing;
- at most `max_rows` rows and `max_bytes` of text come back.

Inside the child two fences decide what runs. DuckDB's own parser classifies the text:
exactly one statement, and only a query (SELECT, WITH, FROM-first, DESCRIBE, SHOW, SUMMARIZE,
...) or EXPLAIN [ANALYZE] of one; anything else is refused before it touches the warehouse.
Then the connection itself is read-only, cannot reach files or the network and has its
configuration locked. Every failure is a `QueryError` (or `QueryRefused`) with a one-line
reason; nothing here prints a traceback.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Polars is imported while the child starts, not before (start-up time)
    import polars as pl

PROJECT_ROOT = Path(__file__).resolve().parent.parent
_CHILD = ("import sys; sys.path.insert(0, sys.argv[1]); "
          "from pipelines.query_child import main; main()")
_spare_lock = threading.Lock()
_spare: tuple[QueryLimits, subprocess.Popen] | None = None


class QueryError(Exception):
    """A query that could not run: a syntax or binder error, a limit, a bad result."""


class QueryRefused(QueryError):
    """A statement the read-only explorer does not run (writes, files, settings, ...)."""


@dataclass(frozen=True)
class QueryLimits:
    """What one query may use. Each default can be changed by an environment variable
    (`PATHLENS_SQL_MEMORY_MB`, `PATHLENS_SQL_THREADS`, `PATHLENS_SQL_TEMP_MB`,
    `PATHLENS_SQL_MAX_BYTES`, `PATHLENS_SQL_TMPDIR`), read when the limits are made."""

    memory_mb: int = 2048
    threads: int = 2
    temp_mb: int = 1024
    max_bytes: int = 64 << 20
    tmpdir: str | None = None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> QueryLimits:
        env = os.environ if environ is None else environ
        default = cls()

        def number(name: str, fallback: int) -> int:
            try:
                return max(1, int(env.get(name, "") or fallback))
            except ValueError:
                return fallback

        return cls(
            memory_mb=max(512, number("PATHLENS_SQL_MEMORY_MB", default.memory_mb)),
            threads=number("PATHLENS_SQL_THREADS", default.threads),
            temp_mb=number("PATHLENS_SQL_TEMP_MB", default.temp_mb),
            max_bytes=number("PATHLENS_SQL_MAX_BYTES", default.max_bytes),
            tmpdir=env.get("PATHLENS_SQL_TMPDIR") or None,
        )


@dataclass(frozen=True)
class QueryResult:
    frame: pl.DataFrame
    truncated: bool
    seconds: float


@dataclass(frozen=True)
class QueryRows:
    columns: list[str]
    rows: list[tuple]
    truncated: bool
    seconds: float


def prestart(limits: QueryLimits | None = None) -> None:
    """Start a query child now, so the next query finds DuckDB already imported.

    The dashboard and `pathlens sql` call it ahead of a query (the interactive prompt after
    each one); an unused child exits when this process does (its stdin closes).
    """
    global _spare
    limits = limits or QueryLimits.from_env()
    with _spare_lock:
        if _spare is not None and _spare[0] == limits and _spare[1].poll() is None:
            return
        old, _spare = _spare, (limits, _spawn(limits))
    if old is not None:
        _kill(old[1])


def _take_child(limits: QueryLimits) -> subprocess.Popen:
    global _spare
    with _spare_lock:
        spare, _spare = _spare, None
    if spare is not None and spare[0] == limits and spare[1].poll() is None:
        return spare[1]
    if spare is not None:
        _kill(spare[1])
    return _spawn(limits)


def _spawn(limits: QueryLimits) -> subprocess.Popen:
    # -I: no user site, no PYTHON* variables; the child sets its rlimits before importing
    # DuckDB; a new session, so that a kill reaches it even if it forked
    spec = {"memory_mb": limits.memory_mb, "temp_mb": limits.temp_mb, "threads": limits.threads}
    return subprocess.Popen(
        [sys.executable, "-I", "-c", _CHILD, str(PROJECT_ROOT), json.dumps(spec)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True, cwd=tempfile.gettempdir(),
    )


def run_query(path: str | os.PathLike[str], sql: str, *, timeout_s: float = 30,
              max_rows: int = 10_000, limits: QueryLimits | None = None) -> tuple[pl.DataFrame, bool]:
    """Run one read-only query; returns (at most `max_rows` rows, whether more were left out).

    Raises QueryRefused for statements that are not queries or that reach outside the
    warehouse, QueryError for anything else that fails (a limit, a damaged warehouse, ...),
    and FileNotFoundError when there is no warehouse.
    """
    result = execute(path, sql, timeout_s=timeout_s, max_rows=max_rows, limits=limits)
    return result.frame, result.truncated


def execute(path: str | os.PathLike[str], sql: str, *, timeout_s: float = 30,
            max_rows: int = 10_000, limits: QueryLimits | None = None, keep_warm: bool = False,
            params: dict[str, str | int | float | bool | None] | None = None) -> QueryResult:
    """`run_query` with the elapsed seconds (what the SQL page shows); `keep_warm` starts the
    next query's child as this one ends (`prestart`); `params` binds `$name` parameters (JSON
    scalars: the exports' fixed queries take their values this way, never spliced into text)."""
    started = time.perf_counter()
    reply = _ask(path, sql, timeout_s=timeout_s, max_rows=max_rows, limits=limits, keep_warm=keep_warm,
                 params=params, rows=False)
    return QueryResult(reply["frame"].head(max_rows), bool(reply["truncated"]), time.perf_counter() - started)


def execute_rows(path: str | os.PathLike[str], sql: str, *, timeout_s: float = 30,
                 max_rows: int = 10_000, limits: QueryLimits | None = None, keep_warm: bool = False) -> QueryRows:
    """`execute` giving column names and rows of Python values instead of a Polars frame: the
    values the frame's `rows()` would hold, sent by the child as JSON, so that `pathlens sql`
    never imports Polars (a third of its start-up). Raises what `run_query` raises."""
    started = time.perf_counter()
    reply = _ask(path, sql, timeout_s=timeout_s, max_rows=max_rows, limits=limits, keep_warm=keep_warm,
                 params=None, rows=True)
    from pipelines.query_child import decode

    rows = [tuple(decode(v) for v in row) for row in reply["rows"]]
    return QueryRows(list(reply["columns"]), rows, bool(reply["truncated"]), time.perf_counter() - started)


def _ask(path: str | os.PathLike[str], sql: str, *, timeout_s: float, max_rows: int, limits: QueryLimits | None,
         keep_warm: bool, params: dict | None, rows: bool) -> dict:
    """The child's reply to one query; with `rows` false its Parquet result read into `frame`."""
    limits = limits or QueryLimits.from_env()
    file = Path(path).expanduser()
    if not file.is_file():
        raise FileNotFoundError(f"no warehouse at {file}: run `pathlens demo` or `pathlens refresh` first")
    tmp = tempfile.mkdtemp(prefix="pathlens-sql-", dir=limits.tmpdir)
    try:
        request = {
            "path": str(file.resolve()), "sql": sql, "max_rows": max_rows, "max_bytes": limits.max_bytes,
            "threads": limits.threads, "memory_mb": limits.memory_mb, "temp_mb": limits.temp_mb,
            "timeout_s": timeout_s, "tmpdir": tmp, "params": params or {}, "rows": rows,
        }
        reply = _run_child(request, timeout_s, limits)
        if "missing" in reply:
            raise FileNotFoundError(reply["missing"])
        if "refused" in reply:
            raise QueryRefused(reply["refused"])
        if "error" in reply:
            raise QueryError(reply["error"])
        if not rows:
            reply["frame"] = _read(reply["file"])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if keep_warm:
            prestart(limits)
    return reply


def _run_child(request: dict, timeout_s: float, limits: QueryLimits) -> dict:
    """Run the child with `request`; returns its reply or raises QueryError with the reason."""
    deadline = time.monotonic() + timeout_s
    child = _take_child(limits)
    try:
        child.stdin.write(json.dumps(request).encode())
        child.stdin.close()
        if not request["rows"]:
            import polars  # noqa: F401 - imported while the child runs, not before it starts

        out, errout = _wait(child, max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        _kill(child)
        raise QueryError(f"the query was stopped at the time limit of {timeout_s:g} s") from None
    except BrokenPipeError:
        _kill(child)
        raise QueryError("the query process ended before it was given the query") from None
    except BaseException:
        _kill(child)
        raise
    try:
        return json.loads(out.decode("utf-8", "replace").strip().splitlines()[-1])
    except (ValueError, IndexError):
        pass
    code = child.returncode
    if code is not None and code < 0:
        sig = -code
        if sig == signal.SIGXCPU:
            raise QueryError(f"the query used more CPU time than its limit ({timeout_s:g} s on "
                             f"{limits.threads} threads) and was stopped")
        if sig == signal.SIGXFSZ:
            raise QueryError(f"the query wrote more than {limits.temp_mb:,} MiB of temporary files and was stopped")
        raise QueryError(f"the query process ended on signal {signal.Signals(sig).name}, most likely over "
                         f"the memory limit of {limits.memory_mb:,} MiB")
    tail = errout.decode("utf-8", "replace").strip().splitlines()
    if any("MemoryError" in line or "bad_alloc" in line for line in tail):
        raise QueryError(f"the query needed more than the memory limit of {limits.memory_mb:,} MiB and was stopped")
    last = tail[-1][:200] if tail else f"exit status {code}"
    raise QueryError(f"the query process failed: {last}")


def _wait(child: subprocess.Popen, timeout_s: float) -> tuple[bytes, bytes]:
    """The child's stdout and stderr once it exits; TimeoutExpired past `timeout_s`."""
    out: list[bytes] = []
    err: list[bytes] = []
    readers = [threading.Thread(target=lambda: out.append(child.stdout.read()), daemon=True),
               threading.Thread(target=lambda: err.append(child.stderr.read()), daemon=True)]
    for reader in readers:
        reader.start()
    child.wait(timeout=timeout_s)
    for reader in readers:
        reader.join(5)
    return (out[0] if out else b""), (err[0] if err else b"")


def _kill(child: subprocess.Popen) -> None:
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        child.kill()
    child.wait()
    for pipe in (child.stdin, child.stdout, child.stderr):
        if pipe is not None:
            with contextlib.suppress(OSError, ValueError):
                pipe.close()


def _read(file: str) -> pl.DataFrame:
    """The child's Parquet result as Polars; a value Polars cannot hold is a QueryError."""
    import polars as pl

    try:
        return pl.read_parquet(file)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - a Polars panic is a BaseException
        lines = str(exc).strip().splitlines()
        raise QueryError(f"the result cannot be shown: {lines[0][:200] if lines else type(exc).__name__}") from None
