"""The pages on the demo organisation's real warehouse, checked against the marts' own numbers."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipelines.warehouse import open_reader
from tests.dashboards.conftest import PAGES, run_page

pytestmark = pytest.mark.slow


@pytest.fixture
def demo(demo_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PATHLENS_WAREHOUSE", str(demo_warehouse))
    return demo_warehouse


def _mart(path: Path, sql: str) -> pl.DataFrame:
    with open_reader(path) as con:
        return con.sql(sql).pl()


def _busiest_team(path: Path) -> str:
    return _mart(path, "select owner from marts.services where owner is not null "
                       "group by owner order by count(*) desc, owner limit 1").item()


@pytest.mark.parametrize("page", PAGES)
def test_every_page_on_the_demo(demo: Path, page: str):
    for params in ({}, {"team": _busiest_team(demo)}, {"language": "go"}):
        at = run_page(page, params)
        assert not at.exception, (page, params, [e.value for e in at.exception])


def test_overview_matches_the_adoption_marts(demo: Path):
    month = _mart(demo, "select last_complete_month from marts.refresh_info").item()
    row = _mart(demo, "select * from marts.adoption_monthly where month = "
                      "(select last_complete_month from marts.refresh_info)").row(0, named=True)
    at = run_page("overview")
    values = {m.label: m.value for m in at.metric}
    assert at.subheader[0].value == f"{month:%B %Y}, the last complete month"
    # every card's percentage has one decimal, like the rest of the dashboard
    assert values["New-service adoption"] == f"{row['new_service_adoption']:.1%}"
    assert values["Overall adoption"] == f"{row['overall_adoption']:.1%}"
    summary = _mart(demo, "select * from marts.escape_hatch_summary").row(0, named=True)
    assert values["Escape-hatch rate"] == f"{summary['escape_hatch_rate']:.1%}"


def test_a_team_filter_matches_the_by_team_mart(demo: Path):
    team = _busiest_team(demo)
    expected = _mart(demo, f"""
        select month, services_created, golden_path_created, services_total, golden_path_total
        from marts.adoption_monthly_by_team where owner = '{team.replace("'", "''")}'
        order by month""")  # noqa: S608 - a test's own fixture value
    at = run_page("adoption", {"team": team, "view": "By month (table)"})
    shown = pl.from_pandas(at.get_by_key("table-monthly_table").dataframe[0].value)
    shown = shown.filter(pl.col("month").cast(pl.Date) >= expected["month"].min()).select(
        pl.col("month").cast(pl.Date), *expected.columns[1:])
    assert shown.to_dicts() == expected.with_columns(
        [pl.col(c).cast(shown.schema[c]) for c in expected.columns[1:]]).to_dicts()
