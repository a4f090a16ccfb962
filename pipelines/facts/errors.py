"""The one error every parser in `pipelines.facts` raises for a file it cannot read.

A `ParseError` names the file and says, on one line, what was wrong and where (line and
column, 1-based, when the YAML/JSON parser knows them). It never carries the file's text
beyond a short quoted value, so a secret pasted into a repo file does not travel into logs.
"""

from __future__ import annotations


class ParseError(ValueError):
    """A repository file that could not be turned into facts.

    `detail` is the message without the path (for a `file_errors` row, whose path is a column
    of its own); `str(error)` is `"<path>: <detail>"`.
    """

    def __init__(
        self, path: str, reason: str, *, line: int | None = None, column: int | None = None
    ) -> None:
        self.path = path
        self.reason = one_line(reason)
        self.line = line
        self.column = column
        super().__init__(f"{path}: {self.detail}")

    @property
    def detail(self) -> str:
        if self.line is None:
            return self.reason
        where = (
            f"line {self.line}"
            if self.column is None
            else f"line {self.line}, column {self.column}"
        )
        return f"{where}: {self.reason}"


def one_line(text: str, limit: int = 300) -> str:
    """`text` with its whitespace runs folded to single spaces and cut to `limit` characters."""
    folded = " ".join(str(text).split())
    return folded if len(folded) <= limit else folded[: limit - 1] + "…"


def quote(value: object, limit: int = 40) -> str:
    """A short, quoted rendering of a value found in a file, for error messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
