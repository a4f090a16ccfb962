"""The report's charts are the dashboard's own builders in the dashboard's own style, and a
previous value the warehouse knows is written, never left as a dash (issue 14 item 4)."""

from __future__ import annotations

import json

import pytest

from pipelines import charts
from pipelines.reports.format import row_cells
from pipelines.reports.render_html import figures
from pipelines.reports.write import load_report_data
from tests.reports.conftest import settings


@pytest.fixture(scope="module")
def month(org):
    return load_report_data(org, "month", settings())


def _figure_json(snippet: str) -> dict:
    """The figure Plotly's HTML snippet draws (its `Plotly.newPlot(id, data, layout, …)` call)."""
    start = snippet.index("Plotly.newPlot(")
    decoder = json.JSONDecoder()
    rest = snippet[start + len("Plotly.newPlot("):]
    rest = rest[rest.index(",") + 1:].lstrip()
    data, end = decoder.raw_decode(rest)
    layout, _ = decoder.raw_decode(rest[end:].lstrip(", \n"))
    return {"data": data, "layout": layout}


def test_report_charts_use_the_dashboard_palette_font_and_axes(month):
    adoption = _figure_json(figures(month)["adoption"])
    same = json.loads(charts.adoption_trend(month.adoption_monthly, threshold=month.threshold).to_json())
    assert adoption["layout"]["font"] == same["layout"]["font"] == charts.FONT
    assert adoption["data"][0]["line"]["color"] == charts.GOLDEN
    assert [t.get("name") for t in adoption["data"]] == [t.get("name") for t in same["data"]]
    assert adoption["layout"]["xaxis"]["tickvals"] == same["layout"]["xaxis"]["tickvals"]  # monthly ticks
    assert adoption["layout"]["colorway"] == list(charts.GOLDEN_SHADES)  # not Plotly's default colours
    assert "#636efa" not in json.dumps(adoption["data"])


def test_a_known_previous_value_is_written_out(month):
    # March had no escape hatch at its end (tests/reports/conftest.py): 0, a value, not "–"
    row = next(r for r in month.summary if r.metric == "escape_hatch_services")
    assert row.previous == 0
    assert row_cells(row) == ("1", "0", "+1")
