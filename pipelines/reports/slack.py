"""The chat messages in Slack's Block Kit, for an incoming webhook: the report's, and the
immediate one the run-failure sensor sends (`failure_payload`).

A header, one fields section with the headline figures and their change since the previous
period, the alerts as a bulleted list, what changed in a sentence per topic, and a context line
with the period, the data's date and (when `reports.dashboard_url` is set) a link to the
dashboard; `text` is the plain fallback notifications show. Everything stays inside Slack's
documented limits (LIMITS); repository text is escaped for mrkdwn (`&`, `<`, `>`) before it
is placed, and cut only between whole characters of the escaped text, never inside an entity.
"""

from __future__ import annotations

import re
from typing import Any

from pipelines.reports import format as fmt
from pipelines.reports.data import ReportData
from pipelines.reports.escape import slack
from pipelines.reports.failures import RunFailure
from pipelines.reports.render_text import _alert_line, headlines

# https://docs.slack.dev/reference/block-kit/blocks (header, section, context blocks)
LIMITS = {
    "blocks": 50,  # blocks in one message
    "header_text": 150,  # a header block's plain_text
    "section_text": 3000,  # a section block's text
    "fields": 10,  # fields in one section
    "field_text": 2000,  # each field's text
    "context_elements": 10,
    "context_text": 3000,
    "fallback_text": 3000,  # kept short: it is what a notification shows
}
HEADLINE_FIGURES = (
    "new_service_adoption", "overall_adoption", "services_created", "escape_hatch_services",
    "exception_requests_opened", "exception_requests_open_at_end", "ci_failure_rate", "median_ci_duration_s",
)
MAX_ALERT_SECTIONS = 10
_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,4}$")
ELLIPSIS = "…"


def cut(text: str, limit: int) -> str:
    """`text` within `limit` characters, ending in `…` when cut; never inside `&amp;`-style entities."""
    if len(text) <= limit:
        return text
    head = _PARTIAL_ENTITY.sub("", text[: limit - 1])
    return head + ELLIPSIS


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(cut(text, LIMITS["section_text"]))}


def _link(url: str, label: str) -> str:
    """A mrkdwn link; the URL is a validated http(s) URL, its `&` written as Slack asks."""
    return f"<{url.replace('&', '&amp;')}|{label}>"


def _figure_field(data: ReportData, metric: str) -> dict[str, Any]:
    row = data.row(metric)
    change = fmt.change(row.unit, row.change)
    text = f"*{slack(row.label)}*\n{fmt.value(row.unit, row.value)} ({change} vs previous {data.period.noun})"
    return _mrkdwn(cut(text, LIMITS["field_text"]))


def _alert_sections(data: ReportData) -> list[dict[str, Any]]:
    """The alerts as `•` lines, packed into as few sections as the text limit allows."""
    if not data.alerts_available:
        return [_section("_Alerts were not computed for this warehouse._")]
    if not data.alerts:
        return [_section("*Alerts*\nNone.")]
    sections: list[str] = []
    current = f"*Alerts ({len(data.alerts)})*"
    for number, alert in enumerate(data.alerts):
        line = "• " + cut(_alert_line(alert, slack), 500)
        if len(current) + 1 + len(line) > LIMITS["section_text"]:
            if len(sections) + 1 == MAX_ALERT_SECTIONS:
                current += f"\n{ELLIPSIS} and {len(data.alerts) - number} more in the report."
                break
            sections.append(current)
            current = line
        else:
            current += "\n" + line
    sections.append(current)
    return [_section(text) for text in sections]


def _context(data: ReportData, dashboard_url: str | None) -> dict[str, Any]:
    p = data.period
    elements = [_mrkdwn(cut(f"{p.kind.capitalize()} {slack(p.label)} · data as of {data.as_of:%Y-%m-%d %H:%M} UTC "
                            f"(source: {slack(data.source)})", LIMITS["context_text"]))]
    if dashboard_url:
        elements.append(_mrkdwn(_link(dashboard_url, "Open the dashboard")))
    return {"type": "context", "elements": elements[: LIMITS["context_elements"]]}


def fallback_text(data: ReportData) -> str:
    """The notification text: the period, new-service adoption and how many alerts."""
    adoption = data.row("new_service_adoption")
    alerts = f"{len(data.alerts)} alert(s)" if data.alerts else "no alerts"
    text = (f"pathlens {data.period.kind}ly report {slack(data.period.label)}: new-service adoption "
            f"{fmt.value('ratio', adoption.value)} ({fmt.change('ratio', adoption.change)}), {alerts}.")
    return cut(text, LIMITS["fallback_text"])


def block_kit_payload(data: ReportData, *, dashboard_url: str | None = None) -> dict[str, Any]:
    """The incoming-webhook body: `text` (fallback) and `blocks`, within LIMITS."""
    header = cut(f"pathlens {data.period.kind}ly report: {data.period.label}", LIMITS["header_text"])
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header, "emoji": False}},
        {"type": "section", "fields": [_figure_field(data, m) for m in HEADLINE_FIGURES][: LIMITS["fields"]]},
        *_alert_sections(data),
        _section("*What changed*\n" + "\n".join(f"• {line}" for line in headlines(data, slack))),
        {"type": "divider"},
        _context(data, dashboard_url),
    ]
    return {"text": fallback_text(data), "blocks": blocks[: LIMITS["blocks"]]}


def failure_fallback_text(failure: RunFailure, message: str) -> str:
    """The notification text of a failed run: run, job, steps and the error's first line."""
    steps = f" in {slack(', '.join(failure.steps))}" if failure.steps else ""
    text = (f":rotating_light: pathlens run {slack(failure.run_id[:8])} of {slack(failure.job_name)} failed"
            f"{steps}: {slack(message)}")
    return cut(text, LIMITS["fallback_text"])


def failure_payload(failure: RunFailure, message: str, *, dashboard_url: str | None = None) -> dict[str, Any]:
    """The incoming-webhook body for a failed run, sent when it fails: a header, the job, run,
    time and failed steps as fields, the error line, and a context line saying the next refresh
    turns it into an alert (with the dashboard link when set). `message` is the error's first
    line, already redacted of secrets by the caller; every value is mrkdwn-escaped here."""
    steps = ", ".join(failure.steps) or "(the run, before any step)"
    fields = [
        _mrkdwn(cut(f"*Job*\n{slack(failure.job_name)}", LIMITS["field_text"])),
        _mrkdwn(cut(f"*Run*\n{slack(failure.run_id[:8])}", LIMITS["field_text"])),
        _mrkdwn(f"*Failed at*\n{failure.failed_at:%Y-%m-%d %H:%M} UTC"),
        _mrkdwn(cut(f"*Failed steps*\n{slack(steps)}", LIMITS["field_text"])),
    ]
    elements = [_mrkdwn("The next refresh records it as an alert (marts.alerts) and the reports list it.")]
    if dashboard_url:
        elements.append(_mrkdwn(_link(dashboard_url, "Open the dashboard")))
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "emoji": False,
                                    "text": cut(f"pathlens run failed: {failure.job_name}", LIMITS["header_text"])}},
        {"type": "section", "fields": fields},
        _section(f"*Error*\n{slack(message) or 'no message'}"),
        {"type": "divider"},
        {"type": "context", "elements": elements},
    ]
    return {"text": failure_fallback_text(failure, message), "blocks": blocks}
