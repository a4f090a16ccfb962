"""The DuckDB warehouse: one writer building, many readers reading what was published.

A refresh writes into the *build* file next to the published one (``pathlens.build.duckdb``
beside ``pathlens.duckdb``). When every blocking check has passed, `publish` copies the build
file to a temporary name and `os.replace`s it over the published path: readers that already had
the old file open keep a consistent old snapshot, new opens see the new one, and nobody ever
waits on the writer's lock. Readers (dashboard, reports, `pathlens sql`) use `open_reader`, a
read-only connection with external access disabled and configuration locked.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from pipelines import DEFAULT_WAREHOUSE, WAREHOUSE_ENV
from pipelines.descriptions import apply_comments
from pipelines.raw_schema import RAW_TABLES, RawTable
from pipelines.sandbox import WarehouseUnreadable as WarehouseUnreadable  # re-exported for readers
from pipelines.sandbox import open_sandboxed

SCHEMAS = ("raw", "config", "staging", "intermediate", "marts")
# DuckDB's default would take 80% of the machine; a refresh stays well inside this and spills
# to disk beyond it. Override with PATHLENS_DUCKDB_MEMORY_LIMIT (e.g. "8GB").
DEFAULT_MEMORY_LIMIT = "2GB"


@dataclass(frozen=True)
class WarehousePaths:
    """Where the published warehouse lives and where a refresh builds the next one."""

    published: Path

    @classmethod
    def for_(cls, warehouse: str | os.PathLike[str]) -> WarehousePaths:
        return cls(Path(warehouse).expanduser())

    @property
    def build(self) -> Path:
        return self.published.with_name(self.published.stem + ".build" + self.published.suffix)

    @property
    def lock(self) -> Path:
        """The refresh lock beside the published file (one refresh at a time)."""
        return self.published.with_name(self.published.name + ".lock")


DUCKDB_MAGIC = b"DUCK"  # bytes 8..12 of every DuckDB database file


class WarehousePathError(ValueError):
    """The configured warehouse path cannot be a warehouse (a directory, or another kind of file)."""


def check_warehouse_path(paths: WarehousePaths) -> None:
    """Raise WarehousePathError unless the published and build paths are absent or DuckDB files.

    Called before anything is built: a `warehouse:` one typo away from an existing file (say
    `/etc/passwd`, run as root) must never be replaced by a DuckDB file, and a directory must
    be refused before a whole refresh was spent on it.
    """
    for role, path in (("warehouse", paths.published), ("build file", paths.build)):
        if path.is_dir():
            raise WarehousePathError(f"{role} {path} is a directory; `warehouse:` must name a file "
                                     f"(e.g. {path / 'pathlens.duckdb'})")
        if path.exists() or path.is_symlink():
            if not path.is_file():
                raise WarehousePathError(f"{role} {path} exists and is not a regular file; refusing to replace it")
            try:
                with path.open("rb") as handle:
                    head = handle.read(12)
            except OSError as exc:
                raise WarehousePathError(f"{role} {path} cannot be read ({exc.strerror})") from None
            if head[8:12] != DUCKDB_MAGIC:
                raise WarehousePathError(f"{role} {path} exists and is not a DuckDB file; refusing to replace it "
                                         "(check `warehouse:` in the configuration, or move the file away)")


class RefreshBusy(RuntimeError):
    """Another refresh holds the warehouse's refresh lock."""


_held_lock = threading.Lock()
_held: dict[str, int] = {}  # lock file → open descriptor holding the flock, for this process


def acquire_refresh_lock(paths: WarehousePaths) -> bool:
    """Take the refresh lock for this process; returns False when it already held it.

    An OS file lock (`flock`) on `<warehouse>.lock`, so it is released when the holding process
    ends, however it ends. Raises RefreshBusy, naming the holder, when another process has it.
    """
    key = str(paths.lock)
    with _held_lock:
        if key in _held:
            return False
        paths.lock.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise RefreshBusy(f"another refresh of {paths.published} is running ({holder}); this one was not "
                              "started — wait for it to finish, then run again") from None
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "since": datetime.now(UTC).isoformat(timespec="seconds")}).encode())
        _held[key] = fd
        return True


def release_refresh_lock(paths: WarehousePaths) -> None:
    """Give the refresh lock back (no-op when this process does not hold it)."""
    with _held_lock:
        fd = _held.pop(str(paths.lock), None)
    if fd is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


@contextlib.contextmanager
def refresh_lock(paths: WarehousePaths) -> Iterator[None]:
    """Hold the refresh lock for the block (re-entrant within a process)."""
    taken = acquire_refresh_lock(paths)
    try:
        yield
    finally:
        if taken:
            release_refresh_lock(paths)


