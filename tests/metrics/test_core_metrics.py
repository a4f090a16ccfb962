"""SPEC §3 rules on one small hand-built organisation. Every expected value below was worked
out by hand from the rows and files in this module (see the comments), not by the code."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tests.metrics.conftest import build, repo

CATALOG = "catalog-info.yaml"
SPEC = "service.yaml"


def component(name, type_="service", owner=None, annotations=None, kind="Component"):
    lines = ["apiVersion: backstage.io/v1alpha1", f"kind: {kind}", "metadata:", f"  name: {name}"]
    if annotations:
        lines.append("  annotations:")
        lines += [f"    {k}: {v!r}" if " " in v else f"    {k}: {v}" for k, v in annotations.items()]
    lines += ["spec:", f"  type: {type_}", "  lifecycle: production"]
    if owner:
        lines.append(f"  owner: {owner}")
    return "\n".join(lines) + "\n"


GPU_DEPLOYMENT = """
service:
  name: mono-api
  language: Python
  kubernetes_override:
    apiVersion: apps/v1
    kind: Deployment
    spec:
      template:
        spec:
          containers:
            - name: model
              image: acme/model:1
              resources:
                limits:
                  nvidia.com/gpu: 1
"""

SIDECAR_PODSPEC = """
service:
  name: billing
  language: Java
  kubernetes_override:
    containers:
      - name: app
        image: acme/billing:1
      - name: envoy
        image: envoyproxy/envoy:v1
"""

NATIVE_SIDECAR_DEPLOYMENT_SPEC = """
service:
  name: something-else
  kubernetes_override:
    template:
      spec:
        initContainers:
          - name: proxy
            image: acme/proxy:1
            restartPolicy: Always
        containers:
          - name: app
            image: acme/multi:1
"""

OTHER_OVERRIDE = """
service:
  name: plain
  kubernetes_override:
    containers:
      - name: app
        image: acme/plain:1
        resources:
          requests:
            nvidia.com/gpu: "0"
        securityContext:
          runAsUser: 1000
"""

PLATFORM_WORKFLOW = """
name: ci
on: [push]
jobs:
  build:
    uses: acme/platform-workflows/.github/workflows/build.yml@v3
