"""Margins that fit a figure's text before Plotly draws it, so that it is drawn once.

Plotly draws a figure, measures its tick labels, axis titles and colour bars, and when they do
not fit the margins it grows the margins and draws the whole figure again
(`layout.margin.autoexpand`). The charts set small margins, so in the browser nearly every one
was drawn twice: on the large demo, about half of the time Adoption spent drawing its charts
(the adoption heatmap 159 ms → 60 ms, the trend 57 → 16 ms, in Chromium). `fit` sets each
margin to what the figure's own text needs, before it is drawn.

Text is measured with Helvetica's character widths, which Arial and Liberation Sans share: the
fonts a browser falls back to from the charts' font list ("Source Sans Pro, Helvetica, Arial",
and Streamlit's own Source Sans is registered under another name), and wider than Source Sans
Pro where a reader has it. The rules below (12 px of padding, 17 px a line of 13 px text, room
for an axis title) are Plotly's, as measured in Chromium. Where the estimate is short (a
character outside the table, a long colour-bar title) Plotly still grows the margin and draws
again, as before: never a clipped label, at worst the old cost. The legend and title keep the
top margin the builders chose.
"""

from __future__ import annotations

import html
import math
import re
from datetime import date, datetime
from typing import Any

import plotly.graph_objects as go

# Helvetica's advance widths (thousandths of an em) for the printable ASCII characters, from
# space (32) to tilde (126): Adobe's core-font metrics, which Arial and Liberation Sans match.
_HELVETICA = (
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,  # space-/
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,  # 0-?
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,  # @-O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,  # P-_
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,  # `-o
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,  # p-~
)
_ZERO_WIDTH = {"\u200b", "\u200c", "\u200d", "\ufeff"}
_TAG = re.compile(r"<(?!br\s*/?>)[^>]*>", re.IGNORECASE)  # every tag but <br>
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)

PAD = 12  # Plotly's padding around whatever pushes a margin
LINE = 1.3  # Plotly's line height, in ems
Y_TITLE = 28  # a y axis's title beside its tick labels (13 px text, 15 px standoff)
X_TITLE = 26  # an x axis's title under its tick labels
LOG_LABELS_LOWER = 7  # a log axis sets its labels lower (its 2-9 subdivisions are labelled too)
SLACK = 2  # px: Plotly redraws only for a margin more than 1 px short


def _char_width(char: str) -> float:
    """One character's width in ems: Helvetica's for ASCII, generous for the rest (accented
    Latin letters 0.72 em, anything else, CJK included, a full em)."""
    code = ord(char)
    if 32 <= code <= 126:
        return _HELVETICA[code - 32] / 1000
    if char in _ZERO_WIDTH:
        return 0.0
    return 0.72 if code < 0x250 else 1.0


def text_lines(text: str) -> list[str]:
    """The lines Plotly draws for `text` (split at <br>, other tags dropped, entities read)."""
    return [html.unescape(_TAG.sub("", line)) for line in _BREAK.split(str(text))]


def text_width(text: str, size: float) -> float:
    """Width in px of the widest line of `text` in a `size` px Helvetica."""
    return max(sum(_char_width(c) for c in line) for line in text_lines(text)) * size


def _font_size(fig: go.Figure, font: Any = None) -> float:
    size = font.size if font is not None and font.size else None
    return float(size or fig.layout.font.size or 12)


def _number_labels(values: list[float], fmt: str | None, log: bool) -> list[str]:
    """The widest tick labels an axis spanning `values` may draw: its largest magnitude a
    tenth larger (the range's padding and the next tick), in the axis's format."""
    if not values:
        return []
    top = max(abs(v) for v in values) * 1.1
    sign = "\u2212" if min(values) < 0 else ""  # Plotly writes a true minus sign
    if log:
        return ["0.05", "500"]  # 1-2-5 ticks over a few decades
    if fmt and fmt.endswith("%"):
        digits = re.search(r"\.(\d+)", fmt)
        return [sign + f"{top:.{int(digits.group(1)) if digits else 0}%}"]
    if fmt == ",d":
        return [sign + f"{round(top):,}"]
    if fmt and re.fullmatch(r",?\.\d+f", fmt):
        return [sign + format(top, fmt)]
    # Plotly's own: whole numbers, SI suffixes from 10,000 ("20k"), decimals below 10
    if top >= 10_000:
        return [sign + "100k"]
    return [sign + (f"{top:.0f}" if top >= 10 else f"{top:.2f}")]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _axis_values(fig: go.Figure, letter: str, ref: str) -> tuple[list[Any], list[float]]:
    """What the traces on axis `ref` ('x', 'y2' ...) place along it: (text or dates, numbers)."""
    texts: list[Any] = []
    numbers: list[float] = []
    stacked: dict[Any, float] = {}
    stack = fig.layout.barmode in ("stack", "relative")
    for trace in fig.data:
        if (getattr(trace, f"{letter}axis", None) or letter) != ref:
            continue
        horizontal = getattr(trace, "orientation", None) == "h"
        along = list(getattr(trace, letter, None) or [])
        if trace.type == "box":
            value_axis = "x" if horizontal else "y"
            if letter == value_axis:
                for key in ("q1", "median", "q3", "lowerfence", "upperfence"):
                    numbers += [v for v in (getattr(trace, key, None) or []) if _is_number(v)]
            else:
                texts += along or [trace.name]  # a box's category is its name when it has no position
                along = []
        if trace.type == "heatmap":
            texts += along
            continue
        error = getattr(trace, f"error_{letter}", None)
        ups = list(error.array or []) if error is not None and error.visible is not False else []
        for i, v in enumerate(along):
            if _is_number(v):
                top = v + (ups[i] if i < len(ups) and _is_number(ups[i]) else 0)
                numbers.append(top)
                if trace.type == "bar" and stack:
                    other = getattr(trace, "y" if letter == "x" else "x", None) or []
                    key = other[i] if i < len(other) else i
                    stacked[key] = stacked.get(key, 0.0) + v
            elif v is not None:
                texts.append(v)
    return texts, numbers + list(stacked.values())