def _holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return f"process {info['pid']}, since {info['since']}"
    except (ValueError, KeyError, OSError):
        return "by another process"


# Build files a run keeps open (resolved path → the connection holding the DuckDB instance).
_KEPT_OPEN: dict[str, duckdb.DuckDBPyConnection] = {}


def connect_writer(path: str | os.PathLike[str]) -> duckdb.DuckDBPyConnection:
    """A read-write connection with every schema and raw table created.

    While a run keeps the file open (`kept_open`), this is a new connection to the instance it
    holds: no reopening the file, no DDL again, and no checkpoint each time a step closes it.
    """
    kept = _KEPT_OPEN.get(_key(path))
    if kept is not None:
        con = kept.cursor()
        _configure(con)
        return con
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    _configure(con)
    for schema in SCHEMAS:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for table in RAW_TABLES.values():
        con.execute(table.ddl())
    present: dict[str, set[str]] = {}
    for table_name, column in con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'raw' "
            "AND database_name = current_database()").fetchall():
        present.setdefault(table_name, set()).add(column)
    for table in RAW_TABLES.values():
        existing = present.get(table.name, set())
        for statement in table.drop_retired_columns(existing) + table.add_missing_columns(existing):
            con.execute(statement)
    return con


def _configure(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("SET TimeZone = 'UTC'")
    memory_limit = os.environ.get("PATHLENS_DUCKDB_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)
    con.execute("SET memory_limit = ?", [memory_limit])
    con.execute("SET preserve_insertion_order = false")


def _key(path: str | os.PathLike[str]) -> str:
    return str(Path(path).expanduser().resolve())


@contextlib.contextmanager
def kept_open(path: str | os.PathLike[str]) -> Iterator[None]:
    """Keep the build warehouse open while the steps of one in-process run use it.

    Each step opens and closes its own connection; without this, every open re-reads the file
    and reruns the DDL and every close checkpoints, a fixed cost that dominated small refreshes.
    `release` ends it early (before the file is replaced); it is closed, and checkpointed, on exit.
    """
    key = _key(path)
    if key in _KEPT_OPEN:
        yield
        return
    _KEPT_OPEN[key] = connect_writer(path)
    try:
        yield
    finally:
        release(path)


def release(path: str | os.PathLike[str]) -> None:
    """Close the connection `kept_open` holds on `path`, if any (later steps reopen the file)."""
    con = _KEPT_OPEN.pop(_key(path), None)
    if con is not None:
        con.close()


@contextlib.contextmanager
def writer(path: str | os.PathLike[str]) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect_writer(path)
    try:
        yield con
    finally:
        con.close()


def conform(table: RawTable, frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with exactly the table's columns, in order and types; missing ones are NULL.

    Raises ValueError naming the table when a column has a value that cannot be cast.
    """
    schema = table.polars_schema()
    unknown = set(frame.columns) - set(schema)
    if unknown:
        raise ValueError(f"{table.qualified}: unexpected columns {sorted(unknown)}")
    exprs = []
    for col, dtype in schema.items():
        if col in frame.columns:
            exprs.append(pl.col(col).cast(dtype, strict=True))
        else:
            exprs.append(pl.lit(None, dtype=dtype).alias(col))
    try:
        return frame.select(exprs)
    except pl.exceptions.PolarsError as exc:
        raise ValueError(f"{table.qualified}: {exc}") from None


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Run the block in one transaction: committed when it ends, rolled back when it raises
    (anything, KeyboardInterrupt included), so a table and its cursors move together or not at
    all. Inside a transaction the caller already opened, the block joins it (DuckDB has no
    nested transactions) and the caller's commit or rollback decides."""
    if _in_transaction(con):
        yield con
        return
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def upsert(con: duckdb.DuckDBPyConnection, table: RawTable, frame: pl.DataFrame) -> int:
    """Insert rows, replacing any with the same natural key; returns the rows written.

    Within the frame the last row of a key wins. Runs in the caller's transaction if one is
    open (so cursors can advance atomically with the data), else in its own.
    """
    frame = conform(table, frame)
    if table.key:
        frame = frame.unique(subset=list(table.key), keep="last", maintain_order=True)
    if frame.height == 0:
        return 0
    with transaction(con):
        con.register("_incoming", frame)
        if table.key and con.execute(f"SELECT 1 FROM {table.qualified} LIMIT 1").fetchall():
            match = " AND ".join(f't."{k}" = i."{k}"' for k in table.key)
            con.execute(f"DELETE FROM {table.qualified} t USING _incoming i WHERE {match}")
        con.execute(f"INSERT INTO {table.qualified} SELECT * FROM _incoming")
        con.unregister("_incoming")
    return frame.height


def append(con: duckdb.DuckDBPyConnection, table: RawTable, frame: pl.DataFrame, *, batch_rows: int = 2_000_000) -> int:
    """Insert rows as they are, in batches; returns the rows written.

    For a source that guarantees unique natural keys and has emptied the table (the demo
    replacing itself): no de-duplication and no delete-by-key, so tens of millions of rows load
    at bulk speed, and conforming in batches bounds the memory of casting them.
    """
    written = 0
    for batch in frame.iter_slices(batch_rows):
        batch = conform(table, batch)
        # DuckDB scans an Arrow table ~25% faster than the Polars frame it came from
        con.register("_incoming", batch.to_arrow())
        try:
            con.execute(f"INSERT INTO {table.qualified} SELECT * FROM _incoming")
        finally:
            con.unregister("_incoming")
        written += batch.height
    return written


def replace_table(con: duckdb.DuckDBPyConnection, qualified: str, frame: pl.DataFrame) -> int:
    """(Re)create a derived table from a frame in one statement; returns its row count."""
    con.register("_frame", frame)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {qualified} AS SELECT * FROM _frame")
    finally:
        con.unregister("_frame")
    return frame.height


def _in_transaction(con: duckdb.DuckDBPyConnection) -> bool:
    """True inside an explicit transaction: there, consecutive statements share one txid.

    (Probing with a nested BEGIN would abort the caller's transaction.)
    """
    first = con.execute("SELECT txid_current()").fetchall()[0][0]
    return con.execute("SELECT txid_current()").fetchall()[0][0] == first


def publish(paths: WarehousePaths) -> Path:
    """Atomically make the build warehouse the published one; returns the published path.

    Every public table, column and macro gets its description (`pipelines.descriptions`) first.

    The caller must have closed its connections to the build file. The copy goes to a
    temporary file in the same folder and is `os.replace`d, so a reader opening the published
    path sees either the old warehouse or the new one, never a partial file.
    """
    with refresh_lock(paths):
        return _publish(paths)


def _publish(paths: WarehousePaths) -> Path:
    build, published = paths.build, paths.published
    check_warehouse_path(paths)
    with writer(build) if _key(build) in _KEPT_OPEN else duckdb.connect(str(build)) as con:
        apply_comments(con)  # last: rebuilding a table drops its comments
        con.execute("CHECKPOINT")
    published.parent.mkdir(parents=True, exist_ok=True)
    # copies left by a publish that was killed mid-copy (this process holds the lock: no
    # other publish is writing one now)
    for stale in published.parent.glob(f".{published.name}.*.tmp"):
        stale.unlink(missing_ok=True)
    mode, gid = _previous_mode(published)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{published.name}.", suffix=".tmp", dir=published.parent)
    os.close(fd)
    try:
        shutil.copyfile(build, tmp_name)
        os.chmod(tmp_name, mode)  # mkstemp makes 0600: a reader running as another user keeps access
        if gid is not None:
            with contextlib.suppress(OSError):
                os.chown(tmp_name, -1, gid)
        os.replace(tmp_name, published)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    Path(str(published) + ".wal").unlink(missing_ok=True)
    return published


def _previous_mode(published: Path) -> tuple[int, int | None]:
    """The published file's permission bits and group, or the umask's default for a new file."""
    try:
        st = published.stat()
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask, None
    return stat.S_IMODE(st.st_mode), st.st_gid


def warehouse_path(configured: str | os.PathLike[str] | None = None) -> Path:
    """The published warehouse: $PATHLENS_WAREHOUSE when set, else `configured` (a
    configuration's `warehouse:`), else DEFAULT_WAREHOUSE; `~` expanded."""
    return Path(os.environ.get(WAREHOUSE_ENV) or configured or DEFAULT_WAREHOUSE).expanduser()


def open_reader(path: str | os.PathLike[str]) -> duckdb.DuckDBPyConnection:
    """A sandboxed read-only connection to a published warehouse (see `pipelines.sandbox`).

    Raises FileNotFoundError when there is no warehouse yet, WarehouseUnreadable when the
    file is damaged or not a DuckDB file.
    """
    return open_sandboxed(path)


def warehouse_version(path: str | os.PathLike[str]) -> str:
    """A token that changes whenever a new warehouse is published (for cache keys)."""
    try:
        st = Path(path).expanduser().stat()
    except FileNotFoundError:
        return "missing"
    return f"{st.st_ino}-{st.st_mtime_ns}-{st.st_size}"
