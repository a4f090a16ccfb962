"""Fixed queries against the published warehouse, through the reader sandbox of
`pipelines.query` (the one the SQL page and `pathlens sql` use).

The exports never take SQL from outside: each caller passes one of its own statements, with
values bound as parameters. Each query runs in `pipelines.query`'s child process: the
warehouse opened read-only with no files, no network and its configuration locked, the
statement checked to be one query, under memory, CPU-time and deadline limits the operating
system enforces. The warehouse is opened per call and closed after it, so a publish is seen by
the next call and no lock is held between them.
"""

from __future__ import annotations

import os
from typing import Any

from pipelines.query import QueryError, execute

# the exports' own queries are bounded by the organisation's size: far more rows than they
# return, so a result is never cut short silently (a cut one is an error instead)
MAX_ROWS = 1_000_000


class ExportError(Exception):
    """The warehouse could not be read (missing, not refreshed, or a query that failed)."""


def select_rows(warehouse: str | os.PathLike[str], sql: str, params: dict[str, Any] | None = None,
                *, timeout_s: float = 20.0) -> list[dict[str, Any]]:
    """The rows of one read-only query as dicts (column name → Python value).

    Raises ExportError with a one-line reason when there is no warehouse, a table is missing
    (an older warehouse), the sandbox refuses the statement, or the query fails or runs past
    `timeout_s`.
    """
    try:
        result = execute(warehouse, sql, params=params, timeout_s=timeout_s, max_rows=MAX_ROWS)
    except FileNotFoundError as exc:
        raise ExportError(str(exc)) from None
    except QueryError as exc:  # QueryRefused too
        reason = str(exc)
        if reason.startswith("Catalog Error"):
            raise ExportError(f"the warehouse lacks a table the exports read ({reason}); "
                              "run `pathlens refresh` to rebuild it with this version") from None
        raise ExportError(f"reading the warehouse failed: {reason}") from None
    if result.truncated:
        raise ExportError(f"the query returned more than {MAX_ROWS:,} rows")
    return result.frame.to_dicts()
