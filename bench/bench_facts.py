"""Parsing many small repo files (`facts_frames`, the refresh's parse step): 2,000 repos × 5
files (catalog, service spec, copier and cruft answers, one workflow) = 10,000 files.

Prints JSON: files, the facts they gave, and the median seconds over `--repeat` runs (target:
well under 10 s; it replaced a timed test). Usage: python bench/bench_facts.py [--repos 2000]
[--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import polars as pl  # noqa: E402

from pipelines.facts.frames import facts_frames  # noqa: E402

CATALOG = """\
kind: Component
metadata:
  name: svc-{i}
  annotations:
    backstage.io/kubernetes-id: svc-{i}
spec:
  type: service
  owner: team-a
"""
SPEC = """\
service:
  name: svc-{i}
  language: java
  kubernetes_override:
    containers:
      - name: app
        resources: {{limits: {{nvidia.com/gpu: "1"}}}}
"""
WORKFLOW = """\
on: push
jobs:
  ci:
    uses: acme/platform-workflows/.github/workflows/java.yml@v3
  lint:
    uses: ./.github/workflows/lint.yml
"""


def files(repos: int) -> pl.DataFrame:
    rows = []
    for i in range(repos):
        repo = f"acme/svc-{i}"
        rows += [
            (repo, "catalog-info.yaml", CATALOG.format(i=i)),
            (repo, "service.yaml", SPEC.format(i=i)),
            (repo, ".copier-answers.yml", f"_src_path: gh:acme/t\n_commit: v{i}\n"),
            (repo, ".cruft.json", '{"template": "gh:acme/t", "commit": "x"}'),
            (repo, ".github/workflows/ci.yml", WORKFLOW),
        ]
    return pl.DataFrame(rows, schema={"repo": pl.String, "path": pl.String, "content": pl.String}, orient="row")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repos", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    frame = files(args.repos)
    times, out = [], {}
    for _ in range(args.repeat):
        started = time.perf_counter()
        out = facts_frames(frame)
        times.append(time.perf_counter() - started)
    print(json.dumps({
        "files": frame.height,
        "facts": {name: f.height for name, f in out.items()},
        "median_s": round(statistics.median(times), 3),
        "runs_s": [round(t, 3) for t in times],
        "machine_load_avg_1m": os.getloadavg()[0],
    }, indent=2))


if __name__ == "__main__":
    main()
