"""Issue 13, item 12: terminal control characters in repository text are shown, never obeyed.

Before: ESC sequences and right-to-left overrides in repo names or issue titles passed
unchanged into `pathlens sql` output, report.md and the CSVs. (`pathlens sql` is covered in
test_sql_limits.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.reports import write_report
from pipelines.reports.escape import csv_cell, md, slack
from pipelines.textsafe import printable
from tests.reports import conftest as reports

HOSTILE = "svc\x1b]0;owned\x07\x1b[2J\u202eexe.txt\x9b31m"
RAW = ("\x1b", "\x07", "\u202e", "\x9b")


@pytest.mark.parametrize("escape", [printable, md, slack, csv_cell])
def test_each_output_escape_writes_controls_visibly(escape):
    out = escape(HOSTILE)
    assert not any(c in out for c in RAW)
    assert "\\x1b" in out and "\\u202e" in out


def test_ordinary_text_and_newlines_are_kept():
    assert printable("café – naïve\tok\nnext") == "café – naïve\tok\nnext"


def test_report_markdown_and_csvs_carry_no_control_characters(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(reports, "FETCH_ERRORS", [{**reports.FETCH_ERRORS[0], "repo": "acme/" + HOSTILE,
                                                   "message": "Bad Gateway " + HOSTILE}])
    warehouse = reports.build_org(tmp_path)
    files = write_report(warehouse, tmp_path / "out", "month", reports.settings())
    texts = {path.name: path.read_text() for path in files.all if path.suffix in (".md", ".csv")}
    assert any("\\x1b" in text for text in texts.values())  # the hostile repo is reported ...
    for name, text in texts.items():
        assert not any(c in text for c in RAW), name  # ... as visible escapes
    assert not any(c in files.chat_text for c in RAW)
