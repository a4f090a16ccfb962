"""Issue 13, items 1, 7 and 13: one ad hoc query cannot take the machine, and says why it stopped.

Before: `pathlens sql --timeout 2 "SELECT length(range(100000000))"` ran 26.7 s (60 s under
load, killed) and peaked at 6.85 GiB (7.2 GiB measured); 3,000 rows of 600 kB strings were
still running at 60 s; `'infinity'::DATE` and a column named `[/]` ended in tracebacks.
Each test here bounds itself: the child gets 1 GiB of address space and a few seconds.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.query import QueryError, QueryLimits, QueryRefused, run_query
from tests.dashboards.handbuilt import publish_handbuilt

SMALL = QueryLimits(memory_mb=1024, threads=1, temp_mb=64, max_bytes=8 << 20)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return publish_handbuilt(tmp_path_factory.mktemp("sql") / "pathlens.duckdb")


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_a_huge_list_is_stopped_by_the_memory_limit_not_the_machine(warehouse: Path):
    before = _rss_mib()
    started = time.perf_counter()
    with pytest.raises(QueryError, match="memory limit of 1,024 MiB") as stopped:
        run_query(warehouse, "SELECT length(range(100000000))", timeout_s=30, limits=SMALL)
    assert time.perf_counter() - started < 30
    assert "\n" not in str(stopped.value)
    assert _rss_mib() - before < 100  # this process never held the list


def test_the_deadline_kills_a_query_that_never_yields(warehouse: Path):
    started = time.perf_counter()
    with pytest.raises(QueryError, match="time limit of 1 s"):
        run_query(warehouse, "SELECT count(*) FROM range(1000000000000) a WHERE a.range % 7 = 3",
                  timeout_s=1, limits=SMALL)
    assert time.perf_counter() - started < 6


def test_the_row_cap_is_also_a_byte_cap(warehouse: Path):
    # 40 rows of 600 kB = 23 MiB of text: over the 8 MiB cap, refused before it is sent back
    with pytest.raises(QueryError, match="over the 8 MiB that can be shown"):
        run_query(warehouse, "SELECT repeat('x', 600000) AS s FROM range(40)", timeout_s=30, limits=SMALL)
    frame, truncated = run_query(warehouse, "SELECT repeat('x', 1000) AS s FROM range(20)", limits=SMALL,
                                 max_rows=10)
    assert frame.height == 10 and truncated


def test_threads_memory_and_spill_directory_are_fixed(warehouse: Path, tmp_path: Path):
    limits = QueryLimits(memory_mb=1024, threads=1, temp_mb=64, tmpdir=str(tmp_path))
    frame, _ = run_query(warehouse, "SELECT current_setting('threads') AS t, current_setting('memory_limit') AS m, "
                                    "current_setting('temp_directory') AS d", limits=limits)
    row = frame.row(0, named=True)
    assert row["t"] == 1
    assert row["m"] == "512.0 MiB"  # DuckDB's own limit: half the rlimit, so big sorts spill first
    assert row["d"].startswith(str(tmp_path / "pathlens-sql-"))
    assert list(tmp_path.iterdir()) == []  # the private temp directory is gone afterwards


def test_values_polars_cannot_hold_come_as_text(warehouse: Path):
    frame, _ = run_query(warehouse, "SELECT 'infinity'::DATE AS d, '-infinity'::TIMESTAMP AS t, DATE '2024-01-02' AS ok",
                         limits=SMALL)
    assert frame.row(0) == ("infinity", "-infinity", __import__("datetime").date(2024, 1, 2))


def test_a_damaged_warehouse_is_one_line(tmp_path: Path):
    broken = tmp_path / "pathlens.duckdb"
    broken.write_bytes(b"\x00not a duckdb file" * 300)
    with pytest.raises(QueryError) as failed:
        run_query(broken, "SELECT 1", limits=SMALL)
    assert "cannot be read (damaged, or not a DuckDB file)" in str(failed.value)
    assert "\n" not in str(failed.value)


@pytest.mark.parametrize("sql", ["EXPLAIN ANALYZE CREATE TABLE t AS SELECT 1", "EXPLAIN ANALYZE CALL pragma_version()",
                                 "EXPLAIN ANALYZE CHECKPOINT"])
def test_explain_analyze_of_a_statement_that_is_not_a_query_is_refused(warehouse: Path, sql: str):
    with pytest.raises(QueryRefused, match="EXPLAIN refused"):
        run_query(warehouse, sql, limits=SMALL)


def test_explain_analyze_of_a_query_still_runs(warehouse: Path):
    frame, _ = run_query(warehouse, "EXPLAIN ANALYZE SELECT count(*) FROM marts.services", limits=SMALL)
    assert frame.height >= 1


@pytest.mark.parametrize(("sql", "shown"), [
    ('SELECT 1 AS "[/]"', "[/]"),
    ('SELECT 1 AS "[bold]x"', "[bold]x"),
    ("SELECT chr(27) || '[2J' || chr(8238) || 'evil' AS t", "\\x1b[2J\\u202eevil"),
])
def test_cli_prints_names_and_values_as_data(warehouse: Path, sql: str, shown: str):
    result = CliRunner().invoke(app, ["sql", "--warehouse", str(warehouse), sql])
    assert result.exit_code == 0, result.output
    assert shown in result.output
    assert "\x1b" not in result.output and "\u202e" not in result.output


def test_cli_errors_are_one_line(warehouse: Path, tmp_path: Path):
    broken = tmp_path / "broken.duckdb"
    broken.write_bytes(b"garbage" * 1000)
    result = CliRunner().invoke(app, ["sql", "--warehouse", str(broken), "SELECT 1"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.output.strip().count("\n") == 0


def test_pathlens_sql_imports_nothing_from_dashboards(warehouse: Path):
    probe = ("import sys; from typer.testing import CliRunner; from pipelines.cli import app; "
             f"r = CliRunner().invoke(app, ['sql', '--warehouse', {str(warehouse)!r}, 'SELECT 1 AS one']); "
             "assert r.exit_code == 0, r.output; "
             "print(sorted(m for m in sys.modules if m.split('.')[0] == 'dashboards'))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_report_and_dashboard_on_a_damaged_warehouse_say_so_in_one_line(tmp_path: Path, monkeypatch):
    broken = tmp_path / "pathlens.duckdb"
    broken.write_bytes(b"garbage" * 1000)
    result = CliRunner().invoke(app, ["report", "--warehouse", str(broken), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "cannot be read (damaged, or not a DuckDB file)" in result.output and "Traceback" not in result.output

    from streamlit.testing.v1 import AppTest

    from pipelines import WAREHOUSE_ENV as ENV_VAR
    from tests.dashboards.conftest import APP

    monkeypatch.setenv(ENV_VAR, str(broken))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert any("cannot be read" in e.value for e in at.error)


_EVERY_KIND = """
SELECT 1/7 AS ratio, 'a|b' AS name, NULL AS nothing, 42::HUGEINT AS huge, 1.50::DECIMAL(5, 2) AS price,
       TIMESTAMPTZ '2024-01-01 10:00:00+02' AS tz, TIMESTAMP '2024-01-01 10:00:00.5' AS ts,
       DATE '2024-01-02' AS d, TIME '10:00:01.5' AS t, INTERVAL 3 DAY AS i, 'x'::BLOB AS b,
       'a'::ENUM('a', 'b') AS e, 'inf'::DOUBLE AS inf, [1, 2] AS l, [1, 2]::INT[2] AS arr,
       {'a': 1, 'b': [DATE '2024-01-01']} AS s, 'infinity'::DATE AS infinite, true AS flag
