"""Every page through AppTest on the hand-built warehouse (numbers worked out in handbuilt.py)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from dashboards.lib.text import md_escape
from pipelines.charts import ALERT
from tests.dashboards.conftest import PAGES, run_page
from tests.dashboards.handbuilt import HOSTILE_SERVICE, HOSTILE_TITLE


def charts(at) -> dict[str, dict]:
    """The page's Plotly figures by title."""
    figures = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    return {f["layout"]["title"]["text"]: f for f in figures}


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def trace(figure: dict, name: str | None = None) -> dict:
    return next(t for t in figure["data"] if name is None or t.get("name") == name)


def _has_table(at, key: str) -> bool:
    """Whether the page drew the table `ui.table(..., key=key)`."""
    try:
        return len(at.get_by_key(f"table-{key}").dataframe) == 1
    except KeyError:
        return False


def frame_by_key(at, key: str):
    """The rows of the table `ui.table(..., key=key)` drew, links read as the text they show
    (a service's name, a repository's OWNER/NAME)."""
    frame = at.get_by_key(f"table-{key}").dataframe[0].value
    if "service" in frame.columns:
        frame["service"] = frame["service"].map(
            lambda v: v.split("#record=", 1)[1] if isinstance(v, str) and "#record=" in v else v)
    if "repo" in frame.columns:
        frame["repo"] = frame["repo"].str.replace(r"^https?://[^/]+/", "", regex=True)
    return frame


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("params", [
    {},
    {"team": "payments"},
    {"team": ["web", "(no team)"], "language": ["typescript", "java"],
     "period": ["2024-02-01", "2024-05-31"]},
    {"period": ["2024-03-01", "2024-03-31"], "team": "ml"},
], ids=["all", "team", "teams+languages+period", "empty-period"])
def test_every_page_and_filter_renders(warehouse, page, params):
    at = run_page(page, params)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value
    # every table comes with a CSV download of its rows
    tables = [b for b in at.get("container") if (b.key or "").startswith("table-")]
    for block in tables:
        assert len(block.dataframe) == 1 and len(block.download_button) == 1, block.key
    assert len(tables) == len(at.dataframe)  # the SQL page's schema grids: only in an opened expander


def test_overview_reports_last_complete_month_below_threshold(warehouse):
    at = run_page("overview")
    assert at.subheader[0].value == "May 2024, the last complete month"
    m = metrics(at)
    assert m["New-service adoption"] == "40.0%"  # one decimal, like every other percentage
    assert m["Overall adoption"] == "50.0%"
    assert m["Escape-hatch rate"] == "44.4%"
    assert m["Exception requests opened"] == "3"
    assert at.metric[0].delta == "-10.0 pp vs Apr"  # 2 of 5 in May, 1 of 2 in April
    assert at.metric[3].delta == "+2 vs Apr"
    assert len(at.error) == 1 and "Below threshold" in at.error[0].value
    assert "2 of 5 new services" in at.error[0].value
    figs = charts(at)
    trend = figs["New-service adoption, Jan 2024 – May 2024"]
    assert trace(trend, "New services from a golden path")["y"] == [0.5, 1.0, None, 0.5, 0.4]
    assert trace(trend, "New services from a golden path")["marker"]["color"][-1] == ALERT
    assert any(s.get("y0") == 0.5 for s in trend["layout"]["shapes"])  # the threshold line
    requests = figs["Exception requests, Jan 2024 – May 2024"]
    assert trace(requests, "Opened")["y"] == [1, 0, 1, 1, 3, 0]
    assert trace(requests, "Open at month end")["y"] == [1, 1, 1, 1, 3, 2]
    reasons = trace(figs["Why services use the escape hatch"])
    # gpu s-worker, s-ml; sidecar s-web; s-web's declared text; other batch
    assert reasons["y"] == ["GPU", "sidecar", "declared: needs istio", "other"]
    assert reasons["x"] == [2, 1, 1, 1]
    both = figs["Escape hatches and requests, Jan 2024 – May 2024"]
    # the first view draws four charts; "Services created" is drawn when its expander is opened
    assert len(figs) == 4 and "Services created, Jan 2024 – May 2024" not in figs
    figs = charts(run_page("overview", {"created": "true"}))
    created = figs["Services created, Jan 2024 – May 2024"]["data"]
    assert created[0]["y"] == [1, 1, 0, 1, 2]  # from a golden path (handbuilt.ADOPTION)
    assert [a + b for a, b in zip(created[0]["y"], created[1]["y"], strict=True)] == [2, 1, 0, 2, 5]
    # the four time charts share the trend's months (the data starts in Jan 2024)
    ranges = {json.dumps(f["layout"]["xaxis"]["range"]) for t, f in figs.items() if "Jan 2024 – May 2024" in t}
    assert len(ranges) == 1 and ranges == {json.dumps(["2023-12-17", "2024-05-16"])}
    assert trace(both, "Exception requests opened")["y"] == [1, 0, 1, 1, 3, 0]
    assert trace(both, "Services using the escape hatch")["y"] == [1, 2, 2, 3, 4, 4]


