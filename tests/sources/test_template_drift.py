"""Template drift end to end: a template repo and a platform workflow repo with hand-drawn
histories on the local GitHub server, read through the real client, counted in SQL.

The template `acme/template-go` (120 linear "base" commits first, so the listing takes two
pages; they are ancestors of every commit below and cancel out of every difference):

    day:  0   10      20   25     30   40   50
          A -- B ---- C -- D ---- M -- E -- H      main (head H)
                \\             /
                 F1(12) - F2(15)                   feature, merged by M

    tags: v1.0.0 → B; v1.1.0 → C, then moved to D.  C and E share the prefix `abcd`.

    anc(H) = {H, E, M, D, C, B, A, F1, F2} + base.   `git rev-list --count X..H` = |anc(H) − anc(X)|:
      F1  anc = {F1, B, A}+base          → {H, E, M, D, C, F2}   = 6, days 50 − 12 = 38
      B   (v1.0.0)                       → {H, E, M, D, C, F1, F2} = 7, days 50 − 10 = 40
      D   (v1.1.0 after the move)        → {H, E, M, F1, F2}     = 5, days 50 − 25 = 25
      M   (v1.1.0-2-g<M>, git describe)  → {H, E}                = 2, days 50 − 30 = 20
      H   (backstage template-version)   → {}                    = 0, days 0

The platform workflows `acme/platform-workflows` (not in the org listing):
    W1(0) - W2(5) - W3(8) - W4(20) - W5(30) = main;  tags v1 → W2, v2 → W4 (annotated).
      @v1 → W2: {W5, W4, W3} = 3, days 25;  @main → W5: 0;  @v2 → W4: 1, days 10;  @W3 sha: 2, days 22.

Then the template's main is force-pushed to E + H2 (day 55) and v1 of the workflows moves to W5.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import pytest
from github import Auth, Github

from pipelines.config import parse_settings
from pipelines.transform import build_all
from pipelines.warehouse import writer
from tests.sources.github_git import FakeGraph, add_graph
from tests.sources.github_helpers import TOKEN, TOKEN_ENV, load
from tests.sources.github_server import FakeOrg, FakeRepo, GitHubTestServer

T0 = datetime(2025, 1, 1, 9, 0)
NOW = datetime(2025, 6, 1, 12, 0)
TEMPLATE = "acme/template-go"
WORKFLOWS = "acme/platform-workflows"
C_SHA = "abcd1" + "1" * 35
E_SHA = "abcd2" + "2" * 35


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def template_graph() -> tuple[FakeGraph, dict[str, str]]:
    g = FakeGraph(TEMPLATE, created_at=day(-200))
    for i in range(120):
        g.commit(f"base {i}", day(-200 + i))
    c: dict[str, str] = {}
    c["A"] = g.commit("A", day(0))
    c["B"] = g.commit("B", day(10))
    g.branch("feature", c["B"])
    c["F1"] = g.commit("F1", day(12), branch="feature")
    c["F2"] = g.commit("F2", day(15), branch="feature")
    c["C"] = g.commit("C", day(20), sha=C_SHA)
    g.tag("v1.0.0", c["B"])
    g.tag("v1.1.0", c["C"])
    c["D"] = g.commit("D", day(25))
    c["M"] = g.merge("feature", day(30))
    c["E"] = g.commit("E", day(40), sha=E_SHA)
    c["H"] = g.commit("H", day(50))
    g.tag("v1.1.0", c["D"], at=day(50))  # the tag moved from C to D
    return g, c


def workflows_graph() -> tuple[FakeGraph, dict[str, str]]:
    g = FakeGraph(WORKFLOWS, created_at=day(-10))
    w = {f"W{i}": g.commit(f"W{i}", day(d)) for i, d in zip(range(1, 6), (0, 5, 8, 20, 30), strict=True)}
    g.tag("v1", w["W2"])
    g.tag("v2", w["W4"], annotated=True)
    return g, w


def catalog(name: str, version: str | None = None, template: str | None = "template:default/go-service") -> bytes:
    extra = (f"    backstage.io/template-version: '{version}'\n" if version else "")
    extra += f"    backstage.io/source-template: {template}\n" if template else ""
    return (f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n  annotations:\n"
            f"    pathlens.io/test: '1'\n{extra}"
            f"spec:\n  type: service\n  owner: team-a\n").encode()


def copier(commit: str | None, source: str = "gh:acme/template-go") -> bytes:
    return (f"_src_path: {source}\n" + (f"_commit: {commit}\n" if commit else "")).encode()


def workflow(ref: str) -> bytes:
    return f"on: push\njobs:\n  build:\n    uses: acme/platform-workflows/.github/workflows/build.yml@{ref}\n".encode()


def organisation() -> tuple[FakeOrg, dict[str, str], dict[str, str]]:
    org = FakeOrg("acme")
    tpl, c = template_graph()
    wf, w = workflows_graph()
    org.add(FakeRepo("template-go", created_at=day(-200), language="Go", files={"README.md": b"template\n"}))
    add_graph(org, tpl)
    add_graph(org, wf)  # not a repo of the org listing: read through GET /repos/{repo}
    services = {
        "svc-merged": {".cruft.json": f'{{"template": "https://github.com/acme/template-go", "commit": "{c["F1"]}"}}'.encode(),
                       ".github/workflows/ci.yml": workflow("v1")},
        "svc-tag-old": {".copier-answers.yml": copier("v1.0.0"), ".github/workflows/ci.yml": workflow("v2")},
        "svc-moved-tag": {".copier-answers.yml": copier("v1.1.0")},
        "svc-describe": {".copier-answers.yml": copier(f"v1.1.0-2-g{c['M'][:7]}"),
                         ".github/workflows/ci.yml": workflow(w["W3"])},
        "svc-current": {".github/workflows/ci.yml": workflow("main")},
        "svc-ambiguous": {".copier-answers.yml": copier("abcd")},
        "svc-unknown": {".copier-answers.yml": copier("0123456789abcdef0123456789abcdef01234567")},
        "svc-missing": {".copier-answers.yml": copier(None)},
        "svc-gitlab": {".copier-answers.yml": copier("v3", source="https://gitlab.com/acme/tpl")},
    }
    for i, (name, files) in enumerate(services.items()):
        version = c["H"][:7] if name == "svc-current" else None
        template = None if name == "svc-gitlab" else "template:default/go-service"
        org.add(FakeRepo(name, created_at=day(60 + i), language="Go",
                         files={"catalog-info.yaml": catalog(name, version, template), **files}))
    return org, c, w


def settings(base_url: str):
    return parse_settings({
        "github": {"org": "acme", "api_url": base_url, "token_env": TOKEN_ENV},
        "golden_paths": [
            {"name": "go-service", "ref": "template:default/go-service", "source": "gh:acme/template-go"},
            {"name": "gitlab-tpl", "source": "https://gitlab.com/acme/tpl"},
        ],
        "ci": {"platform_workflow_repos": [WORKFLOWS]},
        "alerts": {"template_stale_days": 90, "drift_commits": 5},
    }, "(test)")


def build(db, cfg, now=NOW) -> None:
    with writer(db) as con:
        failures = build_all(con, cfg, as_of=now, refresh_id="t")
    assert {k: v for k, v in failures.items() if v} == {}


def drift(db) -> dict[tuple[str, str], tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.sql("select kind, coalesce(service, repo), resolved_sha, commits_behind, round(days_behind, 6), "
                       "unresolved_reason from marts.template_drift").fetchall()
    finally:
        con.close()
    return {(r[0], r[1]): r[2:] for r in rows}


def template_requests(server: GitHubTestServer) -> list[tuple[str, int]]:
    ours = ("/repos/acme/template-go", "/repos/acme/platform-workflows")
    return [(r.path, r.status) for r in server.log if r.path.startswith(ours)
            and not r.path.startswith("/repos/acme/template-go/git/trees")
            and not r.path.startswith(("/repos/acme/template-go/actions", "/repos/acme/template-go/deployments",
                                       "/repos/acme/template-go/contents"))]


def ahead_by(server: GitHubTestServer, repo: str, base: str, head: str) -> int:
    """The same count by an independent route: PyGithub's compare against the server's own
    set arithmetic on the graph (`GET /repos/{repo}/compare/{base}...{head}`)."""
    gh = Github(base_url=server.base_url, auth=Auth.Token(TOKEN), retry=None)
    try:
        return gh.get_repo(repo).compare(base, head).ahead_by
    finally:
        gh.close()


def test_drift_on_a_graph_with_merges_tags_and_a_force_push(tmp_path):
    org, c, w = organisation()
    db = tmp_path / "wh.duckdb"
    with GitHubTestServer(org, tokens={TOKEN}) as server:
        cfg = settings(server.base_url)
        load(db, cfg)
        first = template_requests(server)
        build(db, cfg)
        got = drift(db)
        H = c["H"]
        assert got[("template", "svc-merged")] == (c["F1"], 6, 38.0, None)
        assert got[("template", "svc-tag-old")] == (c["B"], 7, 40.0, None)
        assert got[("template", "svc-moved-tag")] == (c["D"], 5, 25.0, None)
        assert got[("template", "svc-describe")] == (c["M"], 2, 20.0, None)
        assert got[("template", "svc-current")] == (H, 0, 0.0, None)
        assert got[("template", "svc-ambiguous")] == (None, None, None, "ambiguous")
        assert got[("template", "svc-unknown")] == (None, None, None, "not_found")
        assert got[("template", "svc-missing")] == (None, None, None, "missing")
        assert got[("template", "svc-gitlab")] == (None, None, None, "not_github")
        assert got[("ci", "acme/svc-merged")] == (w["W2"], 3, 25.0, None)
        assert got[("ci", "acme/svc-current")] == (w["W5"], 0, 0.0, None)
        assert got[("ci", "acme/svc-tag-old")] == (w["W4"], 1, 10.0, None)  # annotated tag, peeled
        assert got[("ci", "acme/svc-describe")] == (w["W3"], 2, 22.0, None)
        for base, expected in ((c["F1"], 6), (c["B"], 7), (c["D"], 5), (c["M"], 2), (H, 0)):
            assert ahead_by(server, TEMPLATE, base, "main") == expected
        assert ahead_by(server, WORKFLOWS, "v1", "main") == 3

        # first refresh: template (in the listing) 2 commits pages + tags; workflows repo + commits + tags
        assert sorted(first) == sorted([
            ("/repos/acme/template-go/commits", 200), ("/repos/acme/template-go/commits", 200),
            ("/repos/acme/template-go/tags", 200),
            ("/repos/acme/platform-workflows", 200), ("/repos/acme/platform-workflows/commits", 200),
            ("/repos/acme/platform-workflows/tags", 200),
        ])

        # unchanged: the listed template costs nothing, the other repo one 304
        server.clear_log()
        load(db, cfg, refresh_id="r2")
        assert template_requests(server) == [("/repos/acme/platform-workflows", 304)]

        # force push: main back to E, then H2 on top; v1 of the workflows moves to W5
        tpl, wf = org.graphs[TEMPLATE], org.graphs[WORKFLOWS]
        tpl.force_push("main", c["E"], day(55))
        h2 = tpl.commit("H2", day(55))
        wf.tag("v1", w["W5"], at=day(56))
        server.clear_log()
        load(db, cfg, refresh_id="r3")
        third = template_requests(server)
        build(db, cfg)
        got = drift(db)
        assert got[("template", "svc-merged")] == (c["F1"], 6, 43.0, None)  # {H2, E, M, D, C, F2}
        # pinned to the old head H, no longer on main: anc(H2) − anc(H) = {H2}, days 55 − 50
        assert got[("template", "svc-current")] == (H, 1, 5.0, None)
        assert got[("template", "svc-describe")] == (c["M"], 2, 25.0, None)  # {H2, E}
        assert got[("ci", "acme/svc-merged")] == (w["W5"], 0, 0.0, None)  # @v1 now W5
        assert ahead_by(server, TEMPLATE, H, "main") == 1
        # one commits page (its new commit H2 closes the graph), tags 304; workflows: repo, commits 304, tags
        assert sorted(third) == sorted([
            ("/repos/acme/template-go/commits", 200), ("/repos/acme/template-go/tags", 304),
            ("/repos/acme/platform-workflows", 200), ("/repos/acme/platform-workflows/commits", 304),
            ("/repos/acme/platform-workflows/tags", 200),
        ])

    con = duckdb.connect(str(db), read_only=True)
    try:
        heads = con.sql("select repo, name, sha from raw.template_refs where kind = 'head' order by repo").fetchall()
        assert heads == [(WORKFLOWS, "main", w["W5"]), (TEMPLATE, "main", h2)]
        health = con.sql("select golden_path, head_sha, services, services_current, median_commits_behind, "
                         "services_unresolved from marts.template_health order by golden_path").fetchall()
        stale = con.sql("select golden_path, round(days_since_change, 6), stale, services_resolved, "
                        "services_far_behind, share_far_behind from marts.template_health order by golden_path").fetchall()
    finally:
        con.close()
    # go-service: 8 services; behind = F1 6, B 7, D 5, M 2, H 1 → median 5; 3 unresolved (ambiguous, not found, missing)
    assert health == [("gitlab-tpl", None, 1, 0, None, 1), ("go-service", h2, 8, 0, 5.0, 3)]
    # head H2 at 2025-02-25 09:00, as_of 2025-06-01 12:00: 96 days 3 hours > 90 → stale;
    # more than 5 commits behind: F1 (6) and B (7) of the 5 resolved → 0.4
    assert stale == [("gitlab-tpl", None, None, 0, 0, None), ("go-service", 96.125, True, 5, 2, 0.4)]


@pytest.mark.parametrize(("source", "expected"), [
    ("gh:Acme/Template-Go", "acme/template-go"),
    ("https://github.com/acme/tpl.git/", "acme/tpl"),
    ("git@github.com:acme/tpl.git", "acme/tpl"),
    ("ssh://git@ghe.example.com/acme/tpl", "acme/tpl"),
    ("acme/tpl", "acme/tpl"),
    ("https://gitlab.com/acme/tpl", None),
    ("gl:acme/tpl", None),
    ("/srv/templates/go", None),
    ("./templates/go", None),
    ("~/templates/go", None),
    ("templates/go/sub", None),
])
def test_which_sources_are_github_repos(source, expected):
    from pipelines.facts.template_answers import github_repo

    assert github_repo(source, "ghe.example.com") == expected
