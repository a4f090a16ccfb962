"""A small organisation built through the real transforms, whose exported figures are worked
out by hand here (not by the code under test).

The refresh's "now" (as_of) is 2024-05-15 10:00, so April 2024 is the last complete month and
the 30-day CI window is [2024-04-15 10:00, 2024-05-15 10:00).

    service     created     owner      language    golden path     spec  escape hatch
    pay-api     2024-04-03  team-pay   go          go-service      yes   -
    pay-worker  2024-04-10  team-pay   python      -               yes   [gpu]          namespace payments
    web         2024-04-20  team-web   typescript  -               yes   [declared:<b>&amp;, sidecar]
    ml          2024-03-05  team-ml    python      python-service  yes   -
    legacy      2024-04-25  (none)     java        -               yes   [gpu, sidecar]  (uncatalogued)
    new-go      2024-05-02  team-pay   go          go-service      no    -

New-service adoption, April: pay-api golden of pay-api, pay-worker, web, legacy = 1/4 = 0.25.
Overall adoption at May's end: pay-api, ml, new-go of 6 = 0.5.
  team-pay: April 1/2 = 0.5, overall 2/3;   team-web: April 0/1 = 0, overall 0/1 = 0;
  team-ml:  April none created (no row), overall 1/1 = 1;   (no owner): April 0/1, overall 0/1.
  go: April 1/1, overall 2/2;   python: April 0/1, overall 1/2;   typescript, java: 0/1 and 0/1.
  go-service: April 1 of 4 = 0.25, now 2 of 6 = 1/3;  python-service: April 0 of 4 = 0, now 1/6.
Escape hatches: 3 of the 5 services with a spec = 0.6; gpu 2 (0.4), sidecar 2 (0.4),
declared 1 (0.2), other 0 (0.0).
Exception requests: #1 Feb 1 → Feb 11, #2 Apr 5 → May 3, #3 Apr 20 open, #4 May 10 open
(#5 is a pull request, #6 lacks the label): opened 4, closed 2, open 2; in April opened 2,
closed 0.
CI runs (duration = updated − started):
    pay-api   1 Apr 10 failure 100 s   2 Apr 20 success 200 s   3 May 1 failure 300 s
              4 May 2 success 400 s    5 May 3 cancelled 500 s
    pay-worker 6 May 5 timed_out 600 s 7 May 6 success 700 s
    web        8 Mar 1 success 800 s
  golden path (pay-api): failed 2 of 4 decided = 0.5, median duration of 100..500 = 300 s;
  DIY (pay-worker, web): failed 1 of 3 decided = 1/3, median of 600, 700, 800 = 700 s.
  30 days: pay-api runs 2, 3, 4 decided (5 cancelled) → 1/3; pay-worker 1/2; web none → NULL.
First production deploy: pay-api at 2024-04-05 03:00 = 2.125 days after 2024-04-03 00:00; the
others none. Median days to first deploy: golden 2.125 (= 183 600 s), DIY none.
pay-api calls the platform's reusable workflow (uses_platform_ci).
One fetch error recorded by this refresh.
Template drift: go-service's template acme/template-go is the line T1 (Jan 1) - T2 (Feb 1, tag
v1) - T3 (Mar 1) - T4 (Apr 1, main's head). pay-api's copier `_commit: v1` = T2 is 2 commits
behind (T3, T4); new-go's backstage.io/template-version T4 is current (0). So go-service:
last change 2024-04-01 00:00 UTC = 1 711 929 600 s, 2 services, 1 current, 0 unresolved,
median commits behind of (0, 2) = 1, p90 = 0 + 0.9 × (2 − 0) = 1.8 (linear interpolation).
python-service has no template source: no drift figures.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import polars as pl

from tests.metrics.conftest import build, repo

T = datetime.fromisoformat
AS_OF = T("2024-05-15T10:00:00")
CATALOG = "catalog-info.yaml"
SPEC = "service.yaml"
HOSTILE_REASON = "<b>&amp;"

SETTINGS = {
    "github": {"org": "acme"},
    "golden_paths": [
        {"name": "go-service", "ref": "template:default/go-service", "source": "gh:acme/template-go"},
        {"name": "python-service", "ref": "template:default/python-service"},
    ],
    "exceptions": {"repos": ["acme/platform"]},
    "ci": {"platform_workflow_repos": ["acme/platform-workflows"]},
    # a six-service organisation: every comparison side is shown, however few its services
    "comparisons": {"min_n": 1},
}


def component(name: str, owner: str, template: str | None = None, namespace: str | None = None,
              reason: str | None = None, version: str | None = None) -> str:
    lines = ["apiVersion: backstage.io/v1alpha1", "kind: Component", "metadata:", f"  name: {name}"]
    if namespace:
        lines.append(f"  namespace: {namespace}")
    annotations = {}
    if template:
        annotations["backstage.io/source-template"] = template
    if reason:
        annotations["pathlens.io/escape-hatch-reason"] = reason
    if version:
        annotations["backstage.io/template-version"] = version
    if annotations:
        lines.append("  annotations:")
        lines += [f"    {k}: {v!r}" for k, v in annotations.items()]
    lines += ["spec:", "  type: service", "  lifecycle: production", f"  owner: {owner}"]
    return "\n".join(lines) + "\n"


def spec(name: str, language: str, override: str = "") -> str:
    return f"service:\n  name: {name}\n  language: {language}\n" + override


GPU = """  kubernetes_override:
    containers:
      - name: model
        resources:
          limits:
            nvidia.com/gpu: 1
"""
SIDECAR = """  kubernetes_override:
    containers:
      - name: app
      - name: envoy
"""
GPU_AND_SIDECAR = """  kubernetes_override:
    containers:
      - name: app
        resources:
          requests:
            amd.com/gpu: 2
      - name: envoy
