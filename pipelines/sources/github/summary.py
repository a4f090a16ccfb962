"""The one-screen summary `pathlens refresh` prints after a GitHub load.

Read from the warehouse (`raw.fetch_log`, `raw.fetch_errors`), not from the source object, so
it shows what was recorded — the same numbers an analyst finds with SQL.
"""

from __future__ import annotations

import duckdb
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

MAX_FAILURES_SHOWN = 12


def render_summary(con: duckdb.DuckDBPyConnection, refresh_id: str) -> RenderableType:
    """Per-endpoint requests, 304s, retries, waits and bytes; then the repos that failed."""
    rows = con.execute(
        """
        SELECT endpoint, sum(requests), sum(not_modified), sum(retries), sum(rate_limit_waits),
               sum(wait_s), sum(bytes)
        FROM raw.fetch_log WHERE refresh_id = ? AND source = 'github'
        GROUP BY endpoint ORDER BY sum(requests) DESC, endpoint
        """,
        [refresh_id],
    ).fetchall()
    table = Table(title=f"GitHub API spent by refresh {refresh_id}", title_justify="left", show_footer=True)
    totals = [sum(r[i] or 0 for r in rows) for i in range(1, 7)]
    table.add_column("endpoint", footer="total")
    for i, name in enumerate(["requests", "304s", "retries", "rate-limit waits", "waited", "bytes"]):
        footer = _fmt(name, totals[i])
        table.add_column(name, justify="right", footer=footer)
    for endpoint, *values in rows:
        names = ["requests", "304s", "retries", "rate-limit waits", "waited", "bytes"]
        table.add_row(endpoint, *(_fmt(n, v or 0) for n, v in zip(names, values, strict=True)))
    counted = sum((r[1] or 0) - (r[2] or 0) for r in rows if r[0] != "GET /rate_limit")  # /rate_limit is free
    parts: list[RenderableType] = [
        table,
        Text(f"{counted:,} requests counted against the rate limit; {totals[1]:,} answered 304 (free)."),
    ]
    failures = con.execute(
        """
        SELECT repo, endpoint, status, message FROM raw.fetch_errors
        WHERE refresh_id = ? AND source = 'github' ORDER BY repo, endpoint
        """,
        [refresh_id],
    ).fetchall()
    if failures:
        repos = sorted({f[0] for f in failures})
        failed = Table(title=f"{len(repos)} repo(s) not fully refreshed (their previous data is kept)",
                       title_justify="left", title_style="bold yellow")
        for col in ("repo", "endpoint", "status", "message"):
            failed.add_column(col, overflow="fold")
        for repo, endpoint, status, message in failures[:MAX_FAILURES_SHOWN]:
            failed.add_row(repo, endpoint, str(status or "-"), message)
        parts.append(failed)
        if len(failures) > MAX_FAILURES_SHOWN:
            parts.append(Text(f"… and {len(failures) - MAX_FAILURES_SHOWN} more in raw.fetch_errors "
                              f"(refresh_id = '{refresh_id}')"))
    else:
        parts.append(Text("No repo failed.", style="green"))
    return Group(*parts)


def _fmt(name: str, value: float) -> str:
    if name == "bytes":
        return _bytes(int(value))
    if name == "waited":
        return f"{value:,.0f} s"
    return f"{int(value):,}"


def _bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{n} B"