"""

STEP_LEVEL_WORKFLOW = """
name: ci
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: acme/platform-workflows/.github/actions/setup@v1
"""

REPOS = [
    repo("svc1", "2024-01-10T09:00:00", "Go"),
    repo("mono", "2024-01-20T12:00:00", "TypeScript"),
    repo("lib", "2024-01-05T00:00:00", "Go"),
    repo("libspec", "2024-02-10T00:00:00", None),
    repo("billing-repo", "2024-03-03T00:00:00", "Kotlin"),
    repo("uncat2", "2024-03-20T00:00:00", "Python"),
    repo("multi-noname", "2024-03-25T00:00:00", "Go"),
    repo("plain", "2024-05-02T00:00:00", "Rust"),
    repo("archived", "2024-02-01T00:00:00", "Go", archived=True),
    repo("forked", "2024-02-01T00:00:00", "Go", fork=True),
    repo("sandbox-play", "2024-02-01T00:00:00", "Go"),
]

FILES = {
    ("acme/svc1", CATALOG): component(
        "svc1", owner="group:default/team-a",
        annotations={"backstage.io/source-template": "template:default/go-service"},
    ),
    ("acme/mono", CATALOG): "---\n".join([
        component("mono-api", owner="team-b"),
        component("mono-web", type_="website", owner="team-b"),
        component("mono-lib", type_="library", owner="team-b"),
    ]),
    ("acme/mono", ".copier-answers.yml"): "_commit: v1.2\n_src_path: https://github.com/Acme/Template-Python.git/\n",
    ("acme/mono", SPEC): GPU_DEPLOYMENT,
    ("acme/lib", CATALOG): component("lib", type_="library", owner="team-a"),
    ("acme/libspec", CATALOG): component("libspec-lib", type_="library", owner="team-a"),
    ("acme/libspec", SPEC): "service:\n  name: libspec-svc\n",
    ("acme/billing-repo", SPEC): SIDECAR_PODSPEC,
    ("acme/billing-repo", ".cruft.json"): '{"template": "https://github.com/someone/other-template", "commit": "abc123"}',
    ("acme/uncat2", SPEC): "service:\n  port: 8080\n",
    ("acme/uncat2", ".cruft.json"): '{"template": "git@github.com:acme/template-python.git", "commit": "def456"}',
    ("acme/multi-noname", CATALOG): "---\n".join([
        component("multi-a", owner="group:default/team-a",
                  annotations={"pathlens.io/escape-hatch-reason": "needs hostNetwork"}),
        component("multi-b", type_="Service", owner="group:default/team-a"),
    ]),
    ("acme/multi-noname", SPEC): NATIVE_SIDECAR_DEPLOYMENT_SPEC,
    ("acme/multi-noname", ".github/workflows/ci.yml"): PLATFORM_WORKFLOW,
    ("acme/plain", CATALOG): component("plain", owner="team-b"),
    ("acme/plain", SPEC): OTHER_OVERRIDE,
    ("acme/plain", ".github/workflows/ci.yml"): STEP_LEVEL_WORKFLOW,
    ("acme/archived", CATALOG): component("archived-svc", owner="team-a"),
    ("acme/forked", CATALOG): component("forked-svc", owner="team-a"),
    ("acme/sandbox-play", CATALOG): component("sandbox-svc", owner="team-a"),
}


def issue(number, created, closed=None, labels=("golden-path-exception",), repo_="acme/platform", pr=False):
    return {
        "repo": repo_, "number": number, "title": f"request {number}",
        "state": "closed" if closed else "open",
        "created_at": datetime.fromisoformat(created),
        "closed_at": datetime.fromisoformat(closed) if closed else None,
        "labels": list(labels), "is_pull_request": pr,
    }


ISSUES = [
    issue(1, "2024-01-03T10:00:00", "2024-01-05T10:00:00", ["Golden-Path-Exception", "team:payments"]),  # 2.0 days
    issue(2, "2024-01-20T00:00:00", "2024-02-04T12:00:00", ["golden-path-exception", "team/search"]),  # 15.5 days
    issue(3, "2024-02-10T00:00:00"),  # still open
    issue(4, "2024-02-11T00:00:00", pr=True),  # a pull request: not a request
    issue(5, "2024-02-12T00:00:00", labels=["bug"]),  # no label: not a request
    issue(6, "2024-03-01T00:00:00", "2024-04-01T00:00:00"),  # closed on April's first instant: 31.0 days
    issue(7, "2024-02-28T06:00:00", "2024-02-29T06:00:00", ["GOLDEN-PATH-EXCEPTION", "team:Payments", "team:zeta"]),  # 1.0 day
    issue(8, "2024-02-01T00:00:00", repo_="acme/other"),  # not an exceptions repo
]


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    return build(tmp_path_factory.mktemp("core"), repos=REPOS, files=FILES, issues=ISSUES)


def test_services_are_exactly_the_in_scope_service_components_and_spec_repos(wh):
    got = wh.sql("select service, repo, catalogued, owner from marts.services order by service").fetchall()
    assert got == [
        ("billing", "acme/billing-repo", False, None),  # spec only, named by service.name
        ("libspec-svc", "acme/libspec", False, None),  # only a library component + a spec
        ("mono-api", "acme/mono", True, "team-b"),
        ("mono-web", "acme/mono", True, "team-b"),  # website is a service type
        ("multi-a", "acme/multi-noname", True, "team-a"),  # group:default/team-a, short form
        ("multi-b", "acme/multi-noname", True, "team-a"),  # type `Service`
        ("plain", "acme/plain", True, "team-b"),
        ("svc1", "acme/svc1", True, "team-a"),
        ("uncat2", "acme/uncat2", False, None),  # spec without a name: named after the repo
    ]


def test_golden_path_by_annotation_or_normalised_template_source(wh):
    got = dict(wh.sql("select service, golden_path from marts.services").fetchall())
    assert got == {
        "svc1": "go-service",  # backstage.io/source-template
        "mono-api": "python-service",  # copier https://github.com/Acme/Template-Python.git/
        "mono-web": "python-service",  # the repo's answer file belongs to each of its services
        "uncat2": "python-service",  # cruft git@github.com:acme/template-python.git
        "billing": None,  # someone else's template
        "libspec-svc": None, "multi-a": None, "multi-b": None, "plain": None,
    }
    sources = dict(wh.sql("select service, template_commit from marts.services where template_commit is not null").fetchall())
    assert sources == {"mono-api": "v1.2", "mono-web": "v1.2", "uncat2": "def456", "billing": "abc123"}


def test_language_from_the_spec_that_belongs_to_the_service_else_the_repo(wh):
    got = dict(wh.sql("select service, language from marts.services").fetchall())
    assert got == {
        "svc1": "go", "mono-api": "python", "mono-web": "typescript", "libspec-svc": None,
        "billing": "java", "uncat2": "python", "multi-a": "go", "multi-b": "go", "plain": "rust",
    }


def test_escape_hatch_reasons(wh):
    got = {s: (h, list(r)) for s, h, r in wh.sql(
        "select service, escape_hatch, escape_hatch_reasons from marts.services").fetchall()}
    assert got == {
        "mono-api": (True, ["gpu"]),
        "mono-web": (False, []),  # the spec names mono-api, so it is not mono-web's
        "billing": (True, ["sidecar"]),
        "multi-a": (True, ["declared:needs hostNetwork", "sidecar"]),  # spec names neither: both
        "multi-b": (True, ["sidecar"]),
        "plain": (True, ["other"]),  # a GPU request of "0" is not a GPU
        "svc1": (False, []), "libspec-svc": (False, []), "uncat2": (False, []),
    }
    summary = wh.sql("select * from marts.escape_hatch_summary").pl().to_dicts()
    # spec services: mono-api, billing, uncat2, multi-a, multi-b, plain, libspec-svc = 7
    assert summary == [{
        "spec_services": 7, "escape_hatch_services": 5, "escape_hatch_rate": 5 / 7,
        "gpu": 1, "sidecar": 3, "declared": 1, "other": 1,
        "measured_at": datetime(2024, 5, 15, 10, 0),  # the refresh's as_of
    }]
    assert wh.sql("select count(*) from marts.escape_hatches").fetchall() == [(5,)]


def test_platform_ci_only_for_job_level_reusable_workflow_calls(wh):
    got = dict(wh.sql("select service, uses_platform_ci from marts.services").fetchall())
    assert got["multi-a"] and got["multi-b"]
    assert not got["plain"]  # a step-level action of the platform repo is not its CI template
    assert sum(got.values()) == 2


def test_repos_in_scope(wh):
    got = wh.sql("select repo, is_service, has_catalog, has_service_spec from marts.repos order by repo").fetchall()
    assert got == [
        ("acme/billing-repo", True, False, True),
        ("acme/lib", False, True, False),
        ("acme/libspec", True, True, True),
        ("acme/mono", True, True, True),
        ("acme/multi-noname", True, True, True),
        ("acme/plain", True, True, True),
        ("acme/svc1", True, True, False),
        ("acme/uncat2", True, False, True),
    ]


def test_adoption_monthly(wh):
    got = wh.sql(
        "select month, services_created, golden_path_created, new_service_adoption, services_total,"
        " golden_path_total, overall_adoption, below_threshold from marts.adoption_monthly order by month"
    ).fetchall()
    assert got == [
        (date(2024, 1, 1), 3, 3, 1.0, 3, 3, 1.0, False),  # svc1, mono-api, mono-web
        (date(2024, 2, 1), 1, 0, 0.0, 4, 3, 0.75, True),  # libspec-svc
        (date(2024, 3, 1), 4, 1, 0.25, 8, 4, 0.5, True),  # billing, uncat2 (golden), multi-a, multi-b
        (date(2024, 4, 1), 0, 0, None, 8, 4, 0.5, None),  # nothing created
        (date(2024, 5, 1), 1, 0, 0.0, 9, 4, 4 / 9, True),  # plain; the refresh's month
    ]


def test_adoption_by_team_starts_at_each_owners_first_service(wh):
    rows = wh.sql(
        "select owner, month, services_created, new_service_adoption, services_total, overall_adoption"
        " from marts.adoption_monthly_by_team order by owner nulls last, month"
    ).fetchall()
    team_a = [r[1:] for r in rows if r[0] == "team-a"]  # written group:default/team-a
    assert team_a == [
        (date(2024, 1, 1), 1, 1.0, 1, 1.0),
        (date(2024, 2, 1), 0, None, 1, 1.0),
        (date(2024, 3, 1), 2, 0.0, 3, 1 / 3),
        (date(2024, 4, 1), 0, None, 3, 1 / 3),
        (date(2024, 5, 1), 0, None, 3, 1 / 3),
    ]
    unowned = [r[1:] for r in rows if r[0] is None]  # uncatalogued services
    assert unowned == [
        (date(2024, 2, 1), 1, 0.0, 1, 0.0),
        (date(2024, 3, 1), 2, 0.5, 3, 1 / 3),
        (date(2024, 4, 1), 0, None, 3, 1 / 3),
        (date(2024, 5, 1), 0, None, 3, 1 / 3),
    ]
    assert {r[0] for r in rows} == {"team-a", "team-b", None}


def test_adoption_by_language(wh):
    rows = wh.sql(
        "select language, month, services_created, golden_path_created, overall_adoption"
        " from marts.adoption_monthly_by_language where language in ('java', 'go') order by language, month"
    ).fetchall()
    assert rows == [
        ("go", date(2024, 1, 1), 1, 1, 1.0),
        ("go", date(2024, 2, 1), 0, 0, 1.0),
        ("go", date(2024, 3, 1), 2, 0, 1 / 3),
        ("go", date(2024, 4, 1), 0, 0, 1 / 3),
        ("go", date(2024, 5, 1), 0, 0, 1 / 3),
        ("java", date(2024, 3, 1), 1, 0, 0.0),
        ("java", date(2024, 4, 1), 0, 0, 0.0),
        ("java", date(2024, 5, 1), 0, 0, 0.0),
    ]


def test_exception_requests(wh):
    got = wh.sql(
        "select number, team, state, days_to_close from marts.exception_requests order by number"
    ).fetchall()
    assert got == [
        (1, "payments", "closed", 2.0),
        (2, "search", "closed", 15.5),
        (3, None, "open", None),
        (6, None, "closed", 31.0),
        (7, "payments", "closed", 1.0),  # two team labels: the first alphabetically (team:Payments)
    ]


def test_exception_requests_monthly(wh):
    got = wh.sql(
        "select month, opened, closed, open_at_month_end, median_days_to_close"
        " from marts.exception_requests_monthly order by month"
    ).fetchall()
    assert got == [
        (date(2024, 1, 1), 2, 1, 1, 2.0),  # #1 #2 opened, #1 closed; #2 open at the end
        (date(2024, 2, 1), 2, 2, 1, 8.25),  # #3 #7 opened, #2 #7 closed (15.5, 1.0); #3 open
        (date(2024, 3, 1), 1, 0, 2, None),  # #6 opened; #3 #6 open at the end
        (date(2024, 4, 1), 0, 1, 1, 31.0),  # #6 closed at April's first instant
        (date(2024, 5, 1), 0, 0, 1, None),
    ]


def test_snapshot_of_the_refresh_date(wh):
    got = wh.sql("select snapshot_date, count(*) from raw.service_snapshots group by 1").fetchall()
    assert got == [(date(2024, 5, 15), 9)]
