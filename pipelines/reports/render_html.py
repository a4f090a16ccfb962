"""The report as one self-contained HTML file: Plotly's JavaScript embedded once, no network needed.

The page is a Jinja2 template with autoescape on, so every value it prints is HTML-escaped
unless marked safe; only three things are: Plotly's own library, and the figure snippets
Plotly writes (its JSON escapes `<`, `>` and `/`, and the chart builders pass repository
strings through `charts.plain` so Plotly shows them as text).
"""

from __future__ import annotations

import functools
from datetime import timedelta

import plotly.io as pio
import plotly.offline
import polars as pl
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from pipelines import charts
from pipelines.reports import format as fmt
from pipelines.reports.data import ReportData
from pipelines.reports.render_text import (
    HATCH_HEADER,
    MAINTENANCE_HEADER,
    hatch_rows,
    hatches_not_listed,
    headlines,
    maintenance_rows,
)

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}


@functools.cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("pipelines.reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@functools.cache
def _plotly_js() -> Markup:
    return Markup(plotly.offline.get_plotlyjs())


def _figure(fig) -> Markup:
    return Markup(pio.to_html(fig, full_html=False, include_plotlyjs=False, config=PLOTLY_CONFIG))


def figures(data: ReportData) -> dict[str, Markup]:
    """The report's charts, built by the shared chart builders, as HTML snippets."""
    teams = pl.DataFrame(data.worst_teams, schema={
        "owner": pl.String, "services_created": pl.Int64, "golden_path_created": pl.Int64,
        "new_service_adoption": pl.Float64,
    })
    start, end = data.team_window
    return {
        "adoption": _figure(charts.adoption_trend(data.adoption_monthly, threshold=data.threshold)),
        "teams": _figure(charts.adoption_by_group(
            teams, group="owner", group_label="Team", threshold=data.threshold,
            title=f"Teams below the threshold, {start:%d %b} – {end - timedelta(days=1):%d %b %Y}")),
        "exceptions": _figure(charts.exception_requests_monthly(data.exceptions_monthly)),
    }


def render_html(data: ReportData) -> str:
    """The whole HTML page."""
    friction = [
        (r, [fmt.value("ratio", r["failure_rate"]),
             fmt.change("ratio", r["failure_rate_change"]),
             fmt.value("seconds", r["median_duration_s"]),
             fmt.change("seconds", r["median_duration_s_change"])])
        for r in data.friction
    ]
    return _environment().get_template("report.html.j2").render(
        data=data,
        period=data.period,
        previous=data.previous,
        summary=[(row, fmt.row_cells(row)) for row in data.summary],
        headlines=headlines(data, str),  # plain text: the template escapes it
        friction=friction,
        maintenance=maintenance_rows(data),
        maintenance_header=MAINTENANCE_HEADER,
        hatch_rows=hatch_rows(data),
        hatch_header=HATCH_HEADER,
        hatches_not_listed=hatches_not_listed(data),
        charts=figures(data),
        team_window_last=data.team_window[1] - timedelta(days=1),
        plotly_js=_plotly_js(),
    )
