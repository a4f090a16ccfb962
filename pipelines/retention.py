"""Data retention: fold old workflow runs into frozen monthly figures, so the warehouse stays bounded.

Runs are the one raw table that grows with activity rather than with the organisation. With
`ci.retention_days` set, every month that ended more than that many days before the refresh's
`as_of` is compacted: the runs of service repos are aggregated per repo and month into
`raw.ci_runs_monthly_compacted` (counts, and the month's median / p90 durations and median queue
time as computed at that moment), then every run of those months is deleted from
`raw.workflow_runs`. `marts.ci_friction_monthly` reads compacted months from there, so its rows
for them do not change.

DuckDB reuses the space of deleted rows but never shrinks its file, so after a compaction that
deleted runs (about once a month) `rewrite_database` copies the build warehouse into a fresh file.

Counts add up, medians do not: a compacted month is frozen. Runs of a compacted month that
arrive later (a reset cursor re-reading history) are deleted by the next compaction, and never
counted (the mart ignores them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from pipelines.warehouse import release, transaction


@dataclass(frozen=True)
class CompactionResult:
    cutoff: date | None  # months before it are compacted; None when retention is off
    months_compacted: int  # (repo, month) rows written
    runs_compacted: int  # runs folded into them
    runs_deleted: int  # every raw run before the cutoff (non-service repos and late runs too)

    def as_metadata(self) -> dict[str, int | str]:
        return {
            "cutoff": str(self.cutoff) if self.cutoff else "retention off",
            "months_compacted": self.months_compacted,
            "runs_compacted": self.runs_compacted,
            "runs_deleted": self.runs_deleted,
        }


def compaction_cutoff(as_of: datetime, retention_days: int) -> date:
    """The first day of the oldest month still kept run by run.

    A month is compacted only once all of it is older than `retention_days` before `as_of`.
    """
    horizon = as_of - timedelta(days=retention_days)
    return date(horizon.year, horizon.month, 1)


def compact_ci_runs(con: duckdb.DuckDBPyConnection, *, as_of: datetime, retention_days: int | None,
                    compacted_at: datetime) -> CompactionResult:
    """Compact every month before the cutoff in one transaction; returns what it did.

    Needs intermediate.services of this refresh: only service repos' runs count in the marts, so only
    they are aggregated. Running it again changes nothing: compacted months are skipped and their
    raw runs are already gone. The aggregates are the ones marts.ci_friction_monthly computes for
    a live month (tests/retention checks that a month reads the same before and after).
    """
    if retention_days is None:
        return CompactionResult(None, 0, 0, 0)
    cutoff = compaction_cutoff(as_of, retention_days)
    with transaction(con):
        written = con.execute(
            """
            insert into raw.ci_runs_monthly_compacted
            select
                month, repo, runs, failed, succeeded, reruns,
                duration_quantiles[1] as median_duration_s,
                duration_quantiles[2] as p90_duration_s,
                median_queue_s,
                $compacted_at as compacted_at
            from intermediate.ci_repo_monthly as r
            where month < $cutoff
              and not exists (
                select 1 from raw.ci_runs_monthly_compacted as c where c.repo = r.repo and c.month = r.month
              )
            returning runs
            """,
            {"cutoff": cutoff, "compacted_at": compacted_at},
        ).fetchall()
        deleted = con.execute(
            "delete from raw.workflow_runs where created_at < $cutoff returning 1", {"cutoff": cutoff}
        ).fetchall()
    return CompactionResult(cutoff, len(written), sum(r[0] for r in written), len(deleted))



def rewrite_database(path: Path) -> tuple[int, int]:
    """Copy a closed DuckDB file into a fresh one and swap it in; returns (bytes before, after).

    `COPY FROM DATABASE` writes only live rows, so the space deleted rows held is given back.
    The caller must hold no connection to `path`.
    """
    path = Path(path)
    release(path)  # a run's kept-open connection would go on reading the replaced file
    before = path.stat().st_size
    fresh = path.with_name(f".{path.stem}.rewrite{path.suffix}")
    fresh.unlink(missing_ok=True)
    quoted = [str(p).replace("'", "''") for p in (path, fresh)]
    try:
        with duckdb.connect() as con:
            con.execute(f"ATTACH '{quoted[0]}' AS src (READ_ONLY)")
            con.execute(f"ATTACH '{quoted[1]}' AS dst")
            con.execute("COPY FROM DATABASE src TO dst")
            con.execute("DETACH dst")
            con.execute("DETACH src")
        os.replace(fresh, path)
    except BaseException:
        fresh.unlink(missing_ok=True)
        raise
    Path(f"{path}.wal").unlink(missing_ok=True)
    return before, path.stat().st_size
