"""Exception requests: how many, how fast they close, which teams ask; each links to its issue."""

from __future__ import annotations

import streamlit as st

from dashboards.lib import ui
from dashboards.lib.figures import charts  # pipelines.charts, each figure cached
from dashboards.lib.filters import NO_TEAM, instant_label
from dashboards.lib.formatting import MISSING
from dashboards.lib.text import md_escape

ctx = ui.context()
f = ctx.filters
data = ui.load("exceptions", f)
requests = data.requests

st.title("Exception requests")
st.caption(ui.describe_filters(f) + " · the language filter does not apply to requests")

summary = data.summary
end = instant_label(summary["period_end"])
median_days = summary["median_days_to_close"]
cols = st.columns(4)
cols[0].metric("Opened in the period", summary["opened"], border=True)
cols[1].metric(f"Open at {end}", summary["open_at_end"], border=True,
               help="Requests opened before the period's end and not closed by then")
cols[2].metric("Median days to close", MISSING if median_days is None else f"{median_days:.1f}",
               help="Over the requests closed in the period", border=True)
cols[3].metric("Open backlog now", data.open_now, border=True,
               help="Every selected request not closed at the refresh, whenever it was opened")

if not data.unknown_teams.is_empty():
    st.warning(
        "Data quality: exception labels name teams that own no service — fix the label or map "
        "the spelling to an owner in `teams.aliases`: "
        + "; ".join(f"{md_escape(r['team'])} ({md_escape(r['labels'])}, {r['requests']} request(s))"
                    for r in data.unknown_teams.iter_rows(named=True)),
        icon=":material/warning:",
    )

span = {"x_range": ui.months_shown(f), "partial_month": ui.month_in_progress(ctx.meta)}
ui.chart(charts.exception_requests_monthly(data.monthly, **span), key="monthly")
left, right = st.columns(2)
with left:
    ui.chart(charts.days_to_close(data.monthly, **span), key="days")
with right:
    ui.chart(charts.requests_by_team(data.by_team), key="teams",
             on_pick=ui.filter_to("team", ctx.meta.teams, NO_TEAM))
    st.caption("Click a team's bar to filter every page to it.")

st.subheader("Requests opened in the period")
if requests.is_empty():
    st.info("No exception request was opened in the period.")
else:
    ui.table(
        requests, key="requests_table", file_name="exception_requests.csv", key_column="title",
        link_services=False,  # `repo` is the request's repository, not the service's
        order=[c for c in ("title", "html_url", "team", "state", "opened_at", "closed_at",
                           "days_to_close", "labels", "service") if c in requests.columns],
    )

# `repo` here is the request's repository, not the service's: no links to service records
_UNLINKED_ORDER = ("title", "html_url", "service", "team", "state", "opened_at", "closed_at", "number", "repo")

st.subheader("Requests that led to no escape hatch")
st.caption("Of the requests opened in the period: those that name no known service (no `service:` "
           "or `repo:` label matching one, and no single service named in the title), and those "
           "whose service does not use the escape hatch now — denied, withdrawn, or solved another "
           "way.")
st.markdown(f"**About no known service** ({data.no_service.height})")
if data.no_service.is_empty():
    st.info("Every request opened in the period names a known service.")
else:
    ui.table(data.no_service, key="no_service_table", file_name="requests_without_service.csv",
             key_column="title", link_services=False,
             order=[c for c in _UNLINKED_ORDER if c in data.no_service.columns])
st.markdown(f"**About a service without an escape hatch** ({data.no_escape_hatch.height})")
if data.no_escape_hatch.is_empty():
    st.info("Every request opened in the period that names a service is about an escape hatch.")
else:
    ui.table(data.no_escape_hatch, key="no_hatch_table", file_name="requests_without_escape_hatch.csv",
             key_column="title", link_services=False,
             order=[c for c in _UNLINKED_ORDER if c in data.no_escape_hatch.columns])

monthly = st.expander("Monthly numbers", key="monthly_numbers", on_change="rerun", bind="query-params")
if monthly.open:  # built and drawn only when opened
    with monthly:
        ui.table(data.monthly, key="monthly_table", file_name="exception_requests_monthly.csv")
