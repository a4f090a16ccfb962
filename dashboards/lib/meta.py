"""When the data is from, and what the shared filters can choose from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb

from dashboards.lib.filters import NO_LANGUAGE, NO_TEAM
from dashboards.lib.snapshot import fetch

Connection = duckdb.DuckDBPyConnection


@dataclass(frozen=True)
class Meta:
    """When the data is from and what the filters can choose."""

    refreshed_at: datetime | None
    as_of: datetime
    source: str
    last_complete_month: date
    first_month: date
    teams: tuple[str, ...]
    languages: tuple[str, ...]
    threshold: float | None
    files_not_used: int = 0  # repository files the refresh could not parse
    fetch_errors: int = 0  # what the refresh could not fetch
    stale_services: int = 0  # services read from the last good version of a broken file

    @property
    def last_day(self) -> date:
        """The last day with data: the refresh's "now"."""
        return self.as_of.date()


def load_meta(con: Connection) -> Meta:
    """Refresh info, the first month with data, the teams and languages to filter on."""
    info = fetch(con, "select * from marts.refresh_info")
    if info.is_empty():
        raise LookupError("marts.refresh_info is empty: the warehouse has not been refreshed")
    row = info.row(0, named=True)
    bounds = fetch(con, "select min(month) as first_month, any_value(threshold) as threshold "
                        "from marts.adoption_monthly").row(0, named=True)
    teams = fetch(con, """
        select owner as team from marts.teams
        union select $no_team
        order by team""", {"no_team": NO_TEAM}).get_column("team").to_list()
    languages = fetch(con, "select distinct coalesce(language, $no_language) as language "
                           "from marts.services order by language",
                      {"no_language": NO_LANGUAGE}).get_column("language").to_list()
    last_complete = row["last_complete_month"]
    return Meta(
        refreshed_at=row["refreshed_at"],
        as_of=row["as_of"],
        source=row["source"],
        last_complete_month=last_complete,
        first_month=min(bounds["first_month"] or last_complete, last_complete),
        teams=tuple(teams),
        languages=tuple(languages),
        threshold=bounds["threshold"],
        # older warehouses lack these columns
        files_not_used=row.get("files_not_used") or 0,
        fetch_errors=row.get("fetch_errors") or 0,
        stale_services=row.get("stale_services") or 0,
    )
