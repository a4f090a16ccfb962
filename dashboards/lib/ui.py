"""Streamlit pieces every page shares: the page context, cached loading, filters and tables.

With `formatting` (how tables look), the only modules of `dashboards.lib` that import
Streamlit; the queries themselves are plain functions in the other modules.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import polars as pl
import streamlit as st

from dashboards.lib import formatting
from dashboards.lib.filters import Filters, month_start, period_from_widget
from dashboards.lib.loaders import LOADERS
from dashboards.lib.meta import Meta
from dashboards.lib.snapshot import open_snapshot
from dashboards.lib.text import md_escape

CONTEXT_KEY = "_pathlens_context"
STALE_AFTER = timedelta(days=8)
CACHE_TTL_S = 3600
_FORMULA_START = r"^[=+\-@\t\r]"


@dataclass(frozen=True)
class PageContext:
    """What app.py worked out for this rerun: which warehouse version, and the filters."""

    path: str
    version: str
    meta: Meta
    filters: Filters


def context() -> PageContext:
    """The context app.py stored for this rerun (pages run only under app.py)."""
    ctx = st.session_state.get(CONTEXT_KEY)
    if ctx is None:
        raise RuntimeError("pathlens pages run inside dashboards/app.py (streamlit run dashboards/app.py)")
    return ctx


@st.cache_data(ttl=CACHE_TTL_S, max_entries=256, show_spinner=False)
def _cached(name: str, path: str, version: str, args: tuple) -> Any:
    # Keyed by the warehouse version: a publish makes every entry unreachable at once.
    with open_snapshot(path, version) as con:
        return LOADERS[name](con, *args)


def load_meta(path: str, version: str) -> Meta:
    """Refresh metadata and filter choices of this warehouse version (cached)."""
    return _cached("meta", path, version, ())


def load(name: str, *args: Any) -> Any:
    """Run loader `name` of queries.LOADERS on this rerun's warehouse version (cached)."""
    ctx = context()
    return _cached(name, ctx.path, ctx.version, args)


# ---------------------------------------------------------------------------------------------
# Filters


def sidebar_filters(meta: Meta) -> Filters:
    """The shared filters, kept in the URL query string (`?period=…&team=…&language=…`)."""
    first, last = meta.first_month, meta.last_day
    sidebar = st.sidebar
    sidebar.header("Filters")
    picked = sidebar.date_input(
        "Period", value=(first, last), min_value=first, max_value=last, key="period",
        bind="query-params", format="YYYY-MM-DD",
        help="Time series show the months of the period; lists show services created and "
             "exception requests opened in it.",
    )
    teams = sidebar.multiselect("Teams", list(meta.teams), key="team", bind="query-params",
                                placeholder="All teams")
    languages = sidebar.multiselect("Languages", list(meta.languages), key="language",
                                    bind="query-params", placeholder="All languages")
    sidebar.button("Reset filters", on_click=_reset_filters, args=(first, last), width="stretch")
    sidebar.caption("The filters are part of the page address: copy it to share this view.")
    start, end = period_from_widget(picked, first, last)
    return Filters(
        start=start, end=end, teams=tuple(sorted(teams)), languages=tuple(sorted(languages)),
        covers_all=start <= first and end >= last,
    )


def _reset_filters(first: date, last: date) -> None:
    st.session_state["period"] = (first, last)
    st.session_state["team"] = []
    st.session_state["language"] = []


def describe_filters(f: Filters) -> str:
    """One line saying what the filters select, for captions (Markdown-escaped)."""
    parts = [f"{f.start:%b %Y} – {f.end:%b %Y}"]
    parts.append("teams: " + ", ".join(f.teams) if f.teams else "all teams")
    parts.append("languages: " + ", ".join(f.languages) if f.languages else "all languages")
    return md_escape(" · ".join(parts))


# ---------------------------------------------------------------------------------------------
# Freshness


