"""What template drift costs: GitHub requests and SQL time, on the local GitHub server; prints JSON.

    uv run python bench/template_drift.py [--repos 2000] [--templates 5] [--commits 200]

The benchmark organisation (`sample_org`, ~2,000 repos) plus `--templates` golden-path template
repos of about `--commits` commits each (a merged feature branch every ~8 commits, a tag every
20) and a platform workflow repo (60 commits, semver and moving major tags), all in the org
listing. Every service pins a template commit (a tag, `git describe` output, an abbreviated or a
full sha) and calls the platform workflow at a tag. Three refreshes into one DuckDB file:
(a) the first, (b) nothing changed, (c) three commits pushed to one template and a tag moved.

"Counted" requests spend GitHub's rate limit (every answer but 304s and `GET /rate_limit`);
`drift_counted` are the ones template drift adds: `GET /repos/{r}`, `…/commits` and `…/tags` of
the tracked repos. Target: at most 20 on (a) and 0 on (b). The first refresh costs, per tracked
repo, one request per 100 commits (GitHub's largest page) plus one per 100 tags, plus one
`GET /repos/{r}` for a repo outside the org listing. `sql_s` is the time to build the
drift models (staging and marts) after a full build.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.config import parse_settings  # noqa: E402
from pipelines.sql_models import load_models  # noqa: E402
from pipelines.transform import build_all, build_model  # noqa: E402
from pipelines.warehouse import writer  # noqa: E402
from tests.sources.github_git import FakeGraph, add_graph  # noqa: E402
from tests.sources.github_helpers import NOW, TOKEN, TOKEN_ENV, load  # noqa: E402
from tests.sources.github_server import FakeRepo, GitHubTestServer, sample_org  # noqa: E402

DRIFT_MODELS = ("template_commits", "template_heads", "template_pins", "template_resolution",
                "template_ancestry", "template_drift", "template_health", "language_coverage")


def template(name: str, commits: int, rnd: random.Random) -> FakeGraph:
    g = FakeGraph(f"acme/{name}", created_at=NOW - timedelta(days=900))
    at = NOW - timedelta(days=800)
    minor = 0
    made = 0
    while made < commits:
        at += timedelta(hours=rnd.randint(20, 90))
        if made % 8 == 7 and made + 3 <= commits:  # a feature branch of two commits, merged
            g.branch("feature", g.branches["main"])
            g.commit(f"{name} feature {made}", at, branch="feature")
            g.commit(f"{name} feature {made}b", at + timedelta(hours=1), branch="feature")
            g.merge("feature", at + timedelta(hours=2))
            made += 3
        else:
            g.commit(f"{name} {made}", at)
            made += 1
        if made // 20 > minor:
            minor = made // 20
            g.tag(f"v1.{minor}.0", g.branches["main"])
    return g


def pins(g: FakeGraph, rnd: random.Random) -> list[str]:
    shas = [c.sha for c in g.log(g.branches["main"])]
    tags = sorted(g.tags)
    return ([rnd.choice(tags) for _ in range(6)] + [f"{rnd.choice(tags)}-3-g{rnd.choice(shas)[:7]}"]
            + [rnd.choice(shas)[:7], rnd.choice(shas)])


def organisation(repos: int, templates: int, commits: int):
    rnd = random.Random(11)
    org = sample_org(NOW, repos=repos)
    names = [f"template-{i}" for i in range(templates)]
    graphs = {}
    for name in names:
        org.add(FakeRepo(name, created_at=NOW - timedelta(days=900), language=None, files={"README.md": b"tpl\n"}))
        graphs[name] = add_graph(org, template(name, commits, rnd))
    org.add(FakeRepo("platform-workflows", created_at=NOW - timedelta(days=900), files={"README.md": b"wf\n"}))
    wf = add_graph(org, template("platform-workflows", 60, rnd))
    wf.tag("v1", wf.tags["v1.1.0"])
    wf.tag("v2", wf.tags["v1.3.0"], annotated=True)
    choices = {name: pins(g, rnd) for name, g in graphs.items()}
    for k, repo in enumerate(r for r in org.repos.values() if r.name.startswith("svc-")):
        name = names[k % len(names)]
        repo.files[".copier-answers.yml"] = (f"_src_path: gh:acme/{name}\n"
                                             f"_commit: {choices[name][k % len(choices[name])]}\n").encode()
        repo.files.pop(".cruft.json", None)
    return org, names, wf


def settings(base_url: str, names: list[str]):
    return parse_settings({
        "github": {"org": "acme", "api_url": base_url, "token_env": TOKEN_ENV, "exclude_repos": ["sandbox-*"]},
        "golden_paths": [{"name": n, "source": f"gh:acme/{n}"} for n in names],
        "exceptions": {"repos": ["acme/platform"]},
        "ci": {"platform_workflow_repos": ["acme/platform-workflows"]},
    }, "(bench)")


def refresh(db: Path, srv: GitHubTestServer, cfg, refresh_id: str, now, tracked: set[str]) -> dict:
    srv.clear_log()
    started = time.perf_counter()
    load(db, cfg, refresh_id=refresh_id, now=now)
    wall = time.perf_counter() - started

    def drift(path: str) -> bool:
        parts = path.strip("/").split("/")
        return (len(parts) >= 3 and parts[0] == "repos" and f"{parts[1]}/{parts[2]}" in tracked
                and (len(parts) == 3 or parts[3] in ("commits", "tags")))

    ours = [r for r in srv.log if drift(r.path)]
    return {"wall_s": round(wall, 2), "counted": srv.counted(),
            "drift_requests": len(ours), "drift_counted": sum(1 for r in ours if r.counted),
            "drift_not_modified": sum(1 for r in ours if r.status == 304)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=2000)
    parser.add_argument("--templates", type=int, default=5)
    parser.add_argument("--commits", type=int, default=200)
    args = parser.parse_args()
    org, names, wf = organisation(args.repos, args.templates, args.commits)
    tracked = {f"acme/{n}" for n in names} | {"acme/platform-workflows"}
    with tempfile.TemporaryDirectory() as tmp, GitHubTestServer(org, tokens={TOKEN}) as srv:
        db = Path(tmp) / "bench.duckdb"
        cfg = settings(srv.base_url, names)
        a = refresh(db, srv, cfg, "a", NOW, tracked)
        b = refresh(db, srv, cfg, "b", NOW + timedelta(hours=1), tracked)
        g = org.graphs[f"acme/{names[0]}"]
        for i in range(3):
            g.commit(f"pushed {i}", NOW + timedelta(hours=1, minutes=10 + i))
        wf.tag("v1", wf.branches["main"], at=NOW + timedelta(hours=1, minutes=20))
        c = refresh(db, srv, cfg, "c", NOW + timedelta(hours=2), tracked)
        with writer(db) as con:
            failures = build_all(con, cfg, as_of=NOW + timedelta(hours=2), refresh_id="c")
            models = {m.name: m for m in load_models() if m.name in DRIFT_MODELS}
            started = time.perf_counter()
            rows = {name: build_model(con, models[name]) for name in DRIFT_MODELS}
            sql_s = time.perf_counter() - started
            summary = con.sql("select count(*) filter (where commits_behind is not null), "
                              "count(*) filter (where unresolved_reason is not null), "
                              "median(commits_behind) from marts.template_drift where kind = 'template'").fetchall()[0]
    print(json.dumps({
        "repos": len(org.repos), "templates": args.templates,
        "template_commits": {n: len(org.graphs[f"acme/{n}"].commits) for n in names},
        "a_first_refresh": {**a, "target_drift_counted": 20},
        "b_nothing_changed": {**b, "target_drift_counted": 0},
        "c_three_commits_and_a_moved_tag": c,
        "sql": {"sql_s": round(sql_s, 2), "rows": rows, "failing_data_tests": {k: v for k, v in failures.items() if v},
                "services_resolved": summary[0], "services_unresolved": summary[1],
                "median_commits_behind": summary[2]},
    }, indent=2))


if __name__ == "__main__":
    main()
