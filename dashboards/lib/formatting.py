"""How every table of the dashboard looks: one label, unit and format per column name.

Every page's table goes through `ui.table`, which asks this module for the frame's column
configuration: a human label, the unit in the label or the format, percentages with one
decimal, durations in s/min/h, dates as dates, months as months, counts with thousands
separators, repositories and issues as links, and the first column (the thing each row is)
pinned so it stays in view when a wide table scrolls. Missing values show as `MISSING`.

The labels are keyed by the marts' column names, so a column means the same everywhere it
appears. Nothing here computes a figure: the display frame only changes how values are shown
(seconds become a duration, a repo name becomes its web address); the CSV download keeps the
values as the warehouse has them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import polars as pl
import streamlit as st

from dashboards.lib.text import web_url

MISSING = "—"

# kinds of column, and how each is shown
TEXT, NAME, COUNT, PERCENT, SECONDS, DAYS, NUMBER, RATIO, P_VALUE = (
    "text", "name", "count", "percent", "seconds", "days", "number", "ratio", "p_value")
DATE, MONTH, DATETIME, BOOL, LIST, REPO, LINK, SHA, SERVICE = (
    "date", "month", "datetime", "bool", "list", "repo", "link", "sha", "service")
POINTS, SIGNED = "points", "signed"  # a change of a ratio (shown in percentage points), of a count


@dataclass(frozen=True)
class Column:
    """How one column is shown: its label, kind (one of the constants above) and tooltip."""

    label: str
    kind: str = TEXT
    help: str | None = None


def _c(label: str, kind: str = TEXT, help: str | None = None) -> Column:
    return Column(label, kind, help)


COLUMNS: dict[str, Column] = {
    # things a row can be about
    "service": _c("Service", SERVICE),
    "repo": _c("Repository", REPO, "Opens the repository on GitHub"),
    "team": _c("Team", NAME, "The owning team (the catalog owner in short form); (no team) when uncatalogued"),
    "owner": _c("Team", NAME, "The catalog owner in short form"),
    "language": _c("Language", NAME),
    "golden_path": _c("Golden path", NAME, "The configured golden path (template) it was created from"),
    "workflow": _c("Platform workflow", NAME),
    "metric": _c("Metric", NAME),
    "field": _c("Field", NAME),
    "value": _c("Value"),
    "title": _c("Request", NAME),
    "html_url": _c("Issue", LINK, "Opens the exception request on GitHub"),
    "number": _c("Issue #", TEXT),
    "state": _c("State"),
    "labels": _c("Labels", LIST),
    "lifecycle": _c("Lifecycle"),
    "source": _c("Source"),
    "cluster": _c("Cluster"),
    "namespace": _c("Namespace"),
    "environment": _c("Environment"),
    "status": _c("Status"),
    "revision": _c("Revision"),
    "ref": _c("Ref"),
    "template_source": _c("Template source"),
    "template_commit": _c("Template commit", SHA),
    "resolved_sha": _c("Resolved commit", SHA),
    "head_sha": _c("Head commit", SHA),
    "unresolved_reason": _c("Why unresolved"),
    "spec_path": _c("Service spec file"),
    "repo_list": _c("Repositories", LIST),
    "golden_paths": _c("Golden paths", LIST),
    "strata": _c("Strata (language × team)", COUNT),
    "unit": _c("n counts", TEXT, "What a side's n counts"),
    # times
    "month": _c("Month", MONTH),
    "cohort_month": _c("Created in", MONTH),
    "created_at": _c("Created", DATE),
    "opened_at": _c("Opened", DATE),
    "closed_at": _c("Closed", DATE),
    "since": _c("Escape hatch since", DATE, "When the escape hatch first appears in the service's git history"),
    "valid_from": _c("From", DATE),
    "valid_to": _c("Until", DATE, "Empty: the current state"),
    "head_at": _c("Last template change", DATE),
    "first_production_deploy_at": _c("First production deploy", DATE),
    "deployed_at": _c("Deployed", DATETIME),
    "period_end": _c("Measured at", DATETIME, "The instant the month's figures at its end are for"),
    # flags
    "on_golden_path": _c("On a golden path", BOOL),
    "catalogued": _c("In the catalog", BOOL),
    "has_service_spec": _c("Has a service spec", BOOL),
    "uses_platform_ci": _c("Uses platform CI", BOOL),
    "new_in_period": _c("New in the period", BOOL, "Took the escape hatch during the period"),
    "partial": _c("Partial", BOOL, "The refresh's month: its figures are as of the refresh"),
    "escape_hatch": _c("Escape hatch", BOOL),
    "below_threshold": _c("Below threshold", BOOL),
    "stale": _c("Stale", BOOL, "Unchanged for longer than alerts.template_stale_days while services use it"),
    "covered": _c("Has a golden path", BOOL),
    "significant": _c("Significant", BOOL, "A test at the 5% level rejects 'no difference'"),
    "stratified_significant": _c("Significant (like for like)", BOOL),
    "production": _c("Production", BOOL),
    "declared": _c("Declared reason"),
    # lists
    "reasons": _c("Reasons", LIST, "gpu, sidecar, declared:<the team's reason>, or other"),
    "escape_hatch_reasons": _c("Escape-hatch reasons", LIST),
    # counts
    "services": _c("Services", COUNT),
    "services_created": _c("Services created", COUNT),
    "golden_path_created": _c("From a golden path", COUNT, "Services created from a golden path"),
    "services_total": _c("Services at month end", COUNT),
    "golden_path_total": _c("On a golden path at month end", COUNT),
    "golden_path_services": _c("Golden-path services", COUNT),
    "services_current": _c("Up to date", COUNT, "Services whose template commit is the template's head"),
    "services_unresolved": _c("Not resolved", COUNT),
    "services_far_behind": _c("Far behind", COUNT),
    "services_created_90d": _c("Created (90 days)", COUNT),
    "spec_services": _c("Services with a spec", COUNT),
    "escape_hatch_services": _c("Escape-hatch services", COUNT),
    "exception_requests": _c("Exception requests", COUNT),
    "open_exception_requests": _c("Open requests", COUNT, "Exception requests naming it still open"),
    "request_state": _c("Latest request", TEXT,
                        "State of the newest exception request naming it; none: no request names it"),
    "request_url": _c("Request", LINK, "Opens that exception request on GitHub"),
    "opened": _c("Opened", COUNT),
    "opened_change": _c("Opened, change", SIGNED, "Opened minus the month before's"),
    "closed": _c("Closed", COUNT),
    "open": _c("Open", COUNT),
    "open_at_month_end": _c("Open at month end", COUNT),
    "runs": _c("CI runs", COUNT),
    "failed": _c("Failed runs", COUNT),
    "repos": _c("Repositories", COUNT),
    "requests": _c("Requests", COUNT),
    "still_on_golden_path": _c("Still on a golden path", COUNT),
    "commits_behind": _c("Commits behind", COUNT, "Commits on the template's default branch the service's template commit lacks"),
    "median_commits_behind": _c("Median commits behind", NUMBER),
    "p90_commits_behind": _c("90th pct commits behind", NUMBER),
    "far_behind_commits": _c("Far behind after (commits)", COUNT),
    "golden_path_n": _c("Golden path n", COUNT, "Services behind the golden-path figure"),
    "diy_n": _c("DIY n", COUNT, "Services behind the DIY figure"),
    "stratified_golden_path_n": _c("Golden path n (like for like)", COUNT),
    "stratified_diy_n": _c("DIY n (like for like)", COUNT),
    "min_n": _c("Minimum n", COUNT),
    "days_after": _c("Days after creation", COUNT),
    "stale_after_days": _c("Stale after (days)", COUNT),
    # rates
    "new_service_adoption": _c("New-service adoption", PERCENT,
                               "Golden-path services created ÷ services created"),
    "new_service_adoption_change": _c("Adoption change", POINTS,
                                      "New-service adoption minus the month before's, in percentage points"),
    "overall_adoption": _c("Overall adoption", PERCENT,
                           "Golden-path services ÷ services, at the end of the month"),
    "adoption_90d": _c("Adoption (90 days)", PERCENT),
    "threshold": _c("Threshold", PERCENT),
    "escape_hatch_rate": _c("Escape-hatch rate", PERCENT),
    "failure_rate": _c("CI failure rate", PERCENT, "Failed ÷ (failed + succeeded) runs"),
    "rerun_rate": _c("Re-run rate", PERCENT, "Runs with run_attempt > 1 ÷ runs"),
    "share": _c("Share still on", PERCENT),
    "share_far_behind": _c("Share far behind", PERCENT),
    "share_of_new_90d": _c("Share of new services (90 days)", PERCENT),
    # durations
    "median_duration_s": _c("Median CI duration", SECONDS),
    "p90_duration_s": _c("90th pct CI duration", SECONDS),
    "median_queue_s": _c("Median queue time", SECONDS),
    "queue_s": _c("Queue time", SECONDS),
    "duration_s": _c("Duration", SECONDS),
    "days": _c("Days to first deploy", DAYS),
    "days_to_close": _c("Days to close", DAYS),
    "median_days_to_close": _c("Median days to close", DAYS),
    "days_behind": _c("Days behind", DAYS),
    "days_since_change": _c("Days since change", DAYS),
    "age_days": _c("Age (days)", DAYS),
    # comparisons
    "diy": _c("DIY"),
    "golden_path_low": _c("Golden path, 95% low"),
    "golden_path_high": _c("Golden path, 95% high"),
    "diy_low": _c("DIY, 95% low"),
    "diy_high": _c("DIY, 95% high"),
    "ratio": _c("Golden path ÷ DIY", RATIO),
    "ratio_low": _c("Ratio, 95% low", RATIO),
    "ratio_high": _c("Ratio, 95% high", RATIO),
    "stratified_ratio": _c("Ratio (like for like)", RATIO),
    "stratified_ratio_low": _c("Like for like, 95% low", RATIO),
    "stratified_ratio_high": _c("Like for like, 95% high", RATIO),
    "golden_path_design_effect": _c("Golden path design effect", NUMBER),
    "diy_design_effect": _c("DIY design effect", NUMBER),
    "p_value": _c("p-value", P_VALUE),
    "stratified_p_value": _c("p-value (like for like)", P_VALUE),
}

# the comparison marts' `metric` values, as a lead reads them
METRICS = {
    "ci_failure_rate": "CI failure rate",
    "median_ci_duration_s": "Median CI run duration",
    "deploys_per_service_week": "Production deploys per service-week",
    "median_days_to_first_deploy": "Median days to first production deploy",
}

# the unit of each comparison metric's values
METRIC_UNITS = {
    "ci_failure_rate": "ratio",
    "median_ci_duration_s": "seconds",
    "deploys_per_service_week": "per_service_week",
    "median_days_to_first_deploy": "days",
}

# the comparison marts' value columns: their unit depends on the row's `metric`
_COMPARISON_VALUES = ("golden_path", "diy", "golden_path_low", "golden_path_high", "diy_low", "diy_high")
_UNIT_FORMATS = {"ratio": "{:.1%}", "days": "{:,.1f} days", "per_service_week": "{:,.2f} / service-week"}


def label(name: str) -> str:
    """The human label of column `name` (a known one, else its words: `p90_x_s` → 'P90 x (s)')."""
    known = COLUMNS.get(name)
    if known is not None:
        return known.label
    words = re.sub(r"_s$", " (s)", name).replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def column(name: str) -> Column:
    """How column `name` is shown (TEXT with a derived label when it is not registered)."""
    return COLUMNS.get(name) or Column(label(name))


def plural(n: int | None, one: str, many: str | None = None) -> str:
    """'1 service', '2 services', '1,234 services' (`many` for irregular plurals)."""
    if n is None:
        return f"{MISSING} {many or one + 's'}"
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def percent(value: float | None, digits: int = 1) -> str:
    """A ratio as a percentage with `digits` decimals, MISSING when unknown."""
    return MISSING if value is None else f"{value:.{digits}%}"


def points(change: float | None, digits: int = 1) -> str:
    """A change between two ratios in percentage points, signed, with `digits` decimals:
    '+2.5 pp', '-10.0 pp'; MISSING when unknown."""
    return MISSING if change is None else f"{change * 100:+.{digits}f} pp"


def no_change(change: float | None, digits: int = 1) -> bool:
    """Whether `points(change, digits)` reads as no change ('+0.0 pp' or '-0.0 pp')."""
    return change is not None and round(change * 100, digits) == 0


def duration(seconds: float | None) -> str:
    """Seconds written in the unit that reads best: '45 s', '12.5 min', '2.1 h'."""
    if seconds is None:
        return MISSING
    if abs(seconds) < 120:
        return f"{seconds:.0f} s"
    if abs(seconds) < 2 * 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def days(value: float | None) -> str:
    """Days with one decimal, MISSING when unknown."""
    return MISSING if value is None else f"{value:,.1f} days"


def in_unit(value: Any, unit: str | None) -> str:
    """A figure written in its unit (one of METRIC_UNITS' values)."""
    if value is None:
        return MISSING
    if unit == "seconds":
        return duration(value)
    template = _UNIT_FORMATS.get(unit or "")
    return template.format(value) if template else f"{value:,.3g}"


# ---------------------------------------------------------------------------------------------
# The table as shown


@dataclass(frozen=True)
class Shown:
    """A frame ready for st.dataframe: the display values and each column's configuration."""

    frame: pl.DataFrame
    column_config: dict[str, Any]
    column_order: list[str]


def show(frame: pl.DataFrame, *, repo_urls: dict[str, str] | None = None, key_column: str | None = None,
         service_link: str | None = None, overrides: dict[str, Any] | None = None,
         labels: bool = True) -> Shown:
    """The display version of `frame` and its column configuration.

    - `key_column` (default: the first column) comes first and is pinned.
    - `repo` becomes a link to the repository's web page when `repo_urls` knows it.
    - `service` becomes a link to the service's record on the Services page when
      `service_link` is given (the page's address with the current filters) and the frame has
      `repo` (a service is its name and repo).
    - columns of seconds become durations; a comparison table's values are written in the
      unit of their row.
    - `overrides` replace the configuration of the columns they name.
    - `labels=False` keeps the column names as they are (an ad hoc query's own names) and
      formats by type only.
    """
    exprs: list[pl.Expr] = []
    config: dict[str, Any] = {}
    columns = frame.columns
    key = key_column if key_column in columns else (columns[0] if columns else None)
    for name in columns:
        spec = column(name) if labels else Column(name)
        col = pl.col(name)
        dtype = frame.schema[name]
        pinned = name == key
        if labels and name in _COMPARISON_VALUES and "metric" in columns and dtype.is_numeric():
            exprs.append(pl.struct(name, "metric").map_elements(
                lambda r, n=name: in_unit(r[n], METRIC_UNITS.get(r["metric"])),
                return_dtype=pl.String).alias(name))
            config[name] = st.column_config.TextColumn(label(name), pinned=pinned,
                                                       help=spec.help, alignment="right")
            continue
        if name == "metric" and labels and dtype == pl.String:
            exprs.append(col.replace(METRICS).alias(name))
            config[name] = st.column_config.TextColumn(spec.label, pinned=pinned, help=spec.help)
            continue
        if spec.kind == REPO and dtype == pl.String and _all_known(frame[name], repo_urls):
            exprs.append(col.replace_strict(repo_urls, default=None, return_dtype=pl.String).alias(name))
            config[name] = st.column_config.LinkColumn(
                spec.label, pinned=pinned, help=spec.help, display_text=r"^(?:https?://[^/]+/)?(.*)$")
            continue
        if spec.kind == SERVICE and service_link and "repo" in columns and dtype == pl.String:
            exprs.append(pl.struct(name, "repo").map_elements(
                lambda r, n=name: _record_link(service_link, r[n], r["repo"]),
                return_dtype=pl.String).alias(name))
            config[name] = st.column_config.LinkColumn(
                spec.label, pinned=pinned, help="Opens the service's record", display_text=r"#record=(.*)$")
            continue
        if spec.kind == SECONDS and dtype.is_numeric():
            exprs.append(pl.duration(seconds=col.round(0)).alias(name))
            config[name] = st.column_config.NumberColumn(spec.label, pinned=pinned, help=spec.help,
                                                         format="localized")
            continue
        if spec.kind == POINTS and dtype.is_numeric():  # shown as points; the CSV keeps the ratio
            exprs.append((col * 100).alias(name))
            config[name] = st.column_config.NumberColumn(spec.label, pinned=pinned, help=spec.help,
                                                         format="%+.1f pp")
            continue
        if spec.kind == LINK and dtype == pl.String:
            exprs.append(col.map_elements(web_url, return_dtype=pl.String).alias(name))
            config[name] = st.column_config.LinkColumn(spec.label, pinned=pinned, help=spec.help,
                                                       display_text=r"^https?://[^/]+/(.*)$")
            continue
        if isinstance(dtype, pl.List) and not dtype.inner.is_nested():
            exprs.append(col.cast(pl.List(pl.String)).alias(name))
            config[name] = st.column_config.ListColumn(spec.label, pinned=pinned, help=spec.help, width="large")
            continue
        exprs.append(col)
        config[name] = _config(spec, dtype, pinned)
    if overrides:
        config.update(overrides)
    order = ([key] if key else []) + [c for c in columns if c != key]
    return Shown(frame.select(exprs) if exprs else frame, config, order)


def _all_known(repos: pl.Series, urls: dict[str, str] | None) -> bool:
    """Whether every repo of the column has a web address (else the column stays plain text)."""
    return urls is not None and all(r in urls for r in repos.drop_nulls().unique())


def _record_link(base: str, service: str | None, repo: str | None) -> str | None:
    """The Services page address that opens (service, repo)'s record; its name after '#record='."""
    if service is None or repo is None:
        return None
    picked = quote(f"{service} · {repo}", safe="")
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}service={picked}#record={service}"


