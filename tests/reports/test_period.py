"""Which week or month a report covers, and how it is named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from pipelines.reports.period import Period, last_complete

T = datetime.fromisoformat


@pytest.mark.parametrize(("now", "start", "end", "slug", "label"), [
    ("2024-05-15T10:00:00", "2024-05-06", "2024-05-13", "week-2024-05-06", "6–12 May 2024"),
    ("2024-05-13T00:00:00", "2024-05-06", "2024-05-13", "week-2024-05-06", "6–12 May 2024"),  # Monday midnight
    ("2024-05-12T23:59:59", "2024-04-29", "2024-05-06", "week-2024-04-29", "29 April – 5 May 2024"),
    ("2024-01-03T08:00:00", "2023-12-25", "2024-01-01", "week-2023-12-25", "25–31 December 2023"),
    ("2024-01-09T08:00:00", "2024-01-01", "2024-01-08", "week-2024-01-01", "1–7 January 2024"),
    ("2025-01-01T08:00:00", "2024-12-23", "2024-12-30", "week-2024-12-23", "23–29 December 2024"),
    ("2025-01-06T08:00:00", "2024-12-30", "2025-01-06", "week-2024-12-30", "30 December 2024 – 5 January 2025"),
])
def test_last_complete_week(now, start, end, slug, label):
    period = last_complete("week", T(now))
    assert (period.start, period.end, period.slug, period.label) == (T(start), T(end), slug, label)
    assert period.start.weekday() == 0 and period.end - period.start == timedelta(days=7)


@pytest.mark.parametrize(("now", "start", "end", "slug"), [
    ("2024-05-15T10:00:00", "2024-04-01", "2024-05-01", "month-2024-04"),
    ("2024-05-01T00:00:00", "2024-04-01", "2024-05-01", "month-2024-04"),
    ("2024-03-01T06:59:00", "2024-02-01", "2024-03-01", "month-2024-02"),
    ("2024-01-01T07:00:00", "2023-12-01", "2024-01-01", "month-2023-12"),
])
def test_last_complete_month(now, start, end, slug):
    period = last_complete("month", T(now))
    assert (period.start, period.end, period.slug) == (T(start), T(end), slug)


def test_aware_times_are_taken_in_utc():
    # 00:30 on Monday 13 May in UTC+2 is still Sunday 12 May in UTC
    now = datetime(2024, 5, 13, 0, 30, tzinfo=timezone(timedelta(hours=2)))
    assert last_complete("week", now).start == T("2024-04-29")
    assert last_complete("week", datetime(2024, 5, 13, 0, 30, tzinfo=UTC)).start == T("2024-05-06")


def test_previous_period():
    assert last_complete("month", T("2024-03-10")).previous() == Period("month", T("2024-01-01"), T("2024-02-01"))
    assert last_complete("week", T("2024-05-15")).previous().start == T("2024-04-29")


def test_unknown_kind():
    with pytest.raises(ValueError, match="'week' or 'month'"):
        last_complete("year", T("2024-05-15"))
