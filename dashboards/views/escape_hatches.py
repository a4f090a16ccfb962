"""Escape hatches: which services override the platform's Kubernetes defaults, why, since when,
and whether an exception request asked for it (its state, a link to the issue)."""

from __future__ import annotations

import streamlit as st

from dashboards.lib import ui
from pipelines import charts

ctx = ui.context()
f = ctx.filters
data = ui.load("escape_hatches", f)
summary = data.summary

st.title("Escape hatches")
st.caption(ui.describe_filters(f) + " · the rate at each month's end covers the whole organisation, "
           "each service in its state at that instant (its git history)")

cols = st.columns(3)
cols[0].metric("Escape-hatch rate", ui.pct(summary.escape_hatch_rate, 1), border=True,
               help="Services whose service spec sets the escape hatch ÷ services with a service spec")
cols[1].metric("Services using the escape hatch", summary.escape_hatch_services, border=True)
cols[2].metric("Services with a service spec", summary.spec_services, border=True)

left, right = st.columns(2)
with left:
    ui.chart(charts.escape_hatch_reasons(list(summary.reasons)), key="reasons")
with right:
    ui.chart(charts.escape_hatch_rate(data.rate, x_range=ui.months_shown(f),
                                      partial_month=ui.month_in_progress(ctx.meta)), key="rate")

st.subheader("Services using the escape hatch")
if data.hatches.is_empty():
    st.info("No service selected by the filters uses the escape hatch.")
else:
    ui.table(
        data.hatches, key="hatches", file_name="escape_hatches.csv",
        caption="Reasons: gpu (asks for a GPU), sidecar (several containers or a native sidecar), "
                "declared:… (the team's own reason, from the catalog annotation), other. "
                "'Escape hatch since' is when it first appears in the service's history; "
                "'Age' is how many days ago that was. 'Exception requests' counts the requests "
                "naming the service (any time, any team); 'Latest request' is the state of the "
                "newest of them — none: the escape hatch came without a request.",
        order=[c for c in ("service", "reasons", "request_state", "request_url", "exception_requests",
                           "open_exception_requests", "owner", "since", "age_days", "repo", "language",
                           "created_at", "spec_path") if c in data.hatches.columns],
    )
