"""Adoption: by month, team, language and template, and last month's services off the path."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards.lib import ui
from dashboards.lib.formatting import plural
from pipelines import charts

HEATMAP_ROWS = 30

ctx = ui.context()
f = ctx.filters
data = ui.load("adoption", f, ctx.meta.last_complete_month)

st.title("Adoption")
st.caption(ui.describe_filters(f))

span = {"x_range": ui.months_shown(f), "partial_month": ui.month_in_progress(ctx.meta)}
left, right = st.columns(2)
with left:
    ui.chart(charts.adoption_trend(data.monthly, threshold=data.threshold, **span), key="monthly")
with right:
    ui.chart(charts.services_created(data.monthly, **span), key="created")


def _breakdown(by_month: pl.DataFrame, totals: pl.DataFrame, group: str, label: str) -> None:
    ui.chart(charts.adoption_by_group(totals, group=group, group_label=label,
                                      threshold=data.threshold), key=f"{group}_bars")
    busiest = totals.sort("services_created", descending=True).head(HEATMAP_ROWS).get_column(group)
    if totals.height > HEATMAP_ROWS:
        st.caption(f"The heatmap shows the {HEATMAP_ROWS} {label.lower()}s that created the most "
                   "services in the period; filter to see others.")
    ui.chart(charts.adoption_heatmap(by_month.filter(pl.col(group).is_in(busiest.implode())),
                                     group=group, group_label=label, **span), key=f"{group}_heatmap")
    ui.table(totals.sort("new_service_adoption", nulls_last=True), key=f"{group}_table",
             file_name=f"adoption_by_{group}.csv")


team_tab, language_tab, template_tab, monthly_tab = st.tabs(
    ["By team", "By language", "By template", "By month (table)"])
with team_tab:
    _breakdown(data.by_team_month, data.by_team, "team", "Team")
with language_tab:
    _breakdown(data.by_language_month, data.by_language, "language", "Language")
with template_tab:
    ui.chart(charts.adoption_by_template(data.by_template, **span), key="templates")
    ui.table(data.by_template, key="template_table", file_name="adoption_by_template.csv")
with monthly_tab:
    ui.table(data.monthly, key="monthly_table", file_name="adoption_monthly.csv")

st.subheader("Do services that start on a golden path stay on it?")
st.caption("Services of the selection created on a golden path in the period, by creation "
           "month: the share still on a golden path 30, 90, 180 and 365 days later, from each "
           "service's git history. A cell is blank until that many days have passed.")
ui.chart(charts.retention_cohorts(data.retention), key="retention")

st.subheader(f"Services created in {data.todo_month:%B %Y} without a golden path")
if data.todo.is_empty():
    st.success("None: every service created that month came from a golden path (or none was created).")
else:
    ui.table(data.todo, key="todo", file_name=f"off_golden_path_{data.todo_month:%Y-%m}.csv",
             caption=f"{plural(data.todo.height, 'service')} to follow up with their owners.")
