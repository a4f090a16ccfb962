"""The metric macros (sql/marts/*.sql, `-- materialized: macro`): the public marts are their
unfiltered results, and their filters and periods follow SPEC §3, on the hand-built history of
tests/metrics/test_history.py (its timeline is in that module's docstring) and the hand-built
dashboard warehouse (tests/dashboards/handbuilt.py). Expected values are worked out by hand in
the comments, not by running the code.
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pytest

from tests.dashboards import handbuilt
from tests.metrics.test_history import wh  # noqa: F401 - the hand-built history organisation

T = datetime.fromisoformat

# each public mart and the macro call it is the unfiltered result of
MARTS_AND_MACROS = [
    ("marts.adoption_monthly", "select * from marts.adoption()"),
    ("marts.adoption_monthly_by_team",
     "select * exclude (group_value), group_value as owner from marts.adoption_grouped(dimension := 'owner')"),
    ("marts.adoption_monthly_by_language",
     "select * exclude (group_value), group_value as language from marts.adoption_grouped(dimension := 'language')"),
    ("marts.adoption_by_template",
     "select * from marts.services_created_by_template() where golden_path is not null"),
    ("marts.escape_hatch_monthly", "select * from marts.escape_hatch_by_month()"),
    ("marts.escape_hatch_summary", "select * exclude (measured_at), measured_at from marts.escape_hatch_at()"),
    ("marts.escape_hatch_by_reason", "select * from marts.escape_hatch_reasons_at()"),
    ("marts.golden_path_retention", "select * from marts.retention()"),
]
# the history organisation has no exception requests: test_core_metrics' has
REQUEST_MARTS = [("marts.exception_requests_monthly", "select * from marts.exception_requests_by_month()")]


def _same_rows(con: duckdb.DuckDBPyConnection, mart: str, macro: str) -> None:
    listed = ", ".join(c[0] for c in con.sql(f"describe {mart}").fetchall())
    assert con.sql(f"select count(*) from {mart}").fetchall()[0][0] > 0  # the comparison means something
    for left, right in ((f"select {listed} from {mart}", f"select {listed} from ({macro})"),
                        (f"select {listed} from ({macro})", f"select {listed} from {mart}")):
        assert con.sql(f"select count(*) from ({left} except all {right})").fetchall() == [(0,)], (mart, left)


@pytest.mark.parametrize(("mart", "macro"), MARTS_AND_MACROS, ids=[m for m, _ in MARTS_AND_MACROS])
def test_every_public_mart_is_its_macro_without_filters(wh, mart, macro):  # noqa: F811
    _same_rows(wh, mart, macro)


@pytest.fixture(scope="module")
def requests_wh(tmp_path_factory):
    from tests.metrics.conftest import build
    from tests.metrics.test_core_metrics import FILES, ISSUES, REPOS

    con = build(tmp_path_factory.mktemp("requests"), repos=REPOS, files=FILES, issues=ISSUES)
    yield con
    con.close()


@pytest.mark.parametrize(("mart", "macro"), REQUEST_MARTS, ids=[m for m, _ in REQUEST_MARTS])
def test_the_request_marts_are_their_macros_without_filters(requests_wh, mart, macro):
    _same_rows(requests_wh, mart, macro)


def test_escape_hatch_rate_at_an_instant(wh):  # noqa: F811
    # 1 Mar 2024 00:00 (the end of February): services with a spec then are hatch and old (gone's
    # spec was deleted 20 Feb – 10 Mar); hatch has its sidecar escape hatch (10 Feb – 20 Mar)
    got = wh.sql("select measured_at, spec_services, escape_hatch_services, escape_hatch_rate, gpu, sidecar,"
                 " declared, other from marts.escape_hatch_at(instant := timestamp '2024-03-01')").fetchall()
    assert got == [(T("2024-03-01"), 2, 1, 0.5, 0, 1, 0, 0)]
    # an instant after the refresh is today's state, measured at as_of
    got = wh.sql("select measured_at, spec_services, escape_hatch_services"
                 " from marts.escape_hatch_at(instant := timestamp '2030-01-01')").fetchall()
    assert got == [(T("2024-05-15 10:00"), 3, 2)]


def test_escape_hatches_at_a_periods_end_and_those_new_in_it(wh):  # noqa: F811
    # 1 Mar – 15 Apr 2024. At its end: hatch (GPU since 10 Apr) and gone (spec re-added 10 Mar).
    # At its start hatch had its sidecar escape hatch (removed 20 Mar, GPU 10 Apr: not new);
    # gone had no spec (deleted 20 Feb): new.
    got = wh.sql("""
        select service, reasons, since, new_in_period, period_end
        from marts.escape_hatch_services(start := timestamp '2024-03-01', stop := timestamp '2024-04-15')
        order by service""").fetchall()
    assert got == [("gone", ["other"], T("2024-01-15 09:00"), True, T("2024-04-15")),
                   ("hatch", ["gpu"], T("2024-02-10 12:00"), False, T("2024-04-15"))]
    # spec services at 15 Apr: hatch, gone, old → 2 of 3; one new
    got = wh.sql("""
        select spec_services, escape_hatch_services, escape_hatch_rate, new_escape_hatches
        from marts.escape_hatch_period(start := timestamp '2024-03-01', stop := timestamp '2024-04-15')
    """).fetchall()
    assert got == [(3, 2, 2 / 3, 1)]


def test_a_narrow_period_keeps_the_services_created_before_it(wh):  # noqa: F811
    # April 2024 only one service was created (plain), yet the rate at the period's end counts
    # every service existing then: 2 of 3 with a spec (as above, plus hatch's GPU since 10 Apr)
    got = wh.sql("select escape_hatch_services, spec_services from"
                 " marts.escape_hatch_at(instant := timestamp '2024-05-01')").fetchall()
    assert got == [(2, 3)]


def test_adoption_over_one_period(wh):  # noqa: F811
    # January 2024: created late (DIY), left (golden), broken (golden), gone (DIY) → 2 of 4;
    # at 1 Feb 00:00: old, hatch, late, left, broken, gone; golden old, left, broken → 3 of 6
    got = wh.sql("""
        select group_value, period_start, period_end, partial, services_created, golden_path_created,
               new_service_adoption, services_total, golden_path_total, overall_adoption, below_threshold
        from marts.adoption_period(start := timestamp '2024-01-01', stop := timestamp '2024-02-01')
    """).fetchall()
    assert got == [(None, T("2024-01-01"), T("2024-02-01"), False, 4, 2, 0.5, 6, 3, 0.5, False)]
    # by owner at creation (all team-a then) and at the end (old: team-b)
    got = wh.sql("""
        select group_value, services_created, golden_path_created, services_total, golden_path_total
        from marts.adoption_period(dimension := 'owner', start := timestamp '2024-01-01',
                                   stop := timestamp '2024-02-01')""").fetchall()
    assert got == [("team-a", 4, 2, 5, 2), ("team-b", 0, 0, 1, 1)]


def test_team_filters_follow_the_owner_at_that_time(wh):  # noqa: F811
    rows = {r[0]: r[1:] for r in wh.sql(
        "select month, services_total, golden_path_total from marts.adoption(teams := ['team-b'])").fetchall()}
    # team-b: old from 1 Jun 2023 (golden); owned joins it on 10 Mar 2024 (DIY)
    assert rows[date(2024, 2, 1)] == (1, 1)
    assert rows[date(2024, 3, 1)] == (2, 1)
    # every service had an owner all along (broken's last good catalog stood in while it did not
    # parse): nothing has no team
    assert wh.sql("select count(*) from marts.adoption(teams := [NULL])").fetchall() == [(0,)]
    # the rate at each month's end of team-a's services: hatch and gone carry every escape hatch
    rows = {r[0]: r[1:] for r in wh.sql(
        "select month, spec_services, escape_hatch_services from marts.escape_hatch_by_month(teams := ['team-a'])"
    ).fetchall()}
    assert rows[date(2024, 2, 1)] == (1, 1)  # hatch (sidecar); old is team-b's; gone's spec deleted
    assert rows[date(2024, 4, 1)] == (2, 2)  # hatch (gpu), gone (other)


def test_the_refresh_month_is_partial(wh):  # noqa: F811
    rows = wh.sql("select month, partial, period_end from marts.adoption_monthly where month >= '2024-04-01'"
                  " order by month").fetchall()
    assert rows == [(date(2024, 4, 1), False, T("2024-05-01")), (date(2024, 5, 1), True, T("2024-05-15 10:00"))]


def test_the_shared_instant_months_and_groups(wh):  # noqa: F811
    # measured_instant: before as_of (2024-05-15 10:00) the instant is its own state; from as_of
    # on (or NULL) the figure is measured at as_of in today's state (the current intervals)
    instants = {i: wh.sql(f"select measured_at, state_at::varchar from marts.measured_instant(instant := {i})").fetchall()
                for i in ("timestamp '2024-03-01'", "NULL", "timestamp '2024-05-15 10:00'", "timestamp '2030-01-01'")}
    assert instants["timestamp '2024-03-01'"] == [(T("2024-03-01"), "2024-03-01 00:00:00")]
    for later in ("NULL", "timestamp '2024-05-15 10:00'", "timestamp '2030-01-01'"):
        assert instants[later] == [(T("2024-05-15 10:00"), "infinity")]
    # selected_months for team-b: its first service is old (created 1 Jun 2021), so June 2021
    # through May 2024 (7 + 12 + 12 + 5 = 36 months); May 2024 is the refresh's, partial
    months = wh.sql("select month, month_end, partial, period_end from marts.selected_months(teams := ['team-b'])"
                    " order by month").fetchall()
    assert len(months) == 36
    assert months[0] == (date(2021, 6, 1), T("2021-07-01"), False, T("2021-07-01"))
    assert months[-1] == (date(2024, 5, 1), T("2024-06-01"), True, T("2024-05-15 10:00"))
    assert wh.sql("select count(*) from marts.selected_months(teams := ['team-nobody'])").fetchall() == [(0,)]
    # grouped_history: owned is team-a's when created (1 Feb 2024: its creation-day state) and
    # team-b's from 10 Mar 2024
    got = wh.sql("select group_value, creation_state from marts.grouped_history(dimension := 'owner')"
                 " where service = 'owned' order by valid_from").fetchall()
    assert got == [("team-a", True), ("team-b", False)]


@pytest.fixture(scope="module")
def dashboard_wh(tmp_path_factory):
    path = handbuilt.build(tmp_path_factory.mktemp("handbuilt") / "wh.duckdb")
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


def test_the_macros_reproduce_the_hand_worked_dashboard_numbers(dashboard_wh):
    got = dashboard_wh.sql(
        "select month::varchar, services_created, golden_path_created, new_service_adoption, services_total,"
        " golden_path_total, overall_adoption, below_threshold from marts.adoption()").fetchall()
    assert got == [pytest.approx(row) if row[3] is not None else row for row in handbuilt.ADOPTION]
    got = dashboard_wh.sql("select month::varchar, spec_services, escape_hatch_services, gpu, sidecar, declared,"
                           " other from marts.escape_hatch_by_month()").fetchall()
    assert got == handbuilt.ESCAPE_MONTHLY
    got = dashboard_wh.sql("select month::varchar, opened, closed, open_at_month_end, median_days_to_close"
                           " from marts.exception_requests_by_month()").fetchall()
    assert got == handbuilt.REQUESTS_MONTHLY


def test_a_null_team_selects_the_services_without_an_owner(dashboard_wh):
    # s-legacy (java, uncatalogued, created 15 May, DIY) is the only service without an owner
    got = dashboard_wh.sql("select month::varchar, services_created, golden_path_created, services_total"
                           " from marts.adoption(teams := [NULL])").fetchall()
    assert got == [("2024-05-01", 1, 0, 1), ("2024-06-01", 0, 0, 1)]
    got = dashboard_wh.sql("select month::varchar, services_total from marts.adoption(teams := [NULL, 'web'],"
                           " languages := ['java'])").fetchall()
    assert got == [("2024-05-01", 1), ("2024-06-01", 1)]  # web owns no java service


def test_exception_requests_over_one_period(dashboard_wh):
    # May 2024: opened #3, #4, #5; closed #6 (108 days); open at 1 Jun 00:00: #3, #4 (closed
    # 1 Jun 10:00), #5; open at the refresh: #3, #5
    got = dashboard_wh.sql("""
        select period_end, opened, closed, open_at_end, median_days_to_close, open_now
        from marts.exception_summary(start := timestamp '2024-05-01', stop := timestamp '2024-06-01')
    """).fetchall()
    assert got == [(T("2024-06-01"), 3, 1, 3, 108.0, 2)]
    # the web team's: #3 opened 6 May, still open
    got = dashboard_wh.sql("""
        select opened, closed, open_at_end, open_now
        from marts.exception_summary(teams := ['web'], start := timestamp '2024-05-01', stop := timestamp '2024-06-01')
    """).fetchall()
    assert got == [(1, 0, 1, 1)]


def test_the_change_vs_the_month_before(dashboard_wh):
    # new-service adoption (handbuilt.ADOPTION): Jan 0.5, Feb 1.0, Mar none created, Apr 0.5,
    # May 0.4, Jun 1.0 → changes: Jan none (first month), Feb +0.5, Mar and Apr none (a side is
    # NULL), May −0.1, Jun +0.6
    got = dashboard_wh.sql("select month::varchar, new_service_adoption_change from marts.adoption()").fetchall()
    assert got == [("2024-01-01", None), ("2024-02-01", pytest.approx(0.5)), ("2024-03-01", None),
                   ("2024-04-01", None), ("2024-05-01", pytest.approx(-0.1)), ("2024-06-01", pytest.approx(0.6))]
    # a period starting in May still compares May with April
    got = dashboard_wh.sql("select month::varchar, new_service_adoption_change"
                           " from marts.adoption(start := date '2024-05-01')").fetchall()
    assert got == [("2024-05-01", pytest.approx(-0.1)), ("2024-06-01", pytest.approx(0.6))]
    # requests opened: #6 Jan, #1 Mar, #2 Apr, #3 #4 #5 May → 1, 0, 1, 1, 3, 0
    got = dashboard_wh.sql("select month::varchar, opened_change from marts.exception_requests_by_month()").fetchall()
    assert got == [("2024-01-01", None), ("2024-02-01", -1), ("2024-03-01", 1), ("2024-04-01", 0),
                   ("2024-05-01", 2), ("2024-06-01", -3)]
    # web's: #2 Apr, #3 May; from April on, April is compared with March (0)
    got = dashboard_wh.sql("select month::varchar, opened, opened_change from marts.exception_requests_by_month("
                           "teams := ['web'], start := date '2024-04-01')").fetchall()
    assert got == [("2024-04-01", 1, 1), ("2024-05-01", 1, 0), ("2024-06-01", 0, -1)]


@pytest.fixture(scope="module")
def friction_wh(tmp_path_factory):
    path = handbuilt.build(tmp_path_factory.mktemp("handbuilt-friction") / "wh.duckdb", friction=True)
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


def test_a_period_beside_the_one_before(friction_wh):
    got = friction_wh.sql("select * from marts.period_summary(start := timestamp '2024-05-01',"
                          " stop := timestamp '2024-06-01', previous_start := timestamp '2024-04-01')").pl().to_dicts()
    # May against April (handbuilt's docstring):
    # - created 5 (2 golden: s-pay2, s-ml2) against 2 (1: s-ml) → 0.4 vs 0.5;
    # - at the end 10 services, 5 golden (0.5) against 5, 3 (0.6);
    # - escape hatches at the end: s-worker, s-web, s-ml, batch (30 May) = 4 against 3; new: batch
    #   against s-ml;
    # - requests opened #3 #4 #5 against #2; closed #6 (108 days) against #2 (4 days); open at
    #   the end #3 #4 #5 against #6 (closed 2 May);
    # - production deploys: both in January, so 0 against 0
    expected = {
        "new_service_adoption": (0.4, 0.5, -0.1), "services_created": (5, 2, 3),
        "golden_path_created": (2, 1, 1), "overall_adoption": (0.5, 0.6, -0.1),
        "escape_hatch_services": (4, 3, 1), "new_escape_hatches": (1, 1, 0),
        "exception_requests_opened": (3, 1, 2), "exception_requests_closed": (1, 1, 0),
        "exception_requests_open_at_end": (3, 1, 2), "median_days_to_close": (108.0, 4.0, 104.0),
        "production_deploys": (0, 0, 0),
    }
    assert len(got) == 1 and len(got[0]) == 3 * len(expected)
    for name, (value, previous, change) in expected.items():
        assert (got[0][name], got[0][f"previous_{name}"], got[0][f"{name}_change"]) == (
            pytest.approx(value), pytest.approx(previous), pytest.approx(change)), name
    # January against December 2023, when nothing existed: ratios have no change (NULL on one
    # side), counts do: 2 created (s-api golden), s-worker's escape hatch, request #6 opened,
    # the two production deploys (8 and 30 Jan)
    row = friction_wh.sql("select * from marts.period_summary(start := timestamp '2024-01-01',"
                          " stop := timestamp '2024-02-01', previous_start := timestamp '2023-12-01')").pl().to_dicts()[0]
    assert (row["new_service_adoption"], row["previous_new_service_adoption"], row["new_service_adoption_change"]) \
        == (0.5, None, None)
    assert [row[f"{n}_change"] for n in ("services_created", "golden_path_created", "escape_hatch_services",
                                         "new_escape_hatches", "exception_requests_opened", "production_deploys")] \
        == [2, 1, 1, 1, 1, 2]
    assert row["median_days_to_close_change"] is None  # nothing closed in either


def test_ci_figures_beside_the_period_before(friction_wh):
    # handbuilt.CI_RUNS, 5–6 May against 3–4 May:
    # - golden path: runs 3 (failed, 200 s) and 4 (140 s): 1 of 2 failed, median 170; before runs 1
    #   (100 s) and 2 (120 s): 0 of 2, median 110 → 0, +0.5, +60
    # - DIY: run 7 (cancelled, 500 s): no decided run, median 500; before 5 (failed, 300 s) and 6
    #   (400 s): 1 of 2, median 350 → −1, NULL, +150
    # - all: 3 runs, 1 of 2 decided failed, median of 140, 200, 500 = 200; before 4 runs, 1 of 4,
    #   median of 100, 120, 300, 400 = 210 → −1, +0.25, −10
    got = friction_wh.sql("select * from marts.ci_summary_change(start := timestamp '2024-05-05',"
                          " stop := timestamp '2024-05-07', previous_start := timestamp '2024-05-03')").fetchall()
    assert got == [("golden path", 2, 0.5, 170.0, 2, 0.0, 110.0, 0, 0.5, 60.0),
                   ("DIY", 1, None, 500.0, 2, 0.5, 350.0, -1, None, 150.0),
                   ("all", 3, 0.5, 200.0, 4, 0.25, 210.0, -1, 0.25, -10.0)]
