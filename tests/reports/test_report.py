"""The report on the hand-built organisation of conftest.py, number by number.

Every expected value is worked out by hand from the table and lists in conftest.py; the
comments show the arithmetic.
"""

from __future__ import annotations

import csv
import re
from datetime import datetime

import duckdb
import pytest

from pipelines.reports import write_report
from pipelines.reports.period import Period
from pipelines.reports.write import load_report_data, report_period
from tests.reports.conftest import AS_OF, HOSTILE_REASON, HOSTILE_TEAM, settings

T = datetime.fromisoformat


@pytest.fixture(scope="module")
def week(org):
    return load_report_data(org, "week", settings())


@pytest.fixture(scope="module")
def month(org):
    return load_report_data(org, "month", settings())


def values(data) -> dict[str, tuple]:
    return {r.metric: (r.value, r.previous) for r in data.summary}


def test_periods_are_the_last_complete_ones_before_the_data():
    # as_of Wednesday 15 May: the week before is Mon 6 – Sun 12 May; the month before is April
    assert report_period("week", as_of=AS_OF) == Period("week", T("2024-05-06"), T("2024-05-13"))
    assert report_period("month", as_of=AS_OF) == Period("month", T("2024-04-01"), T("2024-05-01"))
    # a later clock never reaches past the data; an earlier `now` picks an earlier period
    assert report_period("week", as_of=AS_OF, now=T("2026-01-01")).start == T("2024-05-06")
    assert report_period("week", as_of=AS_OF, now=T("2024-05-06T00:00:00")).start == T("2024-04-29")
    assert report_period("month", as_of=AS_OF, now=T("2024-03-31T23:59:59")).start == T("2024-02-01")


def test_weekly_numbers(week):
    assert week.period.label == "6–12 May 2024" and week.previous.label == "29 April – 5 May 2024"
    assert values(week) == {
        # created in the week: echo (golden), foxtrot, golf (23:59 Sunday) → 1 of 3;
        # the week before: delta (30 Apr 23:00), hotel → 0 of 2
        "new_service_adoption": (pytest.approx(1 / 3), 0.0),
        "services_created": (3, 2),
        "golden_path_created": (1, 0),
        # by 13 May: all 8 services, 3 golden (alpha, charlie, echo); by 6 May: 5, 2 golden
        "overall_adoption": (3 / 8, 2 / 5),
        # at the end of 12 May (13 May 00:00): delta, hotel (spec committed 10 May); at the end of
        # 5 May: delta only
        "escape_hatch_services": (2, 1),
        # hotel took it during the week; the week before, delta did (it did not exist on 29 April)
        "new_escape_hatches": (1, 1),
        # opened: #2 (7 May), #3 (9 May); the week before: #4 (1 May)
        "exception_requests_opened": (2, 1),
        # closed: #4 (8 May), #3 (10 May); none the week before
        "exception_requests_closed": (2, 0),
        # open at the end: #2, #5; at the previous end: #4 (closed 8 May), #5
        "exception_requests_open_at_end": (2, 2),
        # days to close of #3 and #4: 1.5 and 7 → median 4.25
        "median_days_to_close": (4.25, None),
        # runs 1, 2, 3 against 4, 5, 6
        "ci_runs": (3, 3),
        # 1 failure of 3 decided; before: 1 failure, 1 success, 1 cancelled (undecided) → 1 / 2
        "ci_failure_rate": (pytest.approx(1 / 3), 0.5),
        # medians of [300, 600, 900] and [200, 1200, 100]
        "median_ci_duration_s": (600.0, 200.0),
        "production_deploys": (1, 0),  # alpha to production on 9 May
    }
    # the changes, selected from SQL: 1/3 − 0; 3 − 2 created; 2 − 2 open at the end; no median
    # the week before, so no change
    changes = {r.metric: r.change for r in week.summary}
    assert changes["new_service_adoption"] == pytest.approx(1 / 3)
    assert (changes["services_created"], changes["exception_requests_open_at_end"]) == (1, 0)
    assert changes["median_days_to_close"] is None
    assert changes["median_ci_duration_s"] == 400.0  # 600 − 200, from the CI `all` row
    assert [r["service"] for r in week.escape_hatches.new] == ["hotel"]
    assert week.escape_hatches.measured_at == T("2024-05-13")  # the week's end


