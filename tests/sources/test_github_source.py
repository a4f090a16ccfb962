"""The GitHub source's REST path against the local GitHub server: what a load writes, and what
it spends (`github.graphql: false`, as for an Enterprise Server without GraphQL; the GraphQL
path is tested in test_github_history.py).

Every expected value below is written out by hand from the organisation built in `_org`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

import pytest
from rich.console import Console

from pipelines.sources.github import GitHubSource, SourceError, render_summary
from pipelines.warehouse import writer
from tests.sources.github_helpers import (
    NOW,
    TOKEN,
    TOKEN_ENV,
    load,
    query,
    raw_contents,
)
from tests.sources.github_helpers import make_settings as _make_settings
from tests.sources.github_server import (
    FakeDeployment,
    FakeIssue,
    FakeOrg,
    FakeRepo,
    FakeRun,
    GitHubTestServer,
    git_blob_sha,
)

T = datetime
# the REST fetcher's own requests, without the history read (`history.backfill_days: 0`); the
# REST history read is tested in test_github_history.py
make_settings = partial(_make_settings, graphql=False, history_days=0)
CATALOG = b"kind: Component\nmetadata:\n  name: checkout\n"
SPEC = b"service:\n  name: checkout\n"
COPIER = b"_src_path: gh:acme/template-go-service\n"
CI = b"on: push\n"
DEPLOY = b"on: workflow_dispatch\n"
BIG = b"x" * 1_500_000 + b"\nkind: Component\n"


def _org() -> FakeOrg:
    org = FakeOrg("acme")
    org.add(FakeRepo(
        "checkout", created_at=T(2024, 1, 10, 9), pushed_at=T(2025, 5, 30, 8), language="Go",
        files={
            "catalog-info.yaml": CATALOG, "service.yaml": SPEC, ".copier-answers.yml": COPIER,
            ".github/workflows/ci.yml": CI, ".github/workflows/deploy.yaml": DEPLOY,
            ".github/workflows/scripts/helper.yml": b"nested: not read\n",
            ".github/workflows/notes.md": b"not a workflow\n",
            "docs/catalog-info.yaml": b"not the catalog file\n", "README.md": b"# checkout\n",
        },
        runs=[
            FakeRun(101, T(2025, 5, 31, 10), run_started_at=T(2025, 5, 31, 10, 0, 30), updated_at=T(2025, 5, 31, 10, 5)),
            FakeRun(102, T(2025, 6, 1, 11), status="in_progress", conclusion=None, run_attempt=2,
                    name="deploy", path=".github/workflows/deploy.yaml", event="workflow_dispatch",
                    run_started_at=T(2025, 6, 1, 11, 20), updated_at=T(2025, 6, 1, 11, 21)),
            FakeRun(103, T(2024, 5, 1)),  # before the 365-day backfill window
        ],
        deployments=[
            FakeDeployment(501, T(2025, 5, 20, 9), "production", sha="a" * 40,
                           statuses=[(1, "in_progress", T(2025, 5, 20, 9, 1)), (2, "success", T(2025, 5, 20, 9, 5))]),
            FakeDeployment(502, T(2025, 5, 25, 9), "staging", sha="b" * 40),
        ],
    ))
    org.add(FakeRepo("empty", created_at=T(2025, 5, 1), empty=True, language=None))
    for name, flags in (("legacy", {"archived": True}), ("fork-of-x", {"fork": True}), ("sandbox-tmp", {})):
        org.add(FakeRepo(name, created_at=T(2023, 1, 1), files={"catalog-info.yaml": CATALOG},
                         runs=[FakeRun(900 + len(name), T(2025, 5, 30))],
                         deployments=[FakeDeployment(990 + len(name), T(2025, 5, 30))], **flags))
    org.add(FakeRepo("big", created_at=T(2022, 3, 1), pushed_at=T(2025, 2, 1), files={"catalog-info.yaml": BIG}))
    org.add(FakeRepo("platform", created_at=T(2021, 6, 1), pushed_at=T(2025, 1, 1), issues=[
        FakeIssue(7, "Need GPUs", T(2025, 4, 1), ["golden-path-exception", "team:ml"], state="closed",
                  closed_at=T(2025, 4, 10)),
        FakeIssue(8, "Allow override", T(2025, 5, 2), ["Golden-Path-Exception"], is_pull_request=True),
        FakeIssue(9, "A bug", T(2025, 5, 3), ["bug"]),
    ]))
    return org


@pytest.fixture
def server():
    with GitHubTestServer(_org(), tokens={TOKEN}) as srv:
        yield srv


def test_first_load_writes_every_raw_table(server, tmp_path):
    db = tmp_path / "w.duckdb"
    meta = load(db, make_settings(server.base_url))

    repos = query(db, "SELECT repo, archived, fork, default_branch, language, created_at, pushed_at, "
                      "tree_sha IS NOT NULL FROM raw.repos ORDER BY repo")
    assert repos == [
        ("acme/big", False, False, "main", "Python", T(2022, 3, 1), T(2025, 2, 1), True),
        ("acme/checkout", False, False, "main", "Go", T(2024, 1, 10, 9), T(2025, 5, 30, 8), True),
        ("acme/empty", False, False, "main", None, T(2025, 5, 1), T(2025, 5, 1), False),  # 409: no tree
        ("acme/fork-of-x", False, True, "main", "Python", T(2023, 1, 1), T(2023, 1, 1), False),
        ("acme/legacy", True, False, "main", "Python", T(2023, 1, 1), T(2023, 1, 1), False),
        ("acme/platform", False, False, "main", "Python", T(2021, 6, 1), T(2025, 1, 1), True),
        ("acme/sandbox-tmp", False, False, "main", "Python", T(2023, 1, 1), T(2023, 1, 1), False),
    ]
    files = query(db, "SELECT repo, path, sha, size, content FROM raw.repo_files WHERE repo = 'acme/checkout' ORDER BY path")
    assert files == [
        ("acme/checkout", ".copier-answers.yml", git_blob_sha(COPIER), len(COPIER), COPIER.decode()),
        ("acme/checkout", ".github/workflows/ci.yml", git_blob_sha(CI), len(CI), CI.decode()),
        ("acme/checkout", ".github/workflows/deploy.yaml", git_blob_sha(DEPLOY), len(DEPLOY), DEPLOY.decode()),
        ("acme/checkout", "catalog-info.yaml", git_blob_sha(CATALOG), len(CATALOG), CATALOG.decode()),
        ("acme/checkout", "service.yaml", git_blob_sha(SPEC), len(SPEC), SPEC.decode()),
    ]
    big = query(db, "SELECT path, size, length(content), sha FROM raw.repo_files WHERE repo = 'acme/big'")
    assert big == [("catalog-info.yaml", len(BIG), len(BIG), git_blob_sha(BIG))]
    assert query(db, "SELECT count(*) FROM raw.repo_files WHERE repo NOT IN ('acme/checkout', 'acme/big')") == [(0,)]

    runs = query(db, "SELECT repo, run_id, run_attempt, workflow_name, workflow_path, event, status, conclusion, "
                     "created_at, run_started_at, updated_at FROM raw.workflow_runs ORDER BY run_id")
    assert runs == [
        ("acme/checkout", 101, 1, "CI", ".github/workflows/ci.yml", "push", "completed", "success",
         T(2025, 5, 31, 10), T(2025, 5, 31, 10, 0, 30), T(2025, 5, 31, 10, 5)),
        ("acme/checkout", 102, 2, "deploy", ".github/workflows/deploy.yaml", "workflow_dispatch", "in_progress", None,
         T(2025, 6, 1, 11), T(2025, 6, 1, 11, 20), T(2025, 6, 1, 11, 21)),
    ]
    deployments = query(db, "SELECT repo, deployment_id, environment, sha, created_at, status_state, status_at "
                            "FROM raw.deployments ORDER BY deployment_id")
    assert deployments == [
        ("acme/checkout", 501, "production", "a" * 40, T(2025, 5, 20, 9), "success", T(2025, 5, 20, 9, 5)),
        ("acme/checkout", 502, "staging", "b" * 40, T(2025, 5, 25, 9), None, None),
    ]
    issues = query(db, "SELECT repo, number, title, state, created_at, closed_at, labels, is_pull_request, author "
                       "FROM raw.issues ORDER BY number")
    assert issues == [
        ("acme/platform", 7, "Need GPUs", "closed", T(2025, 4, 1), T(2025, 4, 10),
         ["golden-path-exception", "team:ml"], False, "octocat"),
        ("acme/platform", 8, "Allow override", "open", T(2025, 5, 2), None, ["Golden-Path-Exception"], True, "octocat"),
    ]
    assert query(db, "SELECT count(*) FROM raw.fetch_errors") == [(0,)]

    # Archived, forked and excluded repos are listed but nothing else is asked about them.
    asked = {r.path.split("/")[3] for r in server.log if r.path.startswith("/repos/")}
    assert asked == {"checkout", "empty", "big", "platform"}
    # The file over 1 MB went straight to the blobs API; nested/non-YAML workflow files were never read.
    big_paths = sorted(r.path for r in server.log if r.path.startswith("/repos/acme/big/"))
    assert big_paths == ["/repos/acme/big/actions/runs", "/repos/acme/big/commits", "/repos/acme/big/deployments",
                         f"/repos/acme/big/git/blobs/{git_blob_sha(BIG)}", "/repos/acme/big/git/trees/main"]
    contents = sorted(r.path for r in server.log if "/contents/" in r.path)
    assert contents == [f"/repos/acme/checkout/contents/{p}" for p in (
        ".copier-answers.yml", ".github/workflows/ci.yml", ".github/workflows/deploy.yaml",
        "catalog-info.yaml", "service.yaml")]

    # Accounting: the fetch log adds up to what the server saw, per endpoint.
    logged = dict(query(db, "SELECT endpoint, requests FROM raw.fetch_log WHERE refresh_id = 'r1'"))
    assert sum(logged.values()) == len(server.log) == meta["requests"]
    assert logged["GET /repos/{repo}/contents/{path}"] == 5
    assert logged["GET /repos/{repo}/deployments/{id}/statuses"] == 2
    assert meta["rows_workflow_runs"] == 2 and meta["rows_repos"] == 7 and meta["failed_repos"] == []
    assert meta["counted_requests"] == server.counted()


def test_second_load_of_an_unchanged_org_is_all_304s(server, tmp_path):
    db = tmp_path / "w.duckdb"
    settings = make_settings(server.base_url)
    load(db, settings)
    before = raw_contents(db)
    server.clear_log()
    meta = load(db, settings, refresh_id="r2")

    data_requests = [r for r in server.log if r.path != "/rate_limit"]
    assert data_requests, "the second load still asks (conditionally)"
    assert all(r.if_none_match and r.status == 304 for r in data_requests), [
        (r.path, r.status) for r in data_requests if r.status != 304]
    assert server.counted() == 0 == meta["counted_requests"]
    assert meta["not_modified"] == len(data_requests)
    assert raw_contents(db) == before
    assert {k: v for k, v in meta.items() if k.startswith("rows_")} == {
        "rows_repos": 0, "rows_repo_files": 0, "rows_repo_file_versions": 0, "rows_workflow_runs": 0,
        "rows_deployments": 0, "rows_issues": 0,
        "rows_template_commits": 0, "rows_template_refs": 0}


def test_incremental_load_reads_only_what_changed(server, tmp_path):
    db = tmp_path / "w.duckdb"
    settings = make_settings(server.base_url)
    load(db, settings)
    org = server.org
    org.push("checkout", T(2025, 6, 1, 11, 30), {
        "service.yaml": b"service:\n  name: checkout\n  language: go\n",
        ".copier-answers.yml": None,
        ".github/workflows/lint.yml": b"on: pull_request\n",
    })
    checkout = org.repos["checkout"]
    run102 = checkout.runs[1]
    run102.status, run102.conclusion, run102.updated_at = "completed", "failure", T(2025, 6, 1, 11, 40)
    checkout.runs.append(FakeRun(104, T(2025, 6, 1, 11, 35), updated_at=T(2025, 6, 1, 11, 39)))
    checkout.deployments[1].statuses.append((3, "success", T(2025, 6, 1, 11, 45)))
    server.clear_log()

    load(db, settings, refresh_id="r2", now=NOW + timedelta(minutes=30))

    counted = sorted(r.path for r in server.log if r.counted)
    assert counted == sorted([
        "/orgs/acme/repos",  # the page holding checkout changed (its pushed_at moved)
        "/repos/acme/checkout/git/trees/main",
        "/repos/acme/checkout/commits",  # the head commit: the versions this refresh saw are keyed by it
        "/repos/acme/checkout/contents/service.yaml",
        "/repos/acme/checkout/contents/.github/workflows/lint.yml",
        "/repos/acme/checkout/actions/runs",
        "/repos/acme/checkout/deployments",
        "/repos/acme/checkout/deployments/502/statuses",  # 501's updated_at did not move
    ])
    paths = [p for (p,) in query(db, "SELECT path FROM raw.repo_files WHERE repo = 'acme/checkout' ORDER BY path")]
    assert paths == [".github/workflows/ci.yml", ".github/workflows/deploy.yaml", ".github/workflows/lint.yml",
                     "catalog-info.yaml", "service.yaml"]
    assert query(db, "SELECT content FROM raw.repo_files WHERE path = 'service.yaml'") == [
        ("service:\n  name: checkout\n  language: go\n",)]
    runs = query(db, "SELECT run_id, status, conclusion, updated_at FROM raw.workflow_runs ORDER BY run_id")
    assert runs == [(101, "completed", "success", T(2025, 5, 31, 10, 5)),
                    (102, "completed", "failure", T(2025, 6, 1, 11, 40)),
                    (104, "completed", "success", T(2025, 6, 1, 11, 39))]
    assert query(db, "SELECT status_state, status_at FROM raw.deployments WHERE deployment_id = 502") == [
        ("success", T(2025, 6, 1, 11, 45))]
    # The tree sha recorded on raw.repos follows the new tree.
    assert query(db, "SELECT tree_sha FROM raw.repos WHERE repo = 'acme/checkout'") == [(checkout.tree_sha(),)]


def test_runs_beyond_the_1000_result_cap_are_read_by_slicing_created(tmp_path):
    org = FakeOrg("acme")
    busy = org.add(FakeRepo("busy", created_at=T(2023, 1, 1)))
    # 2,450 runs, one every 3 hours back from just before NOW: all inside the 365-day backfill.
    busy.runs = [FakeRun(10_000 + k, NOW - timedelta(hours=1 + 3 * k)) for k in range(2450)]
    with GitHubTestServer(org, tokens={TOKEN}) as srv:
        db = tmp_path / "w.duckdb"
        settings = make_settings(srv.base_url, exception_repos=())
        load(db, settings)
        assert query(db, "SELECT count(*), min(run_id), max(run_id) FROM raw.workflow_runs") == [(2450, 10_000, 12_449)]
        run_requests = [r for r in srv.log if r.path == "/repos/acme/busy/actions/runs"]
        # 25 pages of 100 is the least that 2,450 runs can cost: 10 + 10 (first slice) + 5 (second).
        assert len(run_requests) == 25
        assert all(int(r.query.get("page", 1)) <= 10 for r in run_requests), "never asks past the cap"
        slices = sorted({r.query["created"] for r in run_requests if ".." in r.query["created"]})
        assert len(slices) == 2
        # An unchanged second load costs one 304.
        srv.clear_log()
        load(db, settings, refresh_id="r2")
        assert [(r.path, r.status) for r in srv.log if "/actions/runs" in r.path] == [
            ("/repos/acme/busy/actions/runs", 304)]


def test_a_failing_repo_is_recorded_and_keeps_its_data(server, tmp_path):
    db = tmp_path / "w.duckdb"
    settings = make_settings(server.base_url)
    load(db, settings)
    checkout = server.org.repos["checkout"]
    checkout.broken = {"runs"}
    checkout.runs.append(FakeRun(105, T(2025, 6, 1, 11, 50)))
    checkout.deployments[1].statuses.append((3, "failure", T(2025, 6, 1, 11, 45)))
    slept: list[float] = []
    with writer(db) as con:
        source = GitHubSource(settings, sleep=slept.append, environ={TOKEN_ENV: TOKEN}, now=lambda: NOW)
        meta = source.load_into(con, "r2")
        text = _render(render_summary(con, "r2"))

    assert meta["failed_repos"] == ["acme/checkout"]
    errors = query(db, "SELECT refresh_id, source, repo, endpoint, status, message FROM raw.fetch_errors")
    assert errors == [("r2", "github", "acme/checkout", "GET /repos/{repo}/actions/runs", 500,
                       "gave up after 5 attempts: Server Error")]
    # Backoff with jitter: attempt n waits between half and all of min(30, 2**(n-1)) seconds.
    assert len(slept) == 4
    for n, s in enumerate(slept, start=1):
        assert 2 ** (n - 1) / 2 <= s <= 2 ** (n - 1)
    # Its runs are as they were; its deployments (a separate part) still moved on.
    assert query(db, "SELECT run_id FROM raw.workflow_runs ORDER BY run_id") == [(101,), (102,)]
    assert query(db, "SELECT status_state FROM raw.deployments WHERE deployment_id = 502") == [("failure",)]
    assert "acme/checkout" in text and "gave up after 5 attempts" in text

    # Once GitHub answers again, the next load catches up.
    checkout.broken = set()
    meta = load(db, settings, refresh_id="r3")
    assert meta["failed_repos"] == []
    assert query(db, "SELECT run_id FROM raw.workflow_runs ORDER BY run_id") == [(101,), (102,), (105,)]


def test_recent_deployments_still_in_progress_are_rechecked_conditionally(tmp_path):
    org = FakeOrg("acme")
    dep = FakeDeployment(601, NOW - timedelta(days=1), statuses=[(1, "in_progress", NOW - timedelta(days=1) + timedelta(minutes=1))],
                         updated_at_override=NOW - timedelta(days=1))  # this GitHub never moves updated_at
    org.add(FakeRepo("svc", created_at=T(2024, 1, 1), deployments=[dep]))
    statuses = "/repos/acme/svc/deployments/601/statuses"
    with GitHubTestServer(org, tokens={TOKEN}) as srv:
        db = tmp_path / "w.duckdb"
        settings = make_settings(srv.base_url, exception_repos=())

        def status_calls() -> list[int]:
            return [r.status for r in srv.log if r.path == statuses]

        load(db, settings)
        assert query(db, "SELECT status_state FROM raw.deployments") == [("in_progress",)]
        srv.clear_log()
        load(db, settings, refresh_id="r2")
        assert status_calls() == [304]  # nothing new: free

        dep.statuses.append((2, "success", NOW - timedelta(hours=20)))
        srv.clear_log()
        load(db, settings, refresh_id="r3")
        assert status_calls() == [200]
        assert query(db, "SELECT status_state, status_at FROM raw.deployments") == [("success", NOW - timedelta(hours=20))]
        srv.clear_log()
        load(db, settings, refresh_id="r4")
        assert status_calls() == []  # final now: no longer rechecked

        # A redeploy status on a final deployment is seen once its updated_at moves ...
        dep.statuses.append((3, "in_progress", NOW - timedelta(hours=2)))
        dep.updated_at_override = NOW - timedelta(hours=2)
        srv.clear_log()
        load(db, settings, refresh_id="r5")
        assert status_calls() == [200]
        # ... and when updated_at moves again with no new status, the stored ETag answers 304
        # and the stored status stays.
        dep.updated_at_override = NOW - timedelta(hours=1)
        srv.clear_log()
        meta = load(db, settings, refresh_id="r6")
        assert status_calls() == [304] and meta["failed_repos"] == []
        assert query(db, "SELECT status_state, status_at FROM raw.deployments") == [("in_progress", NOW - timedelta(hours=2))]


def test_a_repo_gone_from_the_org_leaves_raw_repos_and_repo_files(server, tmp_path):
    db = tmp_path / "w.duckdb"
    settings = make_settings(server.base_url)
    load(db, settings)
    del server.org.repos["checkout"]
    load(db, settings, refresh_id="r2")
    assert query(db, "SELECT count(*) FROM raw.repos WHERE repo = 'acme/checkout'") == [(0,)]
    assert query(db, "SELECT count(*) FROM raw.repo_files WHERE repo = 'acme/checkout'") == [(0,)]
    assert query(db, "SELECT count(*) FROM raw.fetch_state WHERE scope = 'acme/checkout'") == [(0,)]
    # Runs and deployments already fetched are history: they stay.
    assert query(db, "SELECT count(*) FROM raw.workflow_runs WHERE repo = 'acme/checkout'") == [(2,)]


def test_contents_without_content_fall_back_to_the_blob(tmp_path):
    org = FakeOrg("acme")
    text = "kind: Component\n" * 20  # 320 bytes: under the source's 1 MB threshold
    org.add(FakeRepo("svc", created_at=T(2024, 1, 1), files={"catalog-info.yaml": text.encode()}))
    # This server withholds contents above 64 bytes (as GitHub does above 1 MB).
    with GitHubTestServer(org, tokens={TOKEN}, contents_limit=64) as srv:
        db = tmp_path / "w.duckdb"
        load(db, make_settings(srv.base_url, exception_repos=()))
        assert query(db, "SELECT content FROM raw.repo_files") == [(text,)]
        assert query(db, "SELECT count(*) FROM raw.fetch_errors") == [(0,)]
        paths = [r.path for r in srv.log if "/git/" in r.path or "/contents/" in r.path]
        assert paths == ["/repos/acme/svc/git/trees/main", "/repos/acme/svc/contents/catalog-info.yaml",
                         f"/repos/acme/svc/git/blobs/{git_blob_sha(text.encode())}"]


def test_a_file_that_is_not_utf8_is_kept_without_content_and_reported(tmp_path):
    org = FakeOrg("acme")
    latin1 = "name: café\n".encode("latin-1")
    org.add(FakeRepo("svc", created_at=T(2024, 1, 1), files={"service.yaml": latin1}))
    with GitHubTestServer(org, tokens={TOKEN}) as srv:
        db = tmp_path / "w.duckdb"
        meta = load(db, make_settings(srv.base_url, exception_repos=()))
    assert query(db, "SELECT path, sha, content FROM raw.repo_files") == [("service.yaml", git_blob_sha(latin1), None)]
    assert query(db, "SELECT repo, message FROM raw.fetch_errors") == [
        ("acme/svc", "service.yaml: not UTF-8 text; stored without content")]
    assert meta["failed_repos"] == ["acme/svc"]


def test_configured_file_names_are_the_ones_read(tmp_path):
    org = FakeOrg("acme")
    org.add(FakeRepo("svc", created_at=T(2024, 1, 1), files={
        "catalog-info.yaml": b"default name\n", ".backstage/catalog.yaml": b"custom catalog\n",
        "service.yaml": b"default spec\n", "deploy/platform.yml": b"custom spec\n"}))
    with GitHubTestServer(org, tokens={TOKEN}) as srv:
        db = tmp_path / "w.duckdb"
        base = make_settings(srv.base_url, exception_repos=())
        services = base.services.model_copy(update={"catalog_file": ".backstage/catalog.yaml",
                                                    "spec_file": "deploy/platform.yml"})
        load(db, base.model_copy(update={"services": services}))
        assert query(db, "SELECT count(*) FROM raw.fetch_errors") == [(0,)]
    assert query(db, "SELECT path FROM raw.repo_files ORDER BY path") == [(".backstage/catalog.yaml",), ("deploy/platform.yml",)]


def test_an_unknown_org_stops_the_load_with_a_clear_reason(server, tmp_path):
    db = tmp_path / "w.duckdb"
    with pytest.raises(SourceError, match=r"cannot list the repositories of 'nope' \(github.org\).*404: Not Found"):
        load(db, make_settings(server.base_url, org="nope"))
    assert query(db, "SELECT count(*) FROM raw.repos") == [(0,)]


def test_the_worker_pool_bounds_concurrent_requests(tmp_path):
    from tests.sources.github_server import sample_org

    with GitHubTestServer(sample_org(NOW, repos=20), tokens={TOKEN}) as srv:
        load(tmp_path / "w.duckdb", make_settings(srv.base_url, max_concurrency=3))
        assert 1 <= srv.max_in_flight <= 3


def test_progress_is_reported_per_stage(server, tmp_path):
    seen: list[tuple[str, int, int]] = []
    load(tmp_path / "w.duckdb", make_settings(server.base_url), progress=lambda *a: seen.append(a))
    stages = {s for s, _, _ in seen}
    assert stages == {"GitHub: listing repositories", "GitHub: reading repositories"}
    done, total = [(d, t) for s, d, t in seen if s == "GitHub: reading repositories"][-1]
    # 3 parts (files, runs, deployments) for each of checkout, empty, big, platform + 1 issues job
    assert done == total == 13


def test_render_summary_shows_endpoints_and_totals(server, tmp_path):
    db = tmp_path / "w.duckdb"
    load(db, make_settings(server.base_url))
    with writer(db) as con:
        text = _render(render_summary(con, "r1"))
    assert "GET /repos/{repo}/contents/{path}" in text
    assert "No repo failed." in text
    assert f"{len(server.log) - 1} requests counted against the rate limit" in text  # /rate_limit is free


def _render(renderable) -> str:
    console = Console(record=True, width=200)
    console.print(renderable)
    return console.export_text()
