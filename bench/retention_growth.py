"""How fast the warehouse grows per 1,000 services per year, with and without CI-run retention.

Builds a synthetic organisation (N catalogued services, half on a golden path) with `--years`
of GitHub Actions runs at `--runs-per-week` per service, runs the real transforms
(`transform.build_all`), measures the file and its largest tables, then compacts runs older than
`--retention-days` (`retention.compact_ci_runs`), rebuilds and measures again, in place and after
rewriting the file (`retention.rewrite_database`), as the compaction asset does. Prints one JSON
object; sizes in MiB.

    uv run python bench/retention_growth.py [--services 1000] [--runs-per-week 30] [--years 2]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipelines.config import parse_settings  # noqa: E402
from pipelines.raw_schema import RAW_TABLES  # noqa: E402
from pipelines.retention import compact_ci_runs, rewrite_database  # noqa: E402
from pipelines.transform import build_all  # noqa: E402
from pipelines.warehouse import upsert, writer  # noqa: E402

AS_OF = datetime(2026, 1, 1, 5, 0)
MB = 1024 * 1024
TABLES = ("raw.workflow_runs", "marts.ci_friction_monthly", "raw.ci_runs_monthly_compacted")  # marts.ci_runs is a view


def settings(retention_days: int | None):
    return parse_settings({
        "github": {"org": "acme"},
        "golden_paths": [{"name": "go-service", "ref": "template:default/go-service"}],
        "ci": {"backfill_days": min(365, retention_days or 365), "retention_days": retention_days},
    })


def organisation(services: int, years: int, runs_per_week: float, seed: int) -> dict[str, pl.DataFrame]:
    """Repos with a catalog file each, and their runs spread uniformly over `years` before AS_OF."""
    rng = np.random.default_rng(seed)
    names = [f"svc-{i:05d}" for i in range(services)]
    start = AS_OF - timedelta(days=365 * years)
    repos = pl.DataFrame({
        "repo": [f"acme/{n}" for n in names], "name": names,
        "created_at": [start - timedelta(days=30)] * services, "pushed_at": [AS_OF] * services,
        "language": ["Go"] * services, "archived": [False] * services, "fork": [False] * services,
    })
    files = pl.DataFrame({
        "repo": [f"acme/{n}" for n in names], "path": ["catalog-info.yaml"] * services,
        "content": [
            f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {n}\n"
            + ("  annotations:\n    backstage.io/source-template: template:default/go-service\n" if i % 2 else "")
            + f"spec:\n  type: service\n  owner: team-{i % 40}\n"
            for i, n in enumerate(names)],
    })
    total = int(services * runs_per_week * 52 * years)
    seconds = int((AS_OF - start).total_seconds())
    created = np.datetime64(start, "us") + (rng.integers(0, seconds, total) * 1_000_000).astype("timedelta64[us]")
    queue = rng.gamma(2.0, 15.0, total)
    duration = rng.lognormal(5.5, 0.6, total)
    conclusions = rng.choice(["success", "failure", "cancelled", "timed_out"], total, p=[0.85, 0.11, 0.03, 0.01])
    runs = pl.DataFrame({
        "repo": np.array([f"acme/{n}" for n in names])[rng.integers(0, services, total)],
        "run_id": np.arange(1, total + 1, dtype=np.int64),
        "run_attempt": np.where(rng.random(total) < 0.05, 2, 1).astype(np.int32),
        "workflow_id": np.full(total, 1, dtype=np.int64), "workflow_name": "ci",
        "workflow_path": ".github/workflows/ci.yml", "event": "push", "status": "completed",
        "conclusion": conclusions, "head_branch": "main", "created_at": created,
        "run_started_at": created + (queue * 1e6).astype("timedelta64[us]"),
        "updated_at": created + ((queue + duration) * 1e6).astype("timedelta64[us]"),
        "fetched_at": np.full(total, np.datetime64(AS_OF, "us")),
    })
    return {"repos": repos, "repo_files": files, "workflow_runs": runs}


def table_bytes(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """Bytes of the blocks a table's columns use (256 KiB blocks; indexes not included)."""
    [(blocks,)] = con.execute(
        f"select count(distinct block_id) from pragma_storage_info('{table}') where block_id >= 0").fetchall()
    [(block_size,)] = con.execute("select block_size from pragma_database_size()").fetchall()
    return int(blocks) * int(block_size)


