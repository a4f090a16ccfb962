"""The Block Kit chat message: structure and Slack's documented limits (at most 50 blocks, a
header of 150 characters, 3,000 characters a section text, 10 fields of 2,000), mrkdwn
escaping of repository text, and the figures of the hand-built week (tests/reports/conftest.py:
6–12 May 2024 against 29 April – 5 May)."""

from __future__ import annotations

import html
import json
import re
from dataclasses import replace

import pytest

from pipelines.config import ConfigError
from pipelines.reports.slack import LIMITS, block_kit_payload, cut
from pipelines.reports.write import load_report_data
from tests.reports.conftest import HOSTILE_TEAM, settings

DASHBOARD = "https://grafana.example.com/d/pathlens?orgId=1&var-team=all"
LINK = "<https://grafana.example.com/d/pathlens?orgId=1&amp;var-team=all|Open the dashboard>"


@pytest.fixture(scope="module")
def week(org):
    return load_report_data(org, "week", settings())


def texts(payload: dict) -> list[str]:
    """Every text object's text in the blocks."""
    out = []
    for block in payload["blocks"]:
        if "text" in block:
            out.append(block["text"]["text"])
        out += [f["text"] for f in block.get("fields", [])]
        out += [e["text"] for e in block.get("elements", [])]
    return out


def assert_within_slack_limits(payload: dict) -> None:
    json.dumps(payload)  # a JSON body
    assert set(payload) == {"text", "blocks"}
    assert 0 < len(payload["text"]) <= LIMITS["fallback_text"]
    blocks = payload["blocks"]
    assert 0 < len(blocks) <= 50
    assert blocks[0]["type"] == "header" and blocks[0]["text"]["type"] == "plain_text"
    assert 0 < len(blocks[0]["text"]["text"]) <= 150
    for block in blocks:
        assert block["type"] in ("header", "section", "divider", "context")
        if block["type"] == "section":
            assert ("text" in block) != ("fields" in block)
            if "text" in block:
                assert block["text"]["type"] == "mrkdwn" and 0 < len(block["text"]["text"]) <= 3000
            else:
                assert 0 < len(block["fields"]) <= 10
                assert all(0 < len(f["text"]) <= 2000 for f in block["fields"])
        if block["type"] == "context":
            assert 0 < len(block["elements"]) <= 10
            assert all(len(e["text"]) <= 3000 for e in block["elements"])
    for text in [payload["text"], *texts(payload)]:
        # outside the dashboard link, no mrkdwn control character and no cut entity survives
        rest = text.replace(LINK, "")
        assert "<" not in rest and ">" not in rest, text[:200]
        assert not re.search(r"&(?!amp;|lt;|gt;)", rest), text[:200]


def test_the_weeks_message(week):
    payload = block_kit_payload(week, dashboard_url=DASHBOARD)
    assert_within_slack_limits(payload)
    blocks = payload["blocks"]
    assert blocks[0]["text"]["text"] == "pathlens weekly report: 6–12 May 2024"
    fields = [f["text"] for f in blocks[1]["fields"]]
    # hand-worked in tests/reports/test_report.py: 1 of 3 new services against 0 of 2
    assert fields[0] == "*New-service adoption*\n33.3% (+33.3 pp vs previous week)"
    assert "*Overall adoption at the end*\n37.5% (−2.5 pp vs previous week)" in fields  # 3/8 against 2/5
    assert "*Exception requests opened*\n2 (+1 vs previous week)" in fields
    assert "*Median CI duration*\n10.0 min (+6.7 min vs previous week)" in fields  # 600 s against 200 s
    alerts = blocks[2]["text"]["text"]
    assert alerts.startswith(f"*Alerts ({len(week.alerts)})*\n• ")
    assert alerts.count("\n• ") == len(week.alerts)
    assert blocks[-1]["type"] == "context" and blocks[-1]["elements"][-1]["text"] == LINK
    assert "6–12 May 2024" in blocks[-1]["elements"][0]["text"]
    assert payload["text"].startswith("pathlens weekly report 6–12 May 2024: new-service adoption 33.3% (+33.3 pp)")


