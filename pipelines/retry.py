"""Retry and backoff for the HTTP clients that need no GitHub rate-limit rules.

GitHub's client (`pipelines.sources.github.client`) keeps its own handling: primary and
secondary rate limits, a pause shared by every worker. Every other client retries the same way:
a bounded number of attempts, waits that double from a first one up to a cap, and the server's
`Retry-After` honoured (seconds or an HTTP date, parsed by urllib3).

- `retry_policy` is that policy as urllib3's `Retry`, for a client that takes one (the
  Kubernetes client retries inside urllib3).
- `Backoff` and `retry_after_s` are the same schedule for a loop that must judge each answer
  itself: the Backstage catalog retries a truncated body (and, like urllib3, waits what
  `Retry-After` asks); the webhook bounds every attempt by a deadline, never reads the body, and
  waits at most its cap whatever the receiver asks. Their waits go through an injected `sleep`,
  so tests run at full speed.
"""

from __future__ import annotations

import random
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: the reports import this module, and rarely retry
    import urllib3

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def retry_policy(*, retries: int, backoff_factor: float, max_wait_s: float,
                 statuses: Collection[int] = RETRY_STATUSES, methods: Collection[str] = ("GET",)) -> urllib3.Retry:
    """urllib3's `Retry`: up to `retries` retries of `methods` after a connection error or one of
    `statuses`, waiting `backoff_factor` × 2ⁿ (at most `max_wait_s`) or the `Retry-After` asked.

    `raise_on_status=False` hands the last error response to the client, which can then report
    its status instead of an opaque `MaxRetryError`.
    """
    import urllib3

    return urllib3.Retry(
        total=retries,
        backoff_factor=backoff_factor,
        backoff_max=max_wait_s,
        status_forcelist=tuple(sorted(statuses)),
        allowed_methods=tuple(methods),
        raise_on_status=False,
        respect_retry_after_header=True,
    )


@dataclass(frozen=True)
class Backoff:
    """Waits between attempts: `first_s`, then twice that, ..., at most `max_s`; with `jitter`,
    each wait is drawn from its upper half (so clients that failed together spread out)."""

    first_s: float
    max_s: float
    jitter: bool = False

    def wait_s(self, retry: int) -> float:
        """Seconds to wait before retry number `retry` (1 = after the first failed attempt)."""
        step = min(self.max_s, self.first_s * 2 ** (retry - 1))
        return step / 2 + random.uniform(0, step / 2) if self.jitter else step


def retry_after_s(value: str | None) -> float | None:
    """A `Retry-After` header's wait in seconds (0 for a date in the past), or None when the
    header is absent or unreadable."""
    if not value:
        return None
    import urllib3
    from urllib3.exceptions import InvalidHeader

    try:
        return max(urllib3.Retry().parse_retry_after(value), 0.0)
    except InvalidHeader:
        return None