def measure(path: Path) -> dict:
    with duckdb.connect(str(path)) as con:
        con.execute("CHECKPOINT")
        tables = {t: {"rows": con.execute(f"select count(*) from {t}").fetchall()[0][0],
                      "mb": round(table_bytes(con, t) / MB, 2)} for t in TABLES}
    return {"file_mb": round(path.stat().st_size / MB, 2), "tables": tables}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--runs-per-week", type=float, default=30.0)
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--retention-days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="pathlens-bench-"))
    try:
        org = organisation(args.services, args.years, args.runs_per_week, args.seed)
        base = folder / "base.duckdb"
        full = folder / "full.duckdb"
        timings = {}
        for path, with_runs in ((base, False), (full, True)):
            started = time.perf_counter()
            with writer(path) as con:
                for name, frame in org.items():
                    if with_runs or name != "workflow_runs":
                        upsert(con, RAW_TABLES[name], frame)
                build_all(con, settings(None), as_of=AS_OF, refresh_id="bench")
            timings[f"load_and_build_s_{'with' if with_runs else 'without'}_runs"] = round(
                time.perf_counter() - started, 2)
        base_mb = measure(base)["file_mb"]
        before = measure(full)

        compacted = folder / "compacted.duckdb"
        shutil.copy(full, compacted)
        started = time.perf_counter()
        with writer(compacted) as con:
            result = compact_ci_runs(con, as_of=AS_OF, retention_days=args.retention_days, compacted_at=AS_OF)
        timings["compaction_s"] = round(time.perf_counter() - started, 2)
        with writer(compacted) as con:
            build_all(con, settings(args.retention_days), as_of=AS_OF, refresh_id="bench-2")
        in_place_mb = measure(compacted)["file_mb"]
        started = time.perf_counter()
        rewrite_database(compacted)
        timings["rewrite_s"] = round(time.perf_counter() - started, 2)
        after = measure(compacted)

        per_k = 1000 / args.services
        runs_per_year = args.services * args.runs_per_week * 52
        compacted_tables = after["tables"]["raw.ci_runs_monthly_compacted"]
        growth = (before["file_mb"] - base_mb) / args.years * per_k
        months = max(result.months_compacted / args.services, 1)  # compacted months per service
        print(json.dumps({
            "scenario": {"services": args.services, "runs_per_week_per_service": args.runs_per_week,
                         "years_of_runs": args.years, "retention_days": args.retention_days,
                         "runs_per_year": int(runs_per_year)},
            "base_file_mb_without_runs": base_mb,
            "without_retention": before,
            "with_retention": {**after, "file_mb_in_place_before_rewrite": in_place_mb,
                               "cutoff": str(result.cutoff), "service_months_compacted": result.months_compacted,
                               "runs_compacted": result.runs_compacted, "runs_deleted": result.runs_deleted},
            "per_1000_services_per_year": {
                "file_growth_mb_without_retention": round(growth, 1),
                "raw_workflow_runs_mb": round(before["tables"]["raw.workflow_runs"]["mb"] / args.years * per_k, 1),
                "marts_ci_friction_monthly_mb": round(
                    before["tables"]["marts.ci_friction_monthly"]["mb"] / args.years * per_k, 2),
                "compacted_rows": 12 * 1000,
                "compacted_mb_upper_bound": round(compacted_tables["mb"] / (months / 12) * per_k, 2),
            },
            "bounded_file_mb_with_retention": after["file_mb"],
            "timings": timings,
        }, indent=2))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
