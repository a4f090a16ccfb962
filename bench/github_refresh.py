"""Benchmark the GitHub source against the local GitHub server; prints JSON.

    uv run python bench/github_refresh.py [--repos 2000] [--concurrency 4]

Three refreshes of one organisation into a fresh DuckDB file:
(a) the first refresh, (b) a second with nothing changed, (c) one after 5% of the repos were
pushed to (a file changed and a new workflow run). "Counted" requests are the ones that spend
GitHub's rate limit: every answer except 304s and `GET /rate_limit`.

For (a), `needed` is the least the organisation's contents require — one request per listing
page, per in-scope repo one tree, one per wanted file and the head commit they were read at
(service history keys each file version by it), one per page of runs and deployments, one per
deployment's statuses, and one per page of exception issues — and `extra` is what was
spent beyond it. For (c), requests about the pushed repos are their cost; everything else is
divided among the unchanged repos. The server runs in this process (it shares the CPU and the
GIL with the client), so wall times are pessimistic.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.sources.github.rows import is_excluded, wanted_file  # noqa: E402
from tests.sources.github_helpers import NOW, TOKEN, load, make_settings  # noqa: E402
from tests.sources.github_server import FakeRun, GitHubTestServer, sample_org  # noqa: E402

EXCLUDE = ["sandbox-*"]


def needed_first(org, settings) -> int:
    """The fewest counted requests a first refresh can make for this organisation."""
    s = settings.services
    total = math.ceil(len(org.repos) / 100)  # listing pages
    for repo in org.repos.values():
        if repo.archived or repo.fork or is_excluded(f"{org.login}/{repo.name}", EXCLUDE):
            continue
        total += 1  # tree (answers 409 for an empty repo)
        if not repo.empty:
            files = sum(1 for p in repo.files if wanted_file(p, s.catalog_file, s.spec_file))
            total += files + (1 if files else 0)  # and the head commit they were read at
        total += max(1, math.ceil(len(repo.runs) / 100))
        total += max(1, math.ceil(len(repo.deployments) / 100)) + len(repo.deployments)
    for full in settings.exceptions.repos:
        repo = org.find(full)
        labelled = [i for i in repo.issues if settings.exceptions.label.lower() in {x.lower() for x in i.labels}]
        total += max(1, math.ceil(len(labelled) / 100))
    return total


def refresh(db: Path, srv: GitHubTestServer, settings, refresh_id: str, now) -> dict:
    srv.clear_log()
    started = time.perf_counter()
    meta = load(db, settings, refresh_id=refresh_id, now=now)
    wall = time.perf_counter() - started
    counted = [r for r in srv.log if r.counted]
    return {"wall_s": round(wall, 2), "requests": len(srv.log), "counted": len(counted),
            "not_modified": srv.not_modified(), "failed_repos": len(meta["failed_repos"]), "_log": counted}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()

    org = sample_org(NOW, repos=args.repos)
    n = len(org.repos)
    with tempfile.TemporaryDirectory() as tmp, GitHubTestServer(org, tokens={TOKEN}) as srv:
        db = Path(tmp) / "bench.duckdb"
        # the REST path without file history (GraphQL and file history: bench/github_history.py)
        settings = make_settings(srv.base_url, max_concurrency=args.concurrency, graphql=False, history_days=0)

        a = refresh(db, srv, settings, "a", NOW)
        a_needed = needed_first(org, settings)
        b = refresh(db, srv, settings, "b", NOW + timedelta(hours=1))

        pushed = [name for name in sorted(org.repos) if name.startswith("svc-")][:: 20]  # 5%
        for k, name in enumerate(pushed):
            at = NOW + timedelta(hours=1, minutes=30)
            org.push(name, at, {"service.yaml": f"service:\n  name: {name}\n  replicas: {k + 2}\n".encode()})
            org.repos[name].runs.append(FakeRun(90_000_000 + k, at + timedelta(minutes=1)))
        c = refresh(db, srv, settings, "c", NOW + timedelta(hours=2))
        changed = {f"/repos/{org.login}/{name}/" for name in pushed}
        c_changed = sum(1 for r in c["_log"] if any(r.path.startswith(p) for p in changed))
        c_rest = c["counted"] - c_changed

    for result in (a, b, c):
        result.pop("_log")
    print(json.dumps({
        "repos": n,
        "concurrency": args.concurrency,
        "a_first_refresh": {**a, "counted_per_repo": round(a["counted"] / n, 3), "needed": a_needed,
                            "extra": a["counted"] - a_needed},
        "b_nothing_changed": {**b, "counted_per_repo": round(b["counted"] / n, 4), "target": 0.05},
        "c_after_5pct_pushed": {**c, "pushed_repos": len(pushed), "counted_for_pushed": c_changed,
                                "counted_per_pushed_repo": round(c_changed / len(pushed), 2),
                                "counted_per_unchanged_repo": round(c_rest / (n - len(pushed)), 4), "target": 0.05},
    }, indent=2))


if __name__ == "__main__":
    main()
