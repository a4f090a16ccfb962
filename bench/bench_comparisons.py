"""What the golden path vs DIY comparisons add to a build (issue #12's benchmark).

On a warehouse built by `bench_pipeline.py --keep DIR` (default scale: large, 20 M CI runs),
rebuilds the marts the comparisons read (untimed), then times, in the same process:
- `after`: marts.comparison_services (SQL) and the statistics writing marts.golden_path_vs_diy
  and _by_language (Python, scipy) — what a build now runs for the comparisons;
- `before` (with --before REV): the single-SQL marts.golden_path_vs_diy of git revision REV,
  which a build ran before.
Prints JSON with wall and CPU seconds of each (CPU: this process, DuckDB's threads included;
less sensitive than wall time to other work on a shared machine) and the difference: `after`
is the fastest of --repeat runs, `after_first` the first one, which includes importing
scipy.stats (done on first use, once per process: what a build pays), and `load_avg` the
1-minute load average before and after.
Usage: python bench/bench_comparisons.py [DIR/pathlens.build.duckdb] [--before REV]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipelines.comparisons import build_comparisons  # noqa: E402
from pipelines.sources.demo_conventions import demo_settings  # noqa: E402
from pipelines.sql_models import SqlModel, load_models, referenced_tables  # noqa: E402
from pipelines.transform import build_model  # noqa: E402
from pipelines.warehouse import writer  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
UPSTREAM = ("ci_friction_monthly", "deploys", "time_to_first_deploy")  # rebuilt, untimed


def _timed(results: dict, name: str, work) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    results[name] = {"wall_s": round(time.perf_counter() - wall, 3), "cpu_s": round(time.process_time() - cpu, 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("warehouse", nargs="?", default="/tmp/bench-large/pathlens.build.duckdb")
    parser.add_argument("--before", help="git revision whose sql/marts/golden_path_vs_diy.sql to time")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the fastest is reported")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pathlens-comparisons-")) / "wh.duckdb"
    shutil.copyfile(args.warehouse, work)
    models = {m.name: m for m in load_models() if m.schema == "marts"}
    min_n = demo_settings().comparisons.min_n
    results: dict = {"warehouse": args.warehouse}
    load_before = round(os.getloadavg()[0], 2)
    with writer(work) as con:
        results["raw_runs"] = con.execute("select count(*) from raw.workflow_runs").fetchall()[0][0]
        for name in UPSTREAM:
            build_model(con, models[name])
        results["services"] = con.execute("select count(*) from marts.services").fetchall()[0][0]
        runs: dict[str, list[dict]] = {"after": [], "before": []}
        for _ in range(args.repeat):
            step: dict = {}
            _timed(step, "comparison_services_sql", lambda: build_model(con, models["comparison_services"]))
            _timed(step, "statistics", lambda: build_comparisons(con, min_n))
            step["wall_s"] = round(sum(v["wall_s"] for v in step.values()), 3)
            step["cpu_s"] = round(sum(v["cpu_s"] for v in step.values() if isinstance(v, dict)), 3)
            runs["after"].append(step)
            if args.before:
                sql = subprocess.run(["git", "-C", str(ROOT), "show", f"{args.before}:sql/marts/golden_path_vs_diy.sql"],
                                     check=True, capture_output=True, text=True).stdout
                old = SqlModel("marts", "golden_path_vs_diy_before", Path("before.sql"), sql, referenced_tables(sql), "")
                step = {}
                _timed(step, "golden_path_vs_diy_sql", lambda old=old: build_model(con, old))
                step["wall_s"], step["cpu_s"] = step["golden_path_vs_diy_sql"]["wall_s"], step["golden_path_vs_diy_sql"]["cpu_s"]
                runs["before"].append(step)
    for name, entries in runs.items():
        if entries:
            results[name] = min(entries, key=lambda e: e["wall_s"])
    results["after_first"] = runs["after"][0]
    results["load_avg"] = [load_before, round(os.getloadavg()[0], 2)]
    if runs["before"]:
        results["added_wall_s"] = round(results["after"]["wall_s"] - results["before"]["wall_s"], 3)
        results["added_cpu_s"] = round(results["after"]["cpu_s"] - results["before"]["cpu_s"], 3)
    results["target"] = "the comparisons add at most 2 s to the build"
    shutil.rmtree(work.parent)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
