"""Repository text made safe to show: as literal Markdown, and links only to web pages.

Streamlit renders Markdown in titles, captions, alerts and metric labels. A team or service
name comes from a repository, so before it reaches such an element every ASCII punctuation
character is backslash-escaped (CommonMark allows that for all of them): `[x](y)`, `**`,
`:red[...]`, `$...$` and `<b>` then show as typed instead of becoming links, styling, LaTeX
or HTML.
"""

from __future__ import annotations

import re
import string

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
_WEB_URL = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)


def md_escape(value: object) -> str:
    """`value` as Markdown that displays exactly its characters (newlines become spaces)."""
    text = "" if value is None else str(value)
    return _PUNCTUATION.sub(r"\\\1", " ".join(text.splitlines()))


def web_url(value: str | None) -> str | None:
    """`value` when it is an http(s) URL, else None (no `javascript:`, `data:` or bare paths)."""
    if value and _WEB_URL.match(value.strip()):
        return value.strip()
    return None


_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


def file_slug(value: object) -> str:
    """`value` reduced to characters safe in a download's file name."""
    return _UNSAFE_FILE_CHARS.sub("_", str(value)).strip("._") or "data"
