"""The one formatting module every table goes through: labels, units, formats, links, pinning."""

from __future__ import annotations

import json
import re
from datetime import date, datetime

import polars as pl
import pytest

from dashboards.lib import formatting as fmt
from pipelines import WAREHOUSE_ENV as ENV_VAR
from tests.dashboards.conftest import PAGES, run_page
from tests.dashboards.handbuilt import publish_handbuilt

RAW_NAME = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")  # services_created, p90_duration_s ...


def test_percent_count_date_and_month_formats():
    frame = pl.DataFrame({
        "team": ["web"], "services_created": [1234], "new_service_adoption": [0.14285],
        "month": [date(2024, 5, 1)], "created_at": [datetime(2024, 5, 3, 12)],
        "on_golden_path": [True],
    })
    cfg = fmt.show(frame).column_config
    percent = cfg["new_service_adoption"]["type_config"]
    assert (percent["format"], percent["step"]) == ("percent", 0.001)  # one decimal: 14.3%
    assert cfg["services_created"]["type_config"]["format"] == "%,d"
    assert cfg["month"]["type_config"]["format"] == "MMM YYYY"
    assert cfg["created_at"]["type_config"]["format"] == "D MMM YYYY"
    assert cfg["on_golden_path"]["type_config"]["type"] == "checkbox"
    assert [cfg[c]["label"] for c in frame.columns] == [
        "Team", "Services created", "New-service adoption", "Month", "Created", "On a golden path"]


def test_the_key_column_comes_first_and_is_pinned():
    frame = pl.DataFrame({"repo": ["acme/a"], "title": ["Need a GPU"], "number": [5]})
    shown = fmt.show(frame, key_column="title")
    assert shown.column_order == ["title", "repo", "number"]
    assert shown.column_config["title"]["pinned"] is True
    assert shown.column_config["repo"]["pinned"] is False
    assert fmt.show(frame).column_config["repo"]["pinned"] is True  # default: the first column


def test_seconds_become_durations_and_the_csv_frame_is_untouched():
    frame = pl.DataFrame({"service": ["a", "b"], "median_duration_s": [754.3, None]})
    shown = fmt.show(frame)
    # 754.3 s rounds to 754 s = 12 min 34 s; missing stays missing
    assert shown.frame["median_duration_s"].to_list()[0].total_seconds() == 754
    assert shown.frame["median_duration_s"].to_list()[1] is None
    assert shown.column_config["median_duration_s"]["type_config"]["format"] == "localized"
    assert frame["median_duration_s"].to_list() == [754.3, None]


def test_repositories_link_to_their_page_only_when_every_one_is_known():
    frame = pl.DataFrame({"service": ["a", "b"], "repo": ["acme/a", "acme/b"]})
    urls = {"acme/a": "https://github.com/acme/a", "acme/b": "https://ghe.example.com/acme/b"}
    shown = fmt.show(frame, repo_urls=urls)
    assert shown.frame["repo"].to_list() == ["https://github.com/acme/a", "https://ghe.example.com/acme/b"]
    link = shown.column_config["repo"]
    assert link["type_config"]["type"] == "link"
    pattern = re.compile(link["type_config"]["display_text"])
    assert [pattern.match(u).group(1) for u in shown.frame["repo"]] == ["acme/a", "acme/b"]
    partial = fmt.show(frame, repo_urls={"acme/a": urls["acme/a"]})
    assert partial.frame["repo"].to_list() == ["acme/a", "acme/b"]  # no link that goes nowhere
    assert partial.column_config["repo"]["type_config"]["type"] == "text"


def test_service_names_link_to_their_record_with_the_filters():
    frame = pl.DataFrame({"service": ["s <b>", None], "repo": ["acme/x", "acme/y"]})
    shown = fmt.show(frame, service_link="services?team=web")
    first, second = shown.frame["service"].to_list()
    assert first == "services?team=web&service=s%20%3Cb%3E%20%C2%B7%20acme%2Fx#record=s <b>"
    assert second is None
    display = re.compile(shown.column_config["service"]["type_config"]["display_text"])
    assert display.search(first).group(1) == "s <b>"
    assert fmt.show(frame, service_link="services").frame["service"][0].startswith("services?service=")


