"""The console script's exit (`pipelines.cli.main`): it freezes the process's objects instead of
collecting them, so whatever that skips must hold nothing still to be written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb


def test_a_demo_run_as_a_command_ends_with_every_file_closed_and_every_event_stored(tmp_path: Path):
    home = tmp_path / "dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    warehouse = tmp_path / "warehouse" / "pathlens.duckdb"
    command = [sys.executable, "-m", "pipelines.cli", "demo", "--scale", "tiny", "--no-dashboard",
               "--as-of", "2026-11-27", "--warehouse", str(warehouse)]
    done = subprocess.run(command, env={**os.environ, "DAGSTER_HOME": str(home)}, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr

    # no DuckDB or SQLite write-ahead log left behind: every database was closed (checkpointed)
    assert sorted(p.name for p in tmp_path.rglob("*") if p.name.endswith((".wal", "-wal"))) == []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from marts.services").fetchone()[0] > 0
    with dg.DagsterInstance.from_config(str(home)) as instance:
        [run] = instance.get_runs()
        assert run.status == dg.DagsterRunStatus.SUCCESS
        stored = [e.dagster_event.event_type_value for e in instance.all_logs(run.run_id) if e.dagster_event]
        assert stored[-1] == "PIPELINE_SUCCESS"
        assert stored.count("ASSET_MATERIALIZATION") == stored.count("ASSET_MATERIALIZATION_PLANNED") > 100
