"""The report as Markdown (for chat or email) and as a Slack-compatible webhook message.

Both lead with the same headlines; every repository string goes through the output's own
escaping (`escape.md` / `escape.slack`), passed in as `esc`, so a title stays text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from pipelines.reports import format as fmt
from pipelines.reports.data import ReportData
from pipelines.reports.escape import md, slack

Escape = Callable[[Any], str]
SLACK_MAX_CHARS = 3500  # one readable message; the full report is in the files
SLACK_MAX_ALERTS = 15


def _team(owner: Any, esc: Escape) -> str:
    return "(no owner)" if owner is None else esc(owner)


def headlines(data: ReportData, esc: Escape) -> list[str]:
    """One sentence per topic: adoption, escape hatches, exception requests, teams, CI friction."""
    noun = data.period.noun
    lines = []
    a = data.row("new_service_adoption")
    created, golden = data.row("services_created").value, data.row("golden_path_created").value
    if a.value is None:
        lines.append(f"New-service adoption: no service was created this {noun}.")
    else:
        verdict = "below" if data.below_threshold else "at or above"
        previous = (f"; previous {noun} {fmt.value('ratio', a.previous)} ({fmt.change('ratio', a.change)})"
                    if a.previous is not None else f"; no service was created the previous {noun}")
        lines.append(f"New-service adoption: {fmt.value('ratio', a.value)} ({golden} of {created} new services "
                     f"from a golden path), {verdict} the {data.threshold:.0%} threshold{previous}.")
    e = data.escape_hatches
    hatch = data.row("escape_hatch_services")
    new = ", ".join(esc(r["service"]) for r in e.new[:10]) + (" …" if len(e.new) > 10 else "")
    change = f" ({fmt.change('count', hatch.change)})" if hatch.change is not None else ""
    lines.append(f"Escape hatches: {hatch.value} services at the end of the {noun}{change}"
                 + (f"; new: {new}." if e.new else "; none new."))
    opened, closed = data.row("exception_requests_opened"), data.row("exception_requests_closed")
    still_open = data.row("exception_requests_open_at_end")
    lines.append(f"Exception requests: {opened.value} opened ({fmt.change('count', opened.change)}), "
                 f"{closed.value} closed ({fmt.change('count', closed.change)}), "
                 f"{still_open.value} open at the end of the {noun}.")
    if data.worst_teams:
        teams = ", ".join(
            f"{_team(t['owner'], esc)} {fmt.value('ratio', t['new_service_adoption'])} "
            f"({t['golden_path_created']} of {t['services_created']})" for t in data.worst_teams)
        days = (data.team_window[1] - data.team_window[0]).days
        lines.append(f"Teams below the threshold over the last {days} days: {teams}.")
    runs = data.row("ci_runs")
    if runs.value:
        rate, duration = data.row("ci_failure_rate"), data.row("median_ci_duration_s")
        lines.append(f"CI: {runs.value:,} runs, failure rate {fmt.value('ratio', rate.value)} "
                     f"({fmt.change('ratio', rate.change)}), median duration "
                     f"{fmt.value('seconds', duration.value)} ({fmt.change('seconds', duration.change)}).")
    return lines


def _alert_line(alert: dict[str, Any], esc: Escape) -> str:
    return f"{alert['severity']}: {esc(alert['message'])}"


def _table(header: list[str], rows: list[list[str]], align: list[str] | None = None) -> list[str]:
    align = align or ["---"] * len(header)
    return ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |",
            *("| " + " | ".join(r) + " |" for r in rows)]


# the report lists at most this many escape-hatch services; the CSV (escape_hatches.csv) has all
HATCH_ROWS = 50
HATCH_HEADER = ["Service", "Repository", "Owner", "Reasons", "Exception request"]


def request_text(row: dict[str, Any]) -> str:
    """An escape hatch's exception request in words (repository strings not yet escaped): its
    latest request's state and reference, `none` when no request names it, `–` when unknown
    (the service no longer uses the escape hatch, so marts.escape_hatches has no row)."""
    count = row.get("exception_requests")
    if count is None:
        return "–"
    if count == 0:
        return "none"
    text = f"{row['latest_request_state']} ({row['latest_request_repo']}#{row['latest_request_number']})"
    return text + (f", latest of {count}" if count > 1 else "")


def hatch_rows(data: ReportData) -> list[list[str]]:
    """The listed escape-hatch services as text cells (repository strings not yet escaped)."""
    return [[r["service"], r["repo"], "(no owner)" if r["owner"] is None else r["owner"],
             ", ".join(r["reasons"] or []), request_text(r)]
            for r in data.escape_hatches.services[:HATCH_ROWS]]


def hatches_not_listed(data: ReportData) -> int:
    """How many escape-hatch services the report leaves to the CSV."""
    return max(0, len(data.escape_hatches.services) - HATCH_ROWS)


def render_markdown(data: ReportData) -> str:
    """The Markdown summary: alerts, headlines, the numbers, and the tables behind them."""
    p, prev = data.period, data.previous
    out = [f"# pathlens {p.kind}ly report: {p.label}", "",
           f"Data as of {data.as_of:%Y-%m-%d %H:%M} UTC (source: {md(data.source)}). "
           f"Compared with the previous {p.noun}, {prev.label}.", ""]
    out += ["## Alerts", ""]
    if not data.alerts_available:
        out.append("_Alerts were not computed for this warehouse._")
    elif not data.alerts:
        out.append("No alerts.")
    else:
        out += [f"- {_alert_line(a, md)}" for a in data.alerts]
    out += ["", "## What changed", "", *(f"- {line}" for line in headlines(data, md)), ""]
    out += ["## Numbers", ""]
    out += _table(["Metric", f"This {p.noun}", f"Previous {p.noun}", "Change"],
                  [[r.label, *fmt.row_cells(r)] for r in data.summary], ["---", "---:", "---:", "---:"])
    e = data.escape_hatches
    out += ["", f"## Escape hatches at the end of the {p.noun} ({e.count})", ""]
    if not e.services:
        out.append("None.")
    else:
        out += _table(HATCH_HEADER, [[md(c) for c in row] for row in hatch_rows(data)])
        if hatches_not_listed(data):
            out += ["", f"… and {hatches_not_listed(data)} more in escape_hatches.csv."]
        out += ["", "_Exception request: the latest request naming the service, as of the refresh._"]
    out += ["", f"## New escape hatches ({data.escape_hatches.new_count})", ""]
    if not data.escape_hatches.new:
        out.append(f"None this {p.noun}.")
    else:
        out += _table(["Service", "Repository", "Owner", "Reasons"], [
            [md(r["service"]), md(r["repo"]), _team(r["owner"], md), md(", ".join(r["reasons"] or []))]
            for r in data.escape_hatches.new])
    start, end = data.team_window
    out += ["", f"## Teams below the threshold (services created {start:%d %b %Y} – "
                f"{end - timedelta(days=1):%d %b %Y})", ""]
    if not data.worst_teams:
        out.append("None.")
    else:
        out += _table(["Team", "New services", "From a golden path", "Adoption"], [
            [_team(t["owner"], md), str(t["services_created"]), str(t["golden_path_created"]),
             fmt.value("ratio", t["new_service_adoption"])] for t in data.worst_teams],
            ["---", "---:", "---:", "---:"])
    out += ["", f"## Exception requests opened ({len(data.requests_opened)})", ""]
    if not data.requests_opened:
        out.append(f"None this {p.noun}.")
    else:
        out += _table(["Request", "Title", "Team", "State"], [
            [f"{md(r['repo'])}\\#{r['number']}", md(r["title"] or ""),
             "(no team label)" if r["team"] is None else md(r["team"]), md(r["state"] or "")]
            for r in data.requests_opened])
    out += ["", "## CI friction", ""]
    if not data.friction:
        out.append(f"None: no CI runs this {p.noun}.")
    else:
        out += _table(["Group", "Runs", "Failure rate", "Change", "Median duration", "Change"], [
            [r["group"], f"{r['runs']:,}", fmt.value("ratio", r["failure_rate"]),
             fmt.change("ratio", r["failure_rate_change"]),
             fmt.value("seconds", r["median_duration_s"]),
             fmt.change("seconds", r["median_duration_s_change"])]
            for r in data.friction], ["---", "---:", "---:", "---:", "---:", "---:"])
    out += maintenance_markdown(data)
    if data.notes:
        out += ["", *(f"_{md(n)}_" for n in data.notes)]
    return "\n".join(out) + "\n"


def maintenance_rows(data: ReportData) -> list[list[str]]:
    """Per golden path: last change, services, current, median / p90 commits behind, far behind,
    unresolved — as text cells (repository strings not yet escaped)."""
    rows = []
    for r in data.maintenance:
        last = "unknown" if r["head_at"] is None else f"{r['head_at']:%Y-%m-%d} ({r['days_since_change']:.0f} d)"
        far = "–" if r["share_far_behind"] is None else (
            f"{r['services_far_behind']} ({fmt.value('ratio', r['share_far_behind'])})")
        rows.append([r["golden_path"], last + (" · stale" if r["stale"] else ""), str(r["services"]),
                     str(r["services_current"]), _number(r["median_commits_behind"]),
                     _number(r["p90_commits_behind"]), far, str(r["services_unresolved"])])
    return rows


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


MAINTENANCE_HEADER = ["Golden path", "Last change", "Services", "Current", "Median behind", "p90 behind",
                      "Far behind", "Unresolved"]


def maintenance_markdown(data: ReportData) -> list[str]:
    """The maintenance section: template health, then languages without a golden path."""
    if not data.maintenance and not data.uncovered_languages:
        return []
    far = data.maintenance[0]["far_behind_commits"] if data.maintenance else None
    out = ["", "## Maintenance (as of the refresh)", ""]
    if data.maintenance:
        out += _table(MAINTENANCE_HEADER, [[md(c) if i == 0 else c for i, c in enumerate(row)]
                                           for row in maintenance_rows(data)],
                      ["---", "---", "---:", "---:", "---:", "---:", "---:", "---:"])
        out += ["", f"Commits behind the template's default-branch head; far behind = more than {far} commits."]
    if data.uncovered_languages:
        out += ["", "Languages with services but no golden path: " + ", ".join(
            f"{md(r['language'])} ({r['services']} services, {fmt.value('ratio', r['share_of_new_90d'])} "
            "of new services in the last 90 days)" for r in data.uncovered_languages) + "."]
    return out


def slack_text(data: ReportData, *, where: str | None = None) -> str:
    """The chat message: title, alerts, headlines; cut to SLACK_MAX_CHARS."""
    p = data.period
    lines = [f"*pathlens {p.kind}ly report: {p.label}*"]
    if data.alerts:
        lines += [f":warning: {_alert_line(a, slack)}" for a in data.alerts[:SLACK_MAX_ALERTS]]
        if len(data.alerts) > SLACK_MAX_ALERTS:
            lines.append(f"… and {len(data.alerts) - SLACK_MAX_ALERTS} more alerts in the report.")
    lines += [f"• {line}" for line in headlines(data, slack)]
    if where:
        lines.append(f"Full report: {slack(where)}")
    text = "\n".join(lines)
    if len(text) > SLACK_MAX_CHARS:
        text = text[: SLACK_MAX_CHARS - 40].rsplit("\n", 1)[0] + "\n… (cut; the full report has the rest)"
    return text


def slack_payload(text: str) -> dict[str, Any]:
    """A Slack-compatible incoming-webhook body (also accepted by Mattermost and others)."""
    return {"text": text, "mrkdwn": True}
