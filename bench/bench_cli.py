"""Start-up and fixed overhead of the command line, as a user meets them (issue #14's targets).

Prints JSON: `pathlens sql "select 1"` (wall and CPU seconds over several runs, and which heavy
modules it imported), and the default `pathlens demo --no-dashboard` (wall and CPU seconds).
Each is a fresh process started exactly as a shell would start it. CPU seconds (user + system
of the process and its children) move less than wall time when the machine is shared; the
load average before and after says how quiet it was. Targets: sql < 0.5 s, demo < 8 s.

Usage: python bench/bench_cli.py [--runs 5] [--scale default] [--skip-demo] [--warehouse FILE]
(without --warehouse the demo's own warehouse is queried, so the demo always runs first).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAVY = ("pydantic", "polars", "pyarrow", "numpy", "rich", "dagster", "pandas", "plotly", "yaml")
PROJECT = Path(__file__).resolve().parent.parent


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> dict:
    """Run `command`; returns its wall and CPU seconds (children included) and exit status."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    process.stderr.close()
    # on Linux the child's usage includes the children it reaped (a query child process, if any)
    return {"wall_s": round(wall, 3), "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
            "exit": process.returncode, **({"stderr": stderr[-500:]} if process.returncode else {})}


def imported_heavy_modules(warehouse: Path, cwd: Path, env: dict[str, str]) -> list[str]:
    """The heavy top-level modules a `pathlens sql "select 1"` process has imported by its end."""
    probe = (
        "import runpy, sys, json\n"
        f"sys.argv = ['pathlens', 'sql', 'select 1', '--warehouse', {str(warehouse)!r}]\n"
        "try:\n    runpy.run_module('pipelines.cli', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)), file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    return json.loads(out.stderr.strip().splitlines()[-1])


def bytecode_compiled() -> bool:
    """Whether the installed packages carry compiled bytecode (`uv sync --compile-bytecode`)."""
    import duckdb

    return any((Path(duckdb.__file__).parent / "__pycache__").glob("*.pyc"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scale", default="default")
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--warehouse", type=Path)
    parser.add_argument("--project", type=Path, default=PROJECT,
                        help="checkout whose pipelines/ to run (e.g. an export of main, for a 'before')")
    args = parser.parse_args()
    # `python -m pipelines.cli` is what the `pathlens` script runs; PYTHONPATH picks the checkout
    env = {**os.environ, "PYTHONPATH": str(args.project.resolve())}
    cli = [sys.executable, "-m", "pipelines.cli"]
    folder = Path(tempfile.mkdtemp(prefix="pathlens-bench-cli-"))
    results: dict = {"project": str(args.project), "cpus": os.cpu_count(), "load_before": os.getloadavg()[0], "bytecode_compiled": bytecode_compiled()}

    warehouse = args.warehouse or folder / "pathlens.duckdb"
    if not args.skip_demo:
        demo = [*cli, "demo", "--no-dashboard", "--scale", args.scale, "--as-of", "2026-11-27",
                "--warehouse", str(warehouse)]
        results["demo"] = {"scale": args.scale, **timed(demo, cwd=args.project, env=env)}

    sql = [*cli, "sql", "select 1", "--warehouse", str(warehouse)]
    runs = [timed(sql, cwd=folder, env=env) for _ in range(args.runs)]
    results["sql_select_1"] = {
        "runs": len(runs),
        "wall_s_median": round(statistics.median(r["wall_s"] for r in runs), 3),
        "wall_s_min": min(r["wall_s"] for r in runs),
        "cpu_s_median": round(statistics.median(r["cpu_s"] for r in runs), 3),
        "failed": sum(r["exit"] != 0 for r in runs),
        "heavy_modules_imported": imported_heavy_modules(warehouse, folder, env),
    }
    results["load_after"] = os.getloadavg()[0]
    results["targets"] = {"sql_select_1_s": 0.5, "demo_s": 8}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
