"""Alert rules, evaluated on every refresh into `marts.alerts`.

Each rule is a pure function from a hand-checkable series (lists of rows) to alerts, so it can
be tested on a series written in the test; `evaluate` reads those series from the build
warehouse, and `build_alerts` writes the table. An alert's `message` is plain text that may
quote repository strings (service, team, title) as written: whoever displays it escapes it.

`marts.alerts` holds the alerts the latest refresh raised. `first_raised_at` carries over from
the previous refresh's table, so a reader can tell a new alert from a standing one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import polars as pl

from pipelines.config import Settings
from pipelines.scrub import scrub
from pipelines.warehouse import replace_table

WARNING = "warning"
ERROR = "error"

ALERTS_SCHEMA: dict[str, pl.DataType] = {
    "alert_key": pl.String(),
    "rule": pl.String(),
    "severity": pl.String(),
    "subject": pl.String(),
    "repo": pl.String(),
    "period": pl.Date(),
    "value": pl.Float64(),
    "threshold": pl.Float64(),
    "message": pl.String(),
    "raised_at": pl.Datetime("us"),
    "first_raised_at": pl.Datetime("us"),
}


@dataclass(frozen=True)
class Alert:
    key: str  # stable across refreshes while the same condition holds
    rule: str
    severity: str
    subject: str
    message: str
    repo: str | None = None
    period: date | None = None  # the month the alert is about, when it is about one
    value: float | None = None
    threshold: float | None = None


def month_label(month: date) -> str:
    return month.strftime("%B %Y")


def adoption_alerts(monthly: Sequence[dict[str, Any]], *, month: date, threshold: float) -> list[Alert]:
    """An alert when `month`'s new-service adoption is below the threshold.

    Rows: `month`, `services_created`, `golden_path_created`, `new_service_adoption`
    (marts.adoption_monthly). A month without new services has no adoption and raises nothing.
    """
    row = next((r for r in monthly if r["month"] == month), None)
    if row is None or row["new_service_adoption"] is None or row["new_service_adoption"] >= threshold:
        return []
    adoption = row["new_service_adoption"]
    return [Alert(
        key=f"adoption_below_threshold:{month.isoformat()}",
        rule="adoption_below_threshold", severity=WARNING, subject="all services", period=month,
        value=adoption, threshold=threshold,
        message=(f"New-service adoption in {month_label(month)} was {adoption:.1%} "
                 f"({row['golden_path_created']} of {row['services_created']} new services from a "
                 f"golden path), below the {threshold:.0%} threshold."),
    )]


def _requests(n: int) -> str:
    return f"{n} exception request was" if n == 1 else f"{n} exception requests were"


def exception_rate_alerts(monthly: Sequence[dict[str, Any]], *, month: date, limit: int) -> list[Alert]:
    """An alert when more than `limit` exception requests were opened in `month`.

    Rows: `month`, `opened` (marts.exception_requests_monthly).
    """
    row = next((r for r in monthly if r["month"] == month), None)
    if row is None or row["opened"] <= limit:
        return []
    return [Alert(
        key=f"exception_requests_above:{month.isoformat()}",
        rule="exception_requests_above", severity=WARNING, subject="exception requests", period=month,
        value=float(row["opened"]), threshold=float(limit),
        message=(f"{_requests(row['opened'])} opened in {month_label(month)}, "
                 f"more than the {limit} allowed per month."),
    )]


def exception_rising_alerts(monthly: Sequence[dict[str, Any]], *, month: date, months: int) -> list[Alert]:
    """An alert when requests opened rose in each of the `months` months up to `month`.

    Needs `months + 1` consecutive months ending at `month`, each opening strictly more than the
    one before (rows: `month`, `opened`).
    """
    by_month = {r["month"]: r["opened"] for r in monthly}
    window = [month]
    for _ in range(months):
        window.insert(0, (window[0] - timedelta(days=1)).replace(day=1))
    if any(m not in by_month for m in window):
        return []
    counts = [by_month[m] for m in window]
    if not all(b > a for a, b in zip(counts, counts[1:], strict=False)):
        return []
    return [Alert(
        key=f"exception_requests_rising:{month.isoformat()}",
        rule="exception_requests_rising", severity=WARNING, subject="exception requests", period=month,
        value=float(counts[-1]), threshold=float(months),
        message=(f"Exception requests opened rose for {months} months in a row: "
                 + ", ".join(f"{m.strftime('%b %Y')} {c}" for m, c in zip(window, counts, strict=True)) + "."),
    )]


def new_escape_hatch_alerts(new: Sequence[dict[str, Any]]) -> list[Alert]:
    """An alert per service that took the escape hatch in the lookback window.

    Rows (`service`, `repo`, `owner`, `reasons`): the services using the escape hatch now that
    did not at the window's start, each in its state then (marts.escape_hatch_services with
    `new_in_period`, from service history); a service created in the window counts.
    """
    alerts = []
    for row in sorted(new, key=lambda r: (r["service"], r["repo"])):
        owner = f", owner {row['owner']}" if row.get("owner") else ""
        reasons = ", ".join(row.get("reasons") or []) or "no reason recorded"
        alerts.append(Alert(
            key=f"new_escape_hatch:{row['repo']}:{row['service']}",
            rule="new_escape_hatch", severity=WARNING, subject=row["service"], repo=row["repo"],
            message=f"{row['service']} ({row['repo']}{owner}) now uses the escape hatch: {reasons}.",
        ))
    return alerts


def source_failure_alerts(errors: Sequence[dict[str, Any]], *, examples: int = 3) -> list[Alert]:
    """One alert per source with fetch errors in this refresh (rows of raw.fetch_errors)."""
    by_source: dict[str, list[dict[str, Any]]] = {}
    for row in errors:
        by_source.setdefault(row["source"] or "unknown", []).append(row)
    alerts = []
    for source, rows in sorted(by_source.items()):
        shown = "; ".join(_fetch_error_text(r) for r in rows[:examples])
        more = f"; and {len(rows) - examples} more" if len(rows) > examples else ""
        alerts.append(Alert(
            key=f"source_failed:{source}", rule="source_failed", severity=ERROR, subject=source,
            value=float(len(rows)),
            message=(f"{source}: {len(rows)} {'fetch' if len(rows) == 1 else 'fetches'} failed in the "
                     f"latest refresh ({shown}{more})."),
        ))
    return alerts


def _fetch_error_text(row: dict[str, Any]) -> str:
    where = row.get("repo") or row.get("endpoint") or "?"
    status = f"HTTP {row['status']}" if row.get("status") else ""
    message = (row.get("message") or "").splitlines()[0][:160] if row.get("message") else ""
    return " ".join(part for part in (where, status, message) if part)


def refresh_failure_alerts(failures: Sequence[dict[str, Any]]) -> list[Alert]:
    """One alert per failed Dagster run the failure sensor recorded (rows of raw.run_failures)."""
    alerts = []
    for row in sorted(failures, key=lambda r: (r["failed_at"], r["run_id"])):
        steps = f" in {', '.join(row['steps'])}" if row.get("steps") else ""
        detail = f": {row['message']}" if row.get("message") else ""
        alerts.append(Alert(
            key=f"refresh_failed:{row['run_id']}", rule="refresh_failed", severity=ERROR,
            subject=row["job_name"] or "run",
            message=(f"Run {row['run_id'][:8]} of {row['job_name']} failed at "
                     f"{row['failed_at']:%Y-%m-%d %H:%M} UTC{steps}{detail}"),
        ))
    return alerts


def template_stale_alerts(health: Sequence[dict[str, Any]]) -> list[Alert]:
    """An alert per golden path marts.template_health marks `stale`: its template unchanged for
    more than `stale_after_days` (alerts.template_stale_days) while services still use it."""
    alerts = []
    for row in health:
        if not row["stale"]:
            continue
        days = row["days_since_change"]
        alerts.append(Alert(
            key=f"template_stale:{row['golden_path']}", rule="template_stale", severity=WARNING,
            subject=row["golden_path"], value=float(days), threshold=float(row["stale_after_days"]),
            message=(f"The {row['golden_path']} template has not changed in {days:.0f} days (last change "
                     f"{row['head_at']:%Y-%m-%d}), and {_services(row['services'])} still use it."),
        ))
    return alerts


def drift_share_alerts(health: Sequence[dict[str, Any]], *, share: float) -> list[Alert]:
    """An alert per golden path whose share of services more than `far_behind_commits` commits
    behind its template is above `share` (rows of marts.template_health: `golden_path`,
    `services_resolved`, `services_far_behind`, `share_far_behind`, `far_behind_commits`)."""
    alerts = []
    for row in health:
        value = row["share_far_behind"]
        if value is None or value <= share:
            continue
        alerts.append(Alert(
            key=f"template_drift:{row['golden_path']}", rule="template_drift", severity=WARNING,
            subject=row["golden_path"], value=float(value), threshold=float(share),
            message=(f"{row['services_far_behind']} of {_services(row['services_resolved'])} of the "
                     f"{row['golden_path']} golden path ({value:.1%}) are more than "
                     f"{row['far_behind_commits']} commits behind its template, above the {share:.0%} threshold."),
        ))
    return alerts


def _services(n: int) -> str:
    return f"{n} service" if n == 1 else f"{n} services"


def _rows(con: duckdb.DuckDBPyConnection, query: str, params: dict | None = None) -> list[dict[str, Any]]:
    return con.sql(query, params=params).pl().to_dicts()


def evaluate(con: duckdb.DuckDBPyConnection, settings: Settings) -> tuple[datetime, list[Alert]]:
    """Every enabled rule on the built marts; returns the refresh's as_of and the alerts."""
    rules = settings.alerts
    [(as_of, refresh_id)] = con.execute("select as_of, refresh_id from config.settings").fetchall()
    [(month,)] = con.execute("select last_complete_month from marts.refresh_info").fetchall()
    since = as_of - timedelta(days=rules.lookback_days)
    alerts: list[Alert] = []
    if rules.adoption_below_threshold:
        monthly = _rows(con, "select * from marts.adoption_monthly")
        alerts += adoption_alerts(monthly, month=month, threshold=settings.adoption.threshold)
    if rules.exception_requests_above is not None or rules.exception_requests_rising_months:
        requests = _rows(con, "select month, opened from marts.exception_requests_monthly")
        if rules.exception_requests_above is not None:
            alerts += exception_rate_alerts(requests, month=month, limit=rules.exception_requests_above)
        if rules.exception_requests_rising_months:
            alerts += exception_rising_alerts(requests, month=month, months=rules.exception_requests_rising_months)
    if rules.new_escape_hatch:
        new = _rows(con, "select service, repo, owner, reasons from marts.escape_hatch_services("
                         "start := $since, stop := $as_of) where new_in_period", {"since": since, "as_of": as_of})
        alerts += new_escape_hatch_alerts(new)
    if rules.template_stale_days is not None or rules.drift_share is not None:
        health = _rows(con, "select * from marts.template_health order by golden_path")
        if rules.template_stale_days is not None:
            alerts += template_stale_alerts(health)
        if rules.drift_share is not None:
            alerts += drift_share_alerts(health, share=rules.drift_share)
    if rules.source_failed:
        errors = _rows(con, "select * from raw.fetch_errors where refresh_id = $r order by occurred_at",
                       {"r": refresh_id})
        alerts += source_failure_alerts(errors)
    if rules.refresh_failed:
        failures = _rows(con, "select * from raw.run_failures where failed_at >= $since", {"since": since})
        alerts += refresh_failure_alerts(failures)
    return as_of, alerts


