"""How report numbers are written, the same in HTML, Markdown and chat (CSVs keep full precision)."""

from __future__ import annotations

from pipelines.reports.data import SummaryRow

DASH = "–"


def value(unit: str, x: float | int | None) -> str:
    """A figure in its unit: `42%`, `7`, `3.5 days`, `12.0 min`; `–` when there is none."""
    if x is None:
        return DASH
    if unit == "ratio":
        return f"{x:.0%}"
    if unit == "count":
        return f"{x:,}"
    if unit == "days":
        return f"{x:.1f} days"
    if unit == "seconds":
        return f"{x / 60:.1f} min" if x >= 120 else f"{x:.0f} s"
    return str(x)


def change(unit: str, x: float | int | None) -> str:
    """A signed change: `+5.0 pp` (percentage points) for ratios, `−2` for counts; `–` when either side is missing."""
    if x is None:
        return DASH
    if unit == "ratio":
        points = round(x * 100, 1)
        return "±0 pp" if points == 0 else f"{points:+.1f} pp".replace("-", "−")
    if unit == "count":
        return "±0" if x == 0 else f"{x:+,}".replace("-", "−")
    if unit == "days":
        return f"{x:+.1f} days".replace("-", "−")
    if unit == "seconds":
        return f"{x / 60:+.1f} min".replace("-", "−") if abs(x) >= 120 else f"{x:+.0f} s".replace("-", "−")
    return str(x)


def row_cells(row: SummaryRow) -> tuple[str, str, str]:
    """(this period, previous period, change) of a summary row, written out."""
    return value(row.unit, row.value), value(row.unit, row.previous), change(row.unit, row.change)


def difference(a: float | None, b: float | None) -> float | None:
    """a − b, or None when either is missing."""
    return None if a is None or b is None else a - b
