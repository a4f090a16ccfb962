"""Adoption: by month, team, language and template, and last month's services off the path."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards.lib import ui
from dashboards.lib.figures import charts  # pipelines.charts, each figure cached
from dashboards.lib.filters import NO_LANGUAGE, NO_TEAM
from dashboards.lib.formatting import plural
from dashboards.lib.text import file_slug, md_escape

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


def _breakdown(by_month: pl.DataFrame, totals: pl.DataFrame, group: str, label: str,
               options: tuple[str, ...], missing: str) -> None:
    st.caption(f"Click a bar to filter every page to that {label.lower()}.")
    pick = ui.filter_to(group, options, missing)
    ui.chart(charts.adoption_by_group(totals, group=group, group_label=label,
                                      threshold=data.threshold), key=f"{group}_bars", on_pick=pick)
    # month by month, drawn only when opened (open or not, it is in the URL): the largest figure
    # of the page (a cell and a clickable point per month and row), the first view's slowest draw
    by_month_view = st.expander(f"**Each {label.lower()}, month by month** (heatmap)", key=f"{group}_by_month",
                                on_change="rerun", bind="query-params", icon=":material/grid_on:")
    if by_month_view.open:
        with by_month_view:
            busiest = totals.sort("services_created", descending=True).head(HEATMAP_ROWS).get_column(group)
            shown = (f"the {HEATMAP_ROWS} {label.lower()}s that created the most services in the period "
                     "(filter to see others)" if totals.height > HEATMAP_ROWS else f"every {label.lower()}")
            st.caption(f"New-service adoption of {shown}. Click a cell to filter every page to its "
                       f"{label.lower()}.")
            ui.chart(charts.adoption_heatmap(by_month.filter(pl.col(group).is_in(busiest.implode())),
                                             group=group, group_label=label, **span), key=f"{group}_heatmap",
                     on_pick=pick)
    ui.table(totals.sort("new_service_adoption", nulls_last=True), key=f"{group}_table",
             file_name=f"adoption_by_{group}.csv")


# Only the open tab's charts and tables are built and drawn (the others' run when opened): a
# lead's first view draws what it shows. The open tab is in the URL (`view=`); a shared link to a
# template's services opens its tab.
NO_TEMPLATE = "(no golden path)"
TABS = ["By team", "By language", "By template", "By month (table)"]
team_tab, language_tab, template_tab, monthly_tab = st.tabs(
    TABS, key="view", on_change="rerun", bind="query-params",
    default=TABS[2] if "template" in st.query_params else None)


def _pick_template(values: list) -> None:
    if values:
        st.session_state["template"] = NO_TEMPLATE if values[0] is None else str(values[0])


if team_tab.open:
    with team_tab:
        _breakdown(data.by_team_month, data.by_team, "team", "Team", ctx.meta.teams, NO_TEAM)
if language_tab.open:
    with language_tab:
        _breakdown(data.by_language_month, data.by_language, "language", "Language", ctx.meta.languages,
                   NO_LANGUAGE)
if template_tab.open:
    with template_tab:
        ui.chart(charts.adoption_by_template(data.by_template, **span), key="templates", on_pick=_pick_template)
        templates = sorted({t for t in data.by_template.get_column("golden_path").to_list() if t is not None})
        template = st.selectbox("Services created from", [*templates, NO_TEMPLATE], index=None, key="template",
                                bind="query-params", placeholder="Click a bar, or pick a template, to list its services")
        if template is not None:
            created = ui.load("services", f)
            chosen = created.filter(~pl.col("on_golden_path") if template == NO_TEMPLATE
                                    else pl.col("golden_path") == template)
            ui.table(chosen.select("service", "repo", "owner", "language", "created_at", "golden_path",
                                   "template_commit"),
                     key="template_services", file_name=f"services_{file_slug(template)}.csv",
                     caption=f"{plural(chosen.height, 'service')} created in the period "
                             + ("from no golden path" if template == NO_TEMPLATE else f"from {md_escape(template)}"))
        ui.table(data.by_template, key="template_table", file_name="adoption_by_template.csv")
if monthly_tab.open:
    with monthly_tab:
        ui.table(data.monthly, key="monthly_table", file_name="adoption_monthly.csv")

# drawn only when opened (a tall heatmap below the fold); open or not, it is in the URL
retention = st.expander("**Do services that start on a golden path stay on it?**", key="retention",
                        on_change="rerun", bind="query-params", icon=":material/timeline:")
if retention.open:
    with retention:
        st.caption("Services of the selection created on a golden path in the period, by creation "
                   "month: the share still on a golden path 30, 90, 180 and 365 days later, from each "
                   "service's git history. A cell is blank until that many days have passed.")
        ui.chart(charts.retention_cohorts(data.retention), key="retention_chart")

st.subheader(f"Services created in {data.todo_month:%B %Y} without a golden path")
if data.todo.is_empty():
    st.success("None: every service created that month came from a golden path (or none was created).")
else:
    ui.table(data.todo, key="todo", file_name=f"off_golden_path_{data.todo_month:%Y-%m}.csv",
             caption=f"{plural(data.todo.height, 'service')} to follow up with their owners.")
