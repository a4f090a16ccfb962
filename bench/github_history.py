"""Benchmark the GitHub source with file history against the local GitHub server; prints JSON.

    uv run python bench/github_history.py [--repos 2000] [--delay 0.15] [--concurrency 4] [--rest]

The organisation is `sample_org` (catalog, service spec, template answers, workflows, runs,
deployments with statuses, exception issues) given a past: three commits per service repo over
the year before NOW change its catalog file, its service spec and its CI workflow, so each of
those files has about four versions. Every answer of the server waits `--delay` seconds (150 ms:
a normal round trip to github.com). `--rest` measures the REST-only path (`github.graphql:
false`, today's path before GraphQL) on the same organisation.

Two refreshes into a fresh DuckDB file: (a) the first, (b) one an hour later with nothing
changed. "Counted" REST requests are those GitHub counts against the REST rate limit: every
answer except 304s (conditional requests answered "not modified" are free on github.com) and
`GET /rate_limit`; GraphQL queries spend the separate points budget, reported as `graphql_points`
(the sum of each query's `rateLimit.cost`), all as pathlens recorded them in `raw.fetch_log`.
The server runs in a child process, as GitHub runs elsewhere (`server_cpu_s`: what answering
cost it, on the same cores); peak memory is pathlens's process (its resident set, sampled).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.memory import stage  # noqa: E402
from tests.sources.github_helpers import NOW, TOKEN, load, make_settings, query  # noqa: E402
from tests.sources.github_server import GitHubTestServer, sample_org  # noqa: E402


def org_with_history(repos: int):
    # every repo created in the 600 days before NOW: one a week would put most of 2,000 repos in
    # the future, where the GitHub source refuses their dates as implausible
    org = sample_org(NOW, repos=repos)
    for name, repo in sorted(org.repos.items()):
        if not name.startswith("svc-") or repo.empty:
            continue
        pushed = repo.pushed_at
        created = repo.created_at
        span = (NOW - timedelta(days=2)) - created
        for k, path in enumerate(("catalog-info.yaml", "service.yaml", ".github/workflows/ci.yml")):
            for step in range(3):
                at = created + span * ((3 * step + k + 1) / 10)
                old = repo.files[path]
                org.push(name, at, {path: old + f"# change {step + 1}\n".encode()})
        repo.pushed_at = max(pushed, repo.pushed_at)
    return org


def _cpu_s(pid: int | None) -> float:
    """CPU seconds the (server) process has used so far, from /proc (Linux)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serve(repos: int, delay: float, conn) -> None:
    """The child process: build the organisation, serve it, report the URL, wait to be stopped."""
    with GitHubTestServer(org_with_history(repos), tokens={TOKEN}, delay_s=delay) as srv:
        conn.send((srv.base_url, len(srv.org.repos)))
        conn.recv()


def refresh(db: Path, settings, refresh_id: str, now, repos: int) -> dict:
    results: dict = {}
    with stage(results, "x"):
        meta = load(db, settings, refresh_id=refresh_id, now=now)
    graphql = query(db, "SELECT coalesce(sum(requests), 0), coalesce(sum(points), 0) FROM raw.fetch_log "
                        "WHERE refresh_id = ? AND endpoint LIKE 'POST /graphql%'", [refresh_id])[0]
    counted = meta["counted_requests"]
    return {
        "wall_s": results["x"]["wall_s"], "peak_rss_mb": results["x"]["peak_rss_mb"],
        "requests": meta["requests"], "counted_rest": counted, "counted_rest_per_repo": round(counted / repos, 4),
        "not_modified": meta["not_modified"], "graphql_queries": int(graphql[0]), "graphql_points": int(graphql[1]),
        "runs_skipped": meta.get("runs_skipped", 0), "failed_repos": len(meta["failed_repos"]),
        "rows_repo_file_versions": meta.get("rows_repo_file_versions", 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=2000)
    parser.add_argument("--delay", type=float, default=0.15)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--per-minute", type=int, default=900, help="github.requests_per_minute (REST pace)")
    parser.add_argument("--rest", action="store_true", help="the REST-only path (github.graphql: false)")
    args = parser.parse_args()

    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=serve, args=(args.repos, args.delay, child), daemon=True)
    server.start()
    try:
        base_url, n = parent.recv()
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "bench.duckdb"
            settings = make_settings(base_url, max_concurrency=args.concurrency, graphql=not args.rest,
                                     requests_per_minute=args.per_minute)
            cpu0 = _cpu_s(server.pid)
            a = refresh(db, settings, "a", NOW, n)
            cpu1 = _cpu_s(server.pid)
            versions = query(db, "SELECT count(*), count(DISTINCT (repo, path)) FROM raw.repo_file_versions")[0]
            b = refresh(db, settings, "b", NOW + timedelta(hours=1), n)
            a["server_cpu_s"], b["server_cpu_s"] = round(cpu1 - cpu0, 1), round(_cpu_s(server.pid) - cpu1, 1)
            load = os.getloadavg()[0]
    finally:
        parent.send("stop")
        server.join(timeout=10)
    print(json.dumps({
        "path": "rest" if args.rest else "graphql",
        "machine_load_avg_1m": round(load, 1), "cpus": os.cpu_count(),
        "repos": n, "delay_s": args.delay, "concurrency": args.concurrency, "requests_per_minute": args.per_minute,
        "file_versions": versions[0], "files_with_versions": versions[1],
        "a_first_refresh": {**a, "targets": {"counted_rest_per_repo": 1.2, "graphql_points": 300, "wall_s": 180,
                                             "peak_rss_mb": 1536}},
        "b_nothing_changed": {**b, "targets": {"counted_rest_per_repo": 0.05, "wall_s": 60}},
    }, indent=2))


if __name__ == "__main__":
    main()
