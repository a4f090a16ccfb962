"""The shared filters (period, teams, languages) and the query parameters they become.

Every loader takes a `Filters` and passes it to the metric macros stored in the warehouse
(`Filters.macro_args`). Its meaning, the same on every page:
- time series show the months inside the period; the refresh's month is marked partial;
- rates and counts "at the period's end" (overall adoption, the escape-hatch rate, requests
  open) count every service or request existing at that instant, each in its state then
  (service history) — not only those created in the period;
- lists and per-service aggregates cover services created inside the period, and exception
  requests opened inside it;
- teams and languages narrow services to those owned by / written in one of them (at the time
  a figure is about, from service history; friction and lists: today's owner and language) and
  exception requests to those labelled with one of the teams. An empty selection means all.

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

    def macro_args(self) -> dict[str, Any]:
        """The filters as the metric macros' arguments (`marts.adoption(teams := $teams,
        languages := $languages, start := $start, stop := $stop)`): lists of owners and
        languages (None: all; the "(no team)" / "(unknown)" labels become NULL elements, which
        select the services without one), and the period as [start, stop) instants."""
        return {
            "teams": [None if t == NO_TEAM else t for t in self.teams] or None,
            "languages": [None if lang == NO_LANGUAGE else lang for lang in self.languages] or None,
            "start": datetime.combine(self.start, time.min),
            "stop": datetime.combine(self.end + timedelta(days=1), time.min),
        }

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


def instant_label(instant: datetime | None) -> str:
    """An instant a figure is measured at, as a lead reads it: a period's end (midnight, the
    first instant after it) is "the end of 31 May 2024"; the refresh's time is "10 Jun 2024
    09:30 UTC"."""
    if instant is None:
        return "the period's end"
    if instant.time() == time.min:
        return f"the end of {instant.date() - timedelta(days=1):%d %b %Y}"
    return f"{instant:%d %b %Y %H:%M} UTC"


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