def _config(spec: Column, dtype: pl.DataType, pinned: bool) -> Any:
    cc = st.column_config
    kind = spec.kind
    common = {"pinned": pinned, "help": spec.help}
    if kind == PERCENT:
        # step 0.001 makes Streamlit's percent format keep exactly one decimal
        return cc.NumberColumn(spec.label, format="percent", step=0.001, **common)
    if kind == SIGNED:
        return cc.NumberColumn(spec.label, format="%+d", **common)
    if kind == COUNT or (kind == TEXT and dtype.is_integer()):
        return cc.NumberColumn(spec.label, format="%,d", **common)
    if kind == DAYS:
        return cc.NumberColumn(spec.label, format="%,.1f", **common)
    if kind == RATIO:
        return cc.NumberColumn(spec.label, format="%.2f×", **common)
    if kind == P_VALUE:
        return cc.NumberColumn(spec.label, format="%.3f", **common)
    if kind == NUMBER or dtype.is_float():
        return cc.NumberColumn(spec.label, format="%,.1f", **common)
    if kind == MONTH or (dtype == pl.Date and kind == TEXT):
        return cc.DateColumn(spec.label, format="MMM YYYY", **common)
    if kind in (DATE, DATETIME):
        fmt = "D MMM YYYY, HH:mm" if kind == DATETIME else "D MMM YYYY"
        if dtype == pl.Date:
            return cc.DateColumn(spec.label, format=fmt, **common)
        return cc.DatetimeColumn(spec.label, format=fmt, **common)
    if kind == BOOL or dtype == pl.Boolean:
        return cc.CheckboxColumn(spec.label, **common)
    if kind == SHA:
        return cc.TextColumn(spec.label, width="small", **common)
    return cc.TextColumn(spec.label, **common)
