"""How report numbers and text are written: no `−0 s`, no stray `\\:`."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from pipelines.reports.escape import md
from pipelines.reports.format import change


@pytest.mark.parametrize(("unit", "x", "shown"), [
    ("seconds", -0.3, "±0 s"),        # rounds to 0 s: no "−0 s"
    ("seconds", 0.4, "±0 s"),
    ("seconds", -0.6, "−1 s"),
    ("seconds", 12.0, "+12 s"),
    ("seconds", -150.0, "−2.5 min"),  # 150 s = 2.5 min
    ("days", -0.04, "±0 days"),       # −0.04 rounds to −0.0
    ("days", 1.25, "+1.2 days"),      # Python rounds half to even: 1.25 → 1.2
    ("ratio", -0.0004, "±0 pp"),      # −0.04 pp rounds to 0.0
    ("ratio", 0.0525, "+5.2 pp"),     # 5.25 pp, stored as 5.2499…, → 5.2
    ("count", -3, "−3"),
    ("count", 0, "±0"),
    ("count", None, "–"),
])
def test_change(unit, x, shown):
    assert change(unit, x) == shown


def test_markdown_keeps_colons_readable_and_bare_urls_inert():
    assert md("declared: needs a GPU") == "declared: needs a GPU"
    # GFM links a bare `https://…`; `https\://` is no longer one, and renders as `https://`
    assert md("see https://evil.example/x") == "see https\\://evil.example/x"
    html = MarkdownIt("commonmark").render(md("see https://evil.example/x"))
    assert "<a " not in html and "https://evil.example/x" in html


def test_empty_sections_say_none_instead_of_disappearing(org):
    """A quiet period keeps every section, each saying "none" (Markdown and HTML)."""
    from dataclasses import replace

    from pipelines.reports.render_html import render_html
    from pipelines.reports.render_text import render_markdown
    from pipelines.reports.write import load_report_data
    from tests.reports.conftest import settings

    data = load_report_data(org, "week", settings())
    quiet = replace(data, worst_teams=[], requests_opened=[], friction=[],
                    escape_hatches=replace(data.escape_hatches, new=[], services=[], count=0, new_count=0))
    markdown = render_markdown(quiet)
    for heading, none in (("## Escape hatches at the end of the week (0)", "None."),
                          ("## New escape hatches (0)", "None this week."),
                          ("## Teams below the threshold", "None."),
                          ("## Exception requests opened (0)", "None this week."),
                          ("## CI friction", "None: no CI runs this week.")):
        after = markdown.split(heading, 1)[1]
        assert after.split("\n##", 1)[0].strip().splitlines()[-1] == none, heading
    html = render_html(quiet)
    assert html.count('<p class="none">') == 4
    assert "<h2>CI friction</h2>" in html
