"""Glossary: what every metric means — one sentence, SPEC's exact rule, and the SQL behind it."""

from __future__ import annotations

import streamlit as st

from dashboards.lib.glossary import load_glossary

st.title("Glossary")
st.caption("Every figure the dashboard and the reports show is defined once, in SQL under `sql/`. "
           "Each entry: the metric in one sentence, the rule from the specification pathlens "
           "follows, where the figure lives in the warehouse, and the SQL that computes it — read "
           "from the files the refresh runs.")

metrics = load_glossary()
query = st.text_input("Find a metric", key="metric", bind="query-params", placeholder="e.g. adoption, CI, drift")
shown = [m for m in metrics if not query or query.lower() in f"{m.name} {m.sentence} {m.column}".lower()]
if not shown:
    st.info("No metric matches that search.")

st.markdown("\n".join(f"- **{m.name}**: {m.sentence}" for m in shown))

for metric in shown:
    st.subheader(metric.name, anchor=metric.column)
    st.markdown(metric.sentence)
    where = f"`marts.{metric.table}.{metric.column}`"
    st.markdown(f"**In the warehouse:** {where}" + (f" — {metric.description}" if metric.description else ""))
    st.markdown("**The rule** (SPEC §3):")
    st.markdown("\n".join(f"> {line}" if line else ">" for line in metric.rule.splitlines()))
    for i, source in enumerate(metric.sql):
        # the highlighted code is built only when opened: all of it was ~23,000 hidden elements
        # on every visit (and to take down on leaving the page)
        shown_sql = st.expander(f"{'SQL' if source.language == 'sql' else 'Python'}: {source.path}",
                                key=f"sql_{metric.column}_{i}", on_change="rerun")
        if shown_sql.open:
            with shown_sql:
                st.code(source.text, language=source.language, line_numbers=True)
