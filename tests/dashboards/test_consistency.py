"""Freshness and consistency: refreshes swapping the warehouse under a running dashboard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from dashboards.lib import snapshot
from dashboards.lib.snapshot import WarehouseChanged, open_snapshot
from pipelines import WAREHOUSE_ENV as ENV_VAR
from pipelines.warehouse import WarehousePaths, connect_writer, open_reader, warehouse_version
from tests.dashboards.conftest import PAGES, run_page
from tests.dashboards.handbuilt import publish_handbuilt


def adoption_metric(at) -> str:
    return next(m.value for m in at.metric if m.label == "New-service adoption")


def test_a_refresh_between_reruns_shows_the_new_warehouse_on_every_page(warehouse: Path):
    at = run_page("overview")
    assert adoption_metric(at) == "40.0%" and "Below threshold" in at.error[0].value
    publish_handbuilt(warehouse, extra_golden_in_may=1)  # May: 3 of 6 = 50%
    at.run()
    assert not at.exception
    assert adoption_metric(at) == "50.0%"
    assert not at.error and "at or above" in at.success[0].value
    for page in PAGES[1:]:
        at.switch_page(f"views/{page}.py").run()
        assert not at.exception, (page, [e.value for e in at.exception])
    services = at.switch_page("views/services.py").run()
    assert any(c.value.startswith("12 of 12 services") for c in services.caption)


def test_a_refresh_during_a_rerun_restarts_it_on_the_new_warehouse(warehouse: Path, monkeypatch):
    at = run_page("overview")
    assert adoption_metric(at) == "40.0%"
    real_open = snapshot.open_reader
    published = []

    def open_after_a_publish(path):
        # The refresh lands after app.py read the version, before the page's loader opens it.
        if not published:
            published.append(publish_handbuilt(warehouse, extra_golden_in_may=1))
        return real_open(path)

    monkeypatch.setattr(snapshot, "open_reader", open_after_a_publish)
    at.query_params["view"] = "By month (table)"  # the tab with the monthly table (only the open one runs)
    at.switch_page("views/adoption.py").run()
    assert published and not at.exception
    monthly = at.get_by_key("table-monthly_table").dataframe[0].value
    may = monthly[monthly["month"].astype(str) == "2024-05-01"].iloc[0]
    assert (may["services_created"], may["golden_path_created"]) == (6, 3)


def test_open_snapshot_refuses_a_replaced_file(warehouse: Path):
    version = warehouse_version(warehouse)
    with open_snapshot(warehouse, version) as con:
        assert con.execute("select count(*) from marts.services").fetchone() == (11,)
    publish_handbuilt(warehouse, extra_golden_in_may=2)
    with pytest.raises(WarehouseChanged), open_snapshot(warehouse, version):
        pass


def test_readers_are_never_blocked_by_a_refresh_in_progress(warehouse: Path):
    paths = WarehousePaths.for_(warehouse)
    writer = connect_writer(paths.build)  # a refresh writing the next warehouse
    try:
        writer.execute("create or replace table marts.half_done as select 1 as x")
        at = run_page("overview")
        assert not at.exception and adoption_metric(at) == "40.0%"
        for page in PAGES[1:]:
            at.switch_page(f"views/{page}.py").run()
            assert not at.exception, page
    finally:
        writer.close()


def test_a_reader_still_open_on_the_old_file_does_not_hide_the_new_one(warehouse: Path):
    old = open_reader(warehouse)  # e.g. another session's query still running
    publish_handbuilt(warehouse, extra_golden_in_may=1)
    # DuckDB shares one instance per path in a process; open_reader must not hand out the old one
    assert adoption_metric(run_page("overview")) == "50.0%"
    with open_reader(warehouse) as new:
        assert new.execute("select count(*) from marts.services").fetchone() == (12,)
    assert old.execute("select count(*) from marts.services").fetchone() == (11,)
    old.close()


def test_stale_data_is_flagged(tmp_path: Path, monkeypatch):
    old = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=10)
    published = publish_handbuilt(tmp_path / "pathlens.duckdb", refreshed_at=old)
    monkeypatch.setenv(ENV_VAR, str(published))
    at = run_page("escape_hatches")
    assert "Stale data: the last refresh was 10 days ago" in at.warning[0].value


def test_fresh_data_says_when_it_is_from(warehouse: Path):
    at = run_page("exceptions")
    # no freshness warning; the page's own data-quality warning (a label team the hand-built
    # organisation's owners do not know) is about the labels, not about the data's age
    freshness = [w.value for w in at.warning if not w.value.startswith("Data quality:")]
    assert freshness == []
    assert any(w.value.startswith("Data quality:") for w in at.warning)
    assert "Data as of 10 Jun 2024 09:30 UTC · refreshed 2 h ago · source: demo" in [
        c.value for c in at.caption]


def test_no_warehouse_yet(tmp_path: Path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "nothing.duckdb"))
    at = run_page("overview")
    assert not at.exception
    assert "No warehouse at" in at.error[0].value and "pathlens demo" in at.error[0].value
    assert not (tmp_path / "nothing.duckdb").exists()


def test_a_warehouse_without_marts(tmp_path: Path, monkeypatch):
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    monkeypatch.setenv(ENV_VAR, str(empty))
    at = run_page("overview")
    assert not at.exception
    assert "no usable `marts` schema" in at.error[0].value
