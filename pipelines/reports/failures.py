"""Failed runs, recorded by the run-failure sensor and read into `raw.run_failures` by the next refresh.

The sensor cannot write the warehouse: a refresh may hold DuckDB's single writer lock, and a
sensor gets each failure only once. So it appends one JSON line to an outbox file beside the
warehouse (`pathlens.run_failures.jsonl`; an append of one short line is atomic), and the
alerts step of every refresh upserts the outbox into `raw.run_failures` by run id, so reading
it twice changes nothing. Secrets the configuration names are redacted before anything is written.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from pipelines.config import Settings
from pipelines.raw_schema import RAW_TABLES
from pipelines.scrub import register_from_settings, scrub
from pipelines.warehouse import WarehousePaths, upsert

MAX_MESSAGE = 500


@dataclass(frozen=True)
class RunFailure:
    run_id: str
    job_name: str
    failed_at: datetime  # naive UTC
    steps: list[str] = field(default_factory=list)
    message: str = ""


def outbox_path(paths: WarehousePaths) -> Path:
    """Where failures wait for the next refresh: beside the published warehouse."""
    published = paths.published
    return published.with_name(published.stem + ".run_failures.jsonl")


def secret_values(settings: Settings, environ: Mapping[str, str] = os.environ) -> list[str]:
    """The values of every environment variable the configuration names as holding a secret
    (registered with the one scrubber as well)."""
    return register_from_settings(settings, environ)


def redact(text: str, secrets: list[str]) -> str:
    """`text` through the one scrubber (`pipelines.scrub`), masking `secrets` too."""
    return scrub(text, secrets)


def record_failure(outbox: Path, failure: RunFailure, secrets: list[str]) -> None:
    """Append one failure to the outbox (redacted, message cut to its first line)."""
    lines = redact(failure.message, secrets).strip().splitlines()
    message = (lines[0] if lines else "")[:MAX_MESSAGE]
    row = {**asdict(failure), "message": message, "failed_at": failure.failed_at.isoformat()}
    outbox.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(row, sort_keys=True) + "\n").encode("utf-8")
    fd = os.open(outbox, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def read_failures(outbox: Path) -> tuple[list[RunFailure], list[str]]:
    """The failures in the outbox, and one problem line per unreadable line (the rest go on)."""
    if not outbox.is_file():
        return [], []
    failures, problems = [], []
    for number, line in enumerate(outbox.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            failures.append(RunFailure(
                run_id=str(row["run_id"]), job_name=str(row["job_name"]),
                failed_at=datetime.fromisoformat(row["failed_at"]),
                steps=[str(s) for s in row.get("steps") or []], message=str(row.get("message") or ""),
            ))
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(f"{outbox}:{number}: not a failure record ({type(exc).__name__}: {exc})")
    return failures, problems


def ingest_failures(con: duckdb.DuckDBPyConnection, outbox: Path, *, now: datetime | None = None) -> list[str]:
    """Add the outbox's failures not yet in raw.run_failures; returns the problems found in it."""
    failures, problems = read_failures(outbox)
    known = {r[0] for r in con.execute("select run_id from raw.run_failures").fetchall()}
    fresh = [f for f in failures if f.run_id not in known]
    if fresh:
        recorded = now or datetime.now(UTC).replace(tzinfo=None)
        frame = pl.DataFrame(
            [{**asdict(f), "recorded_at": recorded} for f in fresh],
            schema=RAW_TABLES["run_failures"].polars_schema(),
        )
        upsert(con, RAW_TABLES["run_failures"], frame)
    return problems
