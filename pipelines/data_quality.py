"""Data-quality warnings a refresh publishes anyway, in words for the terminal.

The rules are SQL (`sql/tests/*.sql` with `-- severity: warn`); this only reads what they
found in a warehouse, for the refresh summary and `pathlens check-config`.
"""

from __future__ import annotations

import duckdb

_UNMATCHED_TEAMS = """
select owner, exception_requests, exception_labels
from marts.teams
where not has_services
order by owner
"""


def team_label_warnings(con: duckdb.DuckDBPyConnection) -> list[str]:
    """One line per exception-label team that matches no service owner (marts.teams rows with
    has_services false); empty when every label team owns a service, or there is no marts.teams."""
    try:
        rows = con.execute(_UNMATCHED_TEAMS).fetchall()
    except duckdb.CatalogException:
        return []
    return [
        f"team {owner!r} (from exception label{'s' if len(labels) > 1 else ''} "
        f"{', '.join(repr(label) for label in labels)}; {requests} request{'s' if requests != 1 else ''}) "
        "matches no service owner: fix the label or map it in teams.aliases"
        for owner, requests, labels in rows
    ]
