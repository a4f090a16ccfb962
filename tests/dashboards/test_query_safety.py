"""The SQL page's and `pathlens sql`'s query runner: what runs, what is refused, and limits.

The refusals are checked through `query_child.run`, in this process (the same function the
child process runs, without spawning one per statement); the rest through the real child.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pipelines import query_child
from pipelines.query import QueryError, QueryRefused, run_query
from tests.dashboards.handbuilt import publish_handbuilt

REFUSED = [
    ("INSERT INTO marts.services (service) VALUES ('x')", "INSERT refused: writes"),
    ("UPDATE marts.services SET owner = 'x'", "UPDATE refused: writes"),
    ("DELETE FROM marts.services", "DELETE refused: writes"),
    ("WITH a AS (SELECT 1) INSERT INTO marts.repos (repo) SELECT 'x'", "INSERT refused"),
    ("DROP TABLE marts.services", "DROP refused"),
    ("CREATE TABLE marts.x AS SELECT 1", "CREATE refused"),
    ("CREATE TEMP TABLE t AS SELECT 1", "CREATE refused"),
    ("CREATE MACRO m(a) AS a", "CREATE"),
    ("ALTER TABLE marts.services ADD COLUMN x INT", "ALTER refused"),
    ("ATTACH '/tmp/other.duckdb' AS other", "ATTACH refused"),
    ("ATTACH ':memory:' AS scratch", "ATTACH refused"),
    ("DETACH pathlens", "DETACH refused"),
    ("INSTALL httpfs", "INSTALL/LOAD not allowed"),
    ("LOAD httpfs", "INSTALL/LOAD not allowed"),
    ("SET enable_external_access = true", "SET refused"),
    ("SET lock_configuration = false", "SET refused"),
    ("RESET threads", "SET refused"),
    ("PRAGMA threads = 1", "SET refused"),
    ("COPY marts.services TO '/tmp/services.csv'", "COPY refused"),
    ("COPY (SELECT 1) TO '/tmp/x.parquet' (FORMAT parquet)", "COPY refused"),
    ("EXPORT DATABASE '/tmp/export'", "EXPORT refused"),
    ("CALL pragma_table_info('marts.services')", "CALL refused"),
    ("CHECKPOINT", "CALL refused"),
    ("EXPLAIN ANALYZE CREATE TABLE marts.x AS SELECT 1", "EXPLAIN refused: it wraps CREATE"),
    ("/* hi */ EXPLAIN ANALYZE CALL pragma_version()", "EXPLAIN refused: it wraps CALL"),
    ("EXPLAIN CHECKPOINT", "EXPLAIN refused"),
    ("EXPLAIN (FORMAT json) INSERT INTO marts.repos (repo) VALUES ('x')", "EXPLAIN refused: it wraps INSERT"),
    ("BEGIN TRANSACTION", "TRANSACTION refused"),
    ("VACUUM", "VACUUM refused"),
    ("SELECT 1; DROP TABLE marts.services", "one statement at a time"),
    # Queries that get through the statement check are stopped by the sandboxed connection:
    ("SELECT * FROM read_csv('/etc/passwd')", "reading or writing files is disabled"),
    ("SELECT * FROM read_text('/etc/hostname')", "reading or writing files is disabled"),
    ("SELECT * FROM read_parquet('https://example.com/x.parquet')", "files is disabled"),
    ("SELECT * FROM glob('/etc/*')", "files is disabled"),
    ("SELECT * FROM sniff_csv('/etc/passwd')", "files is disabled"),
    ("SELECT * FROM duckdb_extensions()", "loading extensions is disabled"),
]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One hand-built warehouse for the tests that only read."""
    return publish_handbuilt(tmp_path_factory.mktemp("sql") / "pathlens.duckdb")


@pytest.mark.parametrize(("sql", "reason"), REFUSED, ids=[s[:40] for s, _ in REFUSED])
def test_refused(shared: Path, sql: str, reason: str, tmp_path: Path):
    reply = _in_process(shared, sql, tmp_path)
    assert reason in reply.get("refused", ""), reply