def test_issue_links_drop_anything_but_web_pages():
    frame = pl.DataFrame({"title": ["a", "b"],
                          "html_url": ["https://github.com/acme/platform/issues/5", "javascript:alert(1)"]})
    shown = fmt.show(frame)
    assert shown.frame["html_url"].to_list() == ["https://github.com/acme/platform/issues/5", None]


def test_comparison_values_are_written_in_their_metric_unit():
    frame = pl.DataFrame({
        "metric": ["ci_failure_rate", "median_ci_duration_s", "deploys_per_service_week",
                   "median_days_to_first_deploy"],
        "golden_path": [0.14285, 754.3, 1.8988, None],
        "diy": [0.3077, 7328.469, 0.5, 12.25],
    })
    shown = fmt.show(frame).frame
    assert shown["metric"].to_list() == ["CI failure rate", "Median CI run duration",
                                         "Production deploys per service-week",
                                         "Median days to first production deploy"]
    # 0.14285 → 14.3%; 754.3 s = 12.57 min → 12.6 min; 7328.469 s = 2.04 h → 2.0 h
    assert shown["golden_path"].to_list() == ["14.3%", "12.6 min", "1.90 / service-week", "—"]
    assert shown["diy"].to_list() == ["30.8%", "2.0 h", "0.50 / service-week", "12.2 days"]


@pytest.mark.parametrize(("seconds", "text"), [(45.4, "45 s"), (119, "119 s"), (120, "2.0 min"),
                                               (7199, "120.0 min"), (7200, "2.0 h"), (None, "—")])
def test_duration_picks_the_unit_that_reads_best(seconds, text):
    assert fmt.duration(seconds) == text


def test_plurals_and_unknown_columns():
    assert fmt.plural(1, "service") == "1 service"
    assert fmt.plural(1234, "service") == "1,234 services"
    assert fmt.label("p90_queue_s") == "P90 queue (s)"
    assert fmt.percent(0.30769) == "30.8%" and fmt.percent(None) == "—"


def test_changes_in_percentage_points_have_one_decimal():
    # 0.4 - 0.5 = -0.1 -> -10.0 pp; 2/3 - 0.6 = 0.0667 -> +6.7 pp
    assert fmt.points(0.4 - 0.5) == "-10.0 pp"
    assert fmt.points(2 / 3 - 0.6) == "+6.7 pp"
    assert fmt.points(None) == "—"
    # 0.0004 is 0.04 pp: shown as +0.0 pp, so no arrow; 0.0006 is 0.06 pp, shown as +0.1 pp
    assert fmt.no_change(0.0004) and not fmt.no_change(0.0006) and not fmt.no_change(None)


@pytest.fixture
def full_warehouse(tmp_path, monkeypatch):
    """The hand-built warehouse with the friction and template-drift marts."""
    published = publish_handbuilt(tmp_path / "pathlens.duckdb", friction=True, maintenance=True)
    monkeypatch.setenv(ENV_VAR, str(published))
    return published


@pytest.mark.parametrize("page", PAGES)
def test_every_table_column_has_a_human_label(full_warehouse, page):
    """No table on any page shows a raw column name (`services_created`) as its header."""
    at = run_page(page, {"service": "s-worker · acme/s-worker"} if page == "services" else None)
    assert not at.exception
    checked = 0
    for block in at.get("container"):
        if not (block.key or "").startswith("table-") or block.key == "table-sql_table":
            continue
        config = json.loads(block.dataframe[0].proto.columns)
        shown = [c for c in config if c != "_index"]
        raw = [(c, config[c].get("label")) for c in shown if RAW_NAME.match(config[c].get("label") or c)]
        assert raw == [], f"{block.key}: {raw}"
        assert block.dataframe[0].proto.placeholder == "—"
        checked += 1
    assert checked or page in ("overview", "sql", "glossary")


def test_repositories_on_a_page_link_to_their_github_page(warehouse):
    at = run_page("adoption")
    block = at.get_by_key("table-todo")
    config = json.loads(block.dataframe[0].proto.columns)
    assert config["repo"]["type_config"]["type"] == "link"
    repos = list(block.dataframe[0].value["repo"])
    # handbuilt.py stores each repo's html_url as https://github.com/<repo>
    assert repos and all(r.startswith("https://github.com/acme/") for r in repos), repos
