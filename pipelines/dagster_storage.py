"""Dagster's local SQLite storage without a disk flush for every event of an in-process run.

Dagster's SQLite event log opens a new connection for each event it stores (several per step:
the run's own database, the asset index, the run storage), commits and closes it. In WAL mode
with SQLite's default `synchronous=FULL`, each commit waits for the disk, and each close of
the last connection to a database checkpoints the WAL, waiting for the disk again. A demo run
stores ~600 events; on a shared disk that was 15-20 s of a ~40 s demo spent waiting
(bench/bench_cli.py).

`fewer_flushes(home)` changes that for one run, within SQLite's documented safe settings:
- every connection to a database under the Dagster home uses `synchronous=NORMAL`: in WAL mode
  a commit no longer waits for the disk, and the database cannot be corrupted by a crash; a
  power loss may lose the last events written, not the file;
- one extra connection per database stays open for the run, so closing Dagster's connections
  never closes the last one and no longer checkpoints each time; SQLite's own automatic
  checkpoint (every 1,000 pages) still runs, and the last close at the end checkpoints once.

Readers (`dagster dev`, the Dagster UI) see every event as before: WAL readers see commits.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def fewer_flushes(home: str | Path) -> Iterator[None]:
    """While open, SQLite databases under `home` opened through SQLAlchemy (Dagster's storage)
    commit without a disk flush and are not checkpointed on every close (see the module)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    root = Path(home).resolve()
    keepers: dict[str, sqlite3.Connection] = {}
    lock = threading.Lock()

    def on_connect(dbapi_connection, _record) -> None:
        if not isinstance(dbapi_connection, sqlite3.Connection):
            return
        rows = dbapi_connection.execute("PRAGMA database_list").fetchall()
        file = next((row[2] for row in rows if row[1] == "main"), "")
        if not file or not Path(file).resolve().is_relative_to(root):
            return
        dbapi_connection.execute("PRAGMA synchronous = NORMAL")
        # only once Dagster has put it in WAL mode: an open connection would keep a new
        # database (a run's own) from switching to WAL, and every commit would flush again
        wal = dbapi_connection.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
        with lock:
            if wal and file not in keepers:
                keeper = sqlite3.connect(file, check_same_thread=False)
                # SQLite opens the file at the first statement; a read holds no transaction
                keeper.execute("SELECT count(*) FROM sqlite_master").fetchall()
                keepers[file] = keeper

    event.listen(Engine, "connect", on_connect)
    try:
        yield
    finally:
        event.remove(Engine, "connect", on_connect)
        with lock:
            for keeper in keepers.values():
                keeper.close()
            keepers.clear()
