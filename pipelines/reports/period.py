"""Report periods: the last complete ISO week (Monday to Sunday) or calendar month, in UTC."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

PeriodKind = Literal["week", "month"]


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    start: datetime  # first instant, naive UTC
    end: datetime  # first instant after it

    @property
    def slug(self) -> str:
        """A file-name-safe name: `week-2024-05-06` or `month-2024-04`."""
        if self.kind == "week":
            return f"week-{self.start:%Y-%m-%d}"
        return f"month-{self.start:%Y-%m}"

    @property
    def label(self) -> str:
        """`6–12 May 2024` or `April 2024`."""
        if self.kind == "month":
            return f"{self.start:%B %Y}"
        last = self.end - timedelta(days=1)
        if last.month == self.start.month:
            return f"{self.start.day}–{last.day} {last:%B %Y}"
        if last.year == self.start.year:
            return f"{self.start.day} {self.start:%B} – {last.day} {last:%B %Y}"
        return f"{self.start.day} {self.start:%B %Y} – {last.day} {last:%B %Y}"

    @property
    def noun(self) -> str:
        return self.kind

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        return last_complete(self.kind, self.start)


def naive_utc(value: datetime) -> datetime:
    """`value` as naive UTC (aware values are converted, naive ones taken as UTC)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def last_complete(kind: PeriodKind, now: datetime) -> Period:
    """The last week or month that ended at or before `now`."""
    now = naive_utc(now)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if kind == "week":
        end = midnight - timedelta(days=midnight.weekday())
        return Period("week", end - timedelta(days=7), end)
    if kind == "month":
        end = midnight.replace(day=1)
        start = (end - timedelta(days=1)).replace(day=1)
        return Period("month", start, end)
    raise ValueError(f"period must be 'week' or 'month', not {kind!r}")
