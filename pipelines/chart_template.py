"""A figure's template written into the figure itself, so that it carries none.

Plotly.js applies `layout.template` as defaults while it reads a figure. Plotly.react (which
Streamlit calls with a copy of the figure once a chart is mounted, and on every later change)
compares the template by identity: a copy of the same template is "changed", and a changed
template means recomputing and redrawing the whole chart. Every chart of the dashboard was drawn
a second time on each visit and filter change for that alone. `bake` writes the template's
defaults into the layout and traces where the figure sets nothing, as Plotly.js reads them, and
drops the template: the browser draws the same figure (tests/dashboards/test_chart_margins.py
compares the two drawings' SVG), and an equal copy of it is equal.
"""

from __future__ import annotations

import re
from typing import Any

import plotly.graph_objects as go

# the layout's lists of items whose template defaults are `<item>defaults`
_ITEM_DEFAULTS = {"annotations": "annotationdefaults", "shapes": "shapedefaults", "images": "imagedefaults"}
_SUBPLOT = re.compile(r"(xaxis|yaxis|coloraxis)\d*")
_POSITIONED = ("bar", "box")  # traces whose categories (or dates) sit on an axis without grid lines


def _under(values: Any, defaults: Any) -> Any:
    """`values` over `defaults`: nested dicts merge, any other value of `values` wins."""
    if not isinstance(values, dict) or not isinstance(defaults, dict):
        return values
    merged = dict(defaults)
    for key, value in values.items():
        merged[key] = _under(value, defaults.get(key))
    return merged


def _position_axes(fig: go.Figure) -> set[str]:
    """The axes ('xaxis', 'yaxis2' ...) on which bars or boxes are placed."""
    axes = set()
    for trace in fig.data:
        if trace.type in _POSITIONED:
            letter = "y" if trace.orientation == "h" else "x"
            ref = getattr(trace, f"{letter}axis", None) or letter
            axes.add(f"{letter}axis{ref[1:]}")
    return axes


def bake(fig: go.Figure) -> go.Figure:
    """`fig` with its template's defaults written into it and no template. Returns `fig`.

    As Plotly.js applies a template: `layout.xaxis` to every x axis (`yaxis`, `coloraxis`
    alike, to those the figure has), `annotationdefaults` to every annotation (shapes, images
    alike), any other layout value where the layout has none, and the n-th `data.<type>` entry
    (cycling) to the n-th trace of that type. One difference is made up for: an axis colour set
    in the figure turns its lines on (a grid colour shows the grid), one from a template does
    not, so each axis says whether it shows its grid, zero line and axis line, as Plotly decides
    when they come from the template: no lines on the axis bars or boxes are placed on, a grid
    and a zero line on the others, no axis line."""
    template = fig.layout.template.to_plotly_json() if fig.layout.template is not None else {}
    if not template:
        return fig
    defaults = template.get("layout", {})
    layout = fig.layout.to_plotly_json()
    layout.pop("template", None)
    for key, value in defaults.items():
        if key in _ITEM_DEFAULTS.values() or _SUBPLOT.fullmatch(key):
            continue
        layout[key] = _under(layout.get(key, value), value)
    for trace in fig.data:  # the axes the traces are drawn on, set in the layout or not
        for letter in "xy":
            ref = getattr(trace, f"{letter}axis", None) or letter
            layout.setdefault(f"{letter}axis{ref[1:]}", {})
    positioned = _position_axes(fig)
    for key in list(layout):
        kind = _SUBPLOT.fullmatch(key)
        if kind and kind.group(1) in defaults:
            lines = key not in positioned
            shown = {"showgrid": lines, "zeroline": lines, "showline": False} if kind.group(1) != "coloraxis" else {}
            layout[key] = _under(layout[key], {**defaults[kind.group(1)], **shown})
    for items, item_defaults in _ITEM_DEFAULTS.items():
        if items in layout and item_defaults in defaults:
            layout[items] = [_under(item, defaults[item_defaults]) for item in layout[items]]
    seen: dict[str, int] = {}
    for trace in fig.data:
        entries = template.get("data", {}).get(trace.type) or []
        n = seen.get(trace.type, 0)
        seen[trace.type] = n + 1
        if entries:
            entry = {k: v for k, v in entries[n % len(entries)].items() if k != "type"}
            values = {k: v for k, v in trace.to_plotly_json().items() if k != "type"}
            trace.update(_under(values, entry))
    fig.update_layout(layout)
    fig.layout.template = None  # after update_layout: a figure without one is drawn without one
    return fig
