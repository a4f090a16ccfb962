"""File history through GraphQL into raw.repo_file_versions: hand-worked cases.

The organisation below has a known commit list; every expected row is written out from it by
hand. NOW is 2025-06-01 12:00 and history.backfill_days is 730 unless a test says otherwise, so
the window starts 2023-06-02 12:00.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from pipelines.config import parse_settings
from pipelines.transform import build_all
from pipelines.warehouse import writer
from tests.sources.github_helpers import NOW, TOKEN, load, make_settings, query
from tests.sources.github_server import FakeOrg, FakeRepo, GitHubTestServer, git_blob_sha

T = datetime
CAT1, CAT2 = b"kind: Component\nspec: {owner: team-a}\n", b"kind: Component\nspec: {owner: team-b}\n"
SPEC1, SPEC2, SPEC3 = b"service: {name: svc}\n", b"service: {name: svc, replicas: 2}\n", b"service: {name: svc, replicas: 3}\n"
COPIER = b"_src_path: gh:acme/template-go\n"
CI = b"on: push\n"
REL1, REL2 = b"on: release\n", b"on: {release: {types: [published]}}\n"
CI_PATH, REL_PATH = ".github/workflows/ci.yml", ".github/workflows/release.yml"


def _org() -> FakeOrg:
    """`svc`: C0 2024-01-01 catalog v1, spec s1, ci.yml; C1 2024-03-01 catalog v2; C2 2024-05-01
    README only; C3 2024-07-01 spec deleted, copier added; C4 2024-09-01 spec s2 re-added,
    release.yml r1 added; C5 2024-11-01 ci.yml deleted, release.yml r2.
    `old`: every change to its files before the window; its head (2024-02-01) touches README.
    `empty`: no commits."""
    org = FakeOrg("acme")
    org.add(FakeRepo("svc", created_at=T(2024, 1, 1), files={"catalog-info.yaml": CAT1, "service.yaml": SPEC1,
                                                              CI_PATH: CI, "README.md": b"# svc\n"}))
    org.push("svc", T(2024, 3, 1), {"catalog-info.yaml": CAT2})
    org.push("svc", T(2024, 5, 1), {"README.md": b"# svc v2\n"})
    org.push("svc", T(2024, 7, 1), {"service.yaml": None, ".copier-answers.yml": COPIER})
    org.push("svc", T(2024, 9, 1), {"service.yaml": SPEC2, REL_PATH: REL1})
    org.push("svc", T(2024, 11, 1), {CI_PATH: None, REL_PATH: REL2})
    org.add(FakeRepo("old", created_at=T(2020, 1, 1), files={"catalog-info.yaml": CAT1}))
    org.push("old", T(2021, 1, 1), {"catalog-info.yaml": CAT2})
    org.push("old", T(2024, 2, 1), {"README.md": b"# old\n"})
    org.add(FakeRepo("empty", created_at=T(2025, 5, 1), empty=True))
    return org


def _settings(url: str, **github):
    return make_settings(url, exception_repos=(), **github)


def _graphql_queries(db, refresh_id: str) -> dict[str, int]:
    return dict(query(db, "SELECT endpoint, requests FROM raw.fetch_log WHERE refresh_id = ? "
                          "AND endpoint LIKE 'POST /graphql%' ORDER BY endpoint", [refresh_id]))


def _oid(org: FakeOrg, repo: str, at: datetime) -> str:
    return next(c.oid for c in org.repos[repo].commits if c.committed_at == at)


def _versions(db, repo: str = "acme/svc") -> list[tuple]:
    return query(db, "SELECT path, commit_sha, committed_at, deleted, blob_sha, content FROM raw.repo_file_versions "
                     "WHERE repo = ? ORDER BY committed_at, path", [repo])


def _expected_svc(org: FakeOrg, repo: str = "svc") -> list[tuple]:
    c = {d: _oid(org, repo, T(2024, m, 1)) for d, m in (("C0", 1), ("C1", 3), ("C3", 7), ("C4", 9), ("C5", 11))}

    def row(path, commit, at, content):
        return (path, c[commit], at, content is None, None if content is None else git_blob_sha(content),
                None if content is None else content.decode())

    return [
        row(CI_PATH, "C0", T(2024, 1, 1), CI), row("catalog-info.yaml", "C0", T(2024, 1, 1), CAT1),
        row("service.yaml", "C0", T(2024, 1, 1), SPEC1),
        row("catalog-info.yaml", "C1", T(2024, 3, 1), CAT2),
        row(".copier-answers.yml", "C3", T(2024, 7, 1), COPIER), row("service.yaml", "C3", T(2024, 7, 1), None),
        row(REL_PATH, "C4", T(2024, 9, 1), REL1), row("service.yaml", "C4", T(2024, 9, 1), SPEC2),
        row(CI_PATH, "C5", T(2024, 11, 1), None), row(REL_PATH, "C5", T(2024, 11, 1), REL2),
    ]


def test_first_load_reads_every_version_in_the_window(tmp_path):
    org = _org()
    db = tmp_path / "w.duckdb"
    with GitHubTestServer(org, tokens={TOKEN}) as srv:
        meta = load(db, _settings(srv.base_url))
        files_queries = [r for r in srv.log if r.path == "/graphql"]
        rest_files = [r.path for r in srv.log if "/contents/" in r.path or "/git/" in r.path]
    assert meta["failed_repos"] == [] and meta["graphql"] is True
    # README-only C2 leaves no row; a deleted file has no blob and no content
    assert _versions(db) == _expected_svc(org)
    # `old`: nothing changed inside the window; its one row is the version at the branch's newest
    # commit at or before the window's start (2023-06-02 12:00): the 2021-01-01 commit, CAT2 — no
    # head row, since the head (2024-02-01, README only) holds the same blob
    assert _versions(db, "acme/old") == [("catalog-info.yaml", _oid(org, "old", T(2021, 1, 1)), T(2021, 1, 1), False,
                                          git_blob_sha(CAT2), CAT2.decode())]
    assert _versions(db, "acme/empty") == []
    assert query(db, "SELECT path, content FROM raw.repo_files WHERE repo = 'acme/svc' ORDER BY path") == [
        (".copier-answers.yml", COPIER.decode()), (REL_PATH, REL2.decode()),
        ("catalog-info.yaml", CAT2.decode()), ("service.yaml", SPEC2.decode())]
    assert rest_files == []  # every text came through GraphQL
    assert len(files_queries) == 3  # the availability probe, then one files and one activity query
    # probe: 1 point (the minimum); files: 3 repos × 5 history connections = 15 requests → 0.15
    # → rounds to 0 → the 1-point minimum; activity: 3 repos × 2 connections → also 1 point
    assert meta["graphql_points"] == 3


def test_incremental_reads_only_newer_commits_and_unchanged_repos_cost_nothing(tmp_path):
    org = _org()
    db = tmp_path / "w.duckdb"
    with GitHubTestServer(org, tokens={TOKEN}) as srv:
        settings = _settings(srv.base_url)
        load(db, settings)
        before = _versions(db)
        srv.clear_log()
        meta = load(db, settings, refresh_id="r2")  # nothing changed: no files query at all
        assert _graphql_queries(db, "r2") == {"POST /graphql activity": 1, "POST /graphql probe": 1}
        assert _versions(db) == before

        org.push("svc", T(2025, 5, 1), {"service.yaml": SPEC3})
        srv.clear_log()
        meta = load(db, settings, refresh_id="r3")
        assert meta["rows_repo_file_versions"] == 1 and meta["rows_repo_files"] == 4
        assert _graphql_queries(db, "r3") == {"POST /graphql activity": 1, "POST /graphql files": 1,
                                              "POST /graphql probe": 1}  # files: only the repo that moved
    c6 = _oid(org, "svc", T(2025, 5, 1))
    assert _versions(db) == [*before, ("service.yaml", c6, T(2025, 5, 1), False, git_blob_sha(SPEC3), SPEC3.decode())]


def test_a_push_to_another_branch_changes_nothing(tmp_path):
    org = _org()
    db = tmp_path / "w.duckdb"
    with GitHubTestServer(org, tokens={TOKEN}) as srv:
        settings = _settings(srv.base_url)
        load(db, settings)
        before = _versions(db), query(db, "SELECT * EXCLUDE (fetched_at) FROM raw.repo_files ORDER BY ALL")
        org.push_elsewhere("svc", T(2025, 5, 20))
        meta = load(db, settings, refresh_id="r2")
    assert (_versions(db), query(db, "SELECT * EXCLUDE (fetched_at) FROM raw.repo_files ORDER BY ALL")) == before
    assert meta["failed_repos"] == []


@pytest.mark.parametrize("graphql", [True, False], ids=["graphql", "rest"])
def test_a_force_push_leaves_no_phantom_versions(tmp_path, graphql):
    # C5 (ci.yml deleted, release r2) is replaced by C5' 2024-11-02 (spec s3 only): the branch
    # is C0..C4, C5'. Expected: the C5 rows gone, one row for C5'; ci.yml and release r1 stand.
    org = _org()
    db = tmp_path / "w.duckdb"
    with GitHubTestServer(org, tokens={TOKEN}) as srv:
        settings = _settings(srv.base_url, graphql=graphql)
        load(db, settings)
        expected = [r for r in _expected_svc(org) if r[2] != T(2024, 11, 1)]
        org.force_push("svc", T(2025, 5, 2), drop=1, files={"service.yaml": SPEC3})
        # the rewritten commit carries a committer date of its own, inside the window
        org.repos["svc"].commits[-1].committed_at = T(2024, 11, 2)
        org.repos["svc"].commits[-1].oid = "f" * 40
        meta = load(db, settings, refresh_id="r2")
    expected.append(("service.yaml", "f" * 40, T(2024, 11, 2), False, git_blob_sha(SPEC3), SPEC3.decode()))
    assert _versions(db) == expected
    assert meta["failed_repos"] == []
    assert query(db, "SELECT path FROM raw.repo_files WHERE repo = 'acme/svc' ORDER BY path") == [
        (".copier-answers.yml",), (CI_PATH,), (REL_PATH,), ("catalog-info.yaml",), ("service.yaml",)]


def test_a_renamed_repo_is_read_afresh_under_its_new_name(tmp_path):
    org = _org()
    db = tmp_path / "w.duckdb"
    with GitHubTestServer(org, tokens={TOKEN}) as srv:
        settings = _settings(srv.base_url)
        load(db, settings)
        org.rename("svc", "svc-renamed")
        load(db, settings, refresh_id="r2")
    assert _versions(db, "acme/svc") == []
    assert _versions(db, "acme/svc-renamed") == _expected_svc(org, "svc-renamed")


def test_backfill_zero_records_what_each_refresh_sees(tmp_path):
    org = _org()
    db = tmp_path / "w.duckdb"
    with GitHubTestServer(org, tokens={TOKEN}) as srv:
        settings = parse_settings({"github": {"org": "acme", "api_url": srv.base_url,
                                              "token_env": "PATHLENS_TEST_GITHUB_TOKEN", "requests_per_minute": 100_000},
                                   "exceptions": {"repos": []}, "history": {"backfill_days": 0}}, "(test)")
        load(db, settings)
        c5 = _oid(org, "svc", T(2024, 11, 1))
        # no history: each present file once, at the head commit C5
        assert _versions(db) == [
            (".copier-answers.yml", c5, T(2024, 11, 1), False, git_blob_sha(COPIER), COPIER.decode()),
            (REL_PATH, c5, T(2024, 11, 1), False, git_blob_sha(REL2), REL2.decode()),
            ("catalog-info.yaml", c5, T(2024, 11, 1), False, git_blob_sha(CAT2), CAT2.decode()),
            ("service.yaml", c5, T(2024, 11, 1), False, git_blob_sha(SPEC2), SPEC2.decode())]
        org.push("svc", T(2025, 5, 1), {"service.yaml": SPEC3, ".copier-answers.yml": None})
        load(db, settings, refresh_id="r2")
    c6 = _oid(org, "svc", T(2025, 5, 1))
    assert _versions(db)[4:] == [
        (".copier-answers.yml", c6, T(2025, 5, 1), True, None, None),
        ("service.yaml", c6, T(2025, 5, 1), False, git_blob_sha(SPEC3), SPEC3.decode())]


def test_history_longer_than_a_page_and_truncated_texts(tmp_path):
    # 150 commits change service.yaml after its creation: 151 versions, two pages of history
    org = FakeOrg("acme")
    org.add(FakeRepo("busy", created_at=T(2025, 1, 1), files={"service.yaml": b"v: 0\n"}))
    for i in range(1, 151):
        org.push("busy", T(2025, 1, 1) + timedelta(minutes=i), {"service.yaml": f"v: {i}\n".encode()})
    big = b"# " + b"x" * 2000 + b"\nkind: Component\n"
    org.add(FakeRepo("big", created_at=T(2025, 2, 1), files={"catalog-info.yaml": big}))
    db = tmp_path / "w.duckdb"
    with GitHubTestServer(org, tokens={TOKEN}, graphql_text_limit=1000) as srv:
        meta = load(db, _settings(srv.base_url))
        blobs = [r.path for r in srv.log if "/git/blobs/" in r.path]
        graphql = len([r for r in srv.log if r.path == "/graphql"])
    assert meta["failed_repos"] == []
    got = query(db, "SELECT count(*), min(content), max(committed_at) FROM raw.repo_file_versions WHERE repo = 'acme/busy'")
    assert got == [(151, "v: 0\n", T(2025, 1, 1, 2, 30))]
    assert graphql == 4  # probe, activity, the first page for both repos, then page two of busy's history
    assert blobs == [f"/repos/acme/big/git/blobs/{git_blob_sha(big)}"]  # cut at 1,000 bytes → read by REST
    assert query(db, "SELECT content FROM raw.repo_file_versions WHERE repo = 'acme/big'") == [(big.decode(),)]


def test_an_api_without_graphql_falls_back_to_rest(tmp_path):
    org = _org()
    db = tmp_path / "w.duckdb"
    with GitHubTestServer(org, tokens={TOKEN}, graphql=False) as srv:
        meta = load(db, _settings(srv.base_url))
        assert meta["graphql"] is False and meta["failed_repos"] == []
        assert query(db, "SELECT count(*) FROM raw.repo_files WHERE repo = 'acme/svc'") == [(4,)]
        # REST reads the same history as GraphQL (rest_history.py): every version in the window
        assert _versions(db) == _expected_svc(org)
        org.push("svc", T(2025, 5, 1), {"service.yaml": SPEC3, ".copier-answers.yml": None})
        before = len(srv.log)
        load(db, _settings(srv.base_url), refresh_id="r2")
        incremental = [r.path for r in srv.log[before:] if "/repos/acme/svc/commits" in r.path]
    c6 = _oid(org, "svc", T(2025, 5, 1))
    # incremental: only the new commit's versions are added (C5 is read again, a day of overlap,
    # and changes nothing); one head request, the fast-forward check, five path listings
    assert _versions(db)[10:] == [
        (".copier-answers.yml", c6, T(2025, 5, 1), True, None, None),
        ("service.yaml", c6, T(2025, 5, 1), False, git_blob_sha(SPEC3), SPEC3.decode())]
    assert len(incremental) == 7


# activity: which repos' runs are asked for, and deployments through GraphQL -------------------
def _sample(now):
    from tests.sources.github_server import sample_org

    return sample_org(now, repos=10)


def test_graphql_and_rest_paths_load_the_same_runs_and_deployments(tmp_path):
    from tests.sources.github_helpers import NOW, raw_contents

    with GitHubTestServer(_sample(NOW), tokens={TOKEN}) as srv:
        load(tmp_path / "g.duckdb", make_settings(srv.base_url))
    with GitHubTestServer(_sample(NOW), tokens={TOKEN}) as srv:
        load(tmp_path / "r.duckdb", make_settings(srv.base_url, graphql=False))
    graphql, rest = raw_contents(tmp_path / "g.duckdb"), raw_contents(tmp_path / "r.duckdb")
    for table in ("repos", "repo_files", "workflow_runs", "deployments", "issues"):
        assert graphql[table] == rest[table], table
    assert len(graphql["deployments"]) == 19  # 1 + i % 3 per svc repo i = 0..9: 4×1 + 3×2 + 3×3


def test_runs_are_asked_only_where_something_moved(tmp_path):
    from tests.sources.github_helpers import NOW
    from tests.sources.github_server import FakeRun

    org = _sample(NOW)
    db = tmp_path / "w.duckdb"
    with GitHubTestServer(org, tokens={TOKEN}) as srv:
        settings = make_settings(srv.base_url)
        load(db, settings)

        def runs_asked() -> list[str]:
            return sorted(r.path.split("/")[3] for r in srv.log if r.path.endswith("/actions/runs"))

        # an hour later, nothing moved: only the repos whose newest run was still in progress
        # (sample_org: every fifth svc repo → svc-0000 and svc-0005) are asked, and answer 304
        srv.clear_log()
        meta = load(db, settings, refresh_id="r2", now=NOW + timedelta(hours=1))
        assert runs_asked() == ["svc-0000", "svc-0005"] and srv.counted() == 0
        # in scope: 10 svc repos, empty-repo, monolith, platform = 13 (archived, fork, sandbox-* out)
        assert meta["runs_skipped"] == 13 - 2

        # a scheduled run on svc-0003's head commit (no push): its check suites grow
        head = org.repos["svc-0003"].head().oid
        org.repos["svc-0003"].runs.append(FakeRun(77_000_001, NOW + timedelta(hours=1, minutes=30), head_sha=head,
                                                  event="schedule"))
        # a new deployment and a new status on svc-0001, also without a push
        dep = org.repos["svc-0001"].deployments[0]
        dep.statuses.append((990_001, "inactive", NOW + timedelta(hours=1, minutes=40)))
        srv.clear_log()
        load(db, settings, refresh_id="r3", now=NOW + timedelta(hours=2))
        assert runs_asked() == ["svc-0000", "svc-0003", "svc-0005"]
        assert query(db, "SELECT count(*) FROM raw.workflow_runs WHERE run_id = 77000001") == [(1,)]
        assert query(db, "SELECT status_state FROM raw.deployments WHERE deployment_id = ?", [dep.id]) == [("inactive",)]

        # 25 h after the first refresh: every repo last read then is due again; svc-0003, read at
        # +2 h, is not (23 h); the two with runs in progress are asked anyway
        srv.clear_log()
        load(db, settings, refresh_id="r4", now=NOW + timedelta(hours=25))
        assert len(runs_asked()) == 12 and "svc-0003" not in runs_asked()


def _legacy_org() -> FakeOrg:
    """`legacy`, created 2020-01-01 (before the window, 2023-06-02 12:00) with a catalog; a CI
    workflow added 2024-09-01 (inside the window)."""
    org = FakeOrg("acme")
    org.add(FakeRepo("legacy", created_at=T(2020, 1, 1), files={"catalog-info.yaml": CAT1}))
    org.push("legacy", T(2024, 9, 1), {CI_PATH: CI})
    return org


@pytest.mark.parametrize("graphql", [True, False], ids=["graphql", "rest"])
def test_a_file_added_inside_the_window_of_an_older_repo_is_absent_before(tmp_path, graphql):
    # SPEC §3: a file absent at an instant counts as absent. Refresh 1 (2025-06-01 12:00) reads the
    # window; service.yaml is pushed 2025-06-10 and refresh 2 (2025-06-15) reads it.
    org = _legacy_org()
    db = tmp_path / "w.duckdb"
    second = T(2025, 6, 15)
    with GitHubTestServer(org, tokens={TOKEN}) as srv:
        settings = _settings(srv.base_url, graphql=graphql)
        load(db, settings, refresh_id="r1")
        with writer(db) as con:
            build_all(con, settings, as_of=NOW, refresh_id="r1")
        org.push("legacy", T(2025, 6, 10), {"service.yaml": SPEC1})
        load(db, settings, refresh_id="r2", now=second)
    c0, c1, c2 = (_oid(org, "legacy", at) for at in (T(2020, 1, 1), T(2024, 9, 1), T(2025, 6, 10)))
    rows = _versions(db, "acme/legacy")
    # the branch at the window's start is C0 (2020-01-01): the catalog then, and CI not there yet;
    # refresh 2 records service.yaml absent at the previous head C1, then added at C2
    assert rows == [
        (CI_PATH, c0, T(2020, 1, 1), True, None, None),
        ("catalog-info.yaml", c0, T(2020, 1, 1), False, git_blob_sha(CAT1), CAT1.decode()),
        (CI_PATH, c1, T(2024, 9, 1), False, git_blob_sha(CI), CI.decode()),
        ("service.yaml", c1, T(2024, 9, 1), True, None, None),
        ("service.yaml", c2, T(2025, 6, 10), False, git_blob_sha(SPEC1), SPEC1.decode()),
    ]
    with writer(db) as con:
        build_all(con, settings, as_of=second, refresh_id="r2")
        timeline = con.execute("SELECT path, valid_from, valid_to, blob FROM staging.file_versions "
                               "WHERE repo = 'acme/legacy' ORDER BY path, valid_from").fetchall()
    # the window starts at the first refresh's as_of − 730 days = 2023-06-02 12:00
    start = T(2023, 6, 2, 12)
    assert timeline == [
        (CI_PATH, start, T(2024, 9, 1), None), (CI_PATH, T(2024, 9, 1), None, git_blob_sha(CI)),
        ("catalog-info.yaml", start, None, git_blob_sha(CAT1)),
        ("service.yaml", start, T(2025, 6, 10), None), ("service.yaml", T(2025, 6, 10), None, git_blob_sha(SPEC1)),
    ]