def test_weekly_teams_and_friction(week):
    # 90 days before 13 May covers every service; adoption below 50%, at least 2 services:
    # HOSTILE_TEAM 0 of 2 (foxtrot, golf), team-b 1 of 3 (charlie; delta, hotel DIY);
    # team-a has 2 of 3 (alpha, echo; bravo) = 67%, not below
    assert [(t["owner"], t["services_created"], t["golden_path_created"]) for t in week.worst_teams] == [
        (HOSTILE_TEAM, 2, 0), ("team-b", 3, 1)]
    assert week.friction == [
        # golden: runs 1 (success 300), 2 (failure 600); before: run 4 (success 200)
        {"group": "golden path", "runs": 2, "failure_rate": 0.5, "median_duration_s": 450.0,
         "previous_runs": 1, "previous_failure_rate": 0.0, "previous_median_duration_s": 200.0,
         "runs_change": 1, "failure_rate_change": 0.5, "median_duration_s_change": 250.0},
        # DIY: run 3 (success 900); before: 5 (failure 1200), 6 (cancelled 100) → 1 / 1 failed
        {"group": "DIY", "runs": 1, "failure_rate": 0.0, "median_duration_s": 900.0,
         "previous_runs": 2, "previous_failure_rate": 1.0, "previous_median_duration_s": 650.0,
         "runs_change": -1, "failure_rate_change": -1.0, "median_duration_s_change": 250.0},
        {"group": "all", "runs": 3, "failure_rate": pytest.approx(1 / 3), "median_duration_s": 600.0,
         "previous_runs": 3, "previous_failure_rate": 0.5, "previous_median_duration_s": 200.0,
         "runs_change": 0, "failure_rate_change": pytest.approx(1 / 3 - 1 / 2), "median_duration_s_change": 400.0},
    ]
    assert [r["number"] for r in week.requests_opened] == [2, 3]


def test_monthly_numbers(month):
    assert values(month) == {
        # April: bravo, charlie (golden), delta → 1 of 3; March: alpha (golden) → 1 of 1
        "new_service_adoption": (pytest.approx(1 / 3), 1.0),
        "services_created": (3, 1),
        "golden_path_created": (1, 1),
        # by 1 May: alpha, bravo, charlie, delta, 2 golden; by 1 April: alpha
        "overall_adoption": (0.5, 1.0),
        # at the end of April (1 May 00:00): delta (created 30 April 23:00 with its spec); hotel
        # is created at 1 May 00:00, not before; at the end of March: none
        "escape_hatch_services": (1, 0),
        "new_escape_hatches": (1, 0),  # delta, created 30 April
        "exception_requests_opened": (1, 1),  # #1; March: #5
        "exception_requests_closed": (1, 0),  # #1
        "exception_requests_open_at_end": (1, 1),  # #5 both times
        "median_days_to_close": (2.0, None),  # #1: 10 → 12 April
        "ci_runs": (1, 0),  # run 4 (30 April)
        "ci_failure_rate": (0.0, None),
        "median_ci_duration_s": (200.0, None),
        "production_deploys": (0, 0),
    }
    # 90 days before 1 May: team-a 1 of 2 and team-b 1 of 2 are at the threshold, not below
    assert month.worst_teams == []
    assert [r["group"] for r in month.friction] == ["golden path", "all"]
    assert month.notes == []


def test_monthly_numbers_match_the_monthly_marts(org, month):
    with duckdb.connect(str(org), read_only=True) as con:
        [adoption] = con.sql("select * from marts.adoption_monthly where month = '2024-04-01'").pl().to_dicts()
        [requests] = con.sql(
            "select * from marts.exception_requests_monthly where month = '2024-04-01'").pl().to_dicts()
    v = values(month)
    assert v["new_service_adoption"][0] == adoption["new_service_adoption"]
    assert v["services_created"][0] == adoption["services_created"]
    assert v["overall_adoption"][0] == adoption["overall_adoption"]
    assert (v["exception_requests_opened"][0], v["exception_requests_closed"][0],
            v["exception_requests_open_at_end"][0], v["median_days_to_close"][0]) == (
        requests["opened"], requests["closed"], requests["open_at_month_end"], requests["median_days_to_close"])


