"""Query results as text: terminal tables that fit, and CSV/JSON/Markdown that keep the data."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal

import pytest

from pipelines.table_format import (
    cell_width,
    display_value,
    fit_widths,
    render,
    render_csv,
    render_json,
    render_markdown,
    render_table,
    truncate,
    visible,
    wrap_header,
)

COLUMNS = ["month", "services_created", "golden_path_created", "new_service_adoption", "owner"]
ROWS = [
    (date(2026, 10, 1), 13, 12, 12 / 13, "team-payments-and-billing-platform"),
    (date(2026, 11, 1), 1_234_567, 0, None, "日本語チーム"),
]


def lines_of(text: str) -> list[str]:
    return text.splitlines()


@pytest.mark.parametrize("width", [40, 60, 80, 120])
def test_every_line_of_a_table_fits_the_terminal(width):
    table = render_table(COLUMNS, ROWS, width)
    assert max(cell_width(line) for line in lines_of(table)) <= width


def test_a_table_that_fits_is_shown_whole_with_rounded_floats():
    table = render_table(COLUMNS, ROWS, 200)
    assert "0.9231" in table  # 12/13 = 0.923076…, four decimals
    assert "0.923076" not in table
    assert "team-payments-and-billing-platform" in table
    assert "1234567" in table and "NULL" in table
    assert "more column(s)" not in table


def test_a_narrow_terminal_cuts_values_with_an_ellipsis_and_wraps_headers_at_word_breaks():
    table = render_table(COLUMNS, ROWS, 80)
    assert "team-payme…" in table or "team-payments…" in table or "…" in table.split("owner")[1]
    body = "\n".join(lines_of(table)[:5])
    # headers break after "_" only: no header line starts inside a word
    assert "services_" in body and "created" in body
    for fragment in ("ervices", "reated_", "olden"):
        assert f"│ {fragment}" not in body and f" {fragment} │" not in body
    assert "2026-10-01" in table  # dates are never cut


def test_columns_that_cannot_fit_are_named_not_hidden():
    # 40 columns: month (floor 10: a date), services_created (9: "services_") and
    # golden_path_created (7: "golden_") take 26 + 10 of borders = 36; a fourth needs 10 more.
    table = render_table(COLUMNS, ROWS, 40)
    assert lines_of(table)[-1].startswith("2 more column(s) not shown: new_service")
    assert max(cell_width(line) for line in lines_of(table)) <= 40


def test_fit_widths_narrows_the_widest_first_and_respects_floors():
    # natural 30 + 12 + 5 = 47 into 30: the 30-wide column gives 12 to reach 18, then both
    # wide ones (18 and 12) give more: 18→13, 12→12 … worked out: excess 17, widest 30 → max(12, 5, 13)=13
    assert fit_widths([30, 12, 5], [10, 10, 5], 30) == [13, 12, 5]
    assert fit_widths([30, 12, 5], [10, 10, 5], 100) == [30, 12, 5]
    assert fit_widths([30, 12, 5], [10, 10, 5], 10) == [10, 10, 5]  # floors: the caller drops columns


def test_wrap_header_breaks_after_underscores():
    assert wrap_header("new_service_adoption", 10) == ["new_", "service_", "adoption"]
    assert wrap_header("month", 10) == ["month"]
    assert all(cell_width(line) <= 6 for line in wrap_header("averyveryverylongword_x", 6))


def test_control_characters_in_names_and_values_are_shown_as_escapes():
    evil = "ok\x1b[31mred\x07\u202eevil\nline"
    table = render_table([evil], [(evil,)], 200)
    assert "\x1b" not in table and "\x07" not in table and "\u202e" not in table
    assert "\\x1b[31mred\\x07\\u202eevil\\nline" in table
    assert "[bold]" in render_table(["[bold]x"], [("[red]y",)], 80)  # no markup: shown as typed


def test_visible_keeps_printable_text():
    assert visible("plain – text ü 日本") == "plain – text ü 日本"
    assert visible("tab\there") == "tab\\there"


def test_wide_characters_count_twice():
    assert cell_width("日本") == 4 and cell_width("ab") == 2
    assert truncate("日本語チーム", 7) == "日本語…"  # 3 wide characters (6 columns) + the ellipsis


@pytest.mark.parametrize(("value", "shown"), [
    (0.14285714285714285, "0.1429"), (2.0, "2"), (7328.469, "7328.469"), (-0.00001, "-1.00e-05"),
    (None, "NULL"), (True, "true"), (datetime(2024, 5, 1), "2024-05-01 00:00:00"),
    (["gpu", "sidecar"], "[gpu, sidecar]"), (Decimal("1.50"), "1.50"),
])
def test_display_value(value, shown):
    assert display_value(value) == shown


def test_csv_keeps_every_digit_and_reads_back():
    text = render_csv(COLUMNS, ROWS)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == COLUMNS
    assert float(rows[1][3]) == 12 / 13
    assert rows[2][3] == ""  # NULL
    assert rows[2][4] == "日本語チーム"


def test_json_is_an_array_of_objects_with_full_precision_and_safe_escapes():
    records = json.loads(render_json(COLUMNS + ["note"], [(*ROWS[0], "a\u202eb\x1b")]))
    assert records == [{"month": "2026-10-01", "services_created": 13, "golden_path_created": 12,
                        "new_service_adoption": 12 / 13, "owner": "team-payments-and-billing-platform",
                        "note": "a\u202eb\x1b"}]  # the same value once decoded …
    raw = render_json(["note"], [("a\u202eb\x1b",)])
    assert "\u202e" not in raw and "\x1b" not in raw  # … but never raw on a terminal


def test_markdown_escapes_cell_breaks_and_html():
    text = render_markdown(["name", "n"], [("a|b <script>", 3), ("x", None)])
    assert lines_of(text)[1] == "|---|---:|"
    assert "a\\|b &lt;script&gt;" in text
    assert "<script>" not in text


def test_render_rejects_an_unknown_format():
    with pytest.raises(ValueError, match="unknown format"):
        render("xml", ["a"], [(1,)])
