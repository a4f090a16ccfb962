"""Write, audit, publish: a refresh whose blocking check fails leaves readers' warehouse alone."""

from __future__ import annotations

from datetime import datetime

import dagster as dg
import duckdb
import polars as pl

from pipelines.raw_schema import RAW_TABLES
from pipelines.resources import PathlensResource
from pipelines.runner import run_refresh
from pipelines.warehouse import WarehousePaths, connect_writer, upsert, writer

CONFIG = """
warehouse: {warehouse}
github: {{org: acme}}
golden_paths: [{{name: go-service, ref: template:default/go-service}}]
exceptions: {{repos: [acme/platform]}}
"""

CATALOG = """apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: svc}
spec: {type: service, owner: team-a}
"""


def issue(number: int, created: str, closed: str | None) -> dict:
    return {
        "repo": "acme/platform", "number": number, "title": "need GPU", "state": "closed" if closed else "open",
        "created_at": datetime.fromisoformat(created),
        "closed_at": datetime.fromisoformat(closed) if closed else None,
        "labels": ["golden-path-exception"], "is_pull_request": False,
    }


def setup_org(tmp_path):
    warehouse = tmp_path / "data" / "pathlens.duckdb"
    config = tmp_path / "pathlens.yaml"
    config.write_text(CONFIG.format(warehouse=warehouse))
    paths = WarehousePaths.for_(warehouse)
    with writer(paths.build) as con:
        upsert(con, RAW_TABLES["repos"], pl.DataFrame([{
            "repo": "acme/svc", "name": "svc", "created_at": datetime(2026, 1, 5), "archived": False, "fork": False}]))
        upsert(con, RAW_TABLES["repo_files"], pl.DataFrame([{"repo": "acme/svc", "path": "catalog-info.yaml", "content": CATALOG}]))
        upsert(con, RAW_TABLES["issues"], pl.DataFrame([issue(1, "2026-02-01T00:00:00", "2026-02-03T00:00:00")]))
    return PathlensResource(config_path=str(config), as_of="2026-04-15T12:00:00"), paths


def refresh(resource):
    # sources are not selected: the raw tables above stand in for what they fetched
    return run_refresh(resource, selection="not group:sources and not group:reports", instance=dg.DagsterInstance.ephemeral())


def published_requests(paths) -> list[tuple]:
    with duckdb.connect(str(paths.published), read_only=True) as con:
        return con.sql("select number, days_to_close from marts.exception_requests").fetchall()


def test_failing_blocking_check_leaves_the_published_warehouse_untouched(tmp_path):
    resource, paths = setup_org(tmp_path)
    first = refresh(resource)
    assert first.success and first.published, first
    assert published_requests(paths) == [(1, 2.0)]
    before = paths.published.read_bytes()

    # a hostile record: closed before it was opened → the exception_requests check fails
    with writer(paths.build) as con:
        upsert(con, RAW_TABLES["issues"], pl.DataFrame([issue(2, "2026-03-10T00:00:00", "2026-03-01T00:00:00")]))
    second = refresh(resource)

    assert not second.success and not second.published
    assert second.failed_checks == ["exception_requests__unique_request"]
    assert paths.published.read_bytes() == before  # byte for byte what readers had
    assert published_requests(paths) == [(1, 2.0)]


def test_a_second_refresh_of_the_same_data_changes_nothing(tmp_path):
    resource, paths = setup_org(tmp_path)
    assert refresh(resource).success

    def marts_content() -> dict[str, list]:
        with duckdb.connect(str(paths.published), read_only=True) as con:
            tables = [r[0] for r in con.sql(
                "select table_name from information_schema.tables where table_schema = 'marts' order by 1").fetchall()]
            return {t: con.sql(f"select * from marts.{t} order by all").fetchall()
                    for t in tables if t != "refresh_info"}

    first = marts_content()
    assert refresh(resource).success
    assert marts_content() == first
    assert first["services"] and first["exception_requests"]


def test_the_demo_without_a_date_is_the_same_organisation_for_every_asset_of_a_day():
    first = PathlensResource(demo=True, demo_scale="tiny").refresh_as_of()
    again = PathlensResource(demo=True, demo_scale="tiny").refresh_as_of()
    assert first == again
    assert (first.hour, first.minute, first.second, first.microsecond) == (0, 0, 0, 0)


def test_a_warehouse_from_before_a_new_raw_column_gets_it_on_open(tmp_path):
    """raw.fetch_log gained `points` (GraphQL): a file written before keeps its rows, and the
    column is appended, so loads (which insert by position) line up with the declaration."""
    path = tmp_path / "old.duckdb"
    old = duckdb.connect(str(path))
    old.execute("CREATE SCHEMA raw")
    old.execute("CREATE TABLE raw.fetch_log (refresh_id VARCHAR, source VARCHAR, endpoint VARCHAR, requests BIGINT, "
                "not_modified BIGINT, retries BIGINT, rate_limit_waits BIGINT, wait_s DOUBLE, bytes BIGINT, "
                "recorded_at TIMESTAMP)")
    old.execute("INSERT INTO raw.fetch_log VALUES ('r0', 'github', 'GET /x', 3, 1, 0, 0, 0, 10, '2025-01-01')")
    old.close()
    con = connect_writer(path)
    try:
        columns = [c for (c,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'raw' AND table_name = 'fetch_log' "
            "ORDER BY column_index").fetchall()]
        assert columns == list(RAW_TABLES["fetch_log"].columns)
        assert con.execute("SELECT requests, points FROM raw.fetch_log").fetchall() == [(3, None)]
    finally:
        con.close()


def test_a_retired_raw_column_is_dropped_on_open(tmp_path):
    """raw.refreshes.finished_at was declared but never written: a file that has it loses it,
    keeps its rows, and takes new refreshes (inserted by position) again."""
    path = tmp_path / "old.duckdb"
    old = duckdb.connect(str(path))
    old.execute("CREATE SCHEMA raw")
    old.execute("CREATE TABLE raw.refreshes (refresh_id VARCHAR, source VARCHAR, as_of TIMESTAMP, "
                "started_at TIMESTAMP, finished_at TIMESTAMP)")
    old.execute("INSERT INTO raw.refreshes VALUES ('r0', 'demo', '2025-01-01', '2025-01-01 10:00', NULL)")
    old.close()
    con = connect_writer(path)
    try:
        columns = [c for (c,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'raw' AND table_name = 'refreshes' "
            "ORDER BY column_index").fetchall()]
        assert columns == ["refresh_id", "source", "as_of", "started_at"] == list(RAW_TABLES["refreshes"].columns)
        upsert(con, RAW_TABLES["refreshes"], pl.DataFrame({
            "refresh_id": ["r1"], "source": ["demo"], "as_of": [datetime(2025, 2, 1)],
            "started_at": [datetime(2025, 2, 1, 10)]}))
        assert con.execute("SELECT refresh_id FROM raw.refreshes ORDER BY 1").fetchall() == [("r0",), ("r1",)]
    finally:
        con.close()

