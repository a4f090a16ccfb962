"""Hostile repository strings stay text in every output: HTML, Markdown, chat and CSV.

The organisation's exception requests are titled `<script>…`, `"><img onerror=…>` and
`[x](javascript:…)`, and one team is named `<script>alert('team')</script>` (conftest.py).
"""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from pipelines.reports import write_report
from pipelines.reports.csvs import to_csv
from pipelines.reports.escape import csv_cell, md, slack
from tests.reports.conftest import HOSTILE_REASON, HOSTILE_TEAM, HOSTILE_TITLES, settings

HOSTILE = [
    *HOSTILE_TITLES.values(),
    HOSTILE_TEAM,
    "<https://evil.example|click me>",
    "**bold** _em_ `code` ~~gone~~ | cell",
    "![img](http://evil.example/x.png)",
    "line one\nline two\n| a | b |",
    "<!-- comment --> &amp; &lt;",
]


class Tags(HTMLParser):
    """The start tags of a page, and its text (with entities decoded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data) -> None:
        self.text.append(data)


def parse(html: str) -> Tags:
    parser = Tags()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def files(org, tmp_path_factory):
    return write_report(org, tmp_path_factory.mktemp("out"), "week", settings())


def test_html_shows_hostile_strings_as_text(files):
    html = files.html.read_text()
    page = parse(html)
    names = [tag for tag, _ in page.tags]
    assert names.count("script") == 4  # Plotly's library and the three figures, nothing else
    assert "img" not in names and "a" not in names
    assert not any(k.startswith("on") for _, attrs in page.tags for k in attrs)  # no event handlers
    assert html.count("</script>") == 4
    text = "".join(page.text)
    # the titles of requests #2 and #3 (opened this week), the hostile team and delta's declared
    # escape-hatch reason, shown literally
    for shown in (HOSTILE_TITLES[2], HOSTILE_TITLES[3], HOSTILE_TEAM, HOSTILE_REASON):
        assert shown in text
    assert "&lt;script&gt;alert(&#39;team&#39;)&lt;/script&gt;" in html


def test_markdown_renders_hostile_strings_as_text(files):
    rendered = MarkdownIt("commonmark").enable("table").render(files.markdown.read_text())
    page = parse(rendered)
    assert {tag for tag, _ in page.tags} <= {"h1", "h2", "p", "ul", "li", "table", "thead", "tbody", "tr",
                                             "th", "td", "em"}
    text = "".join(page.text)
    for shown in (HOSTILE_TITLES[2], HOSTILE_TITLES[3], HOSTILE_TEAM, HOSTILE_REASON):
        assert shown in text


@pytest.mark.parametrize("value", HOSTILE)
def test_md_escape_round_trips_as_plain_text(value):
    rendered = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(f"- before {md(value)} after\n")
    page = parse(rendered)
    assert [tag for tag, _ in page.tags] == ["ul", "li"]
    assert "".join(page.text).strip() == f"before {' '.join(value.split())} after"


@pytest.mark.parametrize("value", HOSTILE)
def test_slack_escape_leaves_no_markup_delimiters(value):
    escaped = slack(value)
    assert "<" not in escaped and ">" not in escaped and "\n" not in escaped
    assert escaped.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") == " ".join(value.split())


def test_chat_text_escapes_the_team(files):
    assert "&lt;script&gt;alert('team')&lt;/script&gt;" in files.chat_text
    assert "<script" not in files.chat_text


@pytest.mark.parametrize(("value", "cell"), [
    ("=HYPERLINK(\"http://evil.example\",\"x\")", "'=HYPERLINK(\"http://evil.example\",\"x\")"),
    ("+1+1", "'+1+1"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("plain title", "plain title"), (-3, -3), (0.5, 0.5),
])
def test_csv_cells_never_start_a_formula(value, cell):
    assert csv_cell(value) == cell


def test_csv_round_trip_keeps_hostile_text(files):
    rows = list(csv.DictReader(io.StringIO(files.csvs["exception_requests_opened"].read_text())))
    assert [r["title"] for r in rows] == [HOSTILE_TITLES[2], HOSTILE_TITLES[3]]
    teams = list(csv.DictReader(io.StringIO(files.csvs["teams_below_threshold"].read_text())))
    assert teams[0]["owner"] == HOSTILE_TEAM
    text = to_csv(["title"], [{"title": HOSTILE_TITLES[4]}, {"title": "a\nb, \"c\""}])
    assert list(csv.reader(io.StringIO(text))) == [["title"], ["'" + HOSTILE_TITLES[4]], ["a\nb, \"c\""]]
