"""marts.ci_by_month read from its pre-aggregations (intermediate.ci_repo_month_runs,
intermediate.ci_months) on a hand-built organisation; every expected value is worked out by
hand in the comments.

Three repos, as_of 2024-05-15 10:00 (May is the partial month):
- acme/mono: a monorepo with two golden-path services, `mono-api` (team-a) and `mono-web`
  (team-b), both Go: its runs count once per service (SPEC §3: a repo's runs belong to each of
  its services);
- acme/diy: one DIY service `diy` (team-b, Go);
- acme/diy2: one DIY service `diy2` (team-c, Python).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl
import pytest

from tests.metrics.conftest import build, repo

T = datetime.fromisoformat


def run(repo_, run_id, created, duration_s, conclusion, status="completed"):
    created_at = T(created)
    return {
        "repo": repo_, "run_id": run_id, "run_attempt": 1, "workflow_name": "ci", "event": "push",
        "status": status, "conclusion": conclusion, "created_at": created_at, "run_started_at": created_at,
        "updated_at": created_at + timedelta(seconds=duration_s),
    }


RUNS = [
    # mono, March: 100 success, 300 failure, 200 cancelled (neither failed nor succeeded)
    run("acme/mono", 1, "2024-03-05T10:00:00", 100, "success"),
    run("acme/mono", 2, "2024-03-20T12:00:00", 300, "failure"),
    run("acme/mono", 3, "2024-03-31T23:59:59", 200, "cancelled"),
    # mono, April: one run still in progress (no duration, no conclusion)
    run("acme/mono", 4, "2024-04-10T00:00:00", 0, None, status="in_progress"),
    # diy, March: 50 success, 70 timed_out (failed), 400 success
    run("acme/diy", 5, "2024-03-10T00:00:00", 50, "success"),
    run("acme/diy", 6, "2024-03-15T00:00:00", 70, "timed_out"),
    run("acme/diy", 7, "2024-03-25T00:00:00", 400, "success"),
    # diy, April: 1000 success, 600 failure; May: 90 success
    run("acme/diy", 8, "2024-04-02T00:00:00", 1000, "success"),
    run("acme/diy", 9, "2024-04-20T00:00:00", 600, "failure"),
    run("acme/diy", 10, "2024-05-03T00:00:00", 90, "success"),
    # diy2, March: 30 success, 20 success
    run("acme/diy2", 11, "2024-03-01T00:00:00", 30, "success"),
    run("acme/diy2", 12, "2024-03-02T00:00:00", 20, "success"),
]

SETTINGS = {
    "github": {"org": "acme"},
    "golden_paths": [{"name": "go-service", "ref": "template:default/go-service"}],
}


def component(name: str, owner: str, template: str | None = None) -> str:
    annotations = f"\n  annotations:\n    backstage.io/source-template: {template}" if template else ""
    return (f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}{annotations}\n"
            f"spec:\n  type: service\n  owner: {owner}\n")


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    gp = "template:default/go-service"
    return build(
        tmp_path_factory.mktemp("ci_by_month"),
        repos=[repo("mono", "2024-02-01T00:00:00", "Go"), repo("diy", "2024-02-01T00:00:00", "Go"),
               repo("diy2", "2024-02-01T00:00:00", "Python")],
        files={
            ("acme/mono", "catalog-info.yaml"): component("mono-api", "team-a", gp) + "---\n"
                                                + component("mono-web", "team-b", gp),
            ("acme/diy", "catalog-info.yaml"): component("diy", "team-b"),
            ("acme/diy2", "catalog-info.yaml"): component("diy2", "team-c"),
        },
        settings=SETTINGS,
        extra={"workflow_runs": pl.DataFrame(RUNS)},
    )


COLUMNS = "month, on_golden_path, n, failure_rate, median_duration_s, partial"


def by_month(wh, **args) -> list[tuple]:
    params = {"teams": None, "languages": None, "start": None, "stop": None, **args}
    return wh.sql(
        f"select {COLUMNS} from marts.ci_by_month(teams := $teams, languages := $languages, "
        "start := $start, stop := $stop) order by month, on_golden_path", params=params).fetchall()


M3, M4, M5 = date(2024, 3, 1), date(2024, 4, 1), date(2024, 5, 1)


def test_repo_months_hold_counts_bounds_and_durations(wh):
    # the durations are a multiset (their stored order means nothing): compared sorted
    got = wh.sql(
        "select repo, month, runs, failed, succeeded, first_created_at, last_created_at, list_sort(durations)"
        " from intermediate.ci_repo_month_runs order by repo, month").fetchall()
    assert got == [
        # diy March: 3 runs; failed = the timed_out one; succeeded = 2; durations 50, 70, 400
        ("acme/diy", M3, 3, 1, 2, T("2024-03-10T00:00:00"), T("2024-03-25T00:00:00"), [50.0, 70.0, 400.0]),
        ("acme/diy", M4, 2, 1, 1, T("2024-04-02T00:00:00"), T("2024-04-20T00:00:00"), [600.0, 1000.0]),
        ("acme/diy", M5, 1, 0, 1, T("2024-05-03T00:00:00"), T("2024-05-03T00:00:00"), [90.0]),
        ("acme/diy2", M3, 2, 0, 2, T("2024-03-01T00:00:00"), T("2024-03-02T00:00:00"), [20.0, 30.0]),
        # mono March: cancelled is neither failed nor succeeded but has a duration
        ("acme/mono", M3, 3, 1, 1, T("2024-03-05T10:00:00"), T("2024-03-31T23:59:59"), [100.0, 200.0, 300.0]),
        # mono April: the run in progress counts as a run, with no duration
        ("acme/mono", M4, 1, 0, 0, T("2024-04-10T00:00:00"), T("2024-04-10T00:00:00"), []),
    ]


# Without a filter. Golden path = mono's runs twice (mono-api, mono-web); DIY = diy + diy2.
# March gp: n = 2 × 3 = 6; failed 2, succeeded 2 → 2/4 = 0.5; durations 100,100,200,200,300,300
#   → median (200 + 200) / 2 = 200.
# March DIY: n = 3 + 2 = 5; failed 1 (timed_out), succeeded 2 + 2 = 4 → 1/5 = 0.2; durations
#   20, 30, 50, 70, 400 → median 50 (the two repos' lists put together).
# April gp: n = 2 × 1 = 2; nothing failed or succeeded → NULL; no duration → NULL.
# April DIY: n = 2; 1/2 = 0.5; 600, 1000 → 800. May DIY: n = 1; 0/1 = 0.0; 90; partial.
UNFILTERED = [
    (M3, False, 5, 0.2, 50.0, False),
    (M3, True, 6, 0.5, 200.0, False),
    (M4, False, 2, 0.5, 800.0, False),
    (M4, True, 2, None, None, False),
    (M5, False, 1, 0.0, 90.0, True),
]


def test_without_a_filter(wh):
    assert by_month(wh) == UNFILTERED


def test_the_stored_months_are_the_unfiltered_figures(wh):
    got = wh.sql("select month, on_golden_path, n, failure_rate, median_duration_s, first_created_at,"
                 " last_created_at from intermediate.ci_months order by month, on_golden_path").fetchall()
    # the first and last run of the month, whichever side: March 1 (diy2) to March 31 23:59:59 (mono)
    march = (T("2024-03-01T00:00:00"), T("2024-03-31T23:59:59"))
    april = (T("2024-04-02T00:00:00"), T("2024-04-20T00:00:00"))
    may = (T("2024-05-03T00:00:00"), T("2024-05-03T00:00:00"))
    assert got == [row[:5] + span for row, span in zip(UNFILTERED, [march, march, april, april, may], strict=True)]


def test_a_whole_month_period_without_a_filter(wh):
    # April only: April's rows of the unfiltered figures
    assert by_month(wh, start=T("2024-04-01T00:00:00"), stop=T("2024-05-01T00:00:00")) == UNFILTERED[2:4]


def test_teams_and_languages(wh):
    # team-a = mono-api only: March gp n 3, failed 1 / (1 + 1) = 0.5, median of 100, 200, 300 = 200;
    # April gp n 1, NULL, NULL. No DIY service.
    assert by_month(wh, teams=["team-a"]) == [(M3, True, 3, 0.5, 200.0, False), (M4, True, 1, None, None, False)]
    # team-c = diy2 only: March DIY n 2, 0 / 2 = 0.0, median (20 + 30) / 2 = 25
    assert by_month(wh, teams=["team-c"]) == [(M3, False, 2, 0.0, 25.0, False)]
    # team-b = mono-web (gp) and diy (DIY): March DIY n 3, 1/3, median of 50, 70, 400 = 70
    assert by_month(wh, teams=["team-b"]) == [
        (M3, False, 3, 1 / 3, 70.0, False), (M3, True, 3, 0.5, 200.0, False),
        (M4, False, 2, 0.5, 800.0, False), (M4, True, 1, None, None, False),
        (M5, False, 1, 0.0, 90.0, True),
    ]
    # Python = diy2, the same as team-c; two teams together are every service, the unfiltered figures
    assert by_month(wh, languages=["python"]) == by_month(wh, teams=["team-c"])
    assert by_month(wh, teams=["team-a", "team-b", "team-c"]) == UNFILTERED
    # no service without an owner: nothing
    assert by_month(wh, teams=[None]) == []


def test_a_period_that_cuts_through_months(wh):
    # [March 15 00:00, April 20 00:00): start inclusive, stop exclusive.
    # March gp: runs 2 (300, failure) and 3 (200, cancelled), twice → n 4, 2 failed / (2 + 0) = 1.0,
    #   durations 200, 200, 300, 300 → (200 + 300) / 2 = 250.
    # March DIY: run 6 (70, timed_out, exactly at the start) and 7 (400, success); diy2's runs are
    #   before the start → n 2, 1/2 = 0.5, (70 + 400) / 2 = 235.
    # April gp: run 4, twice → n 2, NULL, NULL. April DIY: run 8 (1000, success); run 9 is
    #   exactly at the stop → n 1, 0/1 = 0.0, 1000. May: after the stop.
    expected = [
        (M3, False, 2, 0.5, 235.0, False), (M3, True, 4, 1.0, 250.0, False),
        (M4, False, 1, 0.0, 1000.0, False), (M4, True, 2, None, None, False),
    ]
    cut = {"start": T("2024-03-15T00:00:00"), "stop": T("2024-04-20T00:00:00")}
    assert by_month(wh, **cut) == expected
    # the same with every team named (the per-service route rather than the stored months)
    assert by_month(wh, teams=["team-a", "team-b", "team-c"], **cut) == expected
    # team-b in that period: mono-web once (March gp n 2, 2/2 = 1.0, (200 + 300) / 2 = 250; April
    # gp n 1) and diy as above
    assert by_month(wh, teams=["team-b"], **cut) == [
        (M3, False, 2, 0.5, 235.0, False), (M3, True, 2, 1.0, 250.0, False),
        (M4, False, 1, 0.0, 1000.0, False), (M4, True, 1, None, None, False),
    ]


def test_instants_and_empty_periods(wh):
    instant = T("2024-03-20T12:00:00")  # run 2's instant
    assert by_month(wh, start=instant, stop=instant) == []
    # one second from run 2's instant: run 2 alone, twice (mono-api, mono-web): n 2, 2/2, 300
    assert by_month(wh, start=instant, stop=instant + timedelta(seconds=1)) == [(M3, True, 2, 1.0, 300.0, False)]
    assert by_month(wh, start=T("2024-05-01T00:00:00"), stop=T("2024-03-01T00:00:00")) == []
    # dates are midnights: from May 1 on, May alone
    assert by_month(wh, start=date(2024, 5, 1)) == UNFILTERED[4:]
