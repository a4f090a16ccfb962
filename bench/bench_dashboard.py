"""Benchmark the dashboard on a warehouse (issue #5): prints JSON.

For every page, the server-side time to render it (Streamlit's AppTest running app.py and the
page, as the server does for a browser) with a cold cache (st.cache_data cleared) and a warm
one, for the whole organisation and filtered to its largest team; and the SQL page's time to
first rows for queries over all CI runs.

    uv run python bench/bench_dashboard.py --warehouse data/large.duckdb
    uv run python bench/bench_dashboard.py --warehouse data/large.duckdb --build large

Targets: every page under 1 s warm and 3 s cold.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboards" / "app.py"
PAGES = ("overview", "adoption", "escape_hatches", "exceptions", "friction", "services", "sql")
SQL_QUERIES = {
    "ci_runs_aggregate_all": (
        "SELECT service, count(*) AS runs, avg(failed::INT) AS failure_rate, "
        "median(duration_s) AS median_duration_s FROM marts.ci_runs GROUP BY service "
        "ORDER BY runs DESC"
    ),
    "ci_runs_join_services": (
        "SELECT s.owner, s.on_golden_path, count(*) AS runs, avg(r.failed::INT) AS failure_rate "
        "FROM marts.ci_runs r JOIN marts.services s USING (service, repo) GROUP BY ALL "
        "ORDER BY runs DESC"
    ),
    "ci_runs_select_star_capped": "SELECT * FROM marts.ci_runs",
}
COLD_WARM_TARGETS = {"warm_s": 1.0, "cold_s": 3.0}


def _build(warehouse: Path, scale: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pipelines.cli", "demo", "--scale", scale,
                    "--no-dashboard", "--warehouse", str(warehouse)], cwd=ROOT, check=True)
    return time.perf_counter() - started


def _sizes(warehouse: Path) -> dict[str, int]:
    from pipelines.warehouse import open_reader

    with open_reader(warehouse) as con:
        tables = [r[0] for r in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts' union "
            "select view_name from duckdb_views() where schema_name = 'marts' order by 1").fetchall()]
        return {t: con.execute(f'select count(*) from marts."{t}"').fetchone()[0] for t in tables}


def _timed(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def _busiest_team(warehouse: Path) -> str:
    from pipelines.warehouse import open_reader

    with open_reader(warehouse) as con:
        return con.execute("select owner from marts.services where owner is not null "
                           "group by owner order by count(*) desc, owner limit 1").fetchone()[0]


def bench_pages(repeat: int, query_params: dict | None = None) -> dict[str, dict]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params.update(query_params or {})
    at.run()
    results: dict[str, dict] = {}
    for page in PAGES:
        cold, warm = [], []
        for _ in range(repeat):
            st.cache_data.clear()
            st.cache_resource.clear()  # the figures (dashboards/lib/figures.py) too
            cold.append(_timed(lambda p=page: at.switch_page(f"views/{p}.py").run()))
            if at.exception:
                raise RuntimeError(f"{page}: {at.exception[0].value}")
            warm.append(_timed(at.run))
        results[page] = {
            "cold_s": round(statistics.median(cold), 3), "cold_max_s": round(max(cold), 3),
            "warm_s": round(statistics.median(warm), 3), "warm_max_s": round(max(warm), 3),
        }
        results[page]["meets_targets"] = all(
            results[page][k] < limit for k, limit in COLD_WARM_TARGETS.items())
    return results


def bench_sql(warehouse: Path, repeat: int) -> dict[str, dict]:
    from pipelines.query import execute

    results = {}
    for name, sql in SQL_QUERIES.items():
        times, rows, truncated = [], 0, False
        for _ in range(repeat):
            result = execute(warehouse, sql, timeout_s=60, max_rows=10_000, keep_warm=True)
            times.append(result.seconds)
            rows, truncated = result.frame.height, result.truncated
        results[name] = {"sql": sql, "first_rows_s": round(statistics.median(times), 3),
                         "max_s": round(max(times), 3), "rows_shown": rows, "truncated": truncated}
    return results


def main() -> None:
    from pipelines import DEFAULT_WAREHOUSE, WAREHOUSE_ENV

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, default=Path(DEFAULT_WAREHOUSE))
    parser.add_argument("--build", metavar="SCALE",
                        help="first build the demo at this scale into --warehouse (e.g. large)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    report: dict = {"warehouse": str(args.warehouse), "python": platform.python_version(),
                    "cpus": os.cpu_count()}
    if args.build:
        report["build_s"] = round(_build(args.warehouse, args.build), 1)
    if not args.warehouse.is_file():
        sys.exit(f"no warehouse at {args.warehouse}: pass --build large (or run `pathlens demo`)")
    os.environ[WAREHOUSE_ENV] = str(args.warehouse.resolve())
    report["rows"] = _sizes(args.warehouse)
    report["pages"] = bench_pages(args.repeat)
    team = _busiest_team(args.warehouse)
    report["pages_one_team"] = {"team": team, **bench_pages(args.repeat, {"team": team})}
    report["sql"] = bench_sql(args.warehouse, args.repeat)
    report["all_pages_meet_targets"] = all(
        p["meets_targets"] for section in ("pages", "pages_one_team")
        for p in report[section].values() if isinstance(p, dict))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