def test_repository_text_is_escaped(week):
    payload = block_kit_payload(week)
    body = json.dumps(payload, ensure_ascii=False)
    assert html.escape(HOSTILE_TEAM, quote=False) in body  # the team, as text
    assert "<script" not in body and "<img" not in body
    assert all("dashboard" not in e["text"] for e in payload["blocks"][-1]["elements"])  # no URL configured


def test_hostile_oversized_alerts_stay_within_limits(week):
    hostile = "<!channel> <https://evil.example|click> & " * 400  # ~17,000 characters each
    alerts = [{**week.alerts[0], "message": f"{i} {hostile}"} for i in range(300)]
    data = replace(week, alerts=alerts)
    payload = block_kit_payload(data, dashboard_url=DASHBOARD)
    assert_within_slack_limits(payload)
    alert_text = "\n".join(b["text"]["text"] for b in payload["blocks"] if b["type"] == "section" and "text" in b)
    assert "more in the report." in alert_text
    assert "<!channel>" not in json.dumps(payload)
    assert "300 alert(s)" in payload["text"]


def test_no_alerts_and_no_alert_table(week):
    assert_within_slack_limits(block_kit_payload(replace(week, alerts=[])))
    quiet = block_kit_payload(replace(week, alerts=[]))
    assert quiet["blocks"][2]["text"]["text"] == "*Alerts*\nNone."
    assert "Alerts were not computed" in block_kit_payload(replace(week, alerts_available=False))["blocks"][2]["text"]["text"]


@pytest.mark.parametrize("text, limit, expected", [
    ("abc", 3, "abc"),
    ("abcdef", 4, "abc…"),
    ("ab&amp;cd", 5, "ab…"),  # never half an entity
    ("ab&lt;", 5, "ab…"),
    ("ab&lt;xy", 7, "ab&lt;…"),  # a whole entity stays
])
def test_cut(text, limit, expected):
    assert cut(text, limit) == expected


@pytest.mark.parametrize("url", ["javascript:alert(1)", "https://x.example/a b", "https://x.example/<a>",
                                 "https://x.example/a|b", "ftp://x.example/", "https://", "x" * 10])
def test_dashboard_url_is_validated(url):
    with pytest.raises(ConfigError, match="reports.dashboard_url"):
        settings(reports={"dashboard_url": url})


def test_dashboard_url_is_accepted():
    assert settings(reports={"dashboard_url": DASHBOARD}).reports.dashboard_url == DASHBOARD


def test_the_run_failure_message_is_block_kit_within_limits():
    from datetime import datetime

    from pipelines.reports.failures import RunFailure
    from pipelines.reports.slack import failure_payload

    hostile = "<!channel> & <https://evil.example|click> " + "x" * 5000
    failure = RunFailure(run_id="0123456789abcdef", job_name="daily_refresh", failed_at=datetime(2024, 5, 14, 5, 3),
                         steps=["github_raw", "<b>step</b>"], message=hostile)
    payload = failure_payload(failure, hostile, dashboard_url=DASHBOARD)
    assert_within_slack_limits(payload)
    fields = [f["text"] for f in payload["blocks"][1]["fields"]]
    assert fields == ["*Job*\ndaily_refresh", "*Run*\n01234567", "*Failed at*\n2024-05-14 05:03 UTC",
                      "*Failed steps*\ngithub_raw, &lt;b&gt;step&lt;/b&gt;"]
    error = payload["blocks"][2]["text"]["text"]
    assert error.startswith("*Error*\n&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt; xxx")
    assert error.endswith("…") and len(error) == LIMITS["section_text"]
    assert payload["blocks"][-1]["elements"][-1]["text"] == LINK
    assert payload["text"].startswith(":rotating_light: pathlens run 01234567 of daily_refresh failed in "
                                      "github_raw, &lt;b&gt;step&lt;/b&gt;: &lt;!channel&gt;")
    # a run that failed before any step, without a dashboard link
    bare = failure_payload(RunFailure("r1", "weekly_report", datetime(2024, 5, 14)), "")
    assert_within_slack_limits(bare)
    assert "(the run, before any step)" in bare["blocks"][1]["fields"][3]["text"]
    assert len(bare["blocks"][-1]["elements"]) == 1
