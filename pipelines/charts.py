"""Pure figure builders: a Polars frame of a mart (or a query on one) in, a Plotly figure out.

Shared by the dashboard and the reports, so nothing here knows about Streamlit, files or the
warehouse. Each builder documents the columns it reads; they are the `marts` column names.

Plotly draws a subset of HTML in every text it renders (titles, tick labels, legends, hover
labels: `<a href>`, `<b>`, `<br>` ...). Team, service, template and language names come from
repositories, so every such string passes through `plain` before it reaches a figure: it is
shown as the characters it is, never interpreted.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
import polars as pl
from plotly.subplots import make_subplots

from pipelines import chart_margins

# One palette, Okabe & Ito's, whose colours stay apart under every common colour-vision
# deficiency; and wherever meaning depends on colour, a second signal too (a pattern, a marker
# shape or a dash). The golden path is always GOLDEN (blue), DIY always DIY (orange, hatched).
BLUE, ORANGE, VERMILLION, SKY = "#0072B2", "#E69F00", "#D55E00", "#56B4E9"
GREEN, PURPLE, GREY, INK = "#009E73", "#CC79A7", "#999999", "#333333"
GOLDEN = BLUE
DIY = ORANGE
ALERT = VERMILLION
NEUTRAL = GREY
OPENED = PURPLE
CLOSED = GREEN
DIY_PATTERN = "/"  # DIY bars are hatched as well as orange
ALERT_PATTERN = "x"  # bars below the threshold (or stale) are cross-hatched as well as red
ALERT_SYMBOL = "triangle-down"  # points below the threshold are triangles as well as red
# golden paths among themselves: shades of the golden blue, told apart by pattern
GOLDEN_SHADES = (BLUE, SKY, "#004b75", "#8fc9ea", "#2a8fc9", "#00345a")
GOLDEN_PATTERNS = ("", ".", "\\", "+", "-", "|")
SEQUENTIAL = "Cividis"  # heatmaps: readable in grey and with any colour-vision deficiency
FONT = {"family": "Source Sans Pro, Helvetica, Arial, sans-serif", "size": 13, "color": INK}
NONE_LABEL = "(none)"
# a heatmap's colour bar 20 px right of the plot, whatever its width (Plotly's default, 2% of the
# plot's width further right, makes the margin it needs depend on the width: unknown until drawn)
COLORBAR_PLACE = {"x": 1, "xanchor": "left", "xpad": 20}
# Plotly's "plotly_white" style, cut to what these figures use: its layout without the polar,
# ternary, 3-D and map settings, and its defaults for the trace types drawn here. Each figure
# carries (and validates, and sends to the browser) its whole template; this one is half the
# size, and draws these figures exactly as "plotly_white" does.
TRACE_TYPES = ("bar", "box", "heatmap", "scatter")
_WHITE = pio.templates["plotly_white"]
TEMPLATE = go.layout.Template(
    layout={k: v for k, v in _WHITE.layout.to_plotly_json().items()
            if k not in ("polar", "ternary", "scene", "geo", "mapbox", "map")},
    data={t: getattr(_WHITE.data, t) for t in TRACE_TYPES if getattr(_WHITE.data, t)},
)


def _finished(builder: Callable[..., go.Figure]) -> Callable[..., go.Figure]:
    """`builder` with its figure's margins fitted to its text (`chart_margins.fit`: Plotly drew
    a figure, grew margins that were too small and drew it again). The dashboard also writes
    the template into each figure it shows (`dashboards/lib/figures.py`, for Streamlit's
    Plotly.react); a report's figure, drawn once by Plotly.newPlot, keeps its template."""
    @functools.wraps(builder)
    def build(*args: Any, **kwargs: Any) -> go.Figure:
        return chart_margins.fit(builder(*args, **kwargs))
    return build


def plain(value: Any) -> str:
    """`value` as text Plotly will display literally (HTML special characters escaped)."""
    if value is None:
        return NONE_LABEL
    return html.escape(str(value), quote=False)


def _plain_all(values: Iterable[Any]) -> list[str]:
    return [plain(v) for v in values]


def _month_label(value: date | datetime | None) -> str:
    return value.strftime("%b %Y") if value is not None else ""


def _layout(fig: go.Figure, *, title: str, x_title: str | None, y_title: str | None,
            y_percent: bool = False, height: int = 400) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "yref": "container", "y": 0.98,
               "yanchor": "top"},
        template=TEMPLATE,
        font=FONT,
        colorway=list(GOLDEN_SHADES),
        height=height,
        margin={"l": 60, "r": 20, "t": 110, "b": 50},
        # between the title and the plot, where it never meets an axis title
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
        hoverlabel={"namelength": -1},
    )
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text=y_title)
    if y_percent:
        fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return fig


