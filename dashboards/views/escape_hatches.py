"""Escape hatches: which services override the platform's Kubernetes defaults, why, since when,
and whether an exception request asked for it (its state, a link to the issue)."""

from __future__ import annotations

import streamlit as st

from dashboards.lib import ui
from dashboards.lib.escape_hatches import OTHER_TEXTS, reason_choices, reason_labels, with_reason
from dashboards.lib.figures import charts  # pipelines.charts, each figure cached
from dashboards.lib.filters import instant_label
from dashboards.lib.formatting import percent, plural
from dashboards.lib.text import file_slug, md_escape

ctx = ui.context()
f = ctx.filters
data = ui.load("escape_hatches", f)
summary = data.summary

st.title("Escape hatches")
at = instant_label(summary.measured_at)
st.caption(ui.describe_filters(f) + f" · figures at {at} and at each month's end: "
           "every service existing then, in its state at that instant (its git history)")

cols = st.columns(3)
cols[0].metric(f"Escape-hatch rate at {at}", percent(summary.escape_hatch_rate), border=True,
               help="Services whose service spec sets the escape hatch ÷ services with a service spec, "
                    "at the period's end")
cols[1].metric(f"Services using the escape hatch at {at}", summary.escape_hatch_services, border=True,
               help=f"{summary.new_escape_hatches} of them took it during the period")
cols[2].metric(f"Services with a service spec at {at}", summary.spec_services, border=True)

left, right = st.columns(2)
choices = reason_choices(summary.reasons)
labels = reason_labels(summary.reasons)


def _pick_reason(values: list) -> None:
    if values:
        st.session_state["reason"] = OTHER_TEXTS if values[0] is None else str(values[0])


with left:
    ui.chart(charts.escape_hatch_reasons(summary.reasons), key="reasons", on_pick=_pick_reason)
with right:
    ui.chart(charts.escape_hatch_rate(data.rate, x_range=ui.months_shown(f),
                                      partial_month=ui.month_in_progress(ctx.meta)), key="rate")

st.subheader(f"Services using the escape hatch at {at}")
reason = st.selectbox("With the reason", choices, index=None, key="reason", bind="query-params",
                      format_func=lambda r: labels.get(r, r),
                      placeholder="Click a reason's bar, or pick one, to list only its services")
hatches = data.hatches if reason is None else with_reason(data.hatches, reason, summary.reasons)
if hatches.is_empty():
    st.info("No service selected by the filters uses the escape hatch"
            + ("." if reason is None else " for that reason."))
else:
    if reason is not None:
        st.caption(f"{plural(hatches.height, 'service')} giving the reason {md_escape(labels.get(reason, reason))}")
    ui.table(
        hatches.drop("reason_list"), key="hatches",
        file_name="escape_hatches.csv" if reason is None else f"escape_hatches_{file_slug(reason)}.csv",
        caption="Reasons: gpu (asks for a GPU), sidecar (several containers or a native sidecar), "
                "declared:… (the team's own reason, from the catalog annotation), other. "
                "'Escape hatch since' is when it first appears in the service's history; "
                "'Age' is how many days before the period's end that was. 'Exception requests' counts the requests "
                "naming the service (any time, any team); 'Latest request' is the state of the "
                "newest of them — none: the escape hatch came without a request.",
        order=[c for c in ("service", "reasons", "request_state", "request_url", "exception_requests",
                           "open_exception_requests", "owner", "since", "new_in_period", "age_days", "repo", "language",
                           "created_at", "spec_path") if c in hatches.columns],
    )
