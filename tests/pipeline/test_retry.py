"""pipelines.retry: the one backoff schedule and Retry-After reading outside GitHub's client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from pipelines.retry import Backoff, retry_after_s, retry_policy


def test_waits_double_from_the_first_up_to_the_cap():
    assert [Backoff(first_s=2.0, max_s=10.0).wait_s(n) for n in (1, 2, 3, 4, 5)] == [2.0, 4.0, 8.0, 10.0, 10.0]


def test_jittered_waits_stay_in_the_upper_half_of_each_step():
    backoff = Backoff(first_s=1.0, max_s=30.0, jitter=True)
    for retry, step in ((1, 1.0), (2, 2.0), (5, 16.0), (9, 30.0)):
        waits = [backoff.wait_s(retry) for _ in range(200)]
        assert all(step / 2 <= w <= step for w in waits)
        assert len(set(waits)) > 1  # drawn, not fixed


@pytest.mark.parametrize(("header", "expected"), [
    ("7", 7.0), ("0", 0.0), (None, None), ("", None), ("soon", None),
    (format_datetime(datetime(2001, 1, 1, tzinfo=UTC), usegmt=True), 0.0),  # a date in the past: no wait
])
def test_retry_after_in_seconds_or_none(header, expected):
    assert retry_after_s(header) == expected


def test_retry_after_as_an_http_date():
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    assert 110 <= retry_after_s(later) <= 120


def test_the_urllib3_policy_retries_gets_on_the_transient_statuses_and_honours_retry_after():
    policy = retry_policy(retries=3, backoff_factor=0.25, max_wait_s=10)
    assert (policy.total, policy.backoff_factor, policy.backoff_max) == (3, 0.25, 10)
    assert set(policy.status_forcelist) == {429, 500, 502, 503, 504}
    assert tuple(policy.allowed_methods) == ("GET",)
    assert policy.respect_retry_after_header and not policy.raise_on_status
