"""Issue 13 item 5 and issue 10 item 5: one definition of the files read, with sizes decided
from the tree before any download, on the REST and the GraphQL path alike.

Before: a 60 MB `catalog-info.yaml` was stored whole in raw.repo_files though the parser
refused it; a repo with 3,000 workflow files cost 3,036 requests in one refresh; with
`catalog_file: ./catalog-info.yaml` the fetcher never downloaded the file the parser would
accept; a legitimate 1.3 MB catalog was refused as over the 1 MiB parser limit.
(`bench/bench_catalog.py` measures how long the 1.3 MB catalog takes to parse.)
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from bench.bench_catalog import catalog
from pipelines.config import parse_settings
from pipelines.facts.frames import facts_frames, file_kind
from pipelines.repo_files import MAX_BYTES, RepoFiles
from pipelines.sources.github.rows import wanted_file
from tests.metrics.conftest import build, repo
from tests.sources.github_helpers import NOW, TOKEN, load, make_settings, query
from tests.sources.github_server import FakeRepo, GitHubTestServer, sample_org

COMPONENT = b"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: big\nspec:\n  type: service\n"
PATHS = pytest.mark.parametrize("graphql", [False, True], ids=["rest", "graphql"])


@pytest.mark.parametrize("path", ["catalog-info.yaml", "service.yaml", ".copier-answers.yml", ".cruft.json",
                                  ".github/workflows/ci.yml", ".github/workflows/x.yaml", "docs/catalog-info.yaml",
                                  ".github/workflows/sub/ci.yml", "README.md"])
@pytest.mark.parametrize("catalog_file", ["catalog-info.yaml", "./catalog-info.yaml"])
def test_fetcher_and_parsers_agree_on_every_path(path: str, catalog_file: str):
    kind = file_kind(path, catalog_file=catalog_file, spec_file="./service.yaml")
    assert wanted_file(path, catalog_file, "./service.yaml") == (kind is not None)
    assert RepoFiles(catalog_file, "./service.yaml").kind(path) == kind
    if path == "catalog-info.yaml":
        assert kind == "catalog"
    if path == "docs/catalog-info.yaml" or path.startswith(".github/workflows/sub/") or path == "README.md":
        assert kind is None


def test_the_workflow_cap_is_validated_configuration():
    settings = parse_settings({"demo": {"scale": "small"}, "services": {"max_workflow_files": 7}}, "(test)")
    assert RepoFiles.from_settings(settings).max_workflow_files == 7
    with pytest.raises(Exception, match="max_workflow_files"):
        parse_settings({"demo": {"scale": "small"}, "services": {"max_workflow_files": 0}}, "(test)")


@PATHS
def test_a_catalog_over_the_limit_is_never_downloaded_or_stored(tmp_path: Path, graphql: bool):
    huge = COMPONENT + b"# padding\n" * (MAX_BYTES["catalog"] // 10 + 10)  # just over 10 MiB
    org = sample_org(NOW, repos=2)
    org.add(FakeRepo("big", created_at=NOW - timedelta(days=3), files={"catalog-info.yaml": huge}))
    db = tmp_path / "w.duckdb"
    with GitHubTestServer(org, tokens={TOKEN}) as srv:
        load(db, make_settings(srv.base_url, graphql=graphql))
        asked = [r.path for r in srv.log if r.path.startswith("/repos/acme/big/")]
    # `git/blobs` is never asked for it: its size came from the tree (GraphQL: byteSize); on the
    # REST path the history read asks `contents?ref=` of the commit that added it, which GitHub
    # answers without content above 1 MB (this server too)
    assert not [p for p in asked if "/git/blobs/" in p], asked
    assert [p for p in asked if "/contents/" in p] == ([] if graphql else ["/repos/acme/big/contents/catalog-info.yaml"])
    assert query(db, "SELECT size, content IS NULL FROM raw.repo_files WHERE repo = 'acme/big'") == [(len(huge), True)]
    assert query(db, "SELECT count(*) FROM raw.repo_file_versions WHERE repo = 'acme/big' AND content IS NOT NULL") \
        == [(0,)]
    files = pl.DataFrame({"repo": ["acme/big"], "path": ["catalog-info.yaml"], "size": [len(huge)],
                          "content": [None]}, schema={"repo": pl.String, "path": pl.String, "size": pl.Int64,
                                                       "content": pl.String})
    errors = facts_frames(files)["file_errors"].to_dicts()
    # 10 MiB = 10,485,760 bytes; huge = 94 (COMPONENT) + 10 × 1,048,586 (padding) = 10,485,954 bytes
    assert len(huge) == 10_485_954
    assert errors == [{"repo": "acme/big", "path": "catalog-info.yaml", "file_kind": "catalog", "severity": "error",
                       "error": "10,485,954 bytes, over the 10 MiB limit for catalog files: not downloaded or parsed"}]


@PATHS
def test_workflow_files_are_capped_per_repo(tmp_path: Path, graphql: bool):
    workflows = {f".github/workflows/w{i:04d}.yml": b"on: push\njobs: {}\n" for i in range(150)}
    org = sample_org(NOW, repos=1)
    org.add(FakeRepo("many", created_at=NOW - timedelta(days=3), files=workflows))
    db = tmp_path / "w.duckdb"
    with GitHubTestServer(org, tokens={TOKEN}) as srv:
        meta = load(db, make_settings(srv.base_url, graphql=graphql))
        asked = [r.path for r in srv.log if r.path.startswith("/repos/acme/many/contents/.github/workflows/")]
    if not graphql:
        assert len(asked) == 100  # the cap (services.max_workflow_files), not 150
    stored = [p for (p,) in query(db, "SELECT path FROM raw.repo_files WHERE repo = 'acme/many' ORDER BY path")]
    assert stored == sorted(workflows)[:100]  # the first 100 by path
    assert query(db, "SELECT count(DISTINCT path) FROM raw.repo_file_versions WHERE repo = 'acme/many'") == [(100,)]
    (message,) = query(db, "SELECT message FROM raw.fetch_errors WHERE repo = 'acme/many'")[0]
    assert message.startswith("150 workflow files, over the cap of 100 (services.max_workflow_files)")
    assert "acme/many" in meta["failed_repos"]


@PATHS
def test_a_dot_slash_catalog_path_is_fetched_parsed_and_counted(tmp_path: Path, graphql: bool):
    org = sample_org(NOW, repos=2)
    db = tmp_path / "w.duckdb"
    with GitHubTestServer(org, tokens={TOKEN}) as srv:
        base = make_settings(srv.base_url, graphql=graphql)
        settings = base.model_copy(update={"services": base.services.model_copy(
            update={"catalog_file": "./catalog-info.yaml", "spec_file": "./service.yaml"})})
        load(db, settings)
    fetched = {r for (r,) in query(db, "SELECT repo FROM raw.repo_files WHERE path = 'catalog-info.yaml'")}
    assert {"acme/svc-0000", "acme/svc-0001"} <= fetched
    specs = {r for (r,) in query(db, "SELECT repo FROM raw.repo_files WHERE path = 'service.yaml'")}
    assert {"acme/svc-0000", "acme/svc-0001"} <= specs
    (tmp_path / "b").mkdir()
    con = build(tmp_path / "b", repos=[repo("svc", "2024-05-01", "Go")],
                files={("acme/svc", "catalog-info.yaml"): COMPONENT.decode().replace("big", "svc")},
                settings={"github": {"org": "acme"}, "services": {"catalog_file": "./catalog-info.yaml"}})
    assert con.sql("SELECT service, catalogued FROM marts.services").fetchall() == [("svc", True)]
    assert con.sql("SELECT has_catalog FROM marts.repos").fetchall() == [(True,)]


def test_a_1_3_mb_catalog_with_inline_openapi_parses():
    text = catalog(1_300_000)
    assert len(text.encode()) > 1 << 20  # over the old 1 MiB limit
    frames = facts_frames(pl.DataFrame({"repo": ["acme/orders"], "path": ["catalog-info.yaml"], "content": [text]}))
    assert frames["file_errors"].is_empty()
    assert frames["catalog_components"]["name"].to_list() == ["orders"]


@PATHS
def test_a_1_3_mb_catalog_is_fetched_whole_and_makes_its_service(tmp_path: Path, graphql: bool):
    text = catalog(1_300_000).encode()
    org = sample_org(NOW, repos=1)
    org.add(FakeRepo("orders", created_at=NOW - timedelta(days=3), files={"catalog-info.yaml": text}))
    db = tmp_path / "w.duckdb"
    with GitHubTestServer(org, tokens={TOKEN}) as srv:
        load(db, make_settings(srv.base_url, graphql=graphql))
    # GraphQL cuts blob text at 512 KiB (isTruncated): the whole text then comes from git/blobs
    assert query(db, "SELECT size, md5(content) FROM raw.repo_files WHERE repo = 'acme/orders'") == [
        (len(text), query(db, "SELECT md5(?)", [text.decode()])[0][0])]
