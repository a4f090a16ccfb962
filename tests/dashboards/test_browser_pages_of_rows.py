"""Long tables sent a page at a time, and the time-to-first-deploy box drawn from SQL's
figures, in a real headless Chromium.

The hand-built warehouse (tests/dashboards/handbuilt.py, with its friction marts) gets 1,200
more DIY services, so the Services table and Friction's per-service table are longer than a
page (ui.PAGE_ROWS = 500): what the browser shows is one page with the controls to reach the
others, and the CSV holds every row. Expected figures are worked out by hand in the comments.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import pytest

from dashboards.lib.ui import PAGE_ROWS
from tests.dashboards.handbuilt import publish_handbuilt
from tests.dashboards.server import dashboard
from tests.dashboards.test_browser import (  # noqa: F401
    SETTLE_MS,
    _assert_clean,
    _screenshot_dir,
    _settle,
    browser,
    page,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EXTRA = 1_200  # added services zz-0001 … zz-1200, one repo each


@pytest.fixture(scope="module")
def long_warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """The friction hand-built warehouse with EXTRA more services; (its path, services in all)."""
    published = publish_handbuilt(tmp_path_factory.mktemp("long") / "pathlens.duckdb", friction=True)
    with duckdb.connect(str(published)) as con:
        before = con.sql("select count(*) from marts.services").fetchall()[0][0]
        model = con.sql("select * from marts.services where service = 's-worker'").pl()
        # each a copy of s-worker (DIY), created with it, reaching production after n days
        # (zz-0001 after 1 day … zz-1199 after 1,199), and zz-1200 after 5,000 days
        con.execute("""
            insert into marts.services by name
            select s.* replace (format('zz-{:04d}', r.n) as service, format('acme/zz-{:04d}', r.n) as repo)
            from (select * from marts.services where service = 's-worker') as s
            cross join range(1, $extra + 1) as r(n)""",
                    {"extra": EXTRA})
        con.execute("""
            insert into marts.time_to_first_deploy by name
            select s.service, s.repo, s.created_at, s.created_at + to_days(d.days::int) as first_production_deploy_at,
                   d.days::double as days, false as on_golden_path
            from marts.services as s
            join (select format('zz-{:04d}', n) as service, if(n = $extra, 5000, n) as days
                  from range(1, $extra + 1) as r(n)) as d using (service)""", {"extra": EXTRA})
    assert not model.is_empty()
    return published, before + EXTRA


@pytest.fixture(scope="module")
def long_url(long_warehouse, tmp_path_factory: pytest.TempPathFactory):
    with dashboard(long_warehouse[0], log=tmp_path_factory.mktemp("server") / "streamlit.log") as url:
        yield url


def _caption(tab, key: str) -> str:
    return tab.locator(f'.st-key-table-{key} [data-testid="stCaptionContainer"]').first.inner_text()


def _download(tab, key: str) -> list[dict]:
    with tab.expect_download(timeout=SETTLE_MS) as info:
        tab.locator(f'.st-key-table-{key} [data-testid="stDownloadButton"] button').click()
    return list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"))))


def test_services_come_a_page_at_a_time_and_the_csv_holds_them_all(page, long_url, long_warehouse,  # noqa: F811
                                                                    tmp_path):
    total = long_warehouse[1]
    page.goto(f"{long_url}/services")
    page.wait_for_selector('.st-key-table-services_table [data-testid="stDataFrame"]', timeout=SETTLE_MS)
    _settle(page)
    _assert_clean(page, "services")
    assert f"rows 1–{PAGE_ROWS} of {total:,}, sorted by Service" in _caption(page, "services_table")
    # the last page holds what is left: total − 2 pages of 500
    pager = page.locator(".st-key-pager-services")
    pages = -(-total // PAGE_ROWS)
    assert f"Page (of {pages})" in pager.inner_text()
    field = pager.locator('[data-testid="stNumberInput"] input')
    field.fill(str(pages))
    field.press("Enter")
    page.wait_for_function(
        f"() => document.querySelector('.st-key-table-services_table').innerText.includes('rows {(pages - 1) * PAGE_ROWS + 1:,}')",
        timeout=SETTLE_MS)
    _settle(page)
    assert f"rows {(pages - 1) * PAGE_ROWS + 1:,}–{total:,} of {total:,}" in _caption(page, "services_table")
    page.screenshot(path=str(_screenshot_dir(tmp_path) / "services_paged.png"))
    # every service is in the CSV, each once, whatever page is shown
    rows = _download(page, "services_table")
    assert len(rows) == total and len({(r["service"], r["repo"]) for r in rows}) == total
    assert {f"zz-{n:04d}" for n in (1, 600, EXTRA)} <= {r["service"] for r in rows}
    _assert_clean(page, "services, last page")


def test_friction_draws_the_box_from_sql_and_pages_its_table(page, long_url, long_warehouse, tmp_path):  # noqa: F811
    page.goto(f"{long_url}/friction")
    page.wait_for_selector(".st-key-ttfd .js-plotly-plot .main-svg", timeout=SETTLE_MS)
    _settle(page)
    _assert_clean(page, "friction")
    traces = page.evaluate("""() => document.querySelector('.st-key-ttfd .js-plotly-plot').data.map(
        t => ({type: t.type, name: t.name, x: t.x, y: t.y || null, text: t.text || null, q1: t.q1 || null,
               median: t.median || null, q3: t.q3 || null, lo: t.lowerfence || null, hi: t.upperfence || null}))""")
    boxes = {t["name"]: t for t in traces if t["type"] == "box"}
    # golden path: s-api alone, 3.5 days (handbuilt.py) — the box is that value
    assert [boxes["Golden path"][k] for k in ("q1", "median", "q3", "lo", "hi")] == [[3.5]] * 5
    # DIY: s-worker (20 days) and zz-0001 … zz-1199 (1 … 1,199 days) and zz-1200 (5,000): 1,201
    # values; sorted, index i holds i + 1 up to 19, 20 at 20 (s-worker's), i from 21 to 1,199
    # and 5,000 at 1,200. Quartiles at indexes 1,200 × (¼, ½, ¾) = 300, 600, 900 → 300, 600,
    # 900; whiskers within 1.5 × 600 of the box, [-600, 1,800]: 1 and 1,199; 5,000 an outlier
    diy = boxes["DIY"]
    assert [diy[k] for k in ("q1", "median", "q3", "lo", "hi")] == [[300], [600], [900], [1], [1199]]
    assert diy["x"] == ["DIY (1,201 services)"]
    points = [t for t in traces if t["type"] == "scatter"]
    assert [(p["y"], p["text"]) for p in points] == [([5000], ["zz-1200"])]
    # the per-service table: slowest first, a page of it, the CSV complete
    page.get_by_text("Time to first deploy, per service").click()
    page.wait_for_selector('.st-key-table-ttfd_table [data-testid="stDataFrame"]', timeout=SETTLE_MS)
    _settle(page)
    shown = duckdb.connect(str(long_warehouse[0]), read_only=True).sql(
        "select count(*) from marts.time_to_first_deploy").fetchall()[0][0]  # every service is in the period
    assert f"Rows 1–{PAGE_ROWS} of {shown:,}, sorted by" in _caption(page, "ttfd_table")
    assert "(descending)" in _caption(page, "ttfd_table")
    page.locator(".st-key-ttfd").screenshot(path=str(_screenshot_dir(tmp_path) / "friction_ttfd_box.png"))
    page.locator(".st-key-table-ttfd_table").screenshot(path=str(_screenshot_dir(tmp_path) / "friction_ttfd_paged.png"))
    rows = _download(page, "ttfd_table")
    assert len(rows) == shown
    assert rows[0]["service"] == "zz-1200"  # the CSV in the page's order: 5,000 days first
    _assert_clean(page, "friction table")
