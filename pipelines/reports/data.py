"""The numbers of a report, read from the published warehouse's marts and metric macros.

Every figure is selected from a metric macro stored in the warehouse (sql/marts/*.sql), called
for the period [start, end) and the period before it — the same definitions the dashboard and
an analyst use (`select * from marts.adoption_period(start := ..., stop := ...)`); nothing is
counted or divided here. Figures "at the end" are at the period's last instant, each service in
its state then (service history). Repository strings are returned as they are; the renderers
escape them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import duckdb
import polars as pl

from pipelines.config import Settings
from pipelines.reports.period import Period
from pipelines.scrub import scrub

CHART_MONTHS = 12


@dataclass(frozen=True)
class SummaryRow:
    metric: str  # stable name (the CSV's `metric` column)
    label: str  # what the reader sees
    unit: str  # ratio | count | days | seconds
    value: float | int | None
    previous: float | int | None
    change: float | int | None  # value − previous, from SQL (ratios: a difference of ratios)


@dataclass(frozen=True)
class EscapeHatchState:
    count: int  # services using the escape hatch at the period's end (in their state then)
    measured_at: datetime  # that instant (at most the refresh's as_of)
    new: list[dict[str, Any]]  # service, repo, owner, reasons, created_at: took it in the period
    new_count: int  # len(new), counted in SQL (marts.escape_hatch_period)
    # every escape-hatch service at the end (as `new`, plus its exception requests as of the
    # refresh from marts.escape_hatches: exception_requests, latest_request_* — NULL when the
    # service no longer uses the escape hatch)
    services: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class ReportData:
    period: Period
    previous: Period
    as_of: datetime  # the warehouse's refresh "now"
    source: str
    threshold: float
    summary: list[SummaryRow]
    escape_hatches: EscapeHatchState
    requests_opened: list[dict[str, Any]]  # exception requests opened in the period
    worst_teams: list[dict[str, Any]]  # owner, services_created, golden_path_created, new_service_adoption
    team_window: tuple[datetime, datetime]
    friction: list[dict[str, Any]]  # per group: runs, failure_rate, median_duration_s, and previous_*
    alerts: list[dict[str, Any]]  # marts.alerts rows
    alerts_available: bool  # False when the warehouse has no marts.alerts
    adoption_monthly: pl.DataFrame  # the last months of marts.adoption_monthly up to the period
    exceptions_monthly: pl.DataFrame  # likewise for marts.exception_requests_monthly
    # marts.template_health rows (as of the refresh) and the languages no golden path covers
    maintenance: list[dict[str, Any]] = field(default_factory=list)
    uncovered_languages: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def row(self, metric: str) -> SummaryRow:
        return next(r for r in self.summary if r.metric == metric)

    @property
    def below_threshold(self) -> bool | None:
        adoption = self.row("new_service_adoption").value
        return None if adoption is None else adoption < self.threshold


def _one(con: duckdb.DuckDBPyConnection, query: str, params: dict[str, Any]) -> dict[str, Any]:
    rows = con.sql(query, params=params).pl().to_dicts()
    return rows[0]


def _rows(con: duckdb.DuckDBPyConnection, query: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return con.sql(query, params=params or {}).pl().to_dicts()


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return bool(con.execute(
        "select 1 from information_schema.tables where table_schema = $s and table_name = $n",
        {"s": schema, "n": name},
    ).fetchall())


def refresh_info(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """marts.refresh_info's one row (as_of, source, ...)."""
    rows = _rows(con, "select * from marts.refresh_info")
    if not rows:
        raise ValueError("marts.refresh_info is empty: the warehouse has not been refreshed")
    return rows[0]


def escape_hatch_state(con: duckdb.DuckDBPyConnection, p: Period) -> EscapeHatchState:
    """Escape-hatch services at the period's end (each in its state then, from service history,
    with their exception requests as of the refresh) and those that took the escape hatch during
    it (marts.escape_hatch_services / _period)."""
    args = {"s": p.start, "e": p.end}
    summary = _one(con, "select escape_hatch_services, measured_at, new_escape_hatches "
                        "from marts.escape_hatch_period(start := $s, stop := $e)", args)
    services = _rows(con, """
        select e.service, e.repo, e.owner, e.reasons, e.created_at, e.new_in_period,
               h.exception_requests, h.open_exception_requests, h.latest_request_repo,
               h.latest_request_number, h.latest_request_state, h.latest_request_url
        from marts.escape_hatch_services(start := $s, stop := $e) as e
        left join marts.escape_hatches as h on h.service = e.service and h.repo = e.repo
        order by e.service, e.repo""", args)
    new = [r for r in services if r["new_in_period"]]
    return EscapeHatchState(summary["escape_hatch_services"], summary["measured_at"], new,
                            summary["new_escape_hatches"], services)


def friction(con: duckdb.DuckDBPyConnection, p: Period, previous: Period) -> list[dict[str, Any]]:
    """CI runs, failure rate and median duration per group (golden path, DIY, all), both periods
    and their changes (marts.ci_summary_change)."""
    return _rows(con, "select * from marts.ci_summary_change(start := $s, stop := $e, previous_start := $ps)",
                 {"ps": previous.start, "s": p.start, "e": p.end})


