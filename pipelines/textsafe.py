"""Repository text made safe to show on a terminal, in Markdown and in CSV files.

Repo names, issue titles and query results are data written by anyone with a repository. A
terminal acts on escape sequences (ESC [ ... moves the cursor, rewrites the title, hides
text) and a right-to-left override reorders what follows it, so such characters are written
out as visible escapes (`\\x1b`, `\\u202e`) instead of being passed through.
"""

from __future__ import annotations

import re
from typing import Any

# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional formatting
# characters (ALM, LRM/RLM, embeddings/overrides LRE..RLO and isolates LRI..PDI)
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with control and bidi-override characters written as visible escapes."""
    return _UNSAFE.sub(_escape, text)


def printable_value(value: Any) -> Any:
    """`printable` for strings; other values as they are."""
    return printable(value) if isinstance(value, str) else value