def alerts_frame(alerts: Iterable[Alert], *, raised_at: datetime,
                 first_raised: dict[str, datetime] | None = None) -> pl.DataFrame:
    """The marts.alerts rows; `first_raised` maps keys already raised to when they first were."""
    first_raised = first_raised or {}
    rows = [{
        "alert_key": a.key, "rule": a.rule, "severity": a.severity, "subject": a.subject, "repo": a.repo,
        "period": a.period, "value": a.value, "threshold": a.threshold, "message": scrub(a.message),
        "raised_at": raised_at, "first_raised_at": min(first_raised.get(a.key, raised_at), raised_at),
    } for a in alerts]
    return pl.DataFrame(rows, schema=ALERTS_SCHEMA, orient="row") if rows else pl.DataFrame(schema=ALERTS_SCHEMA)


def _previous_first_raised(con: duckdb.DuckDBPyConnection) -> dict[str, datetime]:
    exists = con.execute(
        "select 1 from information_schema.tables where table_schema = 'marts' and table_name = 'alerts'"
    ).fetchall()
    if not exists:
        return {}
    return dict(con.execute("select alert_key, first_raised_at from marts.alerts").fetchall())


def build_alerts(con: duckdb.DuckDBPyConnection, settings: Settings) -> pl.DataFrame:
    """Evaluate the rules on the built marts and (re)write marts.alerts; returns its rows.

    Run failures must already be in raw.run_failures (`failures.ingest_failures`).
    """
    as_of, alerts = evaluate(con, settings)
    frame = alerts_frame(alerts, raised_at=as_of, first_raised=_previous_first_raised(con))
    frame = frame.sort(["severity", "rule", "alert_key"])
    replace_table(con, "marts.alerts", frame)
    return frame
