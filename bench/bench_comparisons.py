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

`in_build` (with --build-rounds N, default 1; 0 skips it) is what a build pays: each round
runs, each in a fresh process on a fresh copy of the warehouse, a Dagster materialisation
(`pipelines.runner.run_refresh`, as `pathlens refresh` does) of everything upstream of the
comparisons except the raw source loads (the large demo's raw tables are already there), in
three variants:
- `prefetch`: as shipped: the run starts importing scipy.stats in a background thread
  (`pipelines.stats.prefetch`) when it starts, so the import overlaps the SQL models;
- `no_prefetch`: the same with the prefetch switched off (the comparisons step imports
  scipy.stats itself: the code before the prefetch);
- `without`: the same selection minus the two comparison steps.
For each: the comparisons' wall seconds inside the run (`comparison_services` SQL and
`golden_path_vs_diy` statistics, each from the materialisation before it to its own: they are
built one after another in the models' one step), the whole run's wall seconds, and the
process's CPU seconds.
`added_s` per variant is its run's wall time minus `without`'s (the median over rounds of
each): what the comparisons add to this part of a build, the import's competition for the two
cores included (noisy: it is the difference of two runs of a minute or more).
Usage: python bench/bench_comparisons.py [DIR/pathlens.build.duckdb] [--before REV]
       [--build-rounds N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
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
AS_OF = "2026-11-27T09:00"  # bench_pipeline.py's
# the assets whose building is timed: each from the materialisation before it to its own (the
# models and the comparisons share one step, built one after another: assets/metrics/sql.py)
COMPARISON_ASSETS = ("marts/comparison_services", "marts/golden_path_vs_diy")
BUILD = '+key:"marts/golden_path_vs_diy" and not group:sources'
SELECTIONS = {
    "prefetch": BUILD,
    "no_prefetch": BUILD,
    "without": f'({BUILD}) and not key:"marts/golden_path_vs_diy*" and not key:"marts/comparison_services"',
}


def _timed(results: dict, name: str, work) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    results[name] = {"wall_s": round(time.perf_counter() - wall, 3), "cpu_s": round(time.process_time() - cpu, 3)}


def _whole(selection: str) -> str:
    """`selection` widened to whole multi-assets (Dagster runs no part of one), as key:… terms."""
    import dagster as dg

    from pipelines.resources import PathlensResource
    from pipelines.runner import load_project_definitions

    graph = dg.Definitions(assets=load_project_definitions().assets,
                           resources={"pathlens": PathlensResource()}).resolve_asset_graph()
    keys = dg.AssetSelection.from_string(selection).required_multi_asset_neighbors().resolve(graph)
    return " or ".join(f'key:"{k.to_user_string()}"' for k in sorted(keys))


def child(variant: str, folder: Path) -> None:
    """One build of SELECTIONS[variant] in this (fresh) process; prints its figures as JSON."""
    import dagster as dg

    import pipelines.stats
    from pipelines.resources import PathlensResource
    from pipelines.runner import run_refresh

    if variant == "no_prefetch":
        pipelines.stats.prefetch = lambda: None  # the resource looks it up when the run starts
    resource = PathlensResource(config_path=str(folder / "none.yaml"), demo=True, demo_scale="large",
                                as_of=AS_OF, warehouse=str(folder / "pathlens.duckdb"))
    materialised: list[tuple[str, float]] = []  # (asset, when), in the order they were built
    steps: dict[str, float] = {}

    def on_event(kind: str, name: str) -> None:
        if kind == "STEP_START":
            materialised.append(("", time.perf_counter()))  # a step starts: nothing was built before it
        elif kind == "ASSET_MATERIALIZATION":
            now = time.perf_counter()
            if name in COMPARISON_ASSETS:
                steps[name] = round(now - materialised[-1][1], 3)
            materialised.append((name, now))

    wall, cpu = time.perf_counter(), time.process_time()
    outcome = run_refresh(resource, selection=_whole(SELECTIONS[variant]), on_event=on_event,
                          instance=dg.DagsterInstance.ephemeral(), log_level="ERROR")
    print(json.dumps({
        "success": outcome.success, "failed": outcome.failed_steps + outcome.failed_checks,
        "steps": len(steps), "run_wall_s": round(time.perf_counter() - wall, 3),
        "cpu_s": round(time.process_time() - cpu, 3),
        "comparison_steps_wall_s": {k: steps[k] for k in COMPARISON_ASSETS if k in steps},
    }))


def in_build(warehouse: str, rounds: int) -> dict:
    """`rounds` rounds of the three build variants, each in a fresh process on a fresh copy."""
    runs: dict[str, list[dict]] = {v: [] for v in SELECTIONS}
    for _ in range(rounds):
        for variant in SELECTIONS:
            folder = Path(tempfile.mkdtemp(prefix="pathlens-comparisons-build-"))
            shutil.copyfile(warehouse, folder / "pathlens.build.duckdb")
            done = subprocess.run([sys.executable, __file__, "--child", variant, str(folder)],
                                  check=True, capture_output=True, text=True, cwd=folder)
            runs[variant].append(json.loads(done.stdout.strip().splitlines()[-1]))
            shutil.rmtree(folder)
    result: dict = {"selection": BUILD, "runs": runs}
    without = statistics.median(r["run_wall_s"] for r in runs["without"])
    for variant in ("prefetch", "no_prefetch"):
        entries = runs[variant]
        result[variant] = {
            "comparison_steps_wall_s": statistics.median(sum(r["comparison_steps_wall_s"].values()) for r in entries),
            "run_wall_s": statistics.median(r["run_wall_s"] for r in entries),
            "cpu_s": statistics.median(r["cpu_s"] for r in entries),
            "added_s": round(statistics.median(r["run_wall_s"] for r in entries) - without, 3),
        }
    result["without"] = {"run_wall_s": without, "cpu_s": statistics.median(r["cpu_s"] for r in runs["without"])}
    return result


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], Path(sys.argv[3]))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("warehouse", nargs="?", default="/tmp/bench-large/pathlens.build.duckdb")
    parser.add_argument("--before", help="git revision whose sql/marts/golden_path_vs_diy.sql to time")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the fastest is reported")
    parser.add_argument("--build-rounds", type=int, default=1,
                        help="rounds of the three in-build variants (fresh processes); 0 skips them")
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
    if args.build_rounds > 0:
        results["in_build"] = in_build(args.warehouse, args.build_rounds)
        results["load_avg"].append(round(os.getloadavg()[0], 2))
    results["target"] = "the comparisons add at most 2 s to the build"
    shutil.rmtree(work.parent)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
