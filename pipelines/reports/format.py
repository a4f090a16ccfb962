"""How report numbers are written, the same in HTML, Markdown and chat (CSVs keep full precision)."""

from __future__ import annotations

from pipelines.reports.data import SummaryRow

DASH = "–"


def value(unit: str, x: float | int | None) -> str:
    """A figure in its unit: `42.9%` (one decimal, as on the dashboard), `7`, `3.5 days`, `12.0 min`;
    `–` when there is none."""
    if x is None:
        return DASH
    if unit == "ratio":
        return f"{x:.1%}"
    if unit == "count":
        return f"{x:,}"
    if unit == "days":
        return f"{x:.1f} days"
    if unit == "seconds":
        return f"{x / 60:.1f} min" if x >= 120 else f"{x:.0f} s"
    return str(x)


def change(unit: str, x: float | int | None) -> str:
    """A signed change: `+5.0 pp` (percentage points) for ratios, `−2` for counts; `–` when either side is missing.

    A change that rounds to nothing in its unit is `±0` (never `−0 s` or `+0.0 days`).
    """
    if x is None:
        return DASH
    if unit == "ratio":
        return _signed(round(x * 100, 1), "{:+.1f} pp", "±0 pp")
    if unit == "count":
        return _signed(x, "{:+,}", "±0")
    if unit == "days":
        return _signed(round(x, 1), "{:+.1f} days", "±0 days")
    if unit == "seconds":
        if abs(x) >= 120:
            return _signed(round(x / 60, 1), "{:+.1f} min", "±0 min")
        return _signed(round(x), "{:+.0f} s", "±0 s")
    return str(x)


def _signed(rounded: float | int, template: str, zero: str) -> str:
    """`rounded` with its sign (a true minus sign), or `zero` when it is 0."""
    return zero if rounded == 0 else template.format(rounded).replace("-", "−")


def row_cells(row: SummaryRow) -> tuple[str, str, str]:
    """(this period, previous period, change) of a summary row, written out."""
    return value(row.unit, row.value), value(row.unit, row.previous), change(row.unit, row.change)