def freshness_banner(meta: Meta, now: datetime | None = None) -> None:
    """When the data is from; a warning when the last refresh is more than 8 days old."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    as_of = f"{meta.as_of:%d %b %Y %H:%M} UTC"
    source = md_escape(meta.source)
    if meta.refreshed_at is None:
        st.warning(f"Data as of {as_of} (source: {source}); the time of the last refresh is unknown.")
        return
    age = now - meta.refreshed_at
    line = f"Data as of {as_of} · refreshed {humanize(age)} ago · source: {source}"
    if age > STALE_AFTER:
        st.warning(f"Stale data: the last refresh was {humanize(age)} ago "
                   f"({meta.refreshed_at:%d %b %Y %H:%M} UTC). {line}", icon="⚠️")
    else:
        st.caption(line)
    gaps = []
    if meta.files_not_used:
        gaps.append(f"{meta.files_not_used} repository file(s) could not be parsed (`staging.file_errors`)")
    if meta.fetch_errors:
        gaps.append(f"{meta.fetch_errors} fetch(es) failed (`raw.fetch_errors`)")
    if gaps:
        st.warning("Incomplete data: " + "; ".join(gaps) + ". The numbers leave those out.", icon="⚠️")
    if meta.stale_services:
        st.warning(f"{meta.stale_services} service(s) counted from the last version of a file that parsed, "
                   "until the file is fixed (`marts.services.stale_since`, `staging.file_errors`).", icon="⚠️")


def humanize(age: timedelta) -> str:
    """`age` as a short phrase: '5 min', '3 h', '12 days'."""
    seconds = max(age.total_seconds(), 0)
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 2 * 86400:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} days"


# ---------------------------------------------------------------------------------------------
# Tables


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """`frame` as CSV; text cells that a spreadsheet would run as a formula are quoted with '.

    Lists of plain values become comma-separated text, other nested values JSON, bytes hex
    (CSV has none of them).
    """
    exprs = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if isinstance(dtype, pl.List) and not dtype.inner.is_nested():
            col = col.cast(pl.List(pl.String)).list.join(", ")
        elif dtype.is_nested() or dtype == pl.Object:
            col = col.map_elements(lambda v: json.dumps(_plain_value(v), default=str),
                                   return_dtype=pl.String)
        elif dtype == pl.Binary:
            col = col.bin.encode("hex")
        else:
            exprs.append(_neutralise(col, dtype).alias(name))
            continue
        exprs.append(_neutralise(col, pl.String).alias(name))
    return frame.select(exprs).write_csv().encode("utf-8")


def _neutralise(col: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if dtype != pl.String:
        return col
    return pl.when(col.str.contains(_FORMULA_START)).then(pl.lit("'") + col).otherwise(col)


def _plain_value(value: Any) -> Any:
    if isinstance(value, pl.Series):
        return value.to_list()
    return value


def table(frame: pl.DataFrame, *, key: str, file_name: str, caption: str | None = None,
          column_config: dict | None = None, height: int | str = "auto", key_column: str | None = None,
          link_services: bool = True, order: list[str] | None = None, labels: bool = True,
          csv_frame: pl.DataFrame | None = None, **kwargs: Any) -> Any:
    """A sortable table with a CSV download of exactly its rows (of `csv_frame` when given: all
    the rows of which `frame` is one page); returns st.dataframe's value.

    Labels, units and formats come from `formatting` (`column_config` overrides them per
    column); `key_column` (default: the first) comes first and stays pinned when the table
    scrolls; repositories link to GitHub and, with `link_services`, service names to their
    record; `order` picks and orders the columns shown; `labels=False` keeps the frame's own
    column names (an ad hoc query's). The CSV keeps the warehouse's column names and values. Both sit in a container
    keyed `table-<key>` (the CSS class `st-key-table-<key>`).
    """
    shown = formatting.show(frame, repo_urls=load("repo_links"), key_column=key_column,
                            service_link=record_link_base() if link_services else None,
                            overrides=column_config, labels=labels)
    with st.container(key=f"table-{key}"):
        if caption:
            st.caption(caption)
        value = st.dataframe(shown.frame, hide_index=True, width="stretch", key=key, height=height,
                             column_config=shown.column_config, column_order=order or shown.column_order,
                             placeholder=formatting.MISSING, **kwargs)
        st.download_button(  # the CSV is written when the button is clicked, not on every rerun
            "Download CSV", data=functools.partial(csv_bytes, frame if csv_frame is None else csv_frame),
            file_name=file_name, mime="text/csv",
            key=f"{key}_csv", on_click="ignore", icon=":material/download:",
        )
    return value


PAGE_ROWS = 500


@dataclass(frozen=True)
class Page:
    """The rows of a long table that are sent to the browser, and what to say about them."""

    rows: pl.DataFrame  # the page's rows (every row when they fit one page)
    ordered: pl.DataFrame  # every row, in the page's order (for the CSV download)
    note: str  # "rows 1–500 of 9,766, sorted by Service" ("" when everything is shown)


def page_of(frame: pl.DataFrame, *, key: str, sort: tuple[str, bool] | None = None,
            size: int = PAGE_ROWS) -> Page:
    """One page of `size` rows of `frame`, with the controls to pick it; all rows when they fit.

    A browser table receives every row it holds, so a table of thousands of services would
    ship megabytes on every visit. Above `size` rows, "Sort by" (any column of plain values;
    `sort` = (column, descending) by default, else the frame's first column ascending) and
    "Page" pick the rows server-side: sorting covers every row, not only those shown.
    """
    if frame.height <= size:
        # the controls' place is kept, empty: the table after it stays the same element when a
        # filter takes the rows under one page (a table moved up a place is drawn anew)
        st.container(key=f"pager-{key}")
        return Page(frame, frame, "")
    sortable = [c for c, t in frame.schema.items() if not t.is_nested() and t != pl.Object]
    column, descending = sort if sort and sort[0] in sortable else (sortable[0], False)
    pages = -(-frame.height // size)
    if st.session_state.get(f"{key}_page", 1) > pages:  # the filters left fewer pages
        st.session_state[f"{key}_page"] = pages
    with st.container(horizontal=True, vertical_alignment="bottom", key=f"pager-{key}"):
        by = st.selectbox("Sort by", sortable, index=sortable.index(column), key=f"{key}_sort",
                          format_func=formatting.label, width=260)
        way = st.segmented_control("Order", ["ascending", "descending"], key=f"{key}_order",
                                   default="descending" if descending else "ascending", required=True,
                                   label_visibility="collapsed")
        number = st.number_input(f"Page (of {pages:,})", min_value=1, max_value=pages, value=1, step=1,
                                 key=f"{key}_page", width=160)
    ordered = frame.sort(by, descending=way == "descending", nulls_last=True, maintain_order=True)
    first = (int(number) - 1) * size
    rows = ordered.slice(first, size)
    note = (f"rows {first + 1:,}–{first + rows.height:,} of {frame.height:,}, sorted by "
            f"{formatting.label(by)}{' (descending)' if way == 'descending' else ''}; sorting a column "
            f"header sorts this page only · the CSV holds all {frame.height:,}")
    return Page(rows, ordered, note)


FILTER_PARAMS = ("period", "team", "language")


def record_link_base() -> str:
    """The Services page's address with this page's filters (service links add `service=`)."""
    params = [(k, v) for k in FILTER_PARAMS for v in st.query_params.get_all(k)]
    return "services" + (f"?{urlencode(params)}" if params else "")


CHART_CONFIG = {"displaylogo": False}


def chart(fig: Any, *, key: str, on_pick: Callable[[list[Any]], None] | None = None) -> None:
    """A Plotly figure at full width, in its own style (the report's, not Streamlit's theme).

    With `on_pick`, clicking a bar (or a point) calls it, before the page reruns, with the
    last `customdata` element of each point picked: the chart builders put the raw value
    (a team, a language, a template) there.
    """
    if on_pick is None:
        st.plotly_chart(fig, width="stretch", key=key, config=CHART_CONFIG, theme=None)
        return

    def picked() -> None:
        state = st.session_state.get(key)
        points = state.selection.points if state is not None else []
        on_pick([p["customdata"][-1] if isinstance(p.get("customdata"), list) else p.get("customdata")
                 for p in points if "customdata" in p])

    st.plotly_chart(fig, width="stretch", key=key, config=CHART_CONFIG, theme=None,
                    on_select=picked, selection_mode="points")


def filter_to(param: str, options: tuple[str, ...], missing: str) -> Callable[[list[Any]], None]:
    """An `on_pick` that narrows the sidebar filter `param` (team, language) to what was
    clicked (None stands for `missing`, e.g. '(no team)'); the URL follows."""
    def apply(values: list[Any]) -> None:
        chosen = sorted({missing if v is None else str(v) for v in values} & set(options))
        if chosen:
            st.session_state[param] = chosen
    return apply


def months_shown(f: Filters) -> tuple[date, date]:
    """The first and last month of the period: the time range every monthly chart of a page shares."""
    return month_start(f.start), month_start(f.end)


def month_in_progress(meta: Meta) -> date:
    """The month of the refresh, not over yet (charts mark it)."""
    return month_start(meta.last_day)