def _empty(title: str, message: str = "No data for the selected filters") -> go.Figure:
    """A titled, axis-less figure that says there is nothing to draw (instead of a blank box)."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                       font={"size": 14, "color": NEUTRAL})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title=title, x_title=None, y_title=None, height=260)


def _col(frame: pl.DataFrame, name: str) -> list[Any]:
    return frame.get_column(name).to_list()


def _first_of_month(value: date | datetime) -> date:
    day = value.date() if isinstance(value, datetime) else value
    return day.replace(day=1)


def _add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def _months_apart(a: date, b: date) -> int:
    """How many months `b` is after `a` (both first days of months)."""
    return (b.year - a.year) * 12 + b.month - a.month


def month_spine(first: date | datetime, last: date | datetime) -> list[date]:
    """Every first-of-month from `first`'s month through `last`'s (a time axis with no gaps)."""
    months, month, end = [], _first_of_month(first), _first_of_month(last)
    while month <= end:
        months.append(month)
        month = _add_months(month, 1)
    return months


def _month_axis(fig: go.Figure, months: Iterable[Any], *, x_range: tuple[date, date] | None = None,
                partial_month: date | None = None, max_ticks: int = 12) -> go.Figure:
    """A monthly time axis: ticks on months (every 1, 2, 3, 6 or 12 so that at most `max_ticks`
    show: fewer for a chart narrowed by a second y axis), the range from `x_range` (so related
    charts line up) or the data, half a month either side; `partial_month`, when shown, is shaded
    and its tick says it is not over (replacing regular ticks too close to fit beside it)."""
    shown = [_first_of_month(m) for m in months if m is not None]
    if x_range is not None:
        first, last = _first_of_month(x_range[0]), _first_of_month(x_range[1])
    elif shown:
        first, last = min(shown), max(shown)
    else:
        return fig
    spine = month_spine(first, last)
    step = next(s for s in (1, 2, 3, 6, 12, 24) if len(spine) / s <= max_ticks)
    ticks = spine[::step]
    partial = _first_of_month(partial_month) if partial_month is not None else None
    if partial is not None and first <= partial <= last and partial not in ticks:
        ticks = [m for m in ticks if abs(_months_apart(m, partial)) >= step] + [partial]
    # "Nov", the year under the first tick and wherever it changes, "(so far)" on a line of its
    # own: short enough never to tilt
    text = [f"{m:%b}" + (f"<br>{m:%Y}" if i == 0 or m.year != ticks[i - 1].year else "")
            + ("<br>(so far)" if m == partial else "")
            for i, m in enumerate(ticks)]
    fig.update_xaxes(type="date", tickmode="array", tickvals=ticks, ticktext=text,
                     range=[first - timedelta(days=15), last + timedelta(days=15)])
    if partial is not None and first <= partial <= last:
        fig.add_vrect(x0=partial - timedelta(days=15), x1=partial + timedelta(days=15),
                      fillcolor=GREY, opacity=0.15, line_width=0, layer="below")
    return fig


def _whole_numbers(fig: go.Figure, values: Iterable[Any], axis: str = "y", most: int = 8, **where: Any) -> None:
    """Ticks of a count axis on whole numbers (no '0.5 services'), at most about `most` of them."""
    top = max((v for v in values if v is not None), default=0)
    step = (next(s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000) if top / s <= most)
            if top <= 1000 * most else None)
    update = fig.update_xaxes if axis == "x" else fig.update_yaxes
    # an explicit linear step from 0: an overlaying axis left to itself may tick where the other
    # axis does (0.91, 1.81, ... services)
    ticks = {"tickmode": "linear", "tick0": 0, "dtick": step} if step else {}
    update(rangemode="tozero", tickformat=",d", **ticks, **where)


def _right_axis_at_edge(fig: go.Figure) -> None:
    """A second y axis on the plot's right edge, its labels and title in the right margin
    (make_subplots ends the plot at 94% of the width, so the margin they need depended on it)."""
    fig.update_xaxes(domain=[0, 1])


def _threshold_legend(fig: go.Figure, threshold: float) -> None:
    """A legend entry for the threshold line, so its label never sits on the data."""
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=f"Threshold {threshold:.0%}",
                             line={"color": INK, "dash": "dash", "width": 1}, hoverinfo="skip"))


@_finished
def adoption_trend(monthly: pl.DataFrame, *, threshold: float | None,
                   title: str = "New-service adoption by month",
                   x_range: tuple[date, date] | None = None, partial_month: date | None = None) -> go.Figure:
    """Monthly new-service adoption (points below the threshold red triangles) and overall
    adoption, with the threshold as a dashed line named in the legend.

    Reads `month`, `services_created`, `golden_path_created`, `new_service_adoption`,
    `services_total`, `golden_path_total`, `overall_adoption` (marts.adoption_monthly).
    Months without new services have no adoption point; the line skips them.
    """
    if monthly.is_empty():
        return _empty(title)
    months = _col(monthly, "month")
    adoption = _col(monthly, "new_service_adoption")
    below = [threshold is not None and a is not None and a < threshold for a in adoption]
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=months, y=adoption, name="New services from a golden path", mode="lines+markers",
        line={"color": GOLDEN, "width": 2},
        marker={"color": [ALERT if b else GOLDEN for b in below], "size": [11 if b else 8 for b in below],
                "symbol": [ALERT_SYMBOL if b else "circle" for b in below]},
        customdata=list(zip(_col(monthly, "golden_path_created"), _col(monthly, "services_created"),
                            strict=True)),
        hovertemplate="%{x|%b %Y}: %{y:.0%} of new services<br>"
                      "(%{customdata[0]} of %{customdata[1]} created)<extra></extra>",
    ))
    fig.add_trace(go.Scatter(
        x=months, y=_col(monthly, "overall_adoption"), name="All services on a golden path",
        mode="lines", line={"color": NEUTRAL, "dash": "dot"},
        customdata=list(zip(_col(monthly, "golden_path_total"), _col(monthly, "services_total"),
                            strict=True)),
        hovertemplate="End of %{x|%b %Y}: %{y:.0%} of all services<br>"
                      "(%{customdata[0]} of %{customdata[1]})<extra></extra>",
    ))
    if threshold is not None:
        fig.add_hline(y=threshold, line={"color": INK, "dash": "dash", "width": 1}, layer="below")
        _threshold_legend(fig, threshold)
    _layout(fig, title=title, x_title="Month created", y_title="Share of services", y_percent=True)
    fig.update_yaxes(range=[0, 1.05])
    return _month_axis(fig, months, x_range=x_range, partial_month=partial_month)


@_finished
def services_created(monthly: pl.DataFrame, *, title: str = "Services created per month",
                     x_range: tuple[date, date] | None = None, partial_month: date | None = None) -> go.Figure:
    """Stacked bars per month: new services from a golden path and the rest.

    Reads `month`, `services_created`, `golden_path_created`.
    """
    if monthly.is_empty():
        return _empty(title)
    months = _col(monthly, "month")
    golden = _col(monthly, "golden_path_created")
    other = [c - g for c, g in zip(_col(monthly, "services_created"), golden, strict=True)]
    fig = go.Figure([
        go.Bar(x=months, y=golden, name="From a golden path", marker_color=GOLDEN,
               hovertemplate="%{x|%b %Y}: %{y} from a golden path<extra></extra>"),
        go.Bar(x=months, y=other, name="Not from a golden path",
               marker={"color": DIY, "pattern": {"shape": DIY_PATTERN}},
               hovertemplate="%{x|%b %Y}: %{y} not from a golden path<extra></extra>"),
    ])
    fig.update_layout(barmode="stack")
    _layout(fig, title=title, x_title="Month created", y_title="Services created")
    _whole_numbers(fig, _col(monthly, "services_created"))
    return _month_axis(fig, months, x_range=x_range, partial_month=partial_month)


@_finished
def adoption_heatmap(frame: pl.DataFrame, *, group: str, group_label: str,
                     title: str | None = None, x_range: tuple[date, date] | None = None,
                     partial_month: date | None = None) -> go.Figure:
    """Heatmap of new-service adoption, one row per `group` value and one column per month.

    Reads `month`, `group`, `services_created`, `golden_path_created`, `new_service_adoption`.
    Every month of `x_range` (else of the data) has a column; a cell is empty when the group
    created no service that month (never painted like its neighbour).
    """
    title = title or f"New-service adoption by {group_label.lower()} and month"
    if frame.is_empty():
        return _empty(title)
    seen = _col(frame, "month")
    months = month_spine(*(x_range or (min(seen), max(seen))))
    groups = sorted({g for g in _col(frame, group)}, key=lambda g: (g is None, str(g)))
    index = {(row["month"], row[group]): row for row in frame.iter_rows(named=True)}
    z, hover = [], []
    for g in groups:
        z_row, h_row = [], []
        for m in months:
            row = index.get((m, g))
            created = row["services_created"] if row else 0
            z_row.append(row["new_service_adoption"] if row else None)
            h_row.append(
                f"{plain(g)} · {_month_label(m)}<br>"
                + (f"{row['golden_path_created']} of {created} new services from a golden path"
                   if created else "no services created")
            )
        z.append(z_row)
        hover.append(h_row)
    labels = _plain_all(groups)
    fig = go.Figure(go.Heatmap(  # its hover text is the points' (below): the heatmap has none
        x=months, y=labels, z=z, hoverinfo="skip",
        zmin=0, zmax=1, colorscale=SEQUENTIAL, hoverongaps=False, xgap=1, ygap=1,
        colorbar={"title": {"text": "Adoption"}, "tickformat": ".0%", **COLORBAR_PLACE},
    ))
    # A heatmap answers no click selection (plotly.js gives it none), so an invisible point sits
    # on every cell: it carries the cell's hover text and, last in its customdata, the group's
    # raw value, which a click picks.
    cells = [(m, label, g, h_row[j]) for label, g, h_row in zip(labels, groups, hover, strict=True)
             for j, m in enumerate(months)]
    fig.add_trace(go.Scatter(
        x=[c[0] for c in cells], y=[c[1] for c in cells], mode="markers",
        marker={"size": 14, "symbol": "square", "color": "rgba(0,0,0,0)"},
        selected={"marker": {"opacity": 0}}, unselected={"marker": {"opacity": 0}},
        text=[c[3] for c in cells], customdata=[[c[2]] for c in cells],
        hovertemplate="%{text}<extra></extra>", showlegend=False, name="",
    ))
    fig.update_yaxes(type="category", autorange="reversed")
    _layout(fig, title=title, x_title="Month created (blank: no services created)", y_title=group_label,
            height=max(320, 120 + 22 * len(groups)))
    # the nearest cell's point answers wherever the pointer is in the plot
    fig.update_layout(plot_bgcolor="white", hovermode="closest", hoverdistance=-1)
    return _month_axis(fig, months, x_range=(months[0], months[-1]), partial_month=partial_month)


@_finished
def adoption_by_group(frame: pl.DataFrame, *, group: str, group_label: str,
                      threshold: float | None, title: str | None = None) -> go.Figure:
    """Horizontal bars: each group's share of new services from a golden path, lowest first.

    Reads `group`, `services_created`, `golden_path_created`, `new_service_adoption`.
    """
    title = title or f"New-service adoption by {group_label.lower()}"
    if frame.is_empty():
        return _empty(title)
    frame = frame.sort(["new_service_adoption", "services_created"], descending=[False, True],
                       nulls_last=True)
    adoption = _col(frame, "new_service_adoption")
    below = [threshold is not None and a is not None and a < threshold for a in adoption]
    created = _col(frame, "services_created")
    fig = go.Figure(go.Bar(
        y=_plain_all(_col(frame, group)), x=adoption, orientation="h",
        marker={"color": [ALERT if b else GOLDEN for b in below],
                "pattern": {"shape": [ALERT_PATTERN if b else "" for b in below]},
                "line": {"color": [ALERT if b else GOLDEN for b in below], "width": 1}},
        # the share written at the end of every bar, so a 0% bar is seen as 0%, not missing
        text=["no services" if a is None else f"{a:.0%} of {n:,}" for a, n in zip(adoption, created, strict=True)],
        textposition="outside", cliponaxis=False,
        # the group's raw value last: what a click on the bar picks
        customdata=list(zip(_col(frame, "golden_path_created"), created, _col(frame, group), strict=True)),
        hovertemplate="%{y}: %{x:.0%}<br>(%{customdata[0]} of %{customdata[1]} new services)"
                      "<extra></extra>",
        showlegend=False,
    ))
    if threshold is not None:
        fig.add_vline(x=threshold, line={"color": INK, "dash": "dash", "width": 1}, layer="below")
        _threshold_legend(fig, threshold)
    _layout(fig, title=title, x_title="Share of new services from a golden path",
            y_title=group_label, height=max(300, 110 + 26 * frame.height))
    fig.update_xaxes(tickformat=".0%", range=[0, 1.18])
    fig.update_layout(hovermode="y")  # the whole row answers a hover or a click, even for a 0% bar
    fig.update_yaxes(type="category", autorange="reversed")
    return fig


@_finished
def adoption_by_template(frame: pl.DataFrame, *,
                         title: str = "New services by golden-path template",
                         x_range: tuple[date, date] | None = None, partial_month: date | None = None) -> go.Figure:
    """Stacked bars per month: each golden-path template in a shade of the golden-path blue
    with its own pattern, and services from no golden path in DIY orange, hatched.

    Reads `month`, `golden_path`, `services_created` (marts.adoption_by_template's columns).
    """
    if frame.is_empty():
        return _empty(title)
    fig = go.Figure()
    templates = sorted({t for t in _col(frame, "golden_path")}, key=lambda t: (t is None, str(t)))
    for i, template in enumerate(templates):
        part = frame.filter(pl.col("golden_path").is_null() if template is None
                            else pl.col("golden_path") == template)
        name = "no golden path" if template is None else plain(template)
        marker = ({"color": DIY, "pattern": {"shape": DIY_PATTERN}} if template is None else
                  {"color": GOLDEN_SHADES[i % len(GOLDEN_SHADES)],
                   "pattern": {"shape": GOLDEN_PATTERNS[i % len(GOLDEN_PATTERNS)], "fgcolor": "white"}})
        fig.add_trace(go.Bar(
            x=_col(part, "month"), y=_col(part, "services_created"), name=name, marker=marker,
            customdata=[template] * part.height,  # what a click on the bar picks
            hovertemplate=f"%{{x|%b %Y}}: %{{y}} new services · {name}<extra></extra>",
        ))
    fig.update_layout(barmode="stack")
    _layout(fig, title=title, x_title="Month created", y_title="Services created")
    return _month_axis(fig, _col(frame, "month"), x_range=x_range, partial_month=partial_month)


@_finished
def escape_hatch_rate(frame: pl.DataFrame, *,
                      title: str = "Escape-hatch rate at each month's end",
                      x_range: tuple[date, date] | None = None, partial_month: date | None = None) -> go.Figure:
    """Line of the escape-hatch rate at each month's end (marts.escape_hatch_monthly), with the
    number of escape-hatch services as bars on a second axis.

    Reads `month`, `escape_hatch_services`, `spec_services`, `escape_hatch_rate`.
    """
    if frame.is_empty():
        return _empty(title, "No months in the selected period")
    months = _col(frame, "month")
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(
        x=months, y=_col(frame, "escape_hatch_services"), name="Escape-hatch services",
        marker_color=NEUTRAL, opacity=0.35,
        hovertemplate="End of %{x|%b %Y}: %{y} services<extra></extra>",
    ), secondary_y=True)
    fig.add_trace(go.Scatter(
        x=months, y=_col(frame, "escape_hatch_rate"), mode="lines+markers",
        line={"color": DIY}, name="Escape-hatch rate",
        customdata=list(zip(_col(frame, "escape_hatch_services"), _col(frame, "spec_services"),
                            strict=True)),
        hovertemplate="End of %{x|%b %Y}: %{y:.1%}<br>(%{customdata[0]} of %{customdata[1]} services "
                      "with a service spec)<extra></extra>",
    ), secondary_y=False)
    _layout(fig, title=title, x_title="Month", y_title="Escape-hatch rate",
            y_percent=True)
    highest = max((r for r in _col(frame, "escape_hatch_rate") if r is not None), default=0)
    fig.update_yaxes(range=[0, max(highest * 1.25, 0.05)], secondary_y=False)
    # counts, not a share: _layout's percent format applies to every y axis
    fig.update_yaxes(title_text="Escape-hatch services", showgrid=False, secondary_y=True)
    _whole_numbers(fig, _col(frame, "escape_hatch_services"), secondary_y=True)
    _right_axis_at_edge(fig)
    return _month_axis(fig, months, x_range=x_range, partial_month=partial_month, max_ticks=8)


@_finished
def escape_hatches_and_requests(escapes: pl.DataFrame, requests: pl.DataFrame, *,
                                title: str = "Escape hatches and exception requests",
                                x_range: tuple[date, date] | None = None,
                                partial_month: date | None = None) -> go.Figure:
    """One time axis: exception requests opened per month (bars) and the services using the
    escape hatch at each month's end (line, second axis) — did requests fall once teams could
    use the escape hatch?

    Reads `month`, `escape_hatch_services` (marts.escape_hatch_monthly) and `month`, `opened`
    (marts.exception_requests_monthly).
    """
    if escapes.is_empty() and requests.is_empty():
        return _empty(title)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    if not requests.is_empty():
        fig.add_trace(go.Bar(x=_col(requests, "month"), y=_col(requests, "opened"),
                             name="Exception requests opened", marker_color=OPENED,
                             hovertemplate="%{x|%b %Y}: %{y} opened<extra></extra>"), secondary_y=False)
    if not escapes.is_empty():
        fig.add_trace(go.Scatter(x=_col(escapes, "month"), y=_col(escapes, "escape_hatch_services"),
                                 name="Services using the escape hatch", mode="lines+markers",
                                 line={"color": DIY, "dash": "dot"}, marker={"symbol": "square"},
                                 hovertemplate="End of %{x|%b %Y}: %{y} services<extra></extra>"),
                      secondary_y=True)
    _layout(fig, title=title, x_title="Month", y_title="Requests opened")
    _whole_numbers(fig, _col(requests, "opened") if not requests.is_empty() else [], secondary_y=False)
    fig.update_yaxes(title_text="Escape-hatch services", showgrid=False, secondary_y=True)
    _whole_numbers(fig, _col(escapes, "escape_hatch_services") if not escapes.is_empty() else [],
                   secondary_y=True)
    _right_axis_at_edge(fig)
    months = (_col(escapes, "month") if not escapes.is_empty() else []) + (
        _col(requests, "month") if not requests.is_empty() else [])
    return _month_axis(fig, months, x_range=x_range, partial_month=partial_month, max_ticks=8)


@_finished
def retention_cohorts(frame: pl.DataFrame, *,
                      title: str = "Still on a golden path, by creation month") -> go.Figure:
    """Heatmap: for each creation month and golden path (rows), the share of its services still
    on a golden path 30, 90, 180 and 365 days after creation (columns); blank where none is due.

    Reads `cohort_month`, `golden_path`, `days_after`, `services`, `still_on_golden_path`,
    `share` (marts.golden_path_retention).
    """
    if frame.is_empty():
        return _empty(title, "No service was created on a golden path in the selected period")
    rows = sorted({(c, g) for c, g in zip(_col(frame, "cohort_month"), _col(frame, "golden_path"), strict=True)},
                  key=lambda r: (r[0], "" if r[1] is None else r[1]))
    days = sorted(set(_col(frame, "days_after")))
    cell = {(c, g, d): (share, still, n) for c, g, d, share, still, n in zip(
        _col(frame, "cohort_month"), _col(frame, "golden_path"), _col(frame, "days_after"),
        _col(frame, "share"), _col(frame, "still_on_golden_path"), _col(frame, "services"), strict=True)}
    z, text = [], []
    for c, g in rows:
        values = [cell.get((c, g, d), (None, 0, 0)) for d in days]
        z.append([v[0] for v in values])
        text.append([f"{v[1]} of {v[2]}" if v[2] else "not due" for v in values])
    labels = [f"{_month_label(c)} · {plain(g)}" for c, g in rows]
    fig = go.Figure(go.Heatmap(
        z=z, x=[f"{d} days" for d in days], y=labels, text=text, zmin=0, zmax=1,
        colorscale=SEQUENTIAL, xgap=1, ygap=1, colorbar={"tickformat": ".0%", "title": "Still on", **COLORBAR_PLACE},
        hovertemplate="%{y}, %{x} after creation: %{z:.0%} (%{text})<extra></extra>",
    ))
    fig.update_yaxes(type="category", autorange="reversed")
    return _layout(fig, title=title, x_title="Days after creation", y_title="Created in · golden path",
                   height=max(320, 120 + 22 * len(rows)))


REASON_LABELS = {"gpu": "GPU", "sidecar": "sidecar", "other": "other"}
LABEL_CHARS = 36  # a declared text longer than this is shortened on the axis (in full in the hover)


def shorten(text: str, limit: int = LABEL_CHARS) -> str:
    """`text` cut to at most `limit` characters, an ellipsis marking the cut (before escaping,
    so an HTML entity is never cut in half)."""
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def reason_label(kind: str, declared_text: str | None, declared_texts: int | None = None) -> str:
    """How a reason row of marts.escape_hatch_reasons_at reads, in full (raw text, unescaped):
    'GPU', 'declared: <text>', 'declared: 3 other texts'."""
    if kind != "declared":
        return REASON_LABELS.get(kind, kind)
    if declared_text is None:
        return f"declared: {declared_texts or 0:,} other text" + ("" if declared_texts == 1 else "s")
    return f"declared: {declared_text}"


def _unique(labels: list[str]) -> list[str]:
    """`labels` made distinct (a category axis would draw two equal ones as one bar) by
    appending zero-width spaces to repeats: they read the same."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, -1) + 1
        out.append(label + "\u200b" * seen[label])
    return out


@_finished
def escape_hatch_reasons(frame: pl.DataFrame, *,
                         title: str = "Why services use the escape hatch") -> go.Figure:
    """Horizontal bars: escape-hatch services per reason, each declared reason by its own text
    (a service may carry several reasons).

    Reads marts.escape_hatch_reasons_at's `kind`, `reason`, `declared_text`,
    `escape_hatch_services`, `declared_texts`, in its `position` order. A long declared text is
    shortened on the axis and given in full in the hover; a click picks the row's `reason`
    (NULL for the declared texts beyond the top, drawn as one bar).
    """
    if frame.is_empty() or not any(_col(frame, "escape_hatch_services")):
        return _empty(title, "No escape hatches")
    if "position" in frame.columns:
        frame = frame.sort("position")
    full = [reason_label(k, t, n) for k, t, n in
            zip(_col(frame, "kind"), _col(frame, "declared_text"), _col(frame, "declared_texts"), strict=True)]
    counts = _col(frame, "escape_hatch_services")
    rows = _unique([plain(shorten(label)) for label in full])
    fig = go.Figure(go.Bar(
        y=rows, x=counts, orientation="h",
        marker={"color": DIY, "pattern": {"shape": DIY_PATTERN}},
        text=[f"{n:,}" for n in counts], textposition="outside", cliponaxis=False,
        # the full label for the hover, the raw reason last: what a click on the bar picks
        customdata=list(zip(_plain_all(full), _col(frame, "reason"), strict=True)),
        hovertemplate="%{customdata[0]}: %{x} services<extra></extra>",
    ))
    fig.update_yaxes(type="category", autorange="reversed")
    _layout(fig, title=title, x_title="Escape-hatch services", y_title="Reason",
            height=max(260, 120 + 30 * frame.height))
    fig.update_layout(hovermode="y")  # the whole row answers a hover or a click, even for 0
    # few ticks: beside long reasons, in one of two columns, the axis is ~200 px wide (more
    # thousands would crowd, and Plotly would turn them and draw the chart twice)
    _whole_numbers(fig, [n * 1.15 for n in counts], axis="x", most=4)
    return fig


@_finished
def exception_requests_monthly(frame: pl.DataFrame, *,
                               title: str = "Exception requests per month",
                               x_range: tuple[date, date] | None = None,
                               partial_month: date | None = None) -> go.Figure:
    """Bars of requests opened and closed per month, and a line of those still open at its end.

    Reads `month`, `opened`, `closed`, `open_at_month_end` (marts.exception_requests_monthly).
    """
    if frame.is_empty():
        return _empty(title)
    months = _col(frame, "month")
    fig = go.Figure([
        go.Bar(x=months, y=_col(frame, "opened"), name="Opened", marker_color=OPENED,
               hovertemplate="%{x|%b %Y}: %{y} opened<extra></extra>"),
        go.Bar(x=months, y=_col(frame, "closed"), name="Closed",
               marker={"color": CLOSED, "pattern": {"shape": "."}},
               hovertemplate="%{x|%b %Y}: %{y} closed<extra></extra>"),
        go.Scatter(x=months, y=_col(frame, "open_at_month_end"), name="Open at month end",
                   mode="lines+markers", line={"color": INK}, marker={"symbol": "diamond"},
                   hovertemplate="End of %{x|%b %Y}: %{y} open<extra></extra>"),
    ])
    fig.update_layout(barmode="group")
    _layout(fig, title=title, x_title="Month", y_title="Requests")
    _whole_numbers(fig, _col(frame, "opened") + _col(frame, "closed") + _col(frame, "open_at_month_end"))
    return _month_axis(fig, months, x_range=x_range, partial_month=partial_month)


@_finished
def days_to_close(frame: pl.DataFrame, *,
                  title: str = "Median days to close an exception request",
                  x_range: tuple[date, date] | None = None, partial_month: date | None = None) -> go.Figure:
    """Line of the median days to close, per month of closing.

    Reads `month`, `closed`, `median_days_to_close`.
    """
    frame = frame.filter(pl.col("median_days_to_close").is_not_null())
    if frame.is_empty():
        return _empty(title, "No request was closed in the selected period")
    fig = go.Figure(go.Scatter(
        x=_col(frame, "month"), y=_col(frame, "median_days_to_close"), mode="lines+markers",
        line={"color": OPENED}, customdata=_col(frame, "closed"),
        hovertemplate="%{x|%b %Y}: median %{y:.1f} days<br>(%{customdata} closed)<extra></extra>",
    ))
    _layout(fig, title=title, x_title="Month closed", y_title="Days to close (median)")
    fig.update_yaxes(rangemode="tozero")
    return _month_axis(fig, _col(frame, "month"), x_range=x_range, partial_month=partial_month)


@_finished
def requests_by_team(frame: pl.DataFrame, *,
                     title: str = "Exception requests by team") -> go.Figure:
    """Horizontal stacked bars per team: requests still open and closed.

    Reads `team` (NULL = no team label), `open`, `closed`, `median_days_to_close`.
    """
    if frame.is_empty():
        return _empty(title)
    frame = frame.with_columns((pl.col("open") + pl.col("closed")).alias("_total")).sort(
        "_total", descending=True)
    raw = _col(frame, "team")
    teams = ["(no team label)" if t is None else plain(t) for t in raw]
    medians = ["—" if m is None else f"{m:.1f}" for m in _col(frame, "median_days_to_close")]
    fig = go.Figure([
        go.Bar(y=teams, x=_col(frame, "open"), name="Open", orientation="h",
               marker={"color": OPENED, "pattern": {"shape": ALERT_PATTERN}}, customdata=raw,
               hovertemplate="%{y}: %{x} open<extra></extra>"),
        go.Bar(y=teams, x=_col(frame, "closed"), name="Closed", orientation="h",
               marker_color=CLOSED, customdata=list(zip(medians, raw, strict=True)),
               hovertemplate="%{y}: %{x} closed, median %{customdata[0]} days to close"
                             "<extra></extra>"),
    ])
    fig.update_layout(barmode="stack", hovermode="y")
    fig.update_yaxes(type="category", autorange="reversed")
    return _layout(fig, title=title, x_title="Requests opened in the period", y_title="Team",
                   height=max(280, 110 + 24 * len(teams)))


_METRIC_FORMATS = {
    "ci_failure_rate": (".1%", "CI failure rate"),
    "median_ci_duration_s": (".0f", "Median CI duration (s)"),
    "deploys_per_service_week": (".2f", "Deploys per service-week"),
    "median_days_to_first_deploy": (".1f", "Median days to first deploy"),
}


def _error(values: list[Any], lows: list[Any], highs: list[Any]) -> tuple[list[float], list[float]]:
    """Plotly's asymmetric error-bar lengths (up, down) from interval ends; 0 where unknown."""
    up = [h - v if v is not None and h is not None else 0.0 for v, h in zip(values, highs, strict=True)]
    down = [v - lo if v is not None and lo is not None else 0.0 for v, lo in zip(values, lows, strict=True)]
    return up, down


@_finished
def golden_path_vs_diy(frame: pl.DataFrame, *,
                       title: str = "Golden path against DIY") -> go.Figure:
    """One small panel per metric with a golden-path bar and a DIY bar, and each side's 95%
    interval as an error bar when the frame has them. A panel where neither side has a value
    says so instead of drawing an empty axis.

    Reads `metric`, `golden_path`, `diy`, and when present `golden_path_n` / `diy_n`,
    `golden_path_low` / `_high`, `diy_low` / `_high` (marts.golden_path_vs_diy). A side with too
    few services has no bar (its value is NULL). Metrics have different units, hence panels.
    """
    if frame.is_empty():
        return _empty(title)
    rows = list(frame.iter_rows(named=True))
    fig = make_subplots(rows=1, cols=len(rows),
                        subplot_titles=[_METRIC_FORMATS.get(r["metric"], (None, plain(r["metric"])))[1]
                                        for r in rows])
    for i, row in enumerate(rows, start=1):
        fmt = _METRIC_FORMATS.get(row["metric"], (".2f", ""))[0]
        ns = [row.get("golden_path_n"), row.get("diy_n")]
        values = [row["golden_path"], row["diy"]]
        lows, highs = [row.get("golden_path_low"), row.get("diy_low")], [row.get("golden_path_high"), row.get("diy_high")]
        up, down = _error(values, lows, highs)
        fig.add_trace(go.Bar(
            x=["Golden path", "DIY"], y=values,
            marker={"color": [GOLDEN, DIY], "pattern": {"shape": ["", DIY_PATTERN]}}, showlegend=False,
            error_y={"type": "data", "symmetric": False, "array": up, "arrayminus": down,
                     "visible": any(v is not None for v in lows + highs), "color": "#333"},
            customdata=[["?" if n is None else f"{n:,.0f}",
                         "" if lo is None or hi is None else f"95% interval {lo:{fmt}} – {hi:{fmt}}<br>"]
                        for n, lo, hi in zip(ns, lows, highs, strict=True)],
            hovertemplate=f"%{{x}}: %{{y:{fmt}}}<br>%{{customdata[1]}}n = %{{customdata[0]}}<extra></extra>",
        ), row=1, col=i)
        fig.update_yaxes(tickformat=fmt if fmt.endswith("%") else None, rangemode="tozero",
                         row=1, col=i)
        if all(v is None for v in values):  # an empty axis (0–4, or 0–400%) would read as a figure
            fig.update_yaxes(visible=False, row=1, col=i)
            axis = "x" if i == 1 else f"x{i}"
            fig.add_annotation(text="Too few services<br>on each side", showarrow=False, x=0.5, y=0.5,
                               xref=f"{axis} domain", yref="y domain" if i == 1 else f"y{i} domain",
                               font={"size": 13, "color": NEUTRAL})
    fig.update_layout(title={"text": title, "x": 0, "xanchor": "left"}, height=340, template=TEMPLATE,
                      font=FONT, margin={"l": 50, "r": 20, "t": 80, "b": 40})
    return fig


@_finished
def golden_path_vs_diy_ratios(frame: pl.DataFrame, *,
                              title: str = "Golden path ÷ DIY: all services against like for like") -> go.Figure:
    """Per metric, the ratio golden path ÷ DIY over all services and within language × team
    strata, side by side on a log axis with their 95% intervals as error bars where known;
    a line at 1 marks no difference.

    Reads `metric`, `ratio`, `ratio_low`, `ratio_high`, `stratified_ratio`,
    `stratified_ratio_low`, `stratified_ratio_high` (marts.golden_path_vs_diy).
    """
    if frame.is_empty():
        return _empty(title)
    if all(v is None for c in ("ratio", "stratified_ratio") for v in _col(frame, c)):
        return _empty(title, "No ratio: too few services on a side")
    labels = [_METRIC_FORMATS.get(m, (None, plain(m)))[1] for m in _col(frame, "metric")]
    fig = go.Figure()
    for prefix, name, color in (("", "All services", NEUTRAL), ("stratified_", "Within language × team", GOLDEN)):
        values = _col(frame, f"{prefix}ratio")
        lows, highs = _col(frame, f"{prefix}ratio_low"), _col(frame, f"{prefix}ratio_high")
        up, down = _error(values, lows, highs)
        fig.add_trace(go.Scatter(
            x=values, y=labels, name=name, mode="markers", marker={"color": color, "size": 11},
            error_x={"type": "data", "symmetric": False, "array": up, "arrayminus": down, "color": color},
            customdata=[["" if lo is None or hi is None else f" (95% interval {lo:.2f} – {hi:.2f})"]
                        for lo, hi in zip(lows, highs, strict=True)],
            hovertemplate=f"{name} · %{{y}}: %{{x:.2f}}%{{customdata[0]}}<extra></extra>",
        ))
    fig.add_vline(x=1, line={"color": NEUTRAL, "dash": "dot"})
    fig.update_xaxes(type="log")
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(scattermode="group")
    return _layout(fig, title=title, x_title="Golden path ÷ DIY (1 = no difference; log scale)",
                   y_title=None, height=340)


@_finished
def monthly_comparison(frame: pl.DataFrame, *, value: str, title: str, y_title: str,
                       percent: bool = False, x_range: tuple[date, date] | None = None,
                       partial_month: date | None = None) -> go.Figure:
    """Two lines per month, golden-path services against the rest.

    Reads `month`, `on_golden_path` (bool), `value` and `n` (the runs or services behind it).
    """
    if frame.is_empty():
        return _empty(title)
    fig = go.Figure()
    fmt = ".1%" if percent else ".1f"
    for flag, name, color, dash, symbol in ((True, "Golden path", GOLDEN, "solid", "circle"),
                                            (False, "DIY", DIY, "dash", "square")):
        part = frame.filter(pl.col("on_golden_path") == flag).sort("month")
        fig.add_trace(go.Scatter(
            x=_col(part, "month"), y=_col(part, value), name=name, mode="lines+markers",
            line={"color": color, "dash": dash}, marker={"symbol": symbol}, customdata=_col(part, "n"),
            hovertemplate=f"{name} · %{{x|%b %Y}}: %{{y:{fmt}}}<br>n = %{{customdata}}"
                          "<extra></extra>",
        ))
    _layout(fig, title=title, x_title="Month", y_title=y_title, y_percent=percent)
    fig.update_yaxes(rangemode="tozero")
    return _month_axis(fig, _col(frame, "month"), x_range=x_range, partial_month=partial_month)


@_finished
def time_to_first_deploy(spread: pl.DataFrame, *,
                         title: str = "Days from creation to first production deploy") -> go.Figure:
    """Box plots of time to first deploy, golden-path services against the rest, drawn from the
    figures SQL gives (marts.time_to_first_deploy_spread: `on_golden_path`, `services`, `q1`,
    `median`, `q3`, `lower_fence`, `upper_fence`, and `outliers`, each a service, repo and days):
    the box and whiskers as computed there, each outlier a point named in its hover. Only the
    outliers travel to the browser, not every service's value.
    """
    if spread.is_empty():
        return _empty(title, "No service has reached production yet")
    fig = go.Figure()
    for flag, name, color in ((True, "Golden path", GOLDEN), (False, "DIY", DIY)):
        part = spread.filter(pl.col("on_golden_path") == flag)
        if part.is_empty():
            continue
        row = part.row(0, named=True)
        label = f"{name} ({row['services']:,} service{'' if row['services'] == 1 else 's'})"
        fig.add_trace(go.Box(
            x=[label], q1=[row["q1"]], median=[row["median"]], q3=[row["q3"]],
            lowerfence=[row["lower_fence"]], upperfence=[row["upper_fence"]], name=name,
            marker_color=color, boxpoints=False,
        ))
        outliers = row["outliers"] or []
        if outliers:
            fig.add_trace(go.Scatter(
                x=[label] * len(outliers), y=[o["days"] for o in outliers], mode="markers",
                name=f"{name}: outliers", showlegend=False,
                marker={"color": color, "size": 5, "symbol": "circle-open"},
                text=_plain_all([o["service"] for o in outliers]),
                hovertemplate="%{text}: %{y:.1f} days<extra></extra>",
            ))
    _layout(fig, title=title, x_title=None, y_title="Days to first production deploy")
    fig.update_yaxes(rangemode="tozero")
    return fig


@_finished
def quick_chart(frame: pl.DataFrame, *, x: str, y: str, kind: str = "bar",
                title: str | None = None) -> go.Figure:
    """A one-series chart of two columns of an ad hoc result (`kind`: bar, line or scatter)."""
    title = title or f"{plain(y)} by {plain(x)}"
    if frame.is_empty():
        return _empty(title, "The query returned no rows")
    xs = _col(frame, x)
    if frame.schema[x] in (pl.String, pl.Categorical) or frame.schema[x] == pl.Object:
        xs = _plain_all(xs)
    ys = _col(frame, y)
    if kind == "line":
        trace = go.Scatter(x=xs, y=ys, mode="lines+markers")
    elif kind == "scatter":
        trace = go.Scatter(x=xs, y=ys, mode="markers")
    else:
        trace = go.Bar(x=xs, y=ys)
    trace.update(hovertemplate="%{x}: %{y}<extra></extra>")
    return _layout(go.Figure(trace), title=title, x_title=plain(x), y_title=plain(y))


# --- maintenance: template drift (marts.template_health, marts.template_drift) -------------------
DRIFT_DOTS_MAX = 500  # services drawn each as a dot in the drift boxes; beyond, only outliers


@_finished
def template_drift_distribution(drift: pl.DataFrame, *,
                                title: str = "How far services are behind their template") -> go.Figure:
    """One horizontal box per golden path over its services' commits behind, every service a
    dot; beyond DRIFT_DOTS_MAX services, only those outside the whiskers (1.5 × the box's width
    beyond it) are dots.

    On a large organisation every service a dot was thousands of SVG points, the slowest figure
    of the dashboard to draw (about 1.1 s against 0.09 s for 4,366 services, in Chromium), for
    a blur the box already summarises. Each dot keeps its service in the hover and its golden
    path last in `customdata` (what a click picks).

    Reads `golden_path`, `service`, `repo`, `commits_behind`, `days_behind` (marts.template_drift
    rows of kind 'template' that resolved); golden paths in order of first appearance.
    """
    resolved = drift.filter(pl.col("commits_behind").is_not_null())
    if resolved.is_empty():
        return _empty(title, "No service's template commit could be resolved")
    fig = go.Figure()
    paths = list(dict.fromkeys(_col(resolved, "golden_path")))
    points = "all" if resolved.height <= DRIFT_DOTS_MAX else "outliers"
    for path in paths:
        part = resolved.filter(pl.col("golden_path") == path)
        fig.add_trace(go.Box(
            x=_col(part, "commits_behind"), name=plain(path), orientation="h", boxpoints=points,
            jitter=0.4, pointpos=0, marker={"size": 5, "color": GOLDEN, "opacity": 0.6},
            line={"color": NEUTRAL}, fillcolor="rgba(0,0,0,0)",
            # the golden path's raw name last: what a click on a dot picks
            customdata=list(zip(_plain_all(_col(part, "service")), _plain_all(_col(part, "repo")),
                                [round(d or 0) for d in _col(part, "days_behind")], [path] * part.height,
                                strict=True)),
            hovertemplate="%{customdata[0]} (%{customdata[1]}): %{x} commits, "
                          "%{customdata[2]} days behind<extra></extra>",
        ))
    fig.update_layout(showlegend=False)
    fig.update_yaxes(type="category", autorange="reversed")
    return _layout(fig, title=title, x_title="Commits behind the template's head (0 = current)",
                   y_title=None, height=max(300, 140 + 70 * len(paths)))


@_finished
def template_last_change(health: pl.DataFrame, *,
                         title: str = "Days since each template last changed") -> go.Figure:
    """Horizontal bars of `days_since_change` per golden path, red when `stale`, with the
    `stale_after_days` line. Reads marts.template_health's columns; a golden path whose
    history is unknown is left out."""
    known = health.filter(pl.col("days_since_change").is_not_null())
    if known.is_empty():
        return _empty(title, "No template history has been read")
    stale = [bool(s) for s in _col(known, "stale")]
    fig = go.Figure(go.Bar(
        y=_plain_all(_col(known, "golden_path")), x=_col(known, "days_since_change"), orientation="h",
        marker={"color": [ALERT if s else GOLDEN for s in stale],
                "pattern": {"shape": [ALERT_PATTERN if s else "" for s in stale]}},
        text=[f"{d:,.0f} days" + (" · stale" if s else "") for d, s in
              zip(_col(known, "days_since_change"), stale, strict=True)],
        textposition="outside", cliponaxis=False,
        # the golden path's raw name last: what a click on the bar picks
        customdata=list(zip([_month_label(d) if d else "" for d in _col(known, "head_at")],
                            _col(known, "services"), _col(known, "golden_path"), strict=True)),
        hovertemplate="%{y}: last change %{x:.0f} days ago (%{customdata[0]}), "
                      "%{customdata[1]} services<extra></extra>",
    ))
    stale_after = next((d for d in _col(known, "stale_after_days") if d is not None), None)
    if stale_after is not None:
        fig.add_vline(x=stale_after, line_dash="dash", line_color=INK,
                      annotation_text=f"stale after {stale_after} days", annotation_position="top",
                      annotation_yref="paper", annotation_y=1.0, annotation_yanchor="bottom")
    fig.update_yaxes(type="category", autorange="reversed")
    fig.update_layout(hovermode="y")  # the whole row answers a hover or a click
    # room after the longest bar for its label ("278 days · stale")
    longest = max(float(d) for d in [*_col(known, "days_since_change"), stale_after or 0])  # DECIMAL too
    fig.update_xaxes(range=[0, longest * 1.35], rangemode="tozero")
    return _layout(fig, title=title, x_title="Days since the default branch's last commit", y_title=None,
                   height=max(260, 140 + 40 * known.height))