def test_overview_for_one_team(warehouse):
    # payments: May s-pay2 on the path (1 of 1); by May's end s-api, s-worker, s-pay2 (2 of 3);
    # specs s-api, s-worker, s-pay2, s-new with one escape hatch; one request (#5) in May.
    at = run_page("overview", {"team": "payments"})
    assert metrics(at) == {"New-service adoption": "100.0%", "Overall adoption": "66.7%",
                           "Escape-hatch rate": "25.0%", "Exception requests opened": "1"}
    assert not at.error and "at or above" in at.success[0].value


def test_overview_period_without_new_services(warehouse):
    at = run_page("overview", {"period": ["2024-01-01", "2024-03-20"]})
    assert at.subheader[0].value == "March 2024, the last complete month"
    assert metrics(at)["New-service adoption"] == "—"
    assert "No services were created in March 2024" in at.info[0].value
    trend = charts(at)["New-service adoption, Jan 2024 – Mar 2024"]
    assert trace(trend, "All services on a golden path")["y"] == pytest.approx([0.5, 2 / 3, 2 / 3])


def test_overview_shows_alerts_as_text(warehouse):
    import duckdb

    from pipelines.warehouse import WarehousePaths, publish

    paths = WarehousePaths.for_(warehouse)
    with duckdb.connect(str(paths.build)) as con:
        con.execute("create table marts.alerts (alert_key varchar, rule varchar, severity varchar, "
                    "subject varchar, period date, message varchar, raised_at timestamp)")
        con.execute("insert into marts.alerts values "
                    "('a', 'adoption_below_threshold', 'warning', 'org', date '2024-05-01', "
                    "'Adoption fell to 40% [see](javascript:alert(1))', timestamp '2024-06-10 09:30'), "
                    "('b', 'old_rule', 'warning', 'org', date '2023-01-01', 'old', timestamp '2023-02-01')")
    publish(paths)
    at = run_page("overview")
    warnings = [w.value for w in at.warning]
    assert warnings[0] == ("**warning · adoption\\_below\\_threshold · 2024\\-05\\-01**: Adoption fell "
                           "to 40\\% \\[see\\]\\(javascript\\:alert\\(1\\)\\)")
    assert "old\\_rule" in warnings[1]  # newest first


