"""Friction: what the golden path saves — CI failures and duration, time to first deploy."""

from __future__ import annotations

import streamlit as st

from dashboards.lib import ui
from dashboards.lib.comparisons import comparison_sentences, too_few_sentence
from dashboards.lib.figures import charts  # pipelines.charts, each figure cached


def _lazy_expander(label: str, key: str):
    """A collapsed expander whose open state is in the URL (`?key=true`) and reruns the page."""
    return st.expander(label, key=key, on_change="rerun", bind="query-params")


ctx = ui.context()
f = ctx.filters
data = ui.load("friction", f, ctx.meta.last_complete_month)

st.title("Friction: golden path against DIY")
st.caption(ui.describe_filters(f))

if not data.available:
    st.info("No friction data yet: this warehouse has no CI runs or deploys "
            "(`marts.ci_runs`, `marts.deploys` ...). They appear after a refresh that reads "
            "GitHub Actions and Kubernetes.", icon=":material/hourglass_empty:")
    st.stop()

if data.vs_diy is not None:
    st.subheader("Golden path against DIY, and how sure we are")
    st.caption("Organisation-wide, as computed by the refresh (the filters do not apply here). "
               "n counts services, the unit of independence: a side with fewer than "
               "`comparisons.min_n` services shows no value. Error bars are 95% intervals.")
    too_few = too_few_sentence(data.vs_diy)
    if too_few is not None:  # charts with no bar would draw empty axes that read like figures
        st.info(too_few, icon=":material/info:")
    else:
        ui.chart(charts.golden_path_vs_diy(data.vs_diy, title="All services: each side with its 95% interval"),
                 key="vs_diy")
        left, right = st.columns(2)
        with left:
            ui.chart(charts.golden_path_vs_diy_ratios(data.vs_diy), key="vs_diy_ratios")
        with right:
            st.markdown("\n".join(f"- {raw}\n\n  {stratified}"
                                   for raw, stratified in comparison_sentences(data.vs_diy)))
    # the expanders' tables are built and drawn only when opened (open or not, in the URL): a
    # collapsed table was sent and drawn on every visit for a reader who never opened it
    as_table = _lazy_expander("The comparison as a table (marts.golden_path_vs_diy)", "comparison_table")
    if as_table.open:
        with as_table:
            ui.table(data.vs_diy, key="vs_diy_table", file_name="golden_path_vs_diy.csv")
    if data.vs_diy_by_language is not None:
        by_language = _lazy_expander("By language (marts.golden_path_vs_diy_by_language)", "by_language")
        if by_language.open:
            with by_language:
                ui.table(data.vs_diy_by_language, key="vs_diy_by_language",
                         file_name="golden_path_vs_diy_by_language.csv",
                         caption="Within each language; a side with fewer than comparisons.min_n services is empty.")

span = {"x_range": ui.months_shown(f), "partial_month": ui.month_in_progress(ctx.meta)}
if data.ci_monthly is not None:
    left, right = st.columns(2)
    with left:
        ui.chart(charts.monthly_comparison(
            data.ci_monthly, value="failure_rate", title="CI failure rate per month",
            y_title="Failed ÷ (failed + succeeded) runs", percent=True, **span), key="ci_failure")
    with right:
        ui.chart(charts.monthly_comparison(
            data.ci_monthly, value="median_duration_s", title="Median CI run duration per month",
            y_title="Duration (s)", **span), key="ci_duration")

if data.deploys_monthly is not None:
    ui.chart(charts.monthly_comparison(
        data.deploys_monthly, value="deploys_per_service", title="Production deploys per service per month",
        y_title="Deploys ÷ services existing that month", **span), key="deploy_frequency")

if data.ttfd is not None:
    ui.chart(charts.time_to_first_deploy(data.ttfd_spread), key="ttfd")
    per_service = _lazy_expander("Time to first deploy, per service", "ttfd_per_service")
    if per_service.open:
        with per_service:
            page = ui.page_of(data.ttfd, key="ttfd", sort=("days", True))  # thousands: a page at a time
            ui.table(page.rows, key="ttfd_table", file_name="time_to_first_deploy.csv", csv_frame=page.ordered,
                     caption=page.note[:1].upper() + page.note[1:] or None)

if data.flaky is not None:
    st.subheader(f"Highest CI failure rates in {data.flaky_month:%B %Y}")
    if data.flaky.is_empty():
        st.info("No CI runs of the selected services that month.")
    else:
        ui.table(data.flaky, key="flaky", file_name=f"ci_friction_{data.flaky_month:%Y-%m}.csv")
