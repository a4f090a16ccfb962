"""One type and one writer for what a source could not fetch (`raw.fetch_errors`), every source.

A `FetchProblem` scrubs its text when it is made (`pipelines.scrub`), so a credential echoed in
an error page never reaches a log line, the warehouse, an alert, a report or a webhook.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import duckdb
import polars as pl

from pipelines.raw_schema import RAW_TABLES
from pipelines.scrub import scrub
from pipelines.warehouse import upsert


@dataclass(frozen=True)
class FetchProblem:
    """Something a source could not read; the refresh went on without it."""

    source: str  # github | kubernetes | backstage | ...
    scope: str  # the repo, cluster context or catalog the problem belongs to
    endpoint: str
    status: int | None
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "scope", scrub(self.scope))
        object.__setattr__(self, "endpoint", scrub(self.endpoint))
        object.__setattr__(self, "message", scrub(self.message))


def write_problems(con: duckdb.DuckDBPyConnection, refresh_id: str,
                   problems: Iterable[tuple[FetchProblem, datetime]]) -> int:
    """Append problems (each with when it happened) to raw.fetch_errors; returns the rows written."""
    spec = RAW_TABLES["fetch_errors"]
    rows = [{"refresh_id": refresh_id, "source": p.source, "repo": p.scope, "endpoint": p.endpoint,
             "status": p.status, "message": scrub(p.message), "occurred_at": at} for p, at in problems]
    if not rows:
        return 0
    return upsert(con, spec, pl.from_dicts(rows, schema=spec.polars_schema()))