def test_adoption_page_breakdowns_and_todo(warehouse):
    at = run_page("adoption")
    by_team = frame_by_key(at, "team_table").set_index("team")
    # payments: s-api, s-worker, s-pay2, s-new (3 on the path); web: s-web, s-web2 (1);
    # ml: s-ml, s-etl, s-ml2, batch (2); no team: s-legacy (0).
    assert by_team.loc["payments", "services_created"] == 4
    assert by_team.loc["payments", "golden_path_created"] == 3
    assert by_team.loc["web", "new_service_adoption"] == pytest.approx(0.5)
    assert by_team.loc["ml", "new_service_adoption"] == pytest.approx(0.5)
    assert by_team.loc["(no team)", "new_service_adoption"] == 0
    todo = frame_by_key(at, "todo")
    assert sorted(todo["service"]) == sorted(["s-legacy", "s-web2", HOSTILE_SERVICE])
    assert "Services created in May 2024 without a golden path" in [h.value for h in at.subheader]
    # only the open tab runs, and its heatmap and the retention heatmap only when opened: the
    # first view draws the two trends and the team bars
    assert sorted(charts(at)) == ["New-service adoption by month", "New-service adoption by team",
                                  "Services created per month"]
    at = run_page("adoption", {"team_by_month": "true"})  # a link with the heatmap open opens it
    heatmap = charts(at)["New-service adoption by team and month"]
    assert "payments" in trace(heatmap)["y"]
    at = run_page("adoption", {"view": "By language", "language_by_month": "true"})
    by_language = frame_by_key(at, "language_table").set_index("language")
    assert by_language.loc["go", "golden_path_created"] == 3
    assert by_language.loc["java", "services_created"] == 1
    assert "New-service adoption by language and month" in charts(at)
    # a shared link to a template's services opens the template tab with them listed
    at = run_page("adoption", {"template": "go-service"})
    assert sorted(frame_by_key(at, "template_services")["service"]) == ["s-api", "s-new", "s-pay2"]
    at = run_page("adoption", {"view": "By template", "retention": "true"})
    templates = frame_by_key(at, "template_table")
    may = templates[templates["month"].astype(str) == "2024-05-01"]
    assert sorted(zip(may["golden_path"].fillna("-"), may["services_created"], strict=True)) == [
        ("-", 3), ("go-service", 1), ("python-service", 1)]
    # retention cohorts (marts.retention, handbuilt.RETENTION): every service created on a golden
    # path, each still on it (one interval of history); as_of Jun 10 09:30, so 30 days are due for
    # all but s-new (Jun 3), 90 days only for s-api (Jan 5 → Apr 4) and s-web (Feb 5 → May 5)
    retention = trace(charts(at)["Still on a golden path, by creation month"])
    assert retention["y"] == ["Jan 2024 · go-service", "Feb 2024 · ts-service", "Apr 2024 · python-service",
                              "May 2024 · go-service", "May 2024 · python-service", "Jun 2024 · go-service"]
    due_30, due_90, none = (["1 of 1", "1 of 1", "not due", "not due"], ["1 of 1", "not due", "not due", "not due"],
                            ["not due"] * 4)
    assert retention["text"] == [due_30, due_30, due_90, due_90, due_90, none]


def test_adoption_monthly_for_languages_follows_the_definitions(warehouse):
    # go: s-api (Jan, path), s-pay2 (May, path), s-new (Jun, path); java: s-legacy (May, off).
    at = run_page("adoption", {"language": ["go", "java"], "view": "By month (table)"})
    monthly = frame_by_key(at, "monthly_table")
    assert list(monthly["services_created"]) == [1, 0, 0, 0, 2, 1]
    assert list(monthly["golden_path_total"]) == [1, 1, 1, 1, 2, 3]
    assert list(monthly["new_service_adoption"].round(3).fillna(-1)) == [1.0, -1, -1, -1, 0.5, 1.0]
    below = [None if pd.isna(v) else bool(v) for v in monthly["below_threshold"]]
    assert below == [False, None, None, None, False, False]


def test_escape_hatch_page(warehouse):
    at = run_page("escape_hatches")
    at_refresh = "10 Jun 2024 09:30 UTC"  # the whole period: its end is the refresh
    assert metrics(at) == {f"Escape-hatch rate at {at_refresh}": "44.4%",
                           f"Services using the escape hatch at {at_refresh}": "4",
                           f"Services with a service spec at {at_refresh}": "9"}
    hatches = frame_by_key(at, "hatches").set_index("service")
    assert hatches.loc["s-web", "reasons"] == "declared:needs istio, sidecar"
    assert hatches.loc["s-worker", "owner"] == "payments"
    # marts.escape_hatches.since / age_days: from creation in the hand-built history
    assert str(hatches.loc["s-worker", "since"])[:10] == "2024-01-10"
    assert hatches.loc[HOSTILE_SERVICE, "age_days"] == pytest.approx(11 + 9.5 / 24)  # May 30 → Jun 10 09:30
    rate = trace(charts(at)["Escape-hatch rate at each month's end"], "Escape-hatch rate")
    # handbuilt.ESCAPE_MONTHLY: 1/2, 2/3, 2/3, 3/4, 4/8, 4/9
    assert rate["y"] == pytest.approx([0.5, 2 / 3, 2 / 3, 0.75, 0.5, 4 / 9])


