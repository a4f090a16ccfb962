"""Query results as text: a table that fits the terminal, or CSV, JSON or Markdown for scripts.

Pure functions over column names and row tuples (whatever runs the query), importing only the
standard library so `pathlens sql` starts fast. Column names and values are data: control and
format characters (escape sequences, bidi overrides, newlines) are shown as visible escapes,
never passed to the terminal, and nothing is read as markup.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

FORMATS = ("table", "csv", "json", "markdown")
NULL = "NULL"
ELLIPSIS = "…"
FLOAT_DECIMALS = 4  # a terminal table rounds floats; csv/json keep every digit
MIN_COLUMN_WIDTH = 10  # values are not cut below a date's width; columns are left out instead
_SEP = " │ "
# printable to Python, yet obeyed by terminals: DEL, C1 controls, and format characters (bidi)
_UNSAFE_IN_JSON = re.compile(r"[\x7f-\x9f\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def visible(text: str) -> str:
    """`text` with control and format characters as escapes (`\\n`, `\\x1b`, `\\u202e`).

    Returns what a terminal can show without being driven by it: no escape sequence, carriage
    return or bidi override reaches it, and every cell stays on one line.
    """
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable() or ch == " ":
            out.append(ch)
        elif ch in "\n\t\r":
            out.append({"\n": "\\n", "\t": "\\t", "\r": "\\r"}[ch])
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "".join(out)


def cell_width(text: str) -> int:
    """Columns `text` takes in a terminal: wide East Asian characters count 2, combining marks 0."""
    if text.isascii():
        return len(text)
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def truncate(text: str, width: int) -> str:
    """`text` cut to at most `width` terminal columns, ending in `…` when something was cut."""
    if cell_width(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        w = cell_width(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + ELLIPSIS


def display_value(value: Any) -> str:
    """One value as a terminal cell: NULL, rounded floats, ISO dates, escaped text."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        if value != 0 and abs(value) < 10 ** -FLOAT_DECIMALS:
            return f"{value:.2e}"  # rounding would show a small value as 0
        return f"{value:.{FLOAT_DECIMALS}f}".rstrip("0").rstrip(".")
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return visible(value.hex())
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(display_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{visible(str(k))}: {display_value(v)}" for k, v in value.items()) + "}"
    return visible(str(value))


def _is_numeric(values: Sequence[Any]) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and all(isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) for v in present)


def fit_widths(natural: Sequence[int], floors: Sequence[int], available: int) -> list[int]:
    """Column widths that fit `available` terminal columns (separators excluded).

    Returns `natural` when it fits; otherwise narrows the widest columns first, none below its
    floor. The result may still be too wide: the caller then leaves columns out.
    """
    widths = list(natural)
    excess = sum(widths) - available
    while excess > 0:
        candidates = [i for i in range(len(widths)) if widths[i] > floors[i]]
        if not candidates:
            break
        widest = max(candidates, key=lambda i: widths[i])
        second = max((widths[i] for i in candidates if i != widest), default=0)
        target = max(second, floors[widest], widths[widest] - excess)
        if target == widths[widest]:  # tied with the next widest: take one column at a time
            target -= 1
        excess -= widths[widest] - target
        widths[widest] = target
    return widths


def wrap_header(name: str, width: int, max_lines: int = 3) -> list[str]:
    """A column name over at most `max_lines` lines of `width`, broken after `_`, `-` or a space.

    Never breaks inside a word unless the word alone is wider than the column (then it is cut
    with `…`), and ends with `…` when the name needs more lines than that.
    """
    if cell_width(name) <= width:
        return [name]
    lines: list[str] = []
    current = ""
    for token in re.findall(r"[^_\s-]*[_\s-]*", name):
        if not token:
            continue
        if current and cell_width(current + token.rstrip()) > width:
            lines.append(current)
            current = ""
        current += token
    if current:
        lines.append(current)
    lines = [truncate(line.rstrip(" "), width) for line in lines]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = truncate(lines[-1] + ELLIPSIS * 2, width) if cell_width(lines[-1]) < width else truncate(lines[-1], width - 1) + ELLIPSIS
    return lines


def _header_floor(name: str) -> int:
    """The narrowest a column may get for its name: its longest word (up to 10 columns)."""
    words = re.findall(r"[^_\s-]+[_-]?", name) or [name]
    return min(max(cell_width(w) for w in words), MIN_COLUMN_WIDTH)


