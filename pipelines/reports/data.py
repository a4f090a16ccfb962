"""The numbers of a report, read from the published warehouse's marts.

Every figure is a count or a ratio over a marts table for the period [start, end) and the
period before it, so each can be checked with one query against the same warehouse
(docs/reports.md gives each query's definition). Repository strings are returned as they are;
the renderers escape them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
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

    @property
    def change(self) -> float | int | None:
        """value − previous (for ratios: the difference in percentage points ÷ 100)."""
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


@dataclass(frozen=True)
class EscapeHatchState:
    count: int | None  # None: no snapshot shows the state at the period's end (an earlier period)
    as_of: date | None  # the snapshot it was read from; None = current marts.services
    new: list[dict[str, Any]]  # service, repo, owner, reasons, created_at
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


def adoption(con: duckdb.DuckDBPyConnection, p: Period) -> dict[str, Any]:
    """Services created in the period, golden-path ones among them, and all services by its end."""
    row = _one(con, """
        select
            count(*) filter (where created_at >= $s and created_at < $e) as created,
            count(*) filter (where created_at >= $s and created_at < $e and on_golden_path) as golden,
            count(*) filter (where created_at < $e) as total,
            count(*) filter (where created_at < $e and on_golden_path) as golden_total
        from marts.services
    """, {"s": p.start, "e": p.end})
    row["adoption"] = row["golden"] / row["created"] if row["created"] else None
    row["overall"] = row["golden_total"] / row["total"] if row["total"] else None
    return row


def escape_hatch_state(con: duckdb.DuckDBPyConnection, p: Period, *, current_if_unknown: bool) -> EscapeHatchState:
    """Escape-hatch services at the period's end (with their exception requests), and those new in it.

    The state at an instant is the latest snapshot taken on a day before it (marts.service_snapshots).
    With no snapshot that old, the end state is the current marts.services: its count is given
    only if `current_if_unknown` (the report's own period, with a note), else None. A service is
    new in the period when it uses the escape hatch at the end but did not in the state at the
    start; with no snapshot before the start, when it was created in the period.
    """
    end_date = _snapshot_before(con, p.end)
    if end_date is None:
        end_rows = _rows(con, f"""
            select s.service, s.repo, s.owner, s.escape_hatch_reasons as reasons, s.created_at, {_HATCH_REQUESTS}
            from marts.services as s
            left join marts.escape_hatches as h on h.service = s.service and h.repo = s.repo
            where s.escape_hatch order by s.service, s.repo""")
    else:
        end_rows = _rows(con, f"""
            select v.service, v.repo, v.owner, v.escape_hatch_reasons as reasons, s.created_at, {_HATCH_REQUESTS}
            from marts.service_snapshots as v
            left join marts.services as s on s.service = v.service and s.repo = v.repo
            left join marts.escape_hatches as h on h.service = v.service and h.repo = v.repo
            where v.snapshot_date = $d and v.escape_hatch order by v.service, v.repo""", {"d": end_date})
    start_date = _snapshot_before(con, p.start)
    if start_date is None:
        new = [r for r in end_rows if r["created_at"] is not None and p.start <= r["created_at"] < p.end]
    else:
        before = {(r["repo"], r["service"]) for r in _rows(con, """
            select service, repo from marts.service_snapshots where snapshot_date = $d and escape_hatch""",
            {"d": start_date})}
        new = [r for r in end_rows if (r["repo"], r["service"]) not in before]
    count = len(end_rows) if end_date is not None or current_if_unknown else None
    return EscapeHatchState(count, end_date, new, end_rows)


_HATCH_REQUESTS = ("h.exception_requests, h.open_exception_requests, h.latest_request_repo, "
                   "h.latest_request_number, h.latest_request_state, h.latest_request_url")


def _snapshot_before(con: duckdb.DuckDBPyConnection, instant: datetime) -> date | None:
    return con.execute(
        "select max(snapshot_date) from marts.service_snapshots where snapshot_date < $d",
        {"d": instant.date()},
    ).fetchall()[0][0]


def exception_requests(con: duckdb.DuckDBPyConnection, p: Period) -> dict[str, Any]:
    """Requests opened and closed in the period, open at its end, and the median days to close."""
    return _one(con, """
        select
            count(*) filter (where opened_at >= $s and opened_at < $e) as opened,
            count(*) filter (where closed_at >= $s and closed_at < $e) as closed,
            count(*) filter (where opened_at < $e and (closed_at is null or closed_at >= $e)) as open_at_end,
            median(days_to_close) filter (where closed_at >= $s and closed_at < $e) as median_days_to_close
        from marts.exception_requests
    """, {"s": p.start, "e": p.end})


def friction(con: duckdb.DuckDBPyConnection, p: Period, previous: Period) -> list[dict[str, Any]]:
    """CI runs, failure rate and median duration per group (golden path, DIY, all), both periods."""
    rows = _rows(con, """
        with runs as (
            select *, case when on_golden_path then 'golden path' else 'DIY' end as grp
            from marts.ci_runs where created_at >= $ps and created_at < $e
        ),
        grouped as (
            select grp, * exclude (grp) from runs
            union all by name
            select 'all' as grp, * exclude (grp) from runs
        )
        select
            grp as "group",
            count(*) filter (where created_at >= $s) as runs,
            count(*) filter (where created_at >= $s and failed)
                / nullif(count(*) filter (where created_at >= $s and (failed or succeeded)), 0) as failure_rate,
            median(duration_s) filter (where created_at >= $s) as median_duration_s,
            count(*) filter (where created_at < $s) as previous_runs,
            count(*) filter (where created_at < $s and failed)
                / nullif(count(*) filter (where created_at < $s and (failed or succeeded)), 0) as previous_failure_rate,
            median(duration_s) filter (where created_at < $s) as previous_median_duration_s
        from grouped
        group by grp
    """, {"ps": previous.start, "s": p.start, "e": p.end})
    order = {"golden path": 0, "DIY": 1, "all": 2}
    return sorted(rows, key=lambda r: order[r["group"]])


def production_deploys(con: duckdb.DuckDBPyConnection, p: Period) -> int:
    return con.execute(
        "select count(*) from marts.deploys where production and deployed_at >= $s and deployed_at < $e",
        {"s": p.start, "e": p.end},
    ).fetchall()[0][0]


def worst_teams(con: duckdb.DuckDBPyConnection, end: datetime, *, days: int, min_services: int,
                limit: int, threshold: float) -> list[dict[str, Any]]:
    """The `limit` owners with the lowest new-service adoption below `threshold` over the `days` before `end`.

    Only owners that created at least `min_services` services then; ties go to the owner that
    created more, then by name; NULL owner = uncatalogued services.
    """
    return _rows(con, """
        select
            owner,
            count(*) as services_created,
            count(*) filter (where on_golden_path) as golden_path_created,
            count(*) filter (where on_golden_path) / count(*) as new_service_adoption
        from marts.services
        where created_at >= $ws and created_at < $e
        group by owner
        having count(*) >= $min and count(*) filter (where on_golden_path) / count(*) < $t
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
    a, a0 = adoption(con, period), adoption(con, previous)
    e = escape_hatch_state(con, period, current_if_unknown=True)
    e0 = escape_hatch_state(con, previous, current_if_unknown=False)
    x, x0 = exception_requests(con, period), exception_requests(con, previous)
    ci = friction(con, period, previous)
    no_runs = {"runs": 0, "previous_runs": 0, "failure_rate": None, "previous_failure_rate": None,
               "median_duration_s": None, "previous_median_duration_s": None}
    overall = next((r for r in ci if r["group"] == "all"), no_runs)
    summary = [
        SummaryRow("new_service_adoption", "New-service adoption", "ratio", a["adoption"], a0["adoption"]),
        SummaryRow("services_created", "Services created", "count", a["created"], a0["created"]),
        SummaryRow("golden_path_created", "… from a golden path", "count", a["golden"], a0["golden"]),
        SummaryRow("overall_adoption", "Overall adoption at the end", "ratio", a["overall"], a0["overall"]),
        SummaryRow("escape_hatch_services", "Escape-hatch services at the end", "count", e.count, e0.count),
        SummaryRow("new_escape_hatches", "New escape hatches", "count", len(e.new), len(e0.new)),
        SummaryRow("exception_requests_opened", "Exception requests opened", "count", x["opened"], x0["opened"]),
        SummaryRow("exception_requests_closed", "Exception requests closed", "count", x["closed"], x0["closed"]),
        SummaryRow("exception_requests_open_at_end", "Exception requests open at the end", "count",
                   x["open_at_end"], x0["open_at_end"]),
        SummaryRow("median_days_to_close", "Median days to close", "days",
                   x["median_days_to_close"], x0["median_days_to_close"]),
        SummaryRow("ci_runs", "CI runs", "count", overall["runs"], overall["previous_runs"]),
        SummaryRow("ci_failure_rate", "CI failure rate", "ratio", overall["failure_rate"],
                   overall["previous_failure_rate"]),
        SummaryRow("median_ci_duration_s", "Median CI duration", "seconds", overall["median_duration_s"],
                   overall["previous_median_duration_s"]),
        SummaryRow("production_deploys", "Production deploys", "count",
                   production_deploys(con, period), production_deploys(con, previous)),
    ]
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
    if e.as_of is None:
        notes.append("No snapshot was taken before the period ended: escape-hatch figures are as of the refresh.")
    return ReportData(
        period=period, previous=previous, as_of=info["as_of"], source=info["source"], threshold=threshold,
        summary=summary, escape_hatches=e, requests_opened=requests, worst_teams=teams,
        team_window=(period.end - timedelta(days=team_days), period.end),
        friction=[r for r in ci if r["runs"] or r["previous_runs"]], alerts=alerts,
        alerts_available=alerts_available, adoption_monthly=adoption_monthly,
        exceptions_monthly=exceptions_monthly, maintenance=health, uncovered_languages=uncovered, notes=notes,
    )