def test_picking_a_reason_lists_the_services_that_give_it(warehouse):
    # gpu: s-worker and s-ml; s-web's declared text: s-web only (it also gives sidecar)
    at = run_page("escape_hatches")
    assert at.selectbox(key="reason").options == ["GPU", "sidecar", "declared: needs istio", "other"]
    at.selectbox(key="reason").set_value("gpu").run()
    assert sorted(frame_by_key(at, "hatches")["service"]) == ["s-ml", "s-worker"]
    at.selectbox(key="reason").set_value("declared:needs istio").run()
    assert list(frame_by_key(at, "hatches")["service"]) == ["s-web"]
    assert any(c.value.startswith("1 service giving the reason declared") for c in at.caption)
    # a reason no selected service gives: said so, no table
    at = run_page("escape_hatches", {"team": "ml"})
    at.selectbox(key="reason").set_value("sidecar").run()
    assert "for that reason" in at.info[0].value


def test_escape_hatch_page_shows_each_hatchs_request(warehouse):
    # handbuilt.REQUEST_SERVICES: s-worker asked in #1, s-web in #2 (both closed); s-ml and batch
    # never asked; #2's javascript: URL is not linked
    hatches = frame_by_key(run_page("escape_hatches"), "hatches").set_index("service")
    assert hatches["exception_requests"].to_dict() == {
        "s-worker": 1, "s-web": 1, "s-ml": 0, HOSTILE_SERVICE: 0}
    assert hatches["open_exception_requests"].to_dict() == {
        "s-worker": 0, "s-web": 0, "s-ml": 0, HOSTILE_SERVICE: 0}
    assert hatches["request_state"].to_dict() == {
        "s-worker": "closed", "s-web": "closed", "s-ml": "none", HOSTILE_SERVICE: "none"}
    assert hatches.loc["s-worker", "request_url"] == "https://github.com/acme/platform/issues/1"
    assert pd.isna(hatches.loc["s-web", "request_url"])
    assert pd.isna(hatches.loc["s-ml", "request_url"])


def test_escape_hatches_for_ml_at_the_end_of_may(warehouse):
    at = run_page("escape_hatches", {"team": "ml", "period": ["2024-05-01", "2024-05-31"]})
    # The rate at the period's end counts every ml service existing then, not only those created
    # in May: s-ml (Apr, spec, gpu), s-etl (no spec), s-ml2 (May, spec), batch (May 30, spec,
    # other) → 2 of 3 with a spec; batch took its escape hatch in May, s-ml before.
    m = metrics(at)
    assert m["Escape-hatch rate at the end of 31 May 2024"] == "66.7%"
    assert m["Services using the escape hatch at the end of 31 May 2024"] == "2"
    hatches = frame_by_key(at, "hatches").set_index("service")
    assert sorted(hatches.index) == sorted([HOSTILE_SERVICE, "s-ml"])
    assert hatches.loc[HOSTILE_SERVICE, "new_in_period"] and not hatches.loc["s-ml", "new_in_period"]
    assert hatches.loc[HOSTILE_SERVICE, "age_days"] == pytest.approx(2)  # May 30 → Jun 1 00:00
    reasons = trace(charts(at)["Why services use the escape hatch"])
    assert (reasons["y"], reasons["x"]) == (["GPU", "sidecar", "other"], [1, 0, 1])  # no declared text
    # the rate at each month's end of the period, of ml's services: only May, 2 of 3
    assert trace(charts(at)["Escape-hatch rate at each month's end"], "Escape-hatch rate")["y"] == pytest.approx([2 / 3])


