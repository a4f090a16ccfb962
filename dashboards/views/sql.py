"""SQL: ad hoc read-only queries over the warehouse, with the `marts` schema beside the editor."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards.lib import formatting, ui
from dashboards.lib.figures import charts  # pipelines.charts, each figure cached
from dashboards.lib.text import md_escape
from pipelines.query import QueryError, QueryRefused, execute, prestart

TIMEOUT_S = 30
MAX_ROWS = 10_000
EXAMPLE = """-- New-service adoption by team, all time
SELECT coalesce(owner, '(no team)') AS team,
       count(*) AS services,
       avg(on_golden_path::INT) AS adoption
FROM marts.services
GROUP BY ALL
ORDER BY services DESC"""

ctx = ui.context()
prestart()  # the query process imports DuckDB while the page is read (no-op when one is ready)
st.title("SQL")
st.caption(f"Read-only queries on the published warehouse (DuckDB SQL). At most {MAX_ROWS:,} rows "
           f"are shown and a query is stopped after {TIMEOUT_S} s. The sidebar filters do not "
           "apply here.")

editor, reference = st.columns([3, 2])

with editor:
    with st.form("sql_form"):
        text = st.text_area("Query", value=EXAMPLE, height=220, key="sql_text")
        submitted = st.form_submit_button("Run query", type="primary", icon=":material/play_arrow:")
    if submitted:
        try:
            st.session_state["sql_result"] = execute(ctx.path, text, timeout_s=TIMEOUT_S,
                                                     max_rows=MAX_ROWS, keep_warm=True)
            st.session_state.pop("sql_error", None)
        except QueryRefused as exc:
            st.session_state["sql_error"] = ("Refused", str(exc))
            st.session_state.pop("sql_result", None)
        except (QueryError, FileNotFoundError) as exc:
            st.session_state["sql_error"] = ("Query failed", str(exc))
            st.session_state.pop("sql_result", None)

    error = st.session_state.get("sql_error")
    result = st.session_state.get("sql_result")
    if error:
        title, message = error
        st.error(f"**{title}**", icon=":material/block:")
        st.code(message, language=None)
    elif result is not None:
        frame: pl.DataFrame = result.frame
        note = f"{frame.height:,} rows in {result.seconds:.2f} s"
        if result.truncated:
            note += f" · only the first {MAX_ROWS:,} rows are shown"
        ui.table(frame, key="sql_table", file_name="query.csv", caption=note, labels=False,
                 link_services=False)
        numeric = [c for c, t in frame.schema.items() if t.is_numeric()]
        if frame.width >= 2 and numeric:
            with st.expander("Quick chart"):
                c1, c2, c3 = st.columns(3)
                x = c1.selectbox("x", frame.columns, key="chart_x")
                y = c2.selectbox("y", numeric, index=len(numeric) - 1, key="chart_y")
                kind = c3.radio("kind", ["bar", "line", "scatter"], horizontal=True, key="chart_kind")
                ui.chart(charts.quick_chart(frame, x=x, y=y, kind=kind), key="quick_chart")

# The schema comes second in the script, so the editor is sent first; a table's columns are
# built (and drawn) only when its expander is opened: ~40 grids nobody opened cost every visit.
with reference:
    st.subheader("marts schema")
    schema = ui.load("schema")
    if schema.is_empty():
        st.info("The warehouse has no marts tables yet.")
    for name, columns in schema.group_by("table_name", maintain_order=True):
        table_name = name[0]
        table = st.expander(f"marts.{table_name}", key=f"schema_{table_name}", on_change="rerun")
        if table.open:
            with table:
                described = columns.get_column("table_description").drop_nulls()
                if described.len():
                    st.caption(md_escape(described[0]))
                shown = formatting.show(columns.select("column_name", "data_type", "description"))
                st.dataframe(shown.frame, hide_index=True, width="stretch", column_config=shown.column_config,
                             placeholder=formatting.MISSING)
    macros = ui.load("macros")
    if not macros.is_empty():
        listed = st.expander("table macros: `select * from marts.NAME(...)`", key="schema_macros", on_change="rerun")
        if listed.open:
            with listed:
                st.dataframe(macros, hide_index=True, width="stretch", key="macros_table")
