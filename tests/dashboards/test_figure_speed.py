"""Issue 14 speed: the dashboard's figures are built once per distinct input, named by their
contents, and styled as Plotly's "plotly_white" from a template cut to what they use."""

from __future__ import annotations

import inspect
from datetime import date

import plotly.graph_objects as go
import plotly.io as pio
import polars as pl

from dashboards.lib.figures import charts as cached
from pipelines import chart_template, charts


def _trend(adoption: float) -> pl.DataFrame:
    return pl.DataFrame({
        "month": [date(2024, 1, 1), date(2024, 2, 1)], "services_created": [4, 2],
        "golden_path_created": [3, 1], "new_service_adoption": [0.75, adoption],
        "services_total": [4, 6], "golden_path_total": [3, 4], "overall_adoption": [0.75, 4 / 6]})


def test_the_same_input_is_the_same_figure_and_other_input_another():
    first = cached.adoption_trend(_trend(0.5), threshold=0.5, title="t")
    again = cached.adoption_trend(_trend(0.5), threshold=0.5, title="t")  # equal data, a new frame
    assert again is first
    # the builder's figure with its template written in, named by a digest of its contents
    # (layout.datarevision)
    built = chart_template.bake(charts.adoption_trend(_trend(0.5), threshold=0.5, title="t")).to_dict()
    cached_dict = first.to_dict()
    revision = cached_dict["layout"].pop("datarevision")
    assert cached_dict == built and len(revision) == 32
    # one value differs in the 8th decimal place: another figure, drawing that value
    other = cached.adoption_trend(_trend(0.50000001), threshold=0.5, title="t")
    assert other is not first and other.data[0].y[1] == 0.50000001
    assert other.layout.datarevision != revision  # other data: Plotly.react redraws it
    assert cached.adoption_trend(_trend(0.5), threshold=0.6, title="t") is not first
    # helpers and constants are the module's own, not cached
    assert cached.plain is charts.plain and cached.GOLDEN == charts.GOLDEN


def test_every_builder_goes_through_the_cache():
    builders = [n for n, f in vars(charts).items() if inspect.isfunction(f) and not n.startswith("_")
                and f.__module__ == charts.__name__ and f.__annotations__.get("return") == "go.Figure"]
    assert len(builders) >= 19
    assert all(getattr(cached, n) is not getattr(charts, n) for n in builders)


def test_the_template_is_plotly_white_for_every_trace_type_drawn():
    white = pio.templates["plotly_white"].to_plotly_json()
    ours = charts.TEMPLATE.to_plotly_json()
    # the layout settings kept are plotly_white's, and only polar/3-D/map ones are left out
    assert {k: white["layout"][k] for k in ours["layout"]} == ours["layout"]
    assert set(white["layout"]) - set(ours["layout"]) <= {"polar", "ternary", "scene", "geo", "mapbox", "map"}
    for kind in charts.TRACE_TYPES:
        assert ours["data"].get(kind) == white["data"].get(kind)
    # every trace a builder draws is one of those types
    figures = [charts.adoption_trend(_trend(0.5), threshold=0.5), charts.services_created(_trend(0.5)),
               charts.adoption_heatmap(pl.DataFrame({"month": [date(2024, 1, 1)], "team": ["a"], "services_created": [1],
                                                     "golden_path_created": [1], "new_service_adoption": [1.0]}),
                                       group="team", group_label="Team"),
               charts.time_to_first_deploy(pl.DataFrame({
                   "on_golden_path": [True], "services": [5], "q1": [1.0], "median": [2.0], "q3": [3.0],
                   "lower_fence": [1.0], "upper_fence": [4.0],
                   "outliers": [[{"service": "s", "repo": "acme/s", "days": 9.0}]]})),
               charts.escape_hatch_reasons(pl.DataFrame({
                   "position": [1], "kind": ["gpu"], "reason": ["gpu"], "declared_text": [None],
                   "escape_hatch_services": [2], "declared_texts": [None]}))]
    for fig in figures:
        assert fig.layout.template == charts.TEMPLATE  # a report's figure keeps it
        # the dashboard writes it into the figure (pipelines/chart_template.py; drawn pixel for
        # pixel as with it: test_chart_margins.py), so Plotly.react never sees a copied template
        baked = chart_template.bake(go.Figure(fig))
        assert "template" not in baked.to_dict()["layout"]
        assert baked.layout.paper_bgcolor == "white" and baked.layout.xaxis.gridcolor == "#EBF0F8"
        assert {trace.type for trace in fig.data} <= set(charts.TRACE_TYPES)
    assert len(charts.TEMPLATE.to_plotly_json().__repr__()) < len(repr(white)) * 0.7