def test_a_narrow_period_keeps_the_escape_hatches_in_use(warehouse):
    # Mar 2024 alone: no service was created in March, yet s-worker [gpu] and s-web [declared,
    # sidecar] used the escape hatch at its end, of the 3 services with a spec then (s-api too).
    at = run_page("escape_hatches", {"period": ["2024-03-01", "2024-03-31"]})
    assert metrics(at)["Escape-hatch rate at the end of 31 Mar 2024"] == "66.7%"
    assert sorted(frame_by_key(at, "hatches")["service"]) == ["s-web", "s-worker"]


def test_exception_requests_page(warehouse):
    at = run_page("exceptions")
    # closed in the period: #2 4 d, #1 10 d, #4 12 d, #6 108 d → median 11.0; open at its end
    # (the refresh, Jun 10 09:30): #3 and #5
    assert metrics(at) == {"Opened in the period": "6", "Open at 10 Jun 2024 09:30 UTC": "2",
                           "Median days to close": "11.0", "Open backlog now": "2"}
    requests = frame_by_key(at, "requests_table").set_index("number")
    assert requests.loc[2, "title"] == HOSTILE_TITLE  # shown as text in the table
    assert pd.isna(requests.loc[2, "html_url"])  # a javascript: URL is not linked
    assert requests.loc[3, "html_url"] == "https://github.com/acme/platform/issues/3"
    assert requests.loc[6, "days_to_close"] == pytest.approx(108)
    by_team = trace(charts(at)["Exception requests by team"], "Open")
    assert dict(zip(by_team["y"], by_team["x"], strict=True)) == {
        "payments": 1, "web": 1, "ml": 0, "(no team label)": 0}
    days = trace(charts(at)["Median days to close an exception request"])
    assert days["y"] == [10.0, 4.0, 108.0, 12.0]


def test_exception_requests_page_lists_requests_that_led_to_no_escape_hatch(warehouse):
    # handbuilt.REQUEST_SERVICES: #4 names no service; #3 s-web2, #5 s-pay2, #6 s-etl have no
    # escape hatch (newest first); #1 and #2 are about escape hatches and in neither list
    at = run_page("exceptions")
    assert list(frame_by_key(at, "no_service_table")["number"]) == [4]
    no_hatch = frame_by_key(at, "no_hatch_table")
    assert list(no_hatch["number"]) == [5, 3, 6]
    assert list(no_hatch["service"]) == ["s-pay2", "s-web2", "s-etl"]
    # web, Apr–May: only #3 (#2 is about s-web, an escape hatch); none without a service
    at = run_page("exceptions", {"team": "web", "period": ["2024-04-01", "2024-05-31"]})
    assert not at.exception
    assert list(frame_by_key(at, "no_hatch_table")["number"]) == [3]
    assert any("Every request opened in the period names a known service" in i.value for i in at.info)


def test_exception_requests_for_one_team_recompute_the_months(warehouse):
    # web: #2 Apr 2 → Apr 6, #3 May 6 still open.
    at = run_page("exceptions", {"team": "web", "monthly_numbers": "true"})  # the expander opened
    monthly = frame_by_key(at, "monthly_table")
    assert list(monthly["opened"]) == [0, 0, 0, 1, 1, 0]
    assert list(monthly["closed"]) == [0, 0, 0, 1, 0, 0]
    assert list(monthly["open_at_month_end"]) == [0, 0, 0, 0, 1, 1]
    assert metrics(at)["Open backlog now"] == "1"


def test_friction_page_without_friction_marts(warehouse):
    at = run_page("friction")
    assert not at.exception
    assert "No friction data yet" in at.info[0].value
    assert not at.get("plotly_chart")


