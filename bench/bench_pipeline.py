"""Build the demo organisation at a scale and time each stage (issue #2's benchmark).

Prints JSON: wall time and peak RSS for generation, raw load (with rows/s), parsing the repo
files, the SQL models, and publish. Usage: python bench/bench_pipeline.py [--scale large]
[--keep DIR] (keep the warehouse for bench_friction.py / bench_dashboard.py).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.memory import rss_bytes, stage  # noqa: E402
from pipelines.sources.demo import forget_generated, generate  # noqa: E402
from pipelines.sources.demo_conventions import demo_settings  # noqa: E402
from pipelines.sources.registry import DemoLoader  # noqa: E402
from pipelines.transform import build_step, model_order, write_facts, write_settings  # noqa: E402
from pipelines.warehouse import WarehousePaths, publish, writer  # noqa: E402

AS_OF = datetime(2026, 11, 27, 9, 0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="large")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="folder to keep the warehouse in")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="pathlens-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    paths = WarehousePaths.for_(folder / "pathlens.duckdb")
    for p in (paths.build, paths.published):
        p.unlink(missing_ok=True)
    settings = demo_settings(scale=args.scale, seed=args.seed, warehouse=str(paths.published))
    results: dict = {"scale": args.scale, "cpus": os.cpu_count(), "start_rss_mb": round(rss_bytes() / 2**20)}

    with stage(results, "generation") as entry:
        org = generate(args.scale, args.seed, AS_OF)
        entry["rows"] = {name: frame.height for name, frame in org.tables.items()}

    with writer(paths.build) as con:
        with stage(results, "raw_load") as entry:
            # exactly what the demo's source assets do (generation is memoised, so not repeated)
            loaded = DemoLoader(settings, AS_OF, tuple(org.tables)).load_into(con, "bench")
            total = sum(v for k, v in loaded.items() if k.startswith("rows_"))
            entry["rows"] = total
        entry["rows_per_s"] = round(total / entry["wall_s"]) if entry["wall_s"] else None
        del org
        forget_generated()  # the memoised organisation is not needed past the load

        with stage(results, "parse_files") as entry:
            write_settings(con, settings, as_of=AS_OF, refresh_id="bench")
            frames = write_facts(con, settings)
            entry["files"] = con.execute("select count(*) from raw.repo_files").fetchall()[0][0]
            entry["file_errors"] = frames["file_errors"].height

        timings = {}
        with stage(results, "sql_models") as entry:
            for key in model_order():
                started = time.perf_counter()
                build_step(con, key, settings)
                timings[".".join(key)] = round(time.perf_counter() - started, 2)
            entry["slowest"] = dict(sorted(timings.items(), key=lambda kv: -kv[1])[:5])

    with stage(results, "publish") as entry:
        publish(paths)
        entry["warehouse_mb"] = round(paths.published.stat().st_size / 2**20)

    stages = [v for v in results.values() if isinstance(v, dict) and "peak_rss_mb" in v]
    results["peak_rss_mb"] = max(v["peak_rss_mb"] for v in stages)
    results["total_wall_s"] = round(sum(v["wall_s"] for v in stages), 2)
    results["warehouse"] = str(paths.published) if args.keep else None
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
