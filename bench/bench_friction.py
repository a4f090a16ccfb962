"""Friction marts against a bare scan of the same raw runs (issue #4's benchmark).

On a warehouse built by `bench_pipeline.py --keep DIR` (default scale: large), rebuilds the
friction marts (ci_runs, ci_friction_monthly, the CI pre-aggregations ci_repo_month_runs and
ci_months, deploys, time_to_first_deploy, golden_path_vs_diy) and, in the same run, a bare DuckDB scan that aggregates the raw runs by
repo and month (the floor). Prints JSON with both times, the ratio and peak RSS. scipy.stats
is imported before anything is timed: a refresh imports it in a background thread while its
earlier steps run (`pipelines.stats.prefetch`), so its ~1 s import, a fixed cost of the process
whatever the data, is no part of building the comparisons.
Usage: python bench/bench_friction.py DIR/pathlens.build.duckdb
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import scipy.stats  # noqa: F401 - see the docstring

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.memory import stage  # noqa: E402
from pipelines.comparisons import build_comparisons  # noqa: E402
from pipelines.sql_models import load_models  # noqa: E402
from pipelines.transform import build_model  # noqa: E402
from pipelines.warehouse import writer  # noqa: E402

FRICTION = ("ci_runs", "ci_friction_monthly", "ci_repo_month_runs", "ci_months", "k8s_rollouts", "deploys",
            "time_to_first_deploy", "comparison_services", "golden_path_vs_diy")
MIN_N = 20  # comparisons.min_n's default

FLOOR = """
create or replace temp table floor as
select repo, date_trunc('month', created_at)::date as month, count(*) as runs,
       count(*) filter (where conclusion in ('failure', 'timed_out', 'startup_failure')) as failed,
       median(epoch(updated_at - run_started_at)) as median_duration_s
from raw.workflow_runs
group by all
"""


def main() -> None:
    source = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/bench-large/pathlens.build.duckdb")
    work = Path(tempfile.mkdtemp(prefix="pathlens-friction-")) / "wh.duckdb"
    shutil.copyfile(source, work)
    models = {m.name: m for m in load_models() if m.name in FRICTION}
    results: dict = {"warehouse": str(source)}
    with writer(work) as con:
        results["raw_runs"] = con.execute("select count(*) from raw.workflow_runs").fetchall()[0][0]
        con.execute("select count(*) from raw.workflow_runs").fetchall()  # warm the file cache
        with stage(results, "floor_scan"):
            con.execute(FLOOR)
        timings = {}
        with stage(results, "friction_marts") as entry:
            for name in FRICTION:
                started = time.perf_counter()
                if name == "golden_path_vs_diy":  # built in Python from marts.comparison_services
                    build_comparisons(con, MIN_N)
                else:
                    build_model(con, models[name])
                timings[name] = round(time.perf_counter() - started, 2)
            entry["per_model_s"] = timings
        results["ci_runs_rows"] = con.execute("select count(*) from marts.ci_runs").fetchall()[0][0]
    results["ratio"] = round(results["friction_marts"]["wall_s"] / results["floor_scan"]["wall_s"], 2)
    results["target"] = "ratio < 3, peak RSS < 4096 MB"
    shutil.rmtree(work.parent)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
