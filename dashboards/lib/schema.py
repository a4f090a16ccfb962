"""The `marts` schema reference shown beside the SQL editor: tables, views and table macros,
with the descriptions the warehouse carries (`pipelines.descriptions` applies them)."""

from __future__ import annotations

import duckdb
import polars as pl

from dashboards.lib.snapshot import fetch

Connection = duckdb.DuckDBPyConnection

_SCHEMA = """
with relations as (
    select database_name, schema_name, table_name, comment from duckdb_tables()
    union all
    select database_name, schema_name, view_name, comment from duckdb_views()
)
select t.table_name, c.column_name, c.data_type, c.comment as description,
       t.comment as table_description
from relations as t
join duckdb_columns() as c
  on c.database_name = t.database_name and c.schema_name = t.schema_name
 and c.table_name = t.table_name
where t.schema_name = 'marts' and t.database_name = current_database()
order by t.table_name, c.column_index
"""


def load_schema(con: Connection) -> pl.DataFrame:
    """Every column of every `marts` table or view: table_name, column_name, data_type, descriptions."""
    return fetch(con, _SCHEMA)


_MACROS = """
select function_name, any_value(parameters) as parameters, any_value(comment) as description
from duckdb_functions()
where schema_name = 'marts' and database_name = current_database() and function_type = 'table_macro'
group by function_name
order by function_name
"""


def load_macros(con: Connection) -> pl.DataFrame:
    """Every `marts` table macro: `call` (`marts.adoption(teams, languages, start, stop)`) and
    its `description` (the warehouse's comment on it)."""
    frame = fetch(con, _MACROS)
    call = pl.format("marts.{}({})", "function_name", pl.col("parameters").list.join(", "))
    return frame.select(call.alias("call"), "description")

