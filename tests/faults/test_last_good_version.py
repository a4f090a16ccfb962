"""Issue 13, item 11: a bad push does not erase a service.

Before: when a good `catalog-info.yaml` was replaced by an unparseable one, the services it
declared vanished from marts.services until someone fixed the file. Now the last version that
parsed stands in for it in the version timeline (intermediate.files_at), so today's services and
their history agree; the service is flagged `stale_since` (when the file went bad) and the parse
error stays recorded in staging.file_errors, naming the file.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.config import parse_settings
from pipelines.transform import build_all
from pipelines.warehouse import writer
from tests.metrics.conftest import AS_OF, build, repo
from tests.sources.github_helpers import TOKEN, load, make_settings
from tests.sources.github_server import FakeOrg, FakeRepo, GitHubTestServer

T = datetime.fromisoformat
GOOD = ("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: checkout\n"
        "  annotations:\n    backstage.io/source-template: template:default/go-service\n"
        "spec:\n  type: service\n  owner: team-checkout\n")
OLDER = GOOD.replace("team-checkout", "team-old")
BROKEN = GOOD.replace("spec:\n", "spec: [unclosed\n")  # not YAML any more
SPEC_GOOD = "service:\n  name: checkout\n  language: go\n"
SPEC_BROKEN = "service: {name: [oops"


def _versions(*rows: tuple[str, str, str, str | None]) -> pl.DataFrame:
    """(path, commit letter, committed_at, text or None for a deletion) of acme/checkout."""
    return pl.DataFrame([{"repo": "acme/checkout", "path": path, "commit_sha": sha * 40, "committed_at": T(at),
                          "blob_sha": None, "size": None if text is None else len(text), "content": text,
                          "deleted": text is None, "fetched_at": AS_OF}
                         for path, sha, at, text in rows], schema_overrides={"blob_sha": pl.String, "size": pl.Int64})


def _build(tmp_path: Path, files: dict, versions: pl.DataFrame | None) -> duckdb.DuckDBPyConnection:
    extra = {"repo_file_versions": versions} if versions is not None else {}
    return build(tmp_path, repos=[repo("checkout", "2024-03-01 09:00", "Go")], files=files, extra=extra)


def _services(con) -> list[tuple]:
    return con.sql("SELECT service, owner, on_golden_path, catalogued, stale_since FROM marts.services").fetchall()


def test_the_last_version_that_parses_keeps_the_service_flagged_stale(tmp_path: Path):
    # a (team-old) 2024-03-01 09:00, b (team-checkout) 2024-04-02 09:00, c broken 2024-05-10 08:00
    # = today's file. The newest good version before c is b: team-checkout, on go-service,
    # stale since c's commit. The history has one interval per owner, none without the service,
    # and c's broken stretch is an interval of its own: b's state, stale since c.
    versions = _versions(("catalog-info.yaml", "a", "2024-03-01 09:00", OLDER),
                         ("catalog-info.yaml", "b", "2024-04-02 09:00", GOOD),
                         ("catalog-info.yaml", "c", "2024-05-10 08:00", BROKEN))
    con = _build(tmp_path, {("acme/checkout", "catalog-info.yaml"): BROKEN}, versions)
    assert _services(con) == [("checkout", "team-checkout", True, True, T("2024-05-10 08:00"))]
    (path, kind, severity, error), = con.sql("SELECT path, file_kind, severity, error FROM staging.file_errors").fetchall()
    assert (path, kind, severity) == ("catalog-info.yaml", "catalog", "error")
    assert error.startswith("line 8, column 7: YAML syntax error")  # BROKEN's `[unclosed` is on line 8
    assert con.sql("SELECT service, valid_from, valid_to, owner, on_golden_path, stale_since "
                   "FROM marts.service_history ORDER BY valid_from").fetchall() == [
        ("checkout", T("2024-03-01 09:00"), T("2024-04-02 09:00"), "team-old", True, None),
        ("checkout", T("2024-04-02 09:00"), T("2024-05-10 08:00"), "team-checkout", True, None),
        ("checkout", T("2024-05-10 08:00"), None, "team-checkout", True, T("2024-05-10 08:00"))]
    assert con.sql("SELECT stale_services FROM marts.refresh_info").fetchall() == [(1,)]


def test_a_good_current_file_is_not_stale(tmp_path: Path):
    versions = _versions(("catalog-info.yaml", "a", "2024-03-01 09:00", OLDER),
                         ("catalog-info.yaml", "b", "2024-04-02 09:00", BROKEN),
                         ("catalog-info.yaml", "c", "2024-05-01 09:00", GOOD))
    con = _build(tmp_path, {("acme/checkout", "catalog-info.yaml"): GOOD}, versions)
    assert _services(con) == [("checkout", "team-checkout", True, True, None)]
    assert con.sql("SELECT count(*) FROM staging.file_errors").fetchall() == [(0,)]
    assert con.sql("SELECT stale_services FROM marts.refresh_info").fetchall() == [(0,)]


def test_a_broken_service_spec_keeps_its_uncatalogued_service(tmp_path: Path):
    versions = _versions(("service.yaml", "s", "2024-04-01 00:00", SPEC_GOOD),
                         ("service.yaml", "t", "2024-05-01 00:00", SPEC_BROKEN))
    con = _build(tmp_path, {("acme/checkout", "service.yaml"): SPEC_BROKEN}, versions)
    assert _services(con) == [("checkout", None, False, False, T("2024-05-01 00:00"))]


@pytest.mark.parametrize("before", ["nothing", "absent"])
def test_a_file_bad_since_it_appeared_has_nothing_to_fall_back_on(tmp_path: Path, before: str):
    # "nothing": the only version is broken; "absent": a good version, then the file deleted,
    # then re-added broken — the deletion ends what can be fallen back on. No service either
    # way, and the error is recorded.
    rows = [("catalog-info.yaml", "a", "2024-03-01 09:00", GOOD), ("catalog-info.yaml", "b", "2024-04-01 09:00", None)]
    rows = rows if before == "absent" else []
    versions = _versions(*rows, ("catalog-info.yaml", "c", "2024-05-01 09:00", BROKEN))
    con = _build(tmp_path, {("acme/checkout", "catalog-info.yaml"): BROKEN}, versions)
    assert _services(con) == []
    assert con.sql("SELECT path, severity FROM staging.file_errors").fetchall() == [("catalog-info.yaml", "error")]


@pytest.mark.parametrize("graphql", [False, True], ids=["rest", "graphql"])
def test_a_bad_push_between_two_refreshes_keeps_the_service(tmp_path: Path, graphql: bool):
    # refresh 1 (2025-06-01) reads the good catalog; a push (2025-06-05) breaks it; refresh 2
    # (2025-06-08) still counts `checkout`, from refresh 1's version, stale since the bad version
    # took effect: its commit (GraphQL reads history) or, on the REST path, the head commit
    # the second refresh saw, which is the push's.
    first, push, second = T("2025-06-01 12:00"), T("2025-06-05 10:00"), T("2025-06-08 12:00")
    org = FakeOrg("acme")
    org.add(FakeRepo("checkout", created_at=T("2025-01-10 09:00"), files={"catalog-info.yaml": GOOD.encode()}))
    db = tmp_path / "w.duckdb"
    settings = parse_settings({**make_settings("http://127.0.0.1:1/api/v3").model_dump(exclude_none=True),
                               "golden_paths": [{"name": "go-service", "ref": "template:default/go-service"}]},
                              "(test)")
    with GitHubTestServer(org, tokens={TOKEN}) as srv:
        settings = settings.model_copy(update={"github": settings.github.model_copy(
            update={"api_url": srv.base_url, "graphql": graphql})})
        load(db, settings, refresh_id="r1", now=first)
        org.push("checkout", push, {"catalog-info.yaml": BROKEN.encode()})
        load(db, settings, refresh_id="r2", now=second)
    with writer(db) as con:
        build_all(con, settings, as_of=second, refresh_id="r2")
        assert con.sql("SELECT content FROM raw.repo_files").fetchall() == [(BROKEN,)]
        assert con.sql("SELECT service, owner, on_golden_path, stale_since FROM marts.services").fetchall() == [
            ("checkout", "team-checkout", True, push)]
        assert con.sql("SELECT path, severity FROM staging.file_errors").fetchall() == [("catalog-info.yaml", "error")]
    assert push - first == timedelta(days=3, hours=22)
