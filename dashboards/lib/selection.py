"""The filtered rows every loader starts from, as temp tables on the reader's own connection.

`selected_services` holds the services of the selected teams and languages, and
`selected_requests` the exception requests of the selected teams; the period is applied by each
query (time series need the months before it for running totals). Temp tables live in the
connection's memory: the warehouse itself stays read-only.
"""

from __future__ import annotations

import duckdb

from dashboards.lib.filters import Filters

Connection = duckdb.DuckDBPyConnection

_SELECT_SERVICES = """
create or replace temp table selected_services as
select * from marts.services
where ($all_teams or list_contains($teams, coalesce(owner, $no_team)))
  and ($all_languages or list_contains($languages, coalesce(language, $no_language)))
"""

_SELECT_REQUESTS = """
create or replace temp table selected_requests as
select * from marts.exception_requests
where ($all_teams or list_contains($teams, coalesce(team, $no_team)))
"""


def select_services(con: Connection, f: Filters) -> None:
    """(Re)create `selected_services`: marts.services of the selected teams and languages."""
    params = f.params()
    con.execute(_SELECT_SERVICES, {k: params[k] for k in
                                   ("all_teams", "teams", "no_team", "all_languages",
                                    "languages", "no_language")}).fetchall()


def select_requests(con: Connection, f: Filters) -> None:
    """(Re)create `selected_requests`: marts.exception_requests of the selected teams."""
    params = f.params()
    con.execute(_SELECT_REQUESTS, {k: params[k] for k in ("all_teams", "teams", "no_team")}).fetchall()