"""


def test_rows_for_the_command_line_are_the_values_polars_reads(warehouse: Path):
    """`pathlens sql` takes its rows as JSON from the query process (no Polars import): the
    same values the Parquet result gives through Polars, the route the dashboard takes."""
    from pipelines.query import execute, execute_rows

    for sql in (_EVERY_KIND, "SELECT * FROM marts.services ORDER BY ALL"):
        frame = execute(warehouse, sql, limits=SMALL).frame
        rows = execute_rows(warehouse, sql, limits=SMALL)
        assert rows.columns == frame.columns
        assert rows.rows == frame.rows()  # datetimes compare by instant, whatever their tzinfo
    rows = execute_rows(warehouse, _EVERY_KIND, limits=SMALL).rows[0]
    assert rows[5].utcoffset().total_seconds() == 0 and rows[5].hour == 8  # 10:00+02 in UTC


def test_rows_for_the_command_line_keep_the_row_and_byte_caps(warehouse: Path):
    from pipelines.query import execute_rows

    capped = execute_rows(warehouse, "SELECT * FROM range(10)", max_rows=3, limits=SMALL)
    assert (capped.rows, capped.truncated) == ([(0,), (1,), (2,)], True)
    with pytest.raises(QueryError, match="MiB of text"):
        execute_rows(warehouse, "SELECT repeat('x', 600000) AS big FROM range(20)", limits=SMALL)
