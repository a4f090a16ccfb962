"""Service history (SPEC §3 "Service history", "Overall adoption", "New-service adoption",
"Escape-hatch rate", "Golden-path retention") on a hand-built organisation with a git past.

Every file version below is a row of raw.repo_file_versions, as the GitHub source writes them;
the current texts are in raw.repo_files. Every expected interval and figure was worked out by
hand from the timeline in the comments, not by running the code.

as_of = 2024-05-15 10:00, history.backfill_days = 730 (default), one refresh: the history
window starts at 2024-05-15 10:00 − 730 days = 2022-05-16 10:00 (2024 is a leap year, so
2022-05-15 → 2024-05-15 is 731 days).

Timeline (every repo holds one catalogued Go service named like the repo; owner team-a):
- late      created 2024-01-10 09:00, DIY; template annotation added 2024-03-05 12:00
- left      created 2024-01-20 10:00 on go-service; annotation removed 2024-04-01 08:00
- hatch     created 2023-11-01 09:00, DIY with a spec; escape hatch (sidecar) added
            2024-02-10 12:00, removed 2024-03-20 09:00, added again (GPU) 2024-04-10 15:00
- owned     created 2024-02-01 09:00, DIY; owner team-a → team-b 2024-03-10 11:00
- broken    created 2024-01-05 09:00 on go-service; catalog broken (merge conflict)
            2024-02-14 16:00, fixed 2024-03-02 10:00: meanwhile its last good version (the
            2024-01-05 one) keeps the service as it was, stale since 2024-02-14 16:00
- gone      created 2024-01-15 09:00, DIY, spec with an escape hatch (other); the spec deleted
            2024-02-20 09:00 and re-added 2024-03-10 09:00
- old       created 2021-06-01 09:00: catalog DIY owned by team-old (2021-06-01), then on
            go-service owned by team-a (2021-09-01), both before the window; owner team-b
            2023-06-01 09:00; its spec's only version read is the branch head's (2024-05-01)
- imported  created 2024-03-01 10:00 (history imported): DIY commit 2024-01-10, on go-service
            2024-02-01
- plain     created 2024-04-01 09:00, no history read at all: only raw.repo_files (DIY)
"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest

from tests.metrics.conftest import build, repo

CATALOG = "catalog-info.yaml"
SPEC = "service.yaml"
T = datetime.fromisoformat


def catalog(name: str, owner: str = "team-a", golden: bool = False) -> str:
    annotations = "  annotations:\n    backstage.io/source-template: template:default/go-service\n" if golden else ""
    return (f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n{annotations}"
            f"spec:\n  type: service\n  lifecycle: production\n  owner: {owner}\n")


def spec(name: str, override: str = "") -> str:
    return f"service:\n  name: {name}\n  language: go\n" + override


SIDECAR = "  kubernetes_override:\n    containers:\n      - name: app\n      - name: proxy\n"
GPU = ("  kubernetes_override:\n    containers:\n      - name: app\n        resources:\n"
       "          limits:\n            nvidia.com/gpu: 1\n")
OTHER = "  kubernetes_override:\n    securityContext:\n      runAsUser: 1000\n    containers:\n      - name: app\n"
BROKEN = "<<<<<<< HEAD\n" + catalog("broken", golden=True) + "=======\n>>>>>>> feature\n"

# (repo, path, committed_at, text or None for a deletion)
VERSIONS = [
    ("late", CATALOG, "2024-01-10 09:30", catalog("late")),
    ("late", CATALOG, "2024-03-05 12:00", catalog("late", golden=True)),
    ("left", CATALOG, "2024-01-20 10:00", catalog("left", golden=True)),
    ("left", CATALOG, "2024-04-01 08:00", catalog("left")),
    ("hatch", CATALOG, "2023-11-01 09:05", catalog("hatch")),
    ("hatch", SPEC, "2023-11-01 09:05", spec("hatch")),
    ("hatch", SPEC, "2024-02-10 12:00", spec("hatch", SIDECAR)),
    ("hatch", SPEC, "2024-03-20 09:00", spec("hatch")),
    ("hatch", SPEC, "2024-04-10 15:00", spec("hatch", GPU)),
    ("owned", CATALOG, "2024-02-01 09:00", catalog("owned")),
    ("owned", CATALOG, "2024-03-10 11:00", catalog("owned", owner="team-b")),
    ("broken", CATALOG, "2024-01-05 09:10", catalog("broken", golden=True)),
    ("broken", CATALOG, "2024-02-14 16:00", BROKEN),
    ("broken", CATALOG, "2024-03-02 10:00", catalog("broken", golden=True)),
    ("gone", CATALOG, "2024-01-15 09:30", catalog("gone")),
    ("gone", SPEC, "2024-01-15 09:30", spec("gone", OTHER)),
    ("gone", SPEC, "2024-02-20 09:00", None),
    ("gone", SPEC, "2024-03-10 09:00", spec("gone", OTHER)),
    ("old", CATALOG, "2021-06-01 09:00", catalog("old", owner="team-old")),
    ("old", CATALOG, "2021-09-01 09:00", catalog("old", golden=True)),
    ("old", CATALOG, "2023-06-01 09:00", catalog("old", owner="team-b", golden=True)),
    ("old", SPEC, "2024-05-01 12:00", spec("old")),
    ("imported", CATALOG, "2024-01-10 12:00", catalog("imported")),
    ("imported", CATALOG, "2024-02-01 12:00", catalog("imported", golden=True)),
]
CREATED = {"late": "2024-01-10 09:00", "left": "2024-01-20 10:00", "hatch": "2023-11-01 09:00",
           "owned": "2024-02-01 09:00", "broken": "2024-01-05 09:00", "gone": "2024-01-15 09:00",
           "old": "2021-06-01 09:00", "imported": "2024-03-01 10:00", "plain": "2024-04-01 09:00"}


def _versions() -> pl.DataFrame:
    rows = []
    for i, (name, path, at, text) in enumerate(VERSIONS):
        rows.append({"repo": f"acme/{name}", "path": path, "commit_sha": f"{i:040x}", "committed_at": T(at),
                     "blob_sha": None, "size": None if text is None else len(text), "content": text,
                     "deleted": text is None, "fetched_at": T("2024-05-15 10:00")})
    return pl.DataFrame(rows, schema_overrides={"blob_sha": pl.String, "size": pl.Int64})


def _current_files() -> dict[tuple[str, str], str]:
    newest: dict[tuple[str, str], tuple[str, str | None]] = {}
    for name, path, at, text in VERSIONS:
        if (name, path) not in newest or at > newest[(name, path)][0]:
            newest[(name, path)] = (at, text)
    files = {(f"acme/{n}", p): text for (n, p), (_, text) in newest.items() if text is not None}
    files[("acme/plain", CATALOG)] = catalog("plain")
    return files


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    repos = [repo(name, created, "Go") for name, created in CREATED.items()]
    con = build(tmp_path_factory.mktemp("history"), repos=repos, files=_current_files(),
                extra={"repo_file_versions": _versions()})
    yield con
    con.close()


def history(wh, service: str) -> list[tuple]:
    return wh.sql(
        "select valid_from, valid_to, on_golden_path, golden_path, escape_hatch, escape_hatch_reasons,"
        " owner, catalogued, declared, has_service_spec from marts.service_history"
        f" where service = '{service}' order by valid_from"
    ).fetchall()


GP = "go-service"


def test_adopted_late(wh):
    # created 09:00, first commit 09:30: the history starts at created_at with the first state
    assert history(wh, "late") == [
        (T("2024-01-10 09:00"), T("2024-03-05 12:00"), False, None, False, [], "team-a", True, True, False),
        (T("2024-03-05 12:00"), None, True, GP, False, [], "team-a", True, True, False),
    ]


def test_left_the_golden_path(wh):
    assert history(wh, "left") == [
        (T("2024-01-20 10:00"), T("2024-04-01 08:00"), True, GP, False, [], "team-a", True, True, False),
        (T("2024-04-01 08:00"), None, False, None, False, [], "team-a", True, True, False),
    ]


def test_escape_hatch_added_removed_and_added_again(wh):
    assert history(wh, "hatch") == [
        (T("2023-11-01 09:00"), T("2024-02-10 12:00"), False, None, False, [], "team-a", True, True, True),
        (T("2024-02-10 12:00"), T("2024-03-20 09:00"), False, None, True, ["sidecar"], "team-a", True, True, True),
        (T("2024-03-20 09:00"), T("2024-04-10 15:00"), False, None, False, [], "team-a", True, True, True),
        (T("2024-04-10 15:00"), None, False, None, True, ["gpu"], "team-a", True, True, True),
    ]


def test_owner_change(wh):
    assert history(wh, "owned") == [
        (T("2024-02-01 09:00"), T("2024-03-10 11:00"), False, None, False, [], "team-a", True, True, False),
        (T("2024-03-10 11:00"), None, False, None, False, [], "team-b", True, True, False),
    ]


def test_broken_catalog_then_fixed(wh):
    # while the catalog does not parse, its last good version (2024-01-05 09:10, golden, team-a)
    # stands in: the state never changes, but the broken stretch is an interval of its own,
    # flagged stale from 2024-02-14 16:00 until the fix at 2024-03-02 10:00; the parse error of
    # the bad version is kept per version
    same = (True, GP, False, [], "team-a", True, True, False)
    assert history(wh, "broken") == [
        (T("2024-01-05 09:00"), T("2024-02-14 16:00"), *same),
        (T("2024-02-14 16:00"), T("2024-03-02 10:00"), *same),
        (T("2024-03-02 10:00"), None, *same),
    ]
    stale_since = wh.sql("select stale_since from marts.service_history where service = 'broken'"
                         " order by valid_from").fetchall()
    assert stale_since == [(None,), (T("2024-02-14 16:00"),), (None,)]
    errors = wh.sql("select count(*) from staging.file_errors_by_version where repo = 'acme/broken'").fetchall()[0]
    assert errors == (1,)
    stale = wh.sql("select instant, stale_since from intermediate.service_states where repo = 'acme/broken'"
                   " order by instant").fetchall()
    # (the refresh's as_of, 2024-05-15 10:00, is an instant of every repo: the state it saw)
    assert stale == [(T("2024-01-05 09:10"), None), (T("2024-02-14 16:00"), T("2024-02-14 16:00")),
                     (T("2024-03-02 10:00"), None), (T("2024-05-15 10:00"), None)]


def test_file_deleted_and_re_added(wh):
    assert history(wh, "gone") == [
        (T("2024-01-15 09:00"), T("2024-02-20 09:00"), False, None, True, ["other"], "team-a", True, True, True),
        (T("2024-02-20 09:00"), T("2024-03-10 09:00"), False, None, False, [], "team-a", True, True, False),
        (T("2024-03-10 09:00"), None, False, None, True, ["other"], "team-a", True, True, True),
    ]


def test_commits_older_than_the_backfill_window(wh):
    # The 2021 versions are older than the window (2022-05-16 10:00): the newest of them (on
    # go-service, team-a) is the state at the window's start, and — nothing older being read —
    # from created_at. team-old never shows. The spec's only version (the branch head's, 2024-05-01)
    # in a repo older than the window counts from the window's start too.
    assert history(wh, "old") == [
        (T("2021-06-01 09:00"), T("2023-06-01 09:00"), True, GP, False, [], "team-a", True, True, True),
        (T("2023-06-01 09:00"), None, True, GP, False, [], "team-b", True, True, True),
    ]


def test_service_created_after_its_first_commit(wh):
    # the repo's history starts before the repo: the state at created_at is the version then
    assert history(wh, "imported") == [
        (T("2024-03-01 10:00"), None, True, GP, False, [], "team-a", True, True, False),
    ]


def test_no_history_read_is_todays_state_from_creation(wh):
    assert history(wh, "plain") == [
        (T("2024-04-01 09:00"), None, False, None, False, [], "team-a", True, True, False),
    ]


def test_current_interval_is_marts_services(wh):
    got = wh.sql("""
        select count(*) from marts.services as s
        join marts.service_history as h on h.service = s.service and h.repo = s.repo and h.valid_to is null
        where h.on_golden_path = s.on_golden_path and h.golden_path is not distinct from s.golden_path
          and h.escape_hatch = s.escape_hatch and h.escape_hatch_reasons = s.escape_hatch_reasons
          and h.owner is not distinct from s.owner and h.catalogued = s.catalogued
    """).fetchall()[0]
    assert got == (9,)


def test_overall_adoption_at_each_months_end(wh):
    rows = dict((m, (t, g)) for m, t, g in wh.sql(
        "select month, services_total, golden_path_total from marts.adoption_monthly").fetchall())
    # end of Jan 2024: old, hatch, late, left, broken, gone; golden: old, left, broken
    assert rows[date(2024, 1, 1)] == (6, 3)
    # end of Feb: + owned; broken's catalog is broken (Feb 14 – Mar 2) but its last good
    # version keeps it on go-service: golden old, left, broken
    assert rows[date(2024, 2, 1)] == (7, 3)
    # end of Mar: + imported; late adopted (Mar 5), broken fixed, left leaves only on Apr 1
    assert rows[date(2024, 3, 1)] == (8, 5)
    # end of Apr: + plain; left left: old, late, broken, imported
    assert rows[date(2024, 4, 1)] == (9, 4)
    assert rows[date(2024, 5, 1)] == (9, 4)  # the refresh's month: today's state
    # before the window, each service has its oldest known state: old (golden) alone in 2021-06
    assert rows[date(2021, 6, 1)] == (1, 1)


def test_new_service_adoption_in_the_state_at_the_end_of_the_creation_day(wh):
    rows = dict((m, (c, g, a)) for m, c, g, a in wh.sql(
        "select month, services_created, golden_path_created, new_service_adoption from marts.adoption_monthly"
    ).fetchall())
    assert rows[date(2024, 1, 1)] == (4, 2, 0.5)  # late no, left yes, broken yes, gone no
    assert rows[date(2024, 2, 1)] == (1, 0, 0.0)  # owned
    assert rows[date(2024, 3, 1)] == (1, 1, 1.0)  # imported: on go-service at its creation
    assert rows[date(2024, 4, 1)] == (1, 0, 0.0)  # plain
    assert rows[date(2023, 11, 1)] == (1, 0, 0.0)  # hatch
    assert rows[date(2024, 5, 1)] == (0, 0, None)


def test_overall_adoption_by_team_follows_the_owner_then(wh):
    rows = {(m, o): (t, g) for m, o, t, g in wh.sql(
        "select month, owner, services_total, golden_path_total from marts.adoption_monthly_by_team").fetchall()}
    # end of Feb: team-a = hatch, late, left (golden), gone, owned (team-b only from Mar 10),
    # broken (golden: its catalog does not parse, its last good version keeps owner team-a);
    # team-b = old (golden); no service without an owner
    assert rows[(date(2024, 2, 1), "team-a")] == (6, 2)
    assert rows[(date(2024, 2, 1), "team-b")] == (1, 1)
    # end of Mar: team-a = hatch, late, left, gone, broken, imported (golden: late, left, broken,
    # imported); team-b = old (golden), owned
    assert rows[(date(2024, 3, 1), "team-a")] == (6, 4)
    assert rows[(date(2024, 3, 1), "team-b")] == (2, 1)
    assert not any(o is None for _, o in rows)  # every service has an owner at every month's end
    # team-old never owned anything inside the history read
    assert not any(o == "team-old" for _, o in rows)


def test_escape_hatch_rate_at_each_months_end(wh):
    rows = {r[0]: r[1:] for r in wh.sql(
        "select month, spec_services, escape_hatch_services, escape_hatch_rate, gpu, sidecar, declared, other"
        " from marts.escape_hatch_monthly").fetchall()}
    # services with a spec: hatch, gone (not Feb 20 – Mar 10), old (from the window's start)
    assert rows[date(2024, 1, 1)] == (3, 1, 1 / 3, 0, 0, 0, 1)  # gone (other)
    assert rows[date(2024, 2, 1)] == (2, 1, 0.5, 0, 1, 0, 0)  # hatch (sidecar); gone's spec deleted
    assert rows[date(2024, 3, 1)] == (3, 1, 1 / 3, 0, 0, 0, 1)  # hatch removed Mar 20; gone back
    assert rows[date(2024, 4, 1)] == (3, 2, 2 / 3, 1, 0, 0, 1)  # hatch (gpu) Apr 10, gone
    assert rows[date(2024, 5, 1)] == (3, 2, 2 / 3, 1, 0, 0, 1)
    assert rows[date(2023, 10, 1)] == (1, 0, 0.0, 0, 0, 0, 0)  # old alone, its spec from the window
    summary = wh.sql("select spec_services, escape_hatch_services, escape_hatch_rate, gpu, sidecar, declared, other"
                     " from marts.escape_hatch_summary").fetchall()
    assert summary == [(3, 2, 2 / 3, 1, 0, 0, 1)]


def test_escape_hatches_since_and_age(wh):
    rows = wh.sql("select service, since, age_days from marts.escape_hatches order by service").fetchall()
    # hatch: first appears 2024-02-10 12:00 (removed and re-added since: the first appearance
    # counts); as_of 2024-05-15 10:00 is 29 + 31 + 30 days to 2024-05-10 12:00, then 4 d 22 h.
    # gone: from its creation (2024-01-15 09:00) → 2024-05-15 09:00 is 17 (to Feb 1) + 29 + 31
    # + 30 + 14 = 121 days, then 1 h.
    assert rows == [("gone", T("2024-01-15 09:00"), pytest.approx(121 + 1 / 24)),
                    ("hatch", T("2024-02-10 12:00"), pytest.approx(94 + 22 / 24))]


def test_golden_path_retention(wh):
    rows = {(c, g, d): r for c, g, d, *r in wh.sql(
        "select cohort_month, golden_path, days_after, services, still_on_golden_path, share"
        " from marts.golden_path_retention").fetchall()}
    # Created on a golden path (state at the end of the creation day): broken and left
    # (2024-01), imported (2024-03), old (2021-06). late was DIY on its creation day.
    assert {c for c, _, _ in rows} == {date(2024, 1, 1), date(2024, 3, 1), date(2021, 6, 1)}
    jan = date(2024, 1, 1)
    # d=30: broken at 02-04 09:00 (broken only from 02-14) still; left at 02-19 still
    assert rows[(jan, GP, 30)] == [2, 2, 1.0]
    # d=90: broken at 04-04 09:00 (fixed) still; left at 04-19 10:00 had left on 04-01
    assert rows[(jan, GP, 90)] == [2, 1, 0.5]
    # d=180: 2024-07-03 and later are after as_of: not due yet
    assert rows[(jan, GP, 180)] == [0, 0, None]
    assert rows[(jan, GP, 365)] == [0, 0, None]
    # imported: d=30 is 2024-03-31 10:00 (still); d=90 is 2024-05-30, after as_of
    assert rows[(date(2024, 3, 1), GP, 30)] == [1, 1, 1.0]
    assert rows[(date(2024, 3, 1), GP, 90)] == [0, 0, None]
    assert [rows[(date(2021, 6, 1), GP, d)] for d in (30, 90, 180, 365)] == [[1, 1, 1.0]] * 4


def test_the_refresh_appends_its_snapshot(wh):
    # one refresh (as_of 2024-05-15 10:00): its snapshot is today's state — 9 services, 4 on
    # go-service (late, broken, old, imported), every one read from a catalog file in the repo
    got = wh.sql("select snapshot_date, observed_at, count(*), count(*) filter (where on_golden_path),"
                 " count(*) filter (where catalog_source = 'repo') from raw.service_snapshots group by 1, 2").fetchall()
    assert got == [(date(2024, 5, 15), T("2024-05-15 10:00"), 9, 4, 9)]
