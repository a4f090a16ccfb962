"""Small pieces: Markdown escaping, safe links and file names, CSV export, the period filter."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from dashboards.lib.escape_hatches import OTHER_TEXTS, reason_choices, reason_labels, with_reason
from dashboards.lib.filters import Filters, last_day_of_month, period_from_widget
from dashboards.lib.text import file_slug, md_escape, web_url
from dashboards.lib.ui import csv_bytes, humanize


@pytest.mark.parametrize(("text", "escaped"), [
    ("payments", "payments"),
    ("[x](javascript:alert(1))", "\\[x\\]\\(javascript\\:alert\\(1\\)\\)"),
    ("**bold** _it_ `code`", "\\*\\*bold\\*\\* \\_it\\_ \\`code\\`"),
    ("<b>hi</b>", "\\<b\\>hi\\<\\/b\\>"),
    (":red[alarm] $x^2$", "\\:red\\[alarm\\] \\$x\\^2\\$"),
    ("two\nlines", "two lines"),
    (None, ""),
])
def test_md_escape(text, escaped):
    assert md_escape(text) == escaped


@pytest.mark.parametrize(("url", "kept"), [
    ("https://github.com/acme/platform/issues/3", True),
    ("http://ghe.example.com/acme/platform/issues/3", True),
    ("javascript:alert(1)", False),
    ("JAVASCRIPT:alert(1)", False),
    ("data:text/html,<script>alert(1)</script>", False),
    ("https://x/\"onmouseover=alert(1)", False),
    ("/relative/path", False),
    (None, False),
])
def test_web_url(url, kept):
    assert (web_url(url) is not None) == kept


def test_file_slug():
    assert file_slug("acme/batch_<i>job</i>") == "acme_batch__i_job_i"
    assert file_slug("../../etc/passwd") == "etc_passwd"
    assert file_slug("///") == "data"


def test_csv_neutralises_formulas_and_flattens_lists():
    frame = pl.DataFrame({
        "service": ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "plain"],
        "reasons": [["gpu", "sidecar"], [], None, ["other"], ["declared:x"]],
        "n": [1, -2, 3, 4, 5],
    })
    lines = csv_bytes(frame).decode().splitlines()
    assert lines[0] == "service,reasons,n"
    assert lines[1] == "\"'=HYPERLINK(\"\"http://x\"\")\",\"gpu, sidecar\",1"
    assert lines[2] == "'+1,\"\",-2"  # an empty list is empty text, a NULL nothing
    assert lines[3].startswith("'-2,") and lines[4].startswith("'@SUM(A1)")
    assert lines[5] == "plain,declared:x,5"


def test_csv_of_nested_and_binary_values():
    frame = pl.DataFrame({"s": [{"a": 1}], "b": [b"\x01\xff"], "l": [[[1, 2]]]})
    assert csv_bytes(frame).decode().splitlines()[1] == '"{""a"": 1}",01ff,"[[1, 2]]"'


@pytest.mark.parametrize(("picked", "expected"), [
    ((date(2024, 2, 10), date(2024, 4, 3)), (date(2024, 2, 1), date(2024, 4, 30))),
    ((date(2024, 2, 10),), (date(2024, 2, 1), date(2024, 6, 10))),
    ((), (date(2024, 1, 1), date(2024, 6, 10))),
    ((date(2023, 1, 1), date(2030, 1, 1)), (date(2024, 1, 1), date(2024, 6, 10))),
    ((date(2024, 5, 5), date(2024, 3, 3)), (date(2024, 3, 1), date(2024, 5, 31))),
])
def test_period_from_widget(picked, expected):
    assert period_from_widget(picked, date(2024, 1, 1), date(2024, 6, 10)) == expected


def test_last_day_of_month():
    assert last_day_of_month(date(2024, 2, 3)) == date(2024, 2, 29)
    assert last_day_of_month(date(2023, 12, 31)) == date(2023, 12, 31)


def test_filters_params():
    f = Filters(date(2024, 2, 1), date(2024, 4, 30), teams=("web",), covers_all=False)
    params = f.params()
    assert params["end_ts"].isoformat() == "2024-05-01T00:00:00"
    assert params["all_teams"] is False and params["all_languages"] is True
    assert f.narrows_services and not f.is_everything
    assert Filters(date(2024, 1, 1), date(2024, 6, 10)).is_everything


@pytest.mark.parametrize(("seconds", "text"), [(59, "0 min"), (3599, "59 min"), (7200, "2 h"),
                                               (3 * 86400, "3 days")])
def test_humanize(seconds, text):
    from datetime import timedelta

    assert humanize(timedelta(seconds=seconds)) == text


def test_a_picked_reason_narrows_the_escape_hatches_and_the_other_texts_are_those_not_drawn():
    # the chart drew gpu, sidecar, "a" and the rest of the texts as one bar (2 texts: "b", "c"), other
    reasons = pl.DataFrame({
        "position": [1, 2, 3, 4, 5], "kind": ["gpu", "sidecar", "declared", "declared", "other"],
        "reason": ["gpu", "sidecar", "declared:a", None, "other"], "declared_text": [None, None, "a", None, None],
        "escape_hatch_services": [1, 0, 2, 2, 1], "declared_texts": [None, None, 1, 2, None]})
    hatches = pl.DataFrame({"service": ["s1", "s2", "s3", "s4", "s5"], "reason_list": [
        ["declared:a", "gpu"], ["declared:a"], ["declared:b"], ["declared:c", "sidecar"], ["other"]]})
    assert reason_choices(reasons) == ["gpu", "sidecar", "declared:a", OTHER_TEXTS, "other"]
    assert reason_labels(reasons) == {"gpu": "GPU", "sidecar": "sidecar", "declared:a": "declared: a",
                                      OTHER_TEXTS: "declared: 2 other texts", "other": "other"}
    picked = {r: with_reason(hatches, r, reasons).get_column("service").to_list() for r in reason_choices(reasons)}
    assert picked == {"gpu": ["s1"], "sidecar": ["s4"], "declared:a": ["s1", "s2"], OTHER_TEXTS: ["s3", "s4"],
                      "other": ["s5"]}