def render_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], width: int = 80) -> str:
    """A box table at most `width` columns wide: cells cut with `…`, numbers right-aligned.

    Long column names wrap at word boundaries; values are cut, never below the width of a date
    (10). Columns that still cannot fit are left out, and a last line names them (so no table
    looks complete when it is not).
    """
    header = [visible(str(c)) for c in columns]
    cells = [[display_value(v) for v in row] for row in rows]
    numeric = [_is_numeric([row[i] for row in rows]) for i in range(len(header))]
    values = [max([0] + [cell_width(r[i]) for r in cells]) for i in range(len(header))]
    natural = [max(values[i], cell_width(header[i]), 1) for i in range(len(header))]
    floors = [min(natural[i], max(min(values[i], MIN_COLUMN_WIDTH), _header_floor(header[i]))) for i in range(len(header))]

    shown = len(header)
    while shown > 1 and _frame_width(shown) + sum(floors[:shown]) > width:
        shown -= 1
    widths = fit_widths(natural[:shown], floors[:shown], max(width - _frame_width(shown), 1))

    def line(parts_in: Sequence[str]) -> str:
        parts = []
        for i, (value, w) in enumerate(zip(parts_in, widths, strict=False)):
            text = truncate(value, w)
            pad = " " * (w - cell_width(text))
            parts.append(pad + text if numeric[i] else text + pad)
        return "│ " + _SEP.join(parts) + " │"

    wrapped = [wrap_header(header[i], widths[i]) for i in range(shown)]
    height = max(len(w) for w in wrapped)
    out = ["┌─" + "─┬─".join("─" * w for w in widths) + "─┐"]
    out += [line([w[k] if k < len(w) else "" for w in wrapped]) for k in range(height)]
    out.append("├─" + "─┼─".join("─" * w for w in widths) + "─┤")
    out += [line(r[:shown]) for r in cells]
    out.append("└─" + "─┴─".join("─" * w for w in widths) + "─┘")
    if shown < len(header):
        out.append(truncate(f"{len(header) - shown} more column(s) not shown: {', '.join(header[shown:])}", width))
    return "\n".join(out)


def _frame_width(columns: int) -> int:
    """Terminal columns taken by borders and separators around `columns` cells."""
    return 4 + 3 * (columns - 1)


def json_value(value: Any) -> Any:
    """One value as JSON: numbers stay numbers (NaN/inf as null), times as ISO text."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    return str(value)


def render_json(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A JSON array of objects, one per row, keyed by column name (full precision).

    Characters JSON may carry raw but a terminal would obey (DEL, C1 controls, bidi
    overrides) are written as `\\uXXXX` escapes: the same JSON value, harmless on screen.
    """
    records = [{str(c): json_value(v) for c, v in zip(columns, row, strict=True)} for row in rows]
    text = json.dumps(records, ensure_ascii=False, indent=None)
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _csv_value(value: Any) -> Any:
    if isinstance(value, str):
        return _keep_line_breaks_visible(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date, time)):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(json_value(value), ensure_ascii=False)
    return value


def _keep_line_breaks_visible(text: str) -> str:
    """CSV has no escapes: control characters other than tab and line breaks become visible ones."""
    if text.isprintable():
        return text
    return "".join(c if c in "\t\n\r" else visible(c) for c in text)


def render_csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """RFC 4180 CSV with a header row; NULL is an empty field, floats keep every digit."""
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    out.writerow(columns)
    out.writerows([_csv_value(v) for v in row] for row in rows)
    return buffer.getvalue().rstrip("\n")


def _md_cell(text: str) -> str:
    """A cell's text: `|` cannot end the cell, and HTML in the data is shown, not rendered."""
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_markdown(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub-flavoured Markdown table: cells on one line, `|` escaped, numbers right-aligned."""
    numeric = [_is_numeric([row[i] for row in rows]) for i in range(len(columns))]
    out = ["| " + " | ".join(_md_cell(visible(str(c))) for c in columns) + " |",
           "|" + "|".join("---:" if n else "---" for n in numeric) + "|"]
    out += ["| " + " | ".join(_md_cell(display_value(v)) for v in row) + " |" for row in rows]
    return "\n".join(out)


def render(fmt: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], width: int = 80) -> str:
    """Rows in one of FORMATS; raises ValueError for any other format name."""
    if fmt == "table":
        return render_table(columns, rows, width)
    if fmt == "csv":
        return render_csv(columns, rows)
    if fmt == "json":
        return render_json(columns, rows)
    if fmt == "markdown":
        return render_markdown(columns, rows)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
