"""Dagster's local SQLite storage during an in-process run: open connections reused, commits
without a disk flush each.

Dagster's SQLite storages create a new SQLAlchemy engine, open a new connection, commit and
close it (`NullPool`) for every event they store: the run's own database, the cross-run index
(several times for an asset event) and the run storage. A demo run stores ~450 events, so
~1,400 engines and connections: seconds of CPU spent opening and closing SQLite files, and, in
WAL mode with SQLite's default `synchronous=FULL`, a wait for the disk at every commit and a
checkpoint at every last close (15-20 s of a ~40 s demo on a shared disk, bench/bench_cli.py).

`fewer_flushes(home)` changes that for one run, for databases under the Dagster home only:
- each database gets ONE engine for the run, with SQLAlchemy's own default pool for a SQLite
  file (`QueuePool`): connections are returned to it and reused instead of closed, so no
  reopening, and no checkpoint at every close; the pool is closed when the run ends, and the
  last close checkpoints once. A nested connection (Dagster reads while it writes) still gets
  a connection of its own from the pool, as it did before;
- every connection uses `synchronous=NORMAL`: in WAL mode a commit no longer waits for the
  disk, and the database cannot be corrupted by a crash; a power loss may lose the last events
  written, not the file. SQLite's own automatic checkpoint (every 1,000 pages) still runs.

Readers (`dagster dev`, the Dagster UI) see every event as before: WAL readers see commits.
Dagster's storage modules are given this engine factory through their `create_engine` name,
which they import from SQLAlchemy; a Dagster version without that name is left as it is
(tests/pipeline/test_dagster_storage.py checks that a run does reuse its engines).
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import Iterator
from pathlib import Path

# the modules of Dagster's SQLite storages (event log, runs, schedules) that create engines
_STORAGE_MODULES = (
    "dagster._core.storage.event_log.sqlite.sqlite_event_log",
    "dagster._core.storage.runs.sqlite.sqlite_run_storage",
    "dagster._core.storage.schedules.sqlite.sqlite_schedule_storage",
)


@contextlib.contextmanager
def fewer_flushes(home: str | Path) -> Iterator[dict[str, object]]:
    """While open, Dagster's SQLite databases under `home` keep one engine each, reuse their
    connections and commit without a disk flush (see the module). Yields the engines by file."""
    import sqlalchemy
    from sqlalchemy import event

    root = Path(home).resolve()
    engines: dict[str, sqlalchemy.Engine] = {}
    lock = threading.Lock()
    modules = [importlib.import_module(name) for name in _STORAGE_MODULES]
    patched = [m for m in modules if getattr(m, "create_engine", None) is sqlalchemy.create_engine]

    def normal_sync(dbapi_connection, _record) -> None:
        dbapi_connection.execute("PRAGMA synchronous = NORMAL")

    def create_engine(url, **kwargs):
        file = sqlalchemy.make_url(url).database
        if not file or file == ":memory:" or not Path(file).resolve().is_relative_to(root):
            return sqlalchemy.create_engine(url, **kwargs)
        with lock:
            engine = engines.get(file)
            if engine is None:
                kwargs.pop("poolclass", None)  # SQLAlchemy's default for a file: QueuePool
                engine = sqlalchemy.create_engine(url, **kwargs)
                event.listen(engine, "connect", normal_sync)
                engine.dispose = _kept  # Dagster disposes of its engine after each use
                engines[file] = engine
            return engine

    for module in patched:
        module.create_engine = create_engine
    try:
        yield engines
    finally:
        for module in patched:
            module.create_engine = sqlalchemy.create_engine
        with lock:
            for engine in engines.values():
                type(engine).dispose(engine)  # closes the pooled connections; the last one checkpoints
            engines.clear()


def _kept(close: bool = True) -> None:
    """An engine's `dispose` while the run reuses it: nothing (the pool is closed at the end)."""
