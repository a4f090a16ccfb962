"""The shared filters (period, teams, languages) and the query parameters they become.

Every loader takes a `Filters`. Its meaning, the same on every page:
- time series show the months (or snapshot days) inside the period;
- lists and per-service aggregates cover services created inside the period, and exception
  requests opened inside it;
- teams and languages narrow services to those owned by / written in one of them (and
  exception requests to those labelled with one of the teams). An empty selection means all.

Services without an owner (uncatalogued) and without a language are selectable under the
labels below, so a filter never silently drops them.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

NO_TEAM = "(no team)"
NO_LANGUAGE = "(unknown)"


class Filters(NamedTuple):
    """What the sidebar selected. A NamedTuple of plain values, so it can key caches."""

    start: date
    end: date
    teams: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    covers_all: bool = True  # the period spans every month of data

    @property
    def narrows_services(self) -> bool:
        """Whether teams or languages leave some services out."""
        return bool(self.teams or self.languages)

    @property
    def is_everything(self) -> bool:
        """Whether nothing is filtered out (then the marts' own aggregates apply as they are)."""
        return self.covers_all and not self.narrows_services

    def params(self) -> dict[str, Any]:
        """Named query parameters used by the loaders' SQL (`$start`, `$teams`, ...)."""
        return {
            "start": self.start,
            "end": self.end,
            "start_ts": datetime.combine(self.start, time.min),
            "end_ts": datetime.combine(self.end + timedelta(days=1), time.min),
            "teams": list(self.teams),
            "all_teams": not self.teams,
            "languages": list(self.languages),
            "all_languages": not self.languages,
            "no_team": NO_TEAM,
            "no_language": NO_LANGUAGE,
        }


def month_start(day: date) -> date:
    """The first day of `day`'s month."""
    return day.replace(day=1)


def last_day_of_month(day: date) -> date:
    """The last day of `day`'s month."""
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def period_from_widget(value: Any, first: date, last: date) -> tuple[date, date]:
    """The (start, end) a date-range widget means, clamped to the data, whole months.

    A half-picked range (only a start) runs to the end of the data; an empty one is everything.
    """
    picked = list(value) if isinstance(value, list | tuple) else ([value] if value else [])
    start = picked[0] if picked else first
    end = picked[1] if len(picked) > 1 else last
    if start > end:
        start, end = end, start
    start = max(month_start(start), first)
    end = min(last_day_of_month(end), last)
    if start > end:
        start, end = first, last
    return start, end