# metric (the CSV's and marts.period_summary's name), label, unit: the summary's rows in order;
# the CI rows come from marts.ci_summary_change's `all` group
SUMMARY = [
    ("new_service_adoption", "New-service adoption", "ratio"),
    ("services_created", "Services created", "count"),
    ("golden_path_created", "… from a golden path", "count"),
    ("overall_adoption", "Overall adoption at the end", "ratio"),
    ("escape_hatch_services", "Escape-hatch services at the end", "count"),
    ("new_escape_hatches", "New escape hatches", "count"),
    ("exception_requests_opened", "Exception requests opened", "count"),
    ("exception_requests_closed", "Exception requests closed", "count"),
    ("exception_requests_open_at_end", "Exception requests open at the end", "count"),
    ("median_days_to_close", "Median days to close", "days"),
    ("ci_runs", "CI runs", "count"),
    ("ci_failure_rate", "CI failure rate", "ratio"),
    ("median_ci_duration_s", "Median CI duration", "seconds"),
    ("production_deploys", "Production deploys", "count"),
]
CI_COLUMNS = {"ci_runs": "runs", "ci_failure_rate": "failure_rate", "median_ci_duration_s": "median_duration_s"}


def summary(con: duckdb.DuckDBPyConnection, p: Period, previous: Period,
            ci_all: dict[str, Any]) -> list[SummaryRow]:
    """The summary rows: each figure this period, the period before and the change, selected
    from marts.period_summary (the CI rows from `ci_all`, marts.ci_summary_change's `all` row)."""
    row = _one(con, "select * from marts.period_summary(start := $s, stop := $e, previous_start := $ps)",
               {"ps": previous.start, "s": p.start, "e": p.end})
    rows = []
    for metric, label, unit in SUMMARY:
        source, name = (ci_all, CI_COLUMNS[metric]) if metric in CI_COLUMNS else (row, metric)
        rows.append(SummaryRow(metric, label, unit, source[name], source[f"previous_{name}"],
                               source[f"{name}_change"]))
    return rows


def worst_teams(con: duckdb.DuckDBPyConnection, end: datetime, *, days: int, min_services: int,
                limit: int, threshold: float) -> list[dict[str, Any]]:
    """The `limit` owners with the lowest new-service adoption below `threshold` over the `days` before `end`
    (marts.adoption_period per owner, each service's owner at its creation).

    Only owners that created at least `min_services` services then; ties go to the owner that
    created more, then by name; NULL owner = uncatalogued services.
    """
    return _rows(con, """
        select group_value as owner, services_created, golden_path_created, new_service_adoption
        from marts.adoption_period(dimension := 'owner', start := $ws, stop := $e)
        where services_created >= $min and new_service_adoption < $t
        order by new_service_adoption, services_created desc, owner nulls last
        limit $n
    """, {"ws": end - timedelta(days=days), "e": end, "min": min_services, "n": limit, "t": threshold})


def maintenance(con: duckdb.DuckDBPyConnection) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """marts.template_health, and marts.language_coverage's uncovered languages with services
    (both as of the refresh: drift has no history); empty when the warehouse predates them."""
    if not (_has_table(con, "marts", "template_health") and _has_table(con, "marts", "language_coverage")):
        return [], []
    health = _rows(con, """
        select golden_path, head_at, days_since_change, stale, services, services_current,
               median_commits_behind, p90_commits_behind, services_unresolved, services_far_behind,
               share_far_behind, far_behind_commits
        from marts.template_health""")
    languages = _rows(con, """
        select language, services, services_created_90d, share_of_new_90d
        from marts.language_coverage where not covered and services > 0
        order by services_created_90d desc, services desc, language""")
    return health, languages


def build_report_data(con: duckdb.DuckDBPyConnection, period: Period, settings: Settings) -> ReportData:
    """Everything a report shows for `period`, from an open (read-only) warehouse connection."""
    info = refresh_info(con)
    previous = period.previous()
    threshold = float(settings.adoption.threshold)
    e = escape_hatch_state(con, period)
    ci = friction(con, period, previous)
    summary_rows = summary(con, period, previous, next(r for r in ci if r["group"] == "all"))
    requests = _rows(con, """
        select repo, number, title, team, state, opened_at, closed_at, days_to_close
        from marts.exception_requests where opened_at >= $s and opened_at < $e
        order by opened_at, repo, number""", {"s": period.start, "e": period.end})
    team_days = settings.reports.team_window_days
    teams = worst_teams(con, period.end, days=team_days, min_services=settings.reports.team_min_services,
                        limit=settings.reports.worst_teams, threshold=threshold)
    alerts_available = _has_table(con, "marts", "alerts")
    alerts = _rows(con, "select * from marts.alerts order by severity, rule, alert_key") if alerts_available else []
    alerts = [{**a, "message": scrub(a["message"] or "")} for a in alerts]  # written scrubbed; kept so
    adoption_monthly = con.sql("select * from marts.adoption_monthly where month < $e order by month",
                               params={"e": period.end}).pl().tail(CHART_MONTHS)
    exceptions_monthly = con.sql("select * from marts.exception_requests_monthly where month < $e order by month",
                                 params={"e": period.end}).pl().tail(CHART_MONTHS)
    health, uncovered = maintenance(con)
    notes = []
    if info["as_of"] < period.end:
        notes.append(f"The data was refreshed at {info['as_of']:%Y-%m-%d %H:%M} UTC, before this period ended.")
    return ReportData(
        period=period, previous=previous, as_of=info["as_of"], source=info["source"], threshold=threshold,
        summary=summary_rows, escape_hatches=e, requests_opened=requests, worst_teams=teams,
        team_window=(period.end - timedelta(days=team_days), period.end),
        friction=[r for r in ci if r["runs"] or r["previous_runs"]], alerts=alerts,
        alerts_available=alerts_available, adoption_monthly=adoption_monthly,
        exceptions_monthly=exceptions_monthly, maintenance=health, uncovered_languages=uncovered, notes=notes,
    )
