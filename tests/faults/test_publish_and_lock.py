"""Issue 13, items 3, 9 and 10: the warehouse path, publishing, and one refresh at a time.

Before: `warehouse:` naming an existing non-DuckDB file was silently replaced, a directory
was refused only after the whole build; a kill during the publish copy left a
`.pathlens.duckdb.*.tmp` that no run removed, and each publish left the file at mode 0600;
two refreshes at once interleaved step by step (a raw DuckDB lock traceback, or both published).
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.resources import PathlensResource
from pipelines.warehouse import (
    RefreshBusy,
    WarehousePathError,
    WarehousePaths,
    check_warehouse_path,
    publish,
)


def _build(paths: WarehousePaths, value: int = 1) -> None:
    with duckdb.connect(str(paths.build)) as con:
        con.execute("CREATE OR REPLACE TABLE t AS SELECT ? AS v", [value])


def _demo_config(tmp_path: Path, warehouse: Path) -> Path:
    config = tmp_path / "pathlens.yaml"
    config.write_text(f"warehouse: {warehouse}\ndemo: {{scale: tiny, seed: 7, as_of: '2026-11-27'}}\n")
    return config


def test_publish_keeps_the_previous_permission_bits(tmp_path: Path):
    paths = WarehousePaths.for_(tmp_path / "pathlens.duckdb")
    _build(paths)
    publish(paths)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(paths.published.stat().st_mode) == 0o666 & ~umask  # a new file: the umask's default
    os.chmod(paths.published, 0o640)  # the operator opened it to the dashboard's group
    _build(paths, 2)
    publish(paths)
    assert stat.S_IMODE(paths.published.stat().st_mode) == 0o640
    with duckdb.connect(str(paths.published), read_only=True) as con:
        assert con.execute("SELECT v FROM t").fetchall() == [(2,)]


def test_publish_removes_copies_left_by_a_killed_publish(tmp_path: Path):
    paths = WarehousePaths.for_(tmp_path / "pathlens.duckdb")
    _build(paths)
    left = [tmp_path / ".pathlens.duckdb.k1ll3d.tmp", tmp_path / ".pathlens.duckdb.x9z.tmp"]
    for file in left:
        file.write_bytes(b"\0" * 4096)  # what a SIGKILL during the copy leaves
    unrelated = tmp_path / ".other.duckdb.abc.tmp"
    unrelated.write_bytes(b"keep")
    publish(paths)
    assert not any(file.exists() for file in left)
    assert unrelated.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == [".other.duckdb.abc.tmp"]


@pytest.mark.parametrize("kind", ["text file", "directory"])
def test_a_warehouse_path_that_is_not_a_warehouse_is_refused_before_anything_is_built(tmp_path: Path, kind: str):
    target = tmp_path / "passwd"
    if kind == "directory":
        target.mkdir()
    else:
        target.write_text("root:x:0:0:root:/root:/bin/bash\n")
    before = target.read_bytes() if kind == "text file" else None
    with pytest.raises(WarehousePathError, match="directory" if kind == "directory" else "not a DuckDB file"):
        check_warehouse_path(WarehousePaths.for_(target))
    started = time.perf_counter()
    result = CliRunner().invoke(app, ["refresh", "--config", str(_demo_config(tmp_path, target))])
    assert result.exit_code == 1, result.output
    assert "refusing to replace it" in result.output or "is a directory" in result.output
    assert time.perf_counter() - started < 120  # refused up front, not after a build
    assert not (tmp_path / "passwd.build").exists() and not list(tmp_path.glob("*.build*"))
    if before is not None:
        assert target.read_bytes() == before


HOLD = textwrap.dedent("""
    import sys, time
    from pipelines.warehouse import WarehousePaths, acquire_refresh_lock
    acquire_refresh_lock(WarehousePaths.for_(sys.argv[1]))
    print("held", flush=True)
    time.sleep(60)
""")


@pytest.fixture
def other_refresh(tmp_path: Path):
    """Another process holding the refresh lock of tmp_path/pathlens.duckdb (as a running refresh would)."""
    warehouse = tmp_path / "pathlens.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(warehouse)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        yield warehouse, holder.pid
    finally:
        holder.kill()
        holder.wait()


def test_a_second_refresh_stops_with_a_clear_message(other_refresh, tmp_path: Path):
    warehouse, pid = other_refresh
    resource = PathlensResource(config_path=str(tmp_path / "none.yaml"), demo=True, demo_scale="tiny",
                                warehouse=str(warehouse))
    with pytest.raises(RefreshBusy, match=rf"another refresh of .* is running \(process {pid}, since"), \
            resource.build_connection():
        pass
    assert not resource.paths().build.exists()  # nothing was written
    result = CliRunner().invoke(app, ["refresh", "--config", str(_demo_config(tmp_path, warehouse))])
    assert result.exit_code == 1
    assert f"another refresh of {warehouse} is running (process {pid}" in result.output
    assert "Traceback" not in result.output


def test_the_lock_is_released_when_its_holder_dies(other_refresh, tmp_path: Path):
    warehouse, pid = other_refresh
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    resource = PathlensResource(config_path=str(tmp_path / "none.yaml"), demo=True, demo_scale="tiny",
                                warehouse=str(warehouse))
    with resource.build_connection() as con:
        assert con.execute("SELECT 1").fetchall() == [(1,)]
    from pipelines.warehouse import release_refresh_lock

    release_refresh_lock(resource.paths())
