"""Maintenance: is each golden path maintained, how far behind it are its services, which
platform-CI refs are in use, and which languages have no golden path at all."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards.lib import ui
from dashboards.lib.figures import charts  # pipelines.charts, each figure cached
from dashboards.lib.formatting import plural
from dashboards.lib.text import file_slug, md_escape
from pipelines import charts as charts_module

ctx = ui.context()
f = ctx.filters
data = ui.load("maintenance", f)

st.title("Maintenance")
st.caption(ui.describe_filters(f) + " · drift lists cover the golden-path services of the teams and "
           "languages selected, created in the period; template health is organisation-wide")

if not data.available:
    st.info("This warehouse has no template drift yet (`marts.template_health`). It appears after a "
            "refresh with this version of pathlens.", icon=":material/hourglass_empty:")
    st.stop()

health = data.health
summary = data.summary
cols = st.columns(4)
cols[0].metric("Golden paths", summary["golden_paths"], border=True)
cols[1].metric("Stale templates", summary["stale_templates"], border=True,
               help="Unchanged for longer than alerts.template_stale_days while services still use them")
cols[2].metric("Services behind their template", summary["services_behind"], border=True,
               help="Selected golden-path services whose template commit is behind the template's head")
cols[3].metric("Services not resolved", summary["services_unresolved"], border=True,
               help="No template commit recorded, or one the template repository does not have")



def _pick_golden_path(values: list) -> None:
    if values and values[0] is not None:
        st.session_state["golden_path"] = str(values[0])


left, right = st.columns(2)
with left:
    ui.chart(charts.template_last_change(health), key="last_change", on_pick=_pick_golden_path)
with right:
    ui.chart(charts.template_drift_distribution(data.drift), key="drift_distribution", on_pick=_pick_golden_path)
    st.caption("Each box spans the middle half of a golden path's services; dots are services (with "
               f"more than {charts_module.DRIFT_DOTS_MAX}, only those far outside the box). Click a bar or "
               "a dot to list all that golden path's services below.")

ui.table(
    health.drop("head_sha", "stale_after_days", "far_behind_commits"), key="health",
    file_name="template_health.csv",
    caption="Per golden path (organisation-wide): when its template last changed, and how far behind "
            "it its services are. 'Far behind' means more than alerts.drift_commits commits.",
)

st.subheader("Services furthest behind their template")
golden_path = st.selectbox("Golden path", health.get_column("golden_path").to_list(), index=None,
                           key="golden_path", bind="query-params",
                           placeholder="Click a template's bar or dot, or pick one, to list all its services")
drift = data.drift if golden_path is None else data.drift.filter(pl.col("golden_path") == golden_path)
if drift.is_empty():
    st.info("No golden-path service selected by the filters"
            + ("." if golden_path is None else f" follows {md_escape(golden_path)}."))
elif golden_path is None:
    ui.table(
        drift.head(50), key="furthest", file_name="template_drift.csv",
        caption="The 50 selected services furthest behind (commits reachable from the template's head and "
                "not from the service's template commit). Unresolved ones are listed last, with the reason.",
        key_column="service",
    )
else:
    ui.table(
        drift, key="furthest", file_name=f"template_drift_{file_slug(golden_path)}.csv",
        caption=f"{plural(drift.height, 'selected service')} created in the period from {md_escape(golden_path)}, "
                "furthest behind first; unresolved ones last, with the reason.",
        key_column="service",
    )

st.subheader("Platform CI refs in use")
if data.ci_refs.is_empty():
    st.info("No selected repo calls a reusable workflow of ci.platform_workflow_repos.")
else:
    ui.table(
        data.ci_refs, key="ci_refs", file_name="platform_ci_refs.csv",
        caption="Each reusable-workflow call `uses: OWNER/REPO/PATH@REF` into a platform workflow repo, "
                "by ref: how far that ref is behind the workflow repo's default branch, and how many repos "
                "call it (repos holding a selected service, or every calling repo without filters).",
    )

st.subheader("Languages")
uncovered = [row["language"] for row in data.languages.iter_rows(named=True) if not row["covered"]]
if uncovered:
    st.warning(f"No golden path serves {md_escape(', '.join(uncovered))}.", icon=":material/translate:")
ui.table(
    data.languages, key="languages", file_name="language_coverage.csv",
    caption="Per language (organisation-wide; the language filter applies): whether a golden path serves it, "
            "and its share of the services created in the 90 days up to the refresh.",
)
