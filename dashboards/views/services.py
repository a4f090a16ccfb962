"""Services: every service, searchable and sortable; pick one to see its whole record."""

from __future__ import annotations

import functools

import polars as pl
import streamlit as st

from dashboards.lib import ui
from dashboards.lib.formatting import label, plural
from dashboards.lib.text import file_slug, md_escape

ctx = ui.context()
f = ctx.filters
services = ui.load("services", f)

st.title("Services")
st.caption(ui.describe_filters(f) + " · services created in the period")

query = st.text_input("Search", key="q", bind="query-params",
                      placeholder="service, repo, team, language or template")
shown = services
if query:
    haystack = pl.concat_str(
        [pl.col(c).fill_null("") for c in ("service", "repo", "owner", "language", "golden_path")],
        separator=" ",
    ).str.to_lowercase()
    shown = services.filter(haystack.str.contains(query.lower(), literal=True))

# thousands of services are sent a page at a time; search, filters and "Sort by" reach them all
page = ui.page_of(shown, key="services")
rows = page.rows
labels = [f"{s} · {r}" for s, r in zip(rows.get_column("service"), rows.get_column("repo"), strict=True)]
keys = dict(zip(labels, zip(rows.get_column("service"), rows.get_column("repo"), strict=True), strict=True))


def _open_selected(row_labels: list[str]) -> None:
    rows = st.session_state["services_table"].selection.rows
    if rows:
        st.session_state["service"] = row_labels[rows[0]]


ui.table(
    rows, key="services_table", file_name="services.csv", csv_frame=page.ordered,
    caption=f"{shown.height:,} of {plural(services.height, 'service')}"
            + (f" · {page.note}" if page.note else "") + " · click a row to open its record",
    on_select=functools.partial(_open_selected, labels), selection_mode="single-row", link_services=False,
)

# a link from another page may name a service this list leaves out (created outside the
# period, or hidden by the search): its record opens all the same
asked = st.query_params.get("service")
if asked and asked not in keys and " · " in asked:
    name, _, asked_repo = asked.rpartition(" · ")
    labels.append(asked)
    keys[asked] = (name, asked_repo)

picked = st.selectbox("Service record", labels, index=None, key="service", bind="query-params",
                      placeholder="Pick a service of this page (or click a row above)" if page.note
                      else "Pick a service (or click a row above)")
if picked is not None and picked in keys:
    service, repo = keys[picked]
    slug = file_slug(f"{repo}_{service}")
    record = ui.load("service_record", service, repo)
    if record is None:
        st.warning("That service is not in this warehouse any more.")
    else:
        st.subheader(md_escape(service))
        st.caption(md_escape(repo))
        left, right = st.columns([2, 3])
        with left:
            ui.table(record.fields.with_columns(pl.col("field").map_elements(label, return_dtype=pl.String)),
                     key="record_fields", file_name=f"service_{slug}.csv")
        with right:
            st.markdown("**History** (each interval of constant state, newest first; from the git history of its files)")
            ui.table(record.history, key="record_history", file_name=f"service_{slug}_history.csv")
            if record.first_deploy is not None:
                st.markdown("**Time to first production deploy**")
                ui.table(record.first_deploy, key="record_ttfd",
                         file_name=f"service_{slug}_first_deploy.csv")
            if record.ci is not None:
                st.markdown("**CI per month**")
                ui.table(record.ci, key="record_ci", file_name=f"service_{slug}_ci.csv")
            if record.deploys is not None:
                st.markdown("**Latest deploys**")
                ui.table(record.deploys, key="record_deploys",
                         file_name=f"service_{slug}_deploys.csv")