"""
PLATFORM_WORKFLOW = """name: ci
on: [push]
jobs:
  build:
    uses: acme/platform-workflows/.github/workflows/build.yml@v3
"""

TEMPLATE = "acme/template-go"
T1, T2, T3, T4 = ("1" * 40, "2" * 40, "3" * 40, "4" * 40)
TEMPLATE_COMMITS = [
    {"repo": TEMPLATE, "sha": sha, "committed_at": T(day), "parents": parents}
    for sha, day, parents in ((T1, "2024-01-01T00:00:00", []), (T2, "2024-02-01T00:00:00", [T1]),
                              (T3, "2024-03-01T00:00:00", [T2]), (T4, "2024-04-01T00:00:00", [T3]))
]
TEMPLATE_REFS = [{"repo": TEMPLATE, "kind": "head", "name": "main", "sha": T4},
                 {"repo": TEMPLATE, "kind": "tag", "name": "v1", "sha": T2}]

REPOS = [
    repo("pay-api", "2024-04-03T00:00:00", "Go"),
    repo("pay-worker", "2024-04-10T00:00:00", "Python"),
    repo("web", "2024-04-20T00:00:00", "TypeScript"),
    repo("ml", "2024-03-05T00:00:00", "Python"),
    repo("legacy", "2024-04-25T00:00:00", "Java"),
    repo("new-go", "2024-05-02T00:00:00", "Go"),
]

FILES = {
    ("acme/pay-api", CATALOG): component("pay-api", "team-pay", "template:default/go-service"),
    ("acme/pay-api", SPEC): spec("pay-api", "go"),
    ("acme/pay-api", ".github/workflows/ci.yml"): PLATFORM_WORKFLOW,
    ("acme/pay-api", ".copier-answers.yml"): "_src_path: gh:acme/template-go\n_commit: v1\n",
    ("acme/pay-worker", CATALOG): component("pay-worker", "team-pay", namespace="payments"),
    ("acme/pay-worker", SPEC): spec("pay-worker", "python", GPU),
    ("acme/web", CATALOG): component("web", "team-web", reason=HOSTILE_REASON),
    ("acme/web", SPEC): spec("web", "typescript", SIDECAR),
    ("acme/ml", CATALOG): component("ml", "team-ml", "template:default/python-service"),
    ("acme/ml", SPEC): spec("ml", "python"),
    ("acme/legacy", SPEC): spec("legacy", "java", GPU_AND_SIDECAR),
    ("acme/new-go", CATALOG): component("new-go", "team-pay", "template:default/go-service", version=T4),
}


def issue(number: int, created: str, closed: str | None = None, labels=("golden-path-exception",),
          pr: bool = False) -> dict:
    return {
        "repo": "acme/platform", "number": number, "title": f"request {number}",
        "state": "closed" if closed else "open", "created_at": T(created),
        "closed_at": T(closed) if closed else None, "labels": list(labels), "is_pull_request": pr,
    }


ISSUES = [
    issue(1, "2024-02-01T00:00:00", "2024-02-11T00:00:00"),
    issue(2, "2024-04-05T00:00:00", "2024-05-03T00:00:00"),
    issue(3, "2024-04-20T00:00:00"),
    issue(4, "2024-05-10T00:00:00"),
    issue(5, "2024-04-21T00:00:00", pr=True),
    issue(6, "2024-04-22T00:00:00", labels=["bug"]),
]


def run(repo_: str, run_id: int, created: str, conclusion: str, duration_s: int) -> dict:
    created_at = T(created)
    return {
        "repo": repo_, "run_id": run_id, "run_attempt": 1, "workflow_name": "ci", "event": "push",
        "status": "completed", "conclusion": conclusion, "created_at": created_at,
        "run_started_at": created_at, "updated_at": created_at + timedelta(seconds=duration_s),
    }


RUNS = [
    run("acme/pay-api", 1, "2024-04-10T12:00:00", "failure", 100),
    run("acme/pay-api", 2, "2024-04-20T12:00:00", "success", 200),
    run("acme/pay-api", 3, "2024-05-01T12:00:00", "failure", 300),
    run("acme/pay-api", 4, "2024-05-02T12:00:00", "success", 400),
    run("acme/pay-api", 5, "2024-05-03T12:00:00", "cancelled", 500),
    run("acme/pay-worker", 6, "2024-05-05T12:00:00", "timed_out", 600),
    run("acme/pay-worker", 7, "2024-05-06T12:00:00", "success", 700),
    run("acme/web", 8, "2024-03-01T12:00:00", "success", 800),
]

DEPLOYMENTS = [
    {"repo": "acme/pay-api", "deployment_id": 1, "environment": "production",
     "created_at": T("2024-04-05T03:00:00"), "status_state": "success"},
]

FETCH_ERRORS = [
    {"refresh_id": "test-refresh", "source": "github", "repo": "acme/gone", "endpoint": "repos",
     "status": 404, "message": "Not Found", "occurred_at": T("2024-05-15T09:00:00")},
]


def build_warehouse(folder: Path) -> Path:
    """The organisation above as a warehouse file in `folder`; returns its path."""
    con = build(
        folder, repos=REPOS, files=FILES, issues=ISSUES, settings=SETTINGS, as_of=AS_OF,
        extra={
            "workflow_runs": pl.DataFrame(RUNS),
            "deployments": pl.DataFrame(DEPLOYMENTS),
            "fetch_errors": pl.DataFrame(FETCH_ERRORS),
            "template_commits": pl.DataFrame(TEMPLATE_COMMITS),
            "template_refs": pl.DataFrame(TEMPLATE_REFS),
        },
    )
    con.close()
    return folder / "wh.duckdb"
