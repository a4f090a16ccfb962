"""Overview: last complete month's adoption against the threshold, and the signals around it."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from dashboards.lib import ui
from dashboards.lib.escape_hatches import OTHER_TEXTS, reason_labels
from dashboards.lib.figures import charts  # pipelines.charts, each figure cached
from dashboards.lib.filters import instant_label
from dashboards.lib.formatting import MISSING, no_change, percent, points
from dashboards.lib.text import md_escape

ctx = ui.context()
f = ctx.filters
data = ui.load("overview", f, ctx.meta.last_complete_month)

if "_open_reason" in st.session_state:  # a reason bar was clicked: its services, same filters
    reason = reason_labels(data.escape.reasons).get(st.session_state.pop("_open_reason"))
    if reason is not None:
        st.switch_page("views/escape_hatches.py",
                       query_params=[(k, v) for k in ui.FILTER_PARAMS for v in st.query_params.get_all(k)]
                       + [("reason", reason)])

st.title("Overview")
st.caption(ui.describe_filters(f))
st.subheader(f"{data.month:%B %Y}, the last complete month")

month = f"{data.month:%B %Y}"
before = f"{data.month - timedelta(days=1):%b}"  # the month before the headline month
headline = data.headline or {}
adoption = headline.get("new_service_adoption")
threshold = data.threshold

requests = next((r for r in data.requests.iter_rows(named=True) if r["month"] == data.month), {})
opened, opened_change = requests.get("opened"), requests.get("opened_change")

cols = st.columns(4)
change = headline.get("new_service_adoption_change")
cols[0].metric(
    "New-service adoption", percent(adoption),
    delta=f"{points(change)} vs {before}" if change is not None else None,
    delta_arrow="off" if no_change(change) else "auto",
    help=(f"{headline.get('golden_path_created', 0)} of {headline.get('services_created', 0)} "
          f"services created in {month} came from a golden path"),
    border=True,
)
cols[1].metric(
    "Overall adoption", percent(headline.get("overall_adoption")),
    help=(f"{headline.get('golden_path_total', 0)} of {headline.get('services_total', 0)} "
          f"services are on a golden path at the end of {month}"),
    border=True,
)
cols[2].metric(
    "Escape-hatch rate", percent(data.escape.escape_hatch_rate),
    help=(f"{data.escape.escape_hatch_services} of {data.escape.spec_services} services with a "
          f"service spec override the platform's Kubernetes defaults at {instant_label(data.escape.measured_at)}"),
    border=True,
)
cols[3].metric(
    "Exception requests opened", MISSING if opened is None else opened,
    delta=f"{opened_change:+d} vs {before}" if opened_change is not None else None,
    delta_color="inverse" if opened_change else "off",
    delta_arrow="auto" if opened_change else "off",  # "+0" is no change, not a rise
    border=True,
)

if adoption is None:
    st.info(f"No services were created in {month}, so there is no new-service adoption to report.")
elif headline.get("below_threshold"):
    st.error(
        f"**Below threshold:** new-service adoption in {month} was {percent(adoption)}, under the "
        f"{percent(threshold)} threshold — {headline['golden_path_created']} of "
        f"{headline['services_created']} new services came from a golden path. "
        "The Adoption page lists the services that did not.",
        icon=":material/warning:",
    )
else:
    st.success(
        f"New-service adoption in {month} was {percent(adoption)}, at or above the "
        f"{percent(threshold)} threshold.", icon=":material/check_circle:",
    )

if data.alerts is not None and not data.alerts.is_empty():
    with st.container(border=True):
        st.subheader("Alerts")
        for alert in data.alerts.iter_rows(named=True):
            text = " · ".join(md_escape(alert.get(k)) for k in ("severity", "rule", "period")
                              if alert.get(k) is not None)
            text = f"**{text}**: {md_escape(alert.get('message'))}"
            if alert.get("severity") == "error":  # the rules raise `warning` or `error`
                st.error(text)
            else:
                st.warning(text)

# every time chart of the page shows the same months as the adoption trend (at most twelve)
span = {"x_range": (data.trend.get_column("month")[0] if not data.trend.is_empty() else data.month, data.month),
        "partial_month": ui.month_in_progress(ctx.meta)}
months = (f"{span['x_range'][0]:%b %Y} – {data.month:%b %Y}" if span["x_range"][0] != data.month
          else f"{data.month:%b %Y}")
left, right = st.columns(2)
with left:
    ui.chart(charts.adoption_trend(
        data.trend, threshold=threshold,
        title=f"New-service adoption, {months}", **span), key="trend")
with right:
    ui.chart(charts.exception_requests_monthly(
        data.requests, title=f"Exception requests, {months}", **span), key="requests")



def _open_reason(values: list) -> None:
    if values:
        st.session_state["_open_reason"] = OTHER_TEXTS if values[0] is None else str(values[0])


left, right = st.columns(2)
with left:
    ui.chart(charts.escape_hatch_reasons(data.escape.reasons), key="overview_reasons", on_pick=_open_reason)
    st.caption("Click a reason to list its services on the Escape hatches page.")
with right:
    ui.chart(charts.escape_hatches_and_requests(
        data.escape_monthly, data.requests,
        title=f"Escape hatches and requests, {months}", **span),
        key="escape_vs_requests")
    st.caption("Services of the selection using the escape hatch at each month's end (from each "
               "service's git history) beside the exception requests opened: did requests fall "
               "once teams could use the escape hatch?")

# the adoption trend's denominator, also at the top of the Adoption page: drawn when opened, so
# the first view draws four charts (`created=true` in the URL when open)
created = st.expander(f"Services created per month, {months}", key="created", on_change="rerun",
                      bind="query-params", icon=":material/add_circle:")
if created.open:
    with created:
        ui.chart(charts.services_created(data.trend, title=f"Services created, {months}", **span),
                 key="created_chart")

st.page_link("views/adoption.py", label="Adoption by team, language and template",
             icon=":material/arrow_forward:")