def _labels(fig: go.Figure, name: str) -> tuple[list[str], bool]:
    """The tick labels axis `name` ('xaxis', 'yaxis2' ...) will draw, as far as they can be
    known before drawing, and whether they are dates placed by Plotly (no explicit ticks)."""
    axis = fig.layout[name]
    if axis.ticktext is not None and axis.tickmode == "array":
        return [str(t) for t in axis.ticktext], False
    letter = name[0]
    texts, numbers = _axis_values(fig, letter, letter + name[5:])
    if axis.type == "category" or (texts and all(isinstance(t, str) for t in texts)):
        return [str(t) for t in texts], False
    if axis.type == "date" or any(isinstance(t, date | datetime) for t in texts):
        return ["Sep 30", "2024"], True  # Plotly's date ticks: day and month, the year below
    if axis.range is not None and all(_is_number(r) for r in axis.range) and axis.type != "log":
        numbers = list(axis.range)
    return _number_labels(numbers, axis.tickformat, axis.type == "log"), False


def _edge(fig: go.Figure, axis: Any, letter: str) -> tuple[float, float]:
    """Where the axis crossing `axis` spans (its anchor's domain): a y axis's x extent."""
    anchor = axis.anchor
    if not anchor or anchor == "free":
        return 0.0, 1.0
    other = fig.layout[("xaxis" if letter == "y" else "yaxis") + anchor[1:]]
    domain = other.domain if other is not None and other.domain is not None else (0, 1)
    return float(domain[0]), float(domain[1])


def needed(fig: go.Figure) -> dict[str, float]:
    """The left, right and bottom margins (px) the figure's axes and colour bars need."""
    need = {"l": 0.0, "r": 0.0, "b": 0.0}
    base = _font_size(fig)
    for axis in [*fig.select_xaxes(), *fig.select_yaxes()]:
        name = axis.plotly_name
        if axis.visible is False or axis.showticklabels is False:
            continue
        labels, dates = _labels(fig, name)
        size = _font_size(fig, axis.tickfont)
        titled = bool(axis.title.text)
        if name.startswith("x"):
            if (axis.side or "bottom") != "bottom":
                continue
            lines = max((len(text_lines(t)) for t in labels), default=1) if not dates else 2
            lower = LOG_LABELS_LOWER if axis.type == "log" else 0
            need["b"] = max(need["b"], PAD + lines * LINE * size + lower + (X_TITLE if titled else 0))
            if axis.tickmode == "array" and labels:
                # the end ticks' labels, centred on them, may hang over the plot's sides
                need["l"] = max(need["l"], PAD + text_width(labels[0], size) / 2)
                need["r"] = max(need["r"], PAD + text_width(labels[-1], size) / 2)
        else:
            side = "r" if axis.side == "right" else "l"
            start, end = _edge(fig, axis, "y")
            if (side == "l" and start > 0) or (side == "r" and end < 1):
                continue  # an inner subplot's axis: its labels sit inside the figure
            width = max((text_width(t, size) for t in labels), default=0.0)
            need[side] = max(need[side], PAD + width + (Y_TITLE if titled else 1))
    for trace in fig.data:
        if trace.type == "heatmap" and trace.showscale is not False:
            bar = trace.colorbar
            fmt = bar.tickformat or ""
            ticks = _number_labels([trace.zmax if trace.zmax is not None else 1.0], fmt, False)
            width = (bar.thickness or 30) + text_width(ticks[0], base) + 3
            title = text_width(bar.title.text, base) + 10 if bar.title.text else 0.0
            # a bar placed at the plot's right edge (x = 1): then its width alone sets the margin
            need["r"] = max(need["r"], PAD + 2 * (bar.xpad if bar.xpad is not None else 10) + max(width, title))
    return need


def fit(fig: go.Figure) -> go.Figure:
    """`fig` with its left, right and bottom margins grown to what its text needs (never
    shrunk below the builder's choice), so Plotly draws it once. Returns `fig`."""
    margin = fig.layout.margin
    need = needed(fig)
    fig.update_layout(margin={side: max(getattr(margin, side) or 0, math.ceil(px) + SLACK) if px else getattr(margin, side)
                              for side, px in need.items()})
    return fig
