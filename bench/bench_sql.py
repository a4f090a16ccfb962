"""What one ad hoc query costs in its child process, and what the limits stop (issue 13).

Prints JSON: the median wall time of `run_query("SELECT 1")` (the child's start-up: Python,
DuckDB, the sandboxed ATTACH, the Parquet hand-back), of a query over `marts.services`, and
for each attack of issue 13 item 1 the seconds until it was stopped, the reason, and this
process's peak RSS (the caller must stay small whatever the query does).
Usage: python bench/bench_sql.py WAREHOUSE [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipelines.query import QueryError, QueryLimits, run_query  # noqa: E402

ATTACKS = {
    "huge_list": "SELECT length(range(100000000))",
    "huge_strings": "SELECT repeat('x', 600000) FROM range(3000)",
    "endless": "SELECT count(*) FROM range(1000000000000) a WHERE a.range % 7 = 3",
}


def _timed(warehouse: str, sql: str, timeout_s: float) -> tuple[float, str]:
    started = time.perf_counter()
    try:
        frame, _ = run_query(warehouse, sql, timeout_s=timeout_s)
        outcome = f"{frame.height} row(s)"
    except QueryError as exc:
        outcome = str(exc)
    return time.perf_counter() - started, outcome


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("warehouse")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()
    report: dict = {"limits": QueryLimits.from_env().__dict__}
    for name, sql in (("select_1", "SELECT 1"), ("services", "SELECT * FROM marts.services")):
        times = [_timed(args.warehouse, sql, args.timeout)[0] for _ in range(args.repeat)]
        report[name] = {"median_s": round(statistics.median(times), 3), "min_s": round(min(times), 3)}
    for name, sql in ATTACKS.items():
        seconds, outcome = _timed(args.warehouse, sql, args.timeout)
        report[name] = {"stopped_after_s": round(seconds, 2), "outcome": outcome}
    report["caller_peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
