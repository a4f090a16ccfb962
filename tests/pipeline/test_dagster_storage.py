"""Dagster's local SQLite storage during an in-process run (`pipelines.dagster_storage`): one
engine per database with its connections reused, commits without a disk flush each, and every
event still stored and readable afterwards."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import dagster as dg
from sqlalchemy import event
from sqlalchemy.engine import Engine

from pipelines.dagster_storage import fewer_flushes


@dg.asset
def first() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"rows": 3})


@dg.asset(deps=[first])
def second() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"rows": 5})


def _open_files_under(home: Path) -> list[str]:
    fds = Path("/proc/self/fd")
    found = []
    for fd in fds.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(home)):
            found.append(target)
    return found


def test_a_run_stores_every_event_with_normal_sync_and_leaves_nothing_open(tmp_path: Path):
    home = tmp_path / "dagster"
    home.mkdir()
    instance = dg.DagsterInstance.local_temp(str(home))
    job = dg.Definitions(assets=[first, second], jobs=[dg.define_asset_job("j", selection="*")]).resolve_job_def("j")
    job.execute_in_process(instance=instance)  # creates the run and index databases (WAL)

    modes: list[tuple[str, int]] = []

    def spy(connection, _record) -> None:  # every connection opened (before its engine's own listener)
        name = connection.execute("PRAGMA database_list").fetchall()[0][2]
        modes.append((name, connection.execute("PRAGMA synchronous").fetchone()[0]))

    with fewer_flushes(home) as engines:
        event.listen(Engine, "connect", spy)
        try:
            result = job.execute_in_process(instance=instance)
        finally:
            event.remove(Engine, "connect", spy)
        assert any(f.endswith(".db") for f in _open_files_under(home))  # the pooled connections
        # one engine per database (the run's own, the index, the runs), not one per event
        assert 2 <= len(engines) <= 4, sorted(engines)
        stored = len(instance.all_logs(result.run_id))
        for engine in engines.values():  # the connections Dagster is given
            with engine.connect() as connection:
                # 1 = NORMAL (FULL is 2, SQLite's default)
                assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1
    assert result.success
    under_home = [sync for name, sync in modes if name.startswith(str(home))]
    # connections were reused: far fewer opened than events stored (each stored event opened
    # at least one before, an asset event three)
    assert len(under_home) < stored / 3, (len(under_home), stored)
    assert _open_files_under(home) == []  # the pooled connections are closed at the end
    for file in (home / "history" / "runs").glob("*.db"):  # still WAL, readable beside a run
        with sqlite3.connect(file) as con:
            assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal", file.name

    # every materialisation of both runs is there, with its metadata, for `dagster dev` to show
    for key, rows in (("first", 3), ("second", 5)):
        records = instance.fetch_materializations(dg.AssetKey(key), limit=10).records
        assert len(records) == 2
        assert records[0].asset_materialization.metadata["rows"].value == rows
    # outside the block, connections are Dagster's own again
    modes.clear()
    event.listen(Engine, "connect", spy)
    try:
        job.execute_in_process(instance=instance)
    finally:
        event.remove(Engine, "connect", spy)
    assert {sync for name, sync in modes if name.startswith(str(home))} == {2}
