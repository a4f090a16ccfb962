"""Refresh snapshots as part of service history (SPEC §3 "Service history": "Every refresh extends
it with the current state, so history also accumulates where no backfill is possible"; §4's
dated snapshot). Each case runs several refreshes of one warehouse through the real transforms,
changing the raw rows between them as a source would; every expected interval is worked out by
hand in the comments.

(a) no file history (a source that writes only raw.repo_files, `history.backfill_days: 0`):
    the boundary between two refreshes' states is the later refresh's instant;
(b) what no git file holds (a Backstage API component: owner, type, catalogued; the repo's
    GitHub language) is taken from each refresh at the instant it was seen;
(c) where file versions were recorded they decide the past, by today's rules — a snapshot taken
    under an older configuration does not override them, and a change committed between two
    refreshes starts at its commit.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.config import parse_settings
from pipelines.raw_schema import RAW_TABLES
from pipelines.transform import build_all
from pipelines.warehouse import upsert, writer
from tests.metrics.conftest import SETTINGS, repo

T = datetime.fromisoformat
CATALOG = "catalog-info.yaml"
SPEC = "service.yaml"
R1, R2, R3 = T("2024-03-01 10:00"), T("2024-04-01 10:00"), T("2024-05-01 10:00")
SIDECAR = "  kubernetes_override:\n    containers:\n      - name: app\n      - name: proxy\n"


def catalog(name: str, owner: str = "team-a", template: str | None = None) -> str:
    annotations = f"  annotations:\n    backstage.io/source-template: template:default/{template}\n" if template else ""
    return (f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n{annotations}"
            f"spec:\n  type: service\n  owner: {owner}\n")


def spec(name: str, override: str = "", language: str | None = None) -> str:
    return f"service:\n  name: {name}\n" + (f"  language: {language}\n" if language else "") + override


def entity(name: str, slug: str, owner: str, type_: str = "service") -> dict:
    return {"entity_ref": f"component:default/{name}", "kind": "Component", "namespace": "default", "name": name,
            "entity": json.dumps({"kind": "Component",
                                  "metadata": {"name": name, "annotations": {"github.com/project-slug": slug}},
                                  "spec": {"type": type_, "owner": owner}})}


def refresh(path: Path, as_of: datetime, *, repos: list[dict], files: dict[tuple[str, str], tuple[str, datetime]],
            settings: dict, versions: list[tuple] = (), entities: list[dict] = (), refresh_id: str | None = None) -> None:
    """One refresh as a source leaves raw: repos, current files (text, when it was read) and
    Backstage entities replaced by what this refresh saw; file versions (repo, path, commit
    date, text) upserted; then every model and the snapshot."""
    with writer(path) as con:
        for table in ("repos", "repo_files", "backstage_entities"):
            con.execute(f"DELETE FROM raw.{table}")
        upsert(con, RAW_TABLES["repos"], pl.DataFrame(repos))
        upsert(con, RAW_TABLES["repo_files"], pl.DataFrame(
            [{"repo": r, "path": p, "content": text, "size": len(text), "fetched_at": at}
             for (r, p), (text, at) in files.items()]))
        if versions:
            upsert(con, RAW_TABLES["repo_file_versions"], pl.DataFrame(
                [{"repo": r, "path": p, "commit_sha": hashlib.sha1(f"{r} {p} {at}".encode()).hexdigest(), "committed_at": T(at),
                  "content": text, "size": len(text), "deleted": False, "fetched_at": as_of}
                 for r, p, at, text in versions]))
        if entities:
            upsert(con, RAW_TABLES["backstage_entities"], pl.DataFrame(list(entities)))
        failures = build_all(con, parse_settings(settings), as_of=as_of, refresh_id=refresh_id or f"r-{as_of:%m%d}")
    assert {k: v for k, v in failures.items() if v} == {}


def history(path: Path, service: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "select valid_from, valid_to, catalogued, owner, language, golden_path, escape_hatch_reasons"
            " from marts.service_history where service = ? order by valid_from", [service]).fetchall()


# (a) ---------------------------------------------------------------------------------------------
NO_BACKFILL = {**SETTINGS, "history": {"backfill_days": 0}}
SVC = [repo("svc", "2024-01-01 09:00", "Go")]


def test_without_file_history_two_refreshes_split_at_the_later_refresh(tmp_path):
    # R1 (03-01 10:00) reads the catalog: DIY, team-a, no spec. R2 (04-01 10:00) reads it
    # changed — created from go-service, owner team-b — and a new spec with a sidecar override.
    # Nothing records file versions, so only the refreshes say when: the change takes effect at
    # R2's instant, and before R1 the service has R1's state (the oldest one seen) from its
    # creation on. R3 (05-01 10:00) sees what R2 saw: no new interval.
    wh = tmp_path / "wh.duckdb"
    refresh(wh, R1, repos=SVC, settings=NO_BACKFILL, files={("acme/svc", CATALOG): (catalog("svc"), R1)})
    changed = {("acme/svc", CATALOG): (catalog("svc", owner="team-b", template="go-service"), R2),
               ("acme/svc", SPEC): (spec("svc", SIDECAR), R2)}
    refresh(wh, R2, repos=SVC, settings=NO_BACKFILL, files=changed)
    after_r2 = history(wh, "svc")
    assert after_r2 == [
        (T("2024-01-01 09:00"), R2, True, "team-a", "go", None, []),
        (R2, None, True, "team-b", "go", "go-service", ["sidecar"]),
    ]
    refresh(wh, R3, repos=SVC, settings=NO_BACKFILL, files=changed)
    assert history(wh, "svc") == after_r2
    # and the adoption at each month's end follows: DIY at the end of January, February and
    # March (1 service, 0 golden), golden at the end of April
    with duckdb.connect(str(wh), read_only=True) as con:
        got = con.execute("select month::varchar, services_total, golden_path_total from marts.adoption_monthly"
                          " order by month").fetchall()
    assert got == [("2024-01-01", 1, 0), ("2024-02-01", 1, 0), ("2024-03-01", 1, 0), ("2024-04-01", 1, 1),
                   ("2024-05-01", 1, 1)]


# (b) and (c) ---------------------------------------------------------------------------------------
# acme/apisvc (created 2023-06-01 09:00) has no catalog file, only a spec without a language,
# committed 2023-06-01 09:30. The Backstage API and GitHub say, refresh by refresh:
#   R1: an entity `apisvc` of type library (not a service), language Java → uncatalogued
#   R2: the entity is a service owned by team-a, language Java
#   R3: owner team-b, language Kotlin
# acme/filesvc (created 2023-01-10 09:00): catalog committed 2023-01-10 09:30 with the
# python-service template annotation, owner team-a; owner team-b committed 2024-03-20 08:00
# (between R1 and R2, read by R2). R1 ran with go-service as the only golden path; python-service
# is configured from R2 on.
APISVC_SPEC = spec("apisvc")
FILESVC_V1, FILESVC_V2 = catalog("filesvc", template="python-service"), catalog("filesvc", "team-b", "python-service")
ONLY_GO = {**SETTINGS, "golden_paths": SETTINGS["golden_paths"][:1]}


def _org(language: str) -> list[dict]:
    return [repo("apisvc", "2023-06-01 09:00", language), repo("filesvc", "2023-01-10 09:00", "Python")]


@pytest.fixture(scope="module")
def three_refreshes(tmp_path_factory) -> Path:
    wh = tmp_path_factory.mktemp("refreshes") / "wh.duckdb"
    v_api = [("acme/apisvc", SPEC, "2023-06-01 09:30", APISVC_SPEC)]
    v_file1 = [("acme/filesvc", CATALOG, "2023-01-10 09:30", FILESVC_V1)]
    v_file2 = [*v_file1, ("acme/filesvc", CATALOG, "2024-03-20 08:00", FILESVC_V2)]
    old_files = {("acme/apisvc", SPEC): (APISVC_SPEC, R1), ("acme/filesvc", CATALOG): (FILESVC_V1, R1)}
    new_files = {**old_files, ("acme/filesvc", CATALOG): (FILESVC_V2, R2)}
    refresh(wh, R1, repos=_org("Java"), settings=ONLY_GO, files=old_files, versions=v_api + v_file1,
            entities=[entity("apisvc", "acme/apisvc", "team-a", type_="library")])
    refresh(wh, R2, repos=_org("Java"), settings=SETTINGS, files=new_files, versions=v_api + v_file2,
            entities=[entity("apisvc", "acme/apisvc", "team-a")])
    refresh(wh, R3, repos=_org("Kotlin"), settings=SETTINGS, files=new_files, versions=v_api + v_file2,
            entities=[entity("apisvc", "acme/apisvc", "team-b")])
    return wh


def test_backstage_and_github_fields_are_taken_when_each_refresh_saw_them(three_refreshes):
    # before R2 the service is the spec's, uncatalogued and ownerless, in Java (R1's view,
    # also before R1: the oldest seen); from R2 catalogued by the API entity, team-a; from R3
    # team-b and Kotlin. Today's values are not projected over the past.
    assert history(three_refreshes, "apisvc") == [
        (T("2023-06-01 09:00"), R2, False, None, "java", None, []),
        (R2, R3, True, "team-a", "java", None, []),
        (R3, None, True, "team-b", "kotlin", None, []),
    ]


def test_recorded_file_history_decides_by_todays_rules(three_refreshes):
    # R1's snapshot calls filesvc DIY (python-service was not configured then); the recorded
    # versions, read by today's configuration, put it on python-service since its creation. The
    # owner change committed 2024-03-20 08:00 starts then, not at R2 (04-01 10:00), which read it.
    assert history(three_refreshes, "filesvc") == [
        (T("2023-01-10 09:00"), T("2024-03-20 08:00"), True, "team-a", "python", "python-service", []),
        (T("2024-03-20 08:00"), None, True, "team-b", "python", "python-service", []),
    ]
    with duckdb.connect(str(three_refreshes), read_only=True) as con:
        r1 = con.execute("select golden_path, owner from raw.service_snapshots"
                         " where service = 'filesvc' and snapshot_date = '2024-03-01'").fetchall()
    assert r1 == [(None, "team-a")]  # what R1 saw stays recorded as it was


def test_every_refresh_appends_its_snapshot_with_what_it_read_from_no_file(three_refreshes):
    with duckdb.connect(str(three_refreshes), read_only=True) as con:
        got = con.execute(
            "select snapshot_date::varchar, observed_at, service, catalog_source, catalog_owner, repo_language, owner"
            " from raw.service_snapshots order by snapshot_date, service").fetchall()
    assert got == [
        ("2024-03-01", R1, "apisvc", None, None, "java", None),
        ("2024-03-01", R1, "filesvc", "repo", "team-a", "python", "team-a"),
        ("2024-04-01", R2, "apisvc", "backstage", "team-a", "java", "team-a"),
        ("2024-04-01", R2, "filesvc", "repo", "team-b", "python", "team-b"),
        ("2024-05-01", R3, "apisvc", "backstage", "team-b", "kotlin", "team-b"),
        ("2024-05-01", R3, "filesvc", "repo", "team-b", "python", "team-b"),
    ]


def test_a_rerun_of_the_same_refresh_changes_nothing(three_refreshes, tmp_path):
    wh = tmp_path / "copy.duckdb"
    wh.write_bytes(three_refreshes.read_bytes())
    # an older pathlens's marts.service_snapshots is dropped, not left stale
    with writer(wh) as con:
        con.execute("create table marts.service_snapshots as select * from raw.service_snapshots")

    def state() -> tuple:
        with duckdb.connect(str(wh), read_only=True) as con:
            return (con.execute("select * exclude (refresh_id) from raw.service_snapshots order by all").fetchall(),
                    con.execute("select * from marts.service_history order by all").fetchall(),
                    con.execute("select * from marts.adoption_monthly order by all").fetchall())

    before = state()
    new_files = {("acme/apisvc", SPEC): (APISVC_SPEC, R1), ("acme/filesvc", CATALOG): (FILESVC_V2, R2)}
    refresh(wh, R3, repos=_org("Kotlin"), settings=SETTINGS, files=new_files,
            entities=[entity("apisvc", "acme/apisvc", "team-b")], refresh_id="r-0501-again")
    assert state() == before
    with duckdb.connect(str(wh), read_only=True) as con:
        assert con.execute("select count(*) from information_schema.tables where table_schema = 'marts'"
                           " and table_name = 'service_snapshots'").fetchall() == [(0,)]


def test_snapshots_of_an_older_pathlens_still_count(tmp_path):
    # A warehouse whose raw.service_snapshots has the columns of an older pathlens (no
    # observed_at, no catalog inputs, no catalogued) and one row of 2024-02-01: svc DIY, owned
    # by team-a. The refresh at R2 (04-01 10:00, no file history, backfill 0) reads the catalog
    # changed: go-service, team-b. The table gains the new columns; the old row is read as seen
    # at 2024-02-01 00:00 and, catalogued unknown, as catalogued since it had an owner. So:
    # [created, R2) DIY, team-a (the oldest state seen, before it too); [R2, …) golden, team-b.
    wh = tmp_path / "wh.duckdb"
    with duckdb.connect(str(wh)) as con:
        con.execute("create schema raw")
        con.execute("create table raw.service_snapshots (snapshot_date date, refresh_id varchar, service varchar,"
                    " repo varchar, owner varchar, language varchar, golden_path varchar, on_golden_path boolean,"
                    " has_service_spec boolean, escape_hatch boolean, escape_hatch_reasons varchar[],"
                    " uses_platform_ci boolean)")
        con.execute("insert into raw.service_snapshots values ('2024-02-01', 'old', 'svc', 'acme/svc', 'team-a',"
                    " 'go', null, false, false, false, [], false)")
    refresh(wh, R2, repos=SVC, settings=NO_BACKFILL,
            files={("acme/svc", CATALOG): (catalog("svc", owner="team-b", template="go-service"), R2)})
    assert history(wh, "svc") == [
        (T("2024-01-01 09:00"), R2, True, "team-a", "go", None, []),
        (R2, None, True, "team-b", "go", "go-service", []),
    ]
    with duckdb.connect(str(wh), read_only=True) as con:
        got = con.execute("select snapshot_date::varchar, observed_at, owner from raw.service_snapshots"
                          " order by snapshot_date").fetchall()
    assert got == [("2024-02-01", None, "team-a"), ("2024-04-01", R2, "team-b")]