def test_friction_page(friction_warehouse):
    at = run_page("friction")
    figs = charts(at)
    vs = figs["All services: each side with its 95% interval"]
    assert [t["y"] for t in vs["data"]] == [[0.25, 0.5], [130.0, 400.0], [3.5, 20.0]]
    # error bars from each value to its interval's ends (none where the interval is unknown)
    assert vs["data"][0]["error_y"]["array"] == pytest.approx([0.7 - 0.25, 0.85 - 0.5])
    assert vs["data"][1]["error_y"]["arrayminus"] == pytest.approx([130.0 - 100.0, 0.0])
    ratios = figs["Golden path ÷ DIY: all services against like for like"]
    assert trace(ratios, "All services")["x"] == [0.5, 0.325, 0.175]
    assert trace(ratios, "Within language × team")["x"][0] == 0.8
    words = " ".join(m.value for m in at.markdown)
    assert "The difference is significant (p < 0.001)" in words  # the failure rate
    assert "The difference is **not significant** (p = 0.300): it may be chance." in words  # the duration
    assert "**Not significant** (p = 0.600)" in words  # the failure rate, like for like
    failure = figs["CI failure rate per month"]
    assert trace(failure, "Golden path")["y"] == [0.25]
    assert trace(failure, "DIY")["y"] == [0.5]
    assert trace(figs["Median CI run duration per month"], "DIY")["y"] == [400.0]
    ttfd = figs["Days from creation to first production deploy"]
    # one deployed service a side: the box is that one value (3.5 and 20 days), no outlier
    for side, days in (("Golden path", 3.5), ("DIY", 20.0)):
        box = trace(ttfd, side)
        assert [box[k] for k in ("q1", "median", "q3", "lowerfence", "upperfence")] == [[days]] * 5
    assert len(ttfd["data"]) == 2
    flaky = frame_by_key(at, "flaky")
    assert list(flaky["service"]) == ["s-worker", "s-api"]
    # January to June 2024: s-api (golden) deployed on Jan 8, s-worker (DIY) on Jan 30, each the
    # only service of its kind in January; n = services existing by each month's end
    # the collapsed tables are built only when opened (their state in the URL)
    tables = ["vs_diy_table", "vs_diy_by_language", "ttfd_table", "flaky"]
    assert [t for t in tables if _has_table(at, t)] == ["flaky"]
    opened = run_page("friction", {"comparison_table": "true", "by_language": "true", "ttfd_per_service": "true"})
    # (the hand-built warehouse has no marts.golden_path_vs_diy_by_language)
    assert [t for t in tables if _has_table(opened, t)] == ["vs_diy_table", "ttfd_table", "flaky"]
    deploys = figs["Production deploys per service per month"]
    assert trace(deploys, "Golden path")["y"] == [1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    assert trace(deploys, "Golden path")["customdata"] == [1, 2, 2, 3, 5, 6]
    assert trace(deploys, "DIY")["y"] == [1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    assert trace(deploys, "DIY")["customdata"] == [1, 1, 1, 2, 5, 5]


def test_friction_page_says_in_words_when_no_side_has_enough_services(friction_warehouse):
    import duckdb

    from pipelines.warehouse import WarehousePaths, publish

    paths = WarehousePaths.for_(friction_warehouse)
    with duckdb.connect(str(paths.build)) as con:  # every side below min_n: no value on any side
        con.execute("update marts.golden_path_vs_diy set min_n = 20, golden_path = null, diy = null, "
                    "ratio = null, golden_path_low = null, golden_path_high = null, diy_low = null, "
                    "diy_high = null, p_value = null, significant = null, stratified_ratio = null, "
                    "stratified_ratio_low = null, stratified_ratio_high = null, stratified_p_value = null")
    publish(paths)
    at = run_page("friction")
    assert not at.exception
    figs = charts(at)
    assert "All services: each side with its 95% interval" not in figs
    assert "Golden path ÷ DIY: all services against like for like" not in figs
    # handbuilt n: 4 and 3 for CI, 1 and 1 for days to first deploy
    assert at.info[0].value == (
        "Too few services on each side to compare, need 20 a side. CI failure rate and Median CI run duration: "
        "golden path n = 4, DIY n = 3; Median days to first production deploy: golden path n = 1, DIY n = 1.")
    assert "CI failure rate per month" in figs  # the monthly charts are still there


def test_friction_page_for_a_team_without_runs(friction_warehouse):
    at = run_page("friction", {"team": "web"})
    figs = charts(at)
    assert figs["CI failure rate per month"]["layout"]["annotations"][0]["text"].startswith("No data")
    assert "No CI runs of the selected services that month." in [i.value for i in at.info]


def test_services_page_search_and_record(friction_warehouse):
    at = run_page("services")
    assert len(frame_by_key(at, "services_table")) == 11
    at.text_input(key="q").set_value("PAYMENTS").run()
    shown = frame_by_key(at, "services_table")
    assert sorted(shown["service"]) == ["s-api", "s-new", "s-pay2", "s-worker"]
    at.selectbox(key="service").set_value("s-worker · acme/s-worker").run()
    fields = dict(frame_by_key(at, "record_fields").values.tolist())
    assert fields["Team"] == "payments" and fields["Escape-hatch reasons"] == "gpu"
    assert fields["On a golden path"] == "no"
    history = frame_by_key(at, "record_history")
    assert len(history) == 1  # handbuilt: one interval of history, from its creation
    assert str(history["valid_from"].iloc[0])[:10] == "2024-01-10"
    assert history["escape_hatch_reasons"].iloc[0] == "gpu"
    assert frame_by_key(at, "record_ttfd")["days"].tolist() == [20.0]


def test_service_record_from_the_url_escapes_markdown(warehouse):
    at = run_page("services", {"service": f"{HOSTILE_SERVICE} · acme/batch"})
    assert at.subheader[0].value == "batch\\_\\<i\\>job\\<\\/i\\>"
    assert not at.exception


def test_sql_page_runs_queries_and_refuses_writes(warehouse):
    at = run_page("sql")
    schema_tables = [e.label for e in at.expander]
    assert "marts.services" in schema_tables and "marts.adoption_monthly" in schema_tables
    assert not at.dataframe  # a table's columns are built when its expander is opened
    at.text_area(key="sql_text").set_value(
        "select owner, count(*) as n from marts.services group by owner order by n desc, owner")
    at.form_submit_button[0].click().run()
    result = frame_by_key(at, "sql_table")
    assert result.iloc[0].tolist() == ["ml", 4]  # ml and payments both have 4; ml sorts first
    assert len(result) == 4
    assert any(c.value.startswith("4 rows in ") for c in at.caption)
    at.text_area(key="sql_text").set_value("DELETE FROM marts.services")
    at.form_submit_button[0].click().run()
    assert at.error[0].value == "**Refused**"
    assert "DELETE refused" in at.code[0].value
    at.text_area(key="sql_text").set_value("select * from read_csv('/etc/passwd')")
    at.form_submit_button[0].click().run()
    assert "files is disabled" in at.code[0].value


def test_filters_come_from_the_url(warehouse):
    at = run_page("overview", {"team": ["payments", "web"], "language": "go",
                               "period": ["2024-02-01", "2024-05-31"]})
    assert at.multiselect(key="team").value == ["payments", "web"]
    assert at.multiselect(key="language").value == ["go"]
    expected = md_escape("Feb 2024 – May 2024 · teams: payments, web · languages: go")
    assert expected in [c.value for c in at.caption]


def test_unknown_team_in_the_url_is_ignored(warehouse):
    at = run_page("overview", {"team": "nobody"})
    assert not at.exception
    assert at.multiselect(key="team").value == []


def test_reset_filters(warehouse):
    at = run_page("overview", {"team": "payments", "period": ["2024-02-01", "2024-03-31"]})
    assert metrics(at)["New-service adoption"] == "—"  # payments created nothing in Mar 2024
    next(b for b in at.button if b.label == "Reset filters").click().run()
    assert at.multiselect(key="team").value == []
    assert metrics(at)["New-service adoption"] == "40.0%"  # 2 of 5 created in May 2024, one decimal like every percentage
    assert at.subheader[0].value == "May 2024, the last complete month"


def test_every_page_says_when_the_refresh_could_not_use_some_sources(warehouse):
    import duckdb

    with duckdb.connect(str(warehouse)) as con:  # a refresh with 3 unparsed files, 1 failed fetch
        con.execute("alter table marts.refresh_info add column files_not_used bigint default 3")
        con.execute("alter table marts.refresh_info add column fetch_errors bigint default 1")
    for page in ("overview", "adoption"):
        at = run_page(page)
        warnings = [w.value for w in at.warning]
        assert any("3 repository file(s) could not be parsed" in w and "1 fetch(es) failed" in w
                   for w in warnings), (page, warnings)


def test_every_page_says_when_services_come_from_a_files_last_good_version(warehouse):
    import duckdb

    with duckdb.connect(str(warehouse)) as con:  # 2 services read from the last version that parsed
        con.execute("alter table marts.refresh_info add column stale_services bigint default 2")
    at = run_page("overview")
    assert any(w.value.startswith("2 service(s) counted from the last version of a file that parsed")
               for w in at.warning), [w.value for w in at.warning]


def test_no_incomplete_data_warning_on_a_clean_refresh(warehouse):
    at = run_page("overview")
    assert not any("Incomplete data" in w.value for w in at.warning)


def test_maintenance_page_without_drift_marts(warehouse):
    at = run_page("maintenance")
    assert not at.exception
    assert "no template drift yet" in at.info[0].value


def test_maintenance_page(maintenance_warehouse):
    at = run_page("maintenance")
    assert not at.exception
    # 3 golden paths, python-service stale; behind: s-api (12), s-ml (30); unresolved: s-ml2, s-web
    assert [m.value for m in at.metric] == ["3", "1", "2", "2"]
    furthest = frame_by_key(at, "furthest")
    assert list(furthest["service"])[:4] == ["s-ml", "s-api", "s-new", "s-pay2"]  # ties by name
    refs = at.dataframe[2].value
    # @v3 is called by acme/s-api and acme/ml, 3 commits behind; @main by acme/s-worker
    assert [(r, n) for r, n in zip(refs["ref"], refs["repos"], strict=True)] == [("v3", 2), ("main", 1)]
    assert "No golden path serves java" in at.warning[0].value


def test_maintenance_page_for_one_team(maintenance_warehouse):
    at = run_page("maintenance", {"team": "ml"})
    assert not at.exception
    # ml: s-ml 30 behind, s-ml2 not found; its repos acme/ml calls @v3
    assert [m.value for m in at.metric] == ["3", "1", "1", "1"]
    assert list(frame_by_key(at, "furthest")["service"]) == ["s-ml", "s-ml2"]
    refs = at.dataframe[2].value
    assert list(zip(refs["ref"], refs["repos"], strict=True)) == [("v3", 1)]


def test_picking_a_golden_path_lists_its_services(maintenance_warehouse):
    # go-service's selected services: s-api (12 behind), then s-new and s-pay2 (current, by name)
    at = run_page("maintenance")
    assert at.selectbox(key="golden_path").options == ["go-service", "python-service", "ts-service"]
    at.selectbox(key="golden_path").set_value("go-service").run()
    assert list(frame_by_key(at, "furthest")["service"]) == ["s-api", "s-new", "s-pay2"]
    assert any(c.value.startswith("3 selected services created in the period from go") for c in at.caption)
    # ml follows no go-service template: said so
    at = run_page("maintenance", {"team": "ml"})
    at.selectbox(key="golden_path").set_value("go-service").run()
    assert "follows go" in at.info[0].value


def test_a_service_record_opens_from_a_link_even_outside_the_period(warehouse):
    # s-api was created in January 2024; the link carries a March-only period
    at = run_page("services", {"service": "s-api · acme/s-api", "period": ["2024-03-01", "2024-03-31"]})
    assert not at.exception
    assert "s-api" not in list(frame_by_key(at, "services_table")["service"])
    assert at.subheader[0].value == md_escape("s-api")