def _in_process(path: Path, sql: str, tmp: Path) -> dict:
    return query_child.run({"path": str(path), "sql": sql, "max_rows": 10, "max_bytes": 1 << 20, "threads": 1,
                            "memory_mb": 512, "temp_mb": 64, "timeout_s": 10, "tmpdir": str(tmp)})


def test_refused_statements_left_the_warehouse_alone(warehouse: Path, tmp_path: Path, tmp_path_factory):
    before = warehouse.read_bytes()
    scratch = tmp_path_factory.mktemp("scratch")
    for sql, _ in REFUSED:
        assert "refused" in _in_process(warehouse, sql, scratch), sql
    for sql in (f"COPY marts.services TO '{tmp_path}/out.csv'", f"ATTACH '{tmp_path}/new.duckdb'"):
        with pytest.raises(QueryRefused):
            run_query(warehouse, sql)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pathlens.build.duckdb", "pathlens.duckdb",
                                                          "pathlens.duckdb.lock"]  # the publish's refresh lock
    assert warehouse.read_bytes() == before
    frame, _ = run_query(warehouse, "select count(*) as n from marts.services")
    assert frame["n"].to_list() == [11]


def test_a_file_path_as_a_table_is_not_read(warehouse: Path):
    with pytest.raises(QueryError, match="does not exist"):
        run_query(warehouse, "SELECT * FROM '/etc/passwd'")


@pytest.mark.parametrize("sql", [
    "SELECT owner, count(*) FROM marts.services GROUP BY ALL",
    "FROM marts.services SELECT service LIMIT 2",
    "DESCRIBE marts.services",
    "SUMMARIZE marts.adoption_monthly",
    "SHOW ALL TABLES",
    "EXPLAIN SELECT * FROM marts.services",
    "WITH t AS (SELECT 1 AS x) SELECT x FROM t",
    "SELECT s.service, count(r.number) FROM marts.services s LEFT JOIN marts.exception_requests r "
    "ON r.team = s.owner GROUP BY ALL",
])
def test_queries_run(shared: Path, sql: str):
    frame, truncated = run_query(shared, sql)
    assert frame.height > 0 and not truncated


def test_rows_are_capped(warehouse: Path):
    frame, truncated = run_query(warehouse, "SELECT * FROM range(25) ORDER BY range DESC", max_rows=10)
    assert frame.height == 10 and truncated
    assert frame["range"].to_list() == list(range(24, 14, -1))
    frame, truncated = run_query(warehouse, "SELECT * FROM range(10)", max_rows=10)
    assert frame.height == 10 and not truncated


def test_a_slow_query_is_interrupted_at_the_time_limit(warehouse: Path):
    started = time.perf_counter()
    with pytest.raises(QueryError, match="time limit of 0.5 s"):
        run_query(warehouse, "SELECT sum(a.range * b.range) FROM range(200000) a, range(200000) b",
                  timeout_s=0.5)
    assert time.perf_counter() - started < 5


def test_errors_are_clear(warehouse: Path):
    with pytest.raises(QueryError, match="Parser Error"):
        run_query(warehouse, "SELEC 1")
    with pytest.raises(QueryError, match='Referenced column "nope" not found'):
        run_query(warehouse, "SELECT nope FROM marts.services")
    with pytest.raises(QueryError, match="empty"):
        run_query(warehouse, "  ;  ")
    assert not issubclass(QueryError, QueryRefused) and issubclass(QueryRefused, QueryError)


def test_types_polars_cannot_take_come_as_text(warehouse: Path):
    frame, _ = run_query(warehouse, "SELECT INTERVAL 3 DAY AS gap, 1::HUGEINT AS big, "
                                    "{'a': 1} AS s, [1, 2] AS l, 1 AS x, 2 AS x")
    assert frame.columns == ["gap", "big", "s", "l", "x", "x_1"]
    assert frame["gap"].to_list() == ["3 days"]


def test_no_warehouse(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="no warehouse"):
        run_query(tmp_path / "missing.duckdb", "SELECT 1")
    assert not (tmp_path / "missing.duckdb").exists()