def test_alerts_in_the_report(week):
    assert [a["rule"] for a in week.alerts] == [
        "refresh_failed", "source_failed", "adoption_below_threshold", "exception_requests_above",
        "new_escape_hatch"]


def test_files(org, tmp_path):
    files = write_report(org, tmp_path / "out", "week", settings())
    assert files.folder == tmp_path / "out" / "week-2024-05-06"
    assert sorted(p.name for p in files.folder.iterdir()) == sorted([
        "report.html", "report.md", "summary.csv", "alerts.csv", "new_escape_hatches.csv", "escape_hatches.csv",
        "teams_below_threshold.csv", "exception_requests_opened.csv", "ci_friction.csv",
        "adoption_monthly.csv", "exception_requests_monthly.csv", "template_health.csv"])

    with files.csvs["summary"].open(newline="") as handle:
        summary = {r["metric"]: r for r in csv.DictReader(handle)}
    assert (summary["overall_adoption"]["value"], summary["overall_adoption"]["previous"]) == ("0.375", "0.4")
    assert float(summary["overall_adoption"]["change"]) == pytest.approx(-0.025)
    assert summary["median_days_to_close"]["previous"] == ""  # NULL stays empty
    assert summary["services_created"]["period_start"] == "2024-05-06"
    assert summary["services_created"]["period_end"] == "2024-05-13"

    markdown = files.markdown.read_text()
    assert markdown.startswith("# pathlens weekly report: 6–12 May 2024\n")
    assert "| New-service adoption | 33.3% | 0.0% | +33.3 pp |" in markdown
    assert "| Overall adoption at the end | 37.5% | 40.0% | −2.5 pp |" in markdown  # 3/8 − 2/5
    assert "| Median days to close | 4.2 days | – | – |" in markdown  # 4.25 to one decimal
    assert "| Median CI duration | 10.0 min | 3.3 min | +6.7 min |" in markdown  # 600 s, 200 s, +400 s
    assert "| acme/platform\\#3 | \\[x\\](javascript:alert(1)) | (no team label) | closed |" in markdown
    assert "- New-service adoption: 33.3% (1 of 3 new services from a golden path), below the 50% threshold" in markdown

    html = files.html.read_text()
    cells = dict(re.findall(r'<tr id="metric-(\w+)"><td>[^<]*</td><td class="num">([^<]*)</td>', html))
    assert cells["new_service_adoption"] == "33.3%"
    assert cells["exception_requests_opened"] == "2"
    assert cells["median_ci_duration_s"] == "10.0 min"
    assert html.count("Plotly.newPlot") == 3  # adoption, teams, exception requests
    # self-contained: Plotly's library inline, once; no script, style or image fetched
    assert re.findall(r"<(?:script|img|link|iframe)\b[^>]*\b(?:src|href)=", html) == []
    assert html.count("* plotly.js v") == 1 and html.count("<script") == 4  # the library once + 3 figures
    assert files.chat_text.startswith("*pathlens weekly report: 6–12 May 2024*\n")


