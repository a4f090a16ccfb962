"""Escaping repository strings for each output: Markdown, Slack mrkdwn and CSV.

HTML is escaped by Jinja2's autoescape (render_html); these cover the rest. Titles, team and
service names come from repositories anyone in the organisation can write to, so each output
shows them as the characters they are and never as markup, links, formulas or terminal
control sequences (`pipelines.textsafe`).
"""

from __future__ import annotations

import re
from typing import Any

from pipelines.textsafe import printable

# Inline Markdown syntax: code, emphasis, link brackets, table cells, strikethrough, and the `:`
# of `://` so no bare URL becomes a link (`<scheme:…>` autolinks need a `<`, written as an
# entity; `[x](javascript:…)` needs brackets, escaped). Repository strings never start a line here,
# so block markers (`#`, `-`, `1.`) need no escape. `<`, `>`, `&` and `"` become entities
# because Markdown renderers pass raw HTML through.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
# `:` only where it would start a bare link (`https://…`): "declared: GPU" stays readable
_MD_SCHEME = re.compile(r":(?=//)")
_HTML_IN_MD = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}


def md(value: Any) -> str:
    """`value` as literal Markdown text on one line: no emphasis, link, autolink, HTML or table cell break."""
    text = " ".join(printable(str(value)).split())  # newlines would end a list item or a table row
    text = _MD_SCHEME.sub(r"\\:", _MD_SPECIAL.sub(r"\\\1", text))
    return "".join(_HTML_IN_MD.get(c, c) for c in text)


def slack(value: Any) -> str:
    """`value` as Slack mrkdwn text: `&`, `<`, `>` escaped, so `<url|text>` links and mentions can't form."""
    text = " ".join(printable(str(value)).split())
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet will not run: text starting like a formula gets a leading `'`;
    terminal control and bidi-override characters are written as visible escapes."""
    if isinstance(value, str):
        value = printable(value)
        if value.startswith(_FORMULA_START):
            return "'" + value
    return value