def test_escape_hatch_section_names_the_services_their_reasons_and_requests(org, week, tmp_path):
    # the week's end state is the snapshot of 12 May: delta and hotel, with the snapshot's
    # reasons; their requests as of the refresh (marts.escape_hatches): #1 (service:delta,
    # closed 12 Apr) names delta, nothing names hotel
    assert [(r["service"], r["reasons"], r["exception_requests"], r["latest_request_number"],
             r["latest_request_state"]) for r in week.escape_hatches.services] == [
        ("delta", [HOSTILE_REASON, "gpu"], 1, 1, "closed"),
        ("hotel", ["sidecar"], 0, None, None),
    ]
    files = write_report(org, tmp_path / "out", "week", settings())
    markdown = files.markdown.read_text()
    assert "## Escape hatches at the end of the week (2)" in markdown
    assert ("| delta | acme/delta | team-b | declared:&lt;b&gt;GPU&lt;/b&gt; \\| \\[x\\](javascript:alert(2)), gpu "
            "| closed (acme/platform#1) |") in markdown
    assert "| hotel | acme/hotel | team-b | sidecar | none |" in markdown
    html = files.html.read_text()
    assert ("<tr><td>delta</td><td>acme/delta</td><td>team-b</td><td>declared:&lt;b&gt;GPU&lt;/b&gt; | "
            "[x](javascript:alert(2)), gpu</td><td>closed (acme/platform#1)</td></tr>") in html
    assert "<tr><td>hotel</td><td>acme/hotel</td><td>team-b</td><td>sidecar</td><td>none</td></tr>" in html
    with files.csvs["escape_hatches"].open(newline="") as handle:
        rows = [(r["service"], r["reasons"], r["exception_requests"], r["latest_request_state"],
                 r["latest_request_url"]) for r in csv.DictReader(handle)]
    assert rows == [("delta", f"{HOSTILE_REASON}; gpu", "1", "closed", ""), ("hotel", "sidecar", "0", "", "")]


def test_a_warehouse_without_alerts_says_so(tmp_path):
    from tests.reports.conftest import build_org

    path = build_org(tmp_path)
    with duckdb.connect(str(path)) as con:
        con.execute("drop table marts.alerts")
    data = load_report_data(path, "week", settings())
    assert not data.alerts_available and data.alerts == []
    files = write_report(path, tmp_path / "out", "week", settings())
    assert "_Alerts were not computed for this warehouse._" in files.markdown.read_text()


def test_no_warehouse_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no warehouse at"):
        write_report(tmp_path / "missing.duckdb", tmp_path, "week", settings())
    with pytest.raises(ValueError, match="period must be 'week' or 'month'"):
        write_report(tmp_path / "missing.duckdb", tmp_path, "year", settings())


def test_maintenance_section(week):
    from dataclasses import replace

    from pipelines.reports.render_html import render_html
    from pipelines.reports.render_text import render_markdown

    health = [
        {"golden_path": "go-service", "head_at": datetime(2024, 1, 2), "days_since_change": 134.4, "stale": False,
         "services": 3, "services_current": 1, "median_commits_behind": 4.0, "p90_commits_behind": 9.6,
         "services_unresolved": 1, "services_far_behind": 0, "share_far_behind": 0.0, "far_behind_commits": 20},
        {"golden_path": "<b>java</b>", "head_at": datetime(2023, 8, 1), "days_since_change": 288.4, "stale": True,
         "services": 2, "services_current": 0, "median_commits_behind": 30.0, "p90_commits_behind": 30.0,
         "services_unresolved": 0, "services_far_behind": 2, "share_far_behind": 1.0, "far_behind_commits": 20},
    ]
    languages = [{"language": "rust", "services": 4, "services_created_90d": 1, "share_of_new_90d": 0.25}]
    data = replace(week, maintenance=health, uncovered_languages=languages)
    text = render_markdown(data)
    assert "| go-service | 2024-01-02 (134 d) | 3 | 1 | 4 | 10 | 0 (0.0%) | 1 |" in text
    assert "| &lt;b&gt;java&lt;/b&gt; | 2023-08-01 (288 d) · stale | 2 | 0 | 30 | 30 | 2 (100.0%) | 0 |" in text
    assert "rust (4 services, 25.0% of new services in the last 90 days)" in text
    page = render_html(data)
    assert "<td>&lt;b&gt;java&lt;/b&gt;</td>" in page and "<b>java</b>" not in page


def test_maintenance_is_read_from_the_marts(week):
    # the hand-built organisation's golden paths have no template history: their rows say so
    assert {r["golden_path"] for r in week.maintenance} == {"go-service"}
    assert all(r["head_at"] is None and r["stale"] is None for r in week.maintenance)
