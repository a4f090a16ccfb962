"""Webhook delivery: a Slack-compatible JSON POST with bounded retries that never raises.

Each attempt is bounded whatever the receiver does: the response is streamed and its body is
never read (only the status and headers matter), and the attempt has a total deadline
(`timeout_s` plus a second's grace) enforced from outside the request, so a receiver that
trickles its headers a byte at a time cannot hold the report, the CLI or the Dagster daemon's
failure sensor — requests' own timeout applies to each socket read, not to the whole answer.

The URL is a secret (a Slack incoming-webhook URL is its own credential), so it is read from
the environment variable the configuration names and never appears in a log line, an error or
a `DeliveryResult`: failures are described by HTTP status or exception class only.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from pipelines.config import Settings
from pipelines.retry import Backoff, retry_after_s
from pipelines.scrub import scrub_value

if TYPE_CHECKING:  # imported when a delivery is made: most steps and runs never make one
    import requests

log = logging.getLogger(__name__)

RETRYABLE = frozenset({408, 425, 429, 500, 502, 503, 504})
DEADLINE_GRACE_S = 1.0  # beyond timeout_s: a silent receiver is a ReadTimeout, a trickling one this


class DeadlineExceeded(Exception):
    """An attempt that did not finish within its total deadline."""
# urllib3 logs each request's path at DEBUG level; a webhook's path is its secret
_HTTP_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry", "requests")


@dataclass(frozen=True)
class DeliveryResult:
    status: Literal["delivered", "failed", "skipped"]
    attempts: int
    http_status: int | None = None  # of the last attempt
    error: str | None = None  # what went wrong, without the URL
    elapsed_s: float = 0.0

    @property
    def delivered(self) -> bool:
        return self.status == "delivered"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def webhook_url(settings: Settings, environ: Mapping[str, str] = os.environ) -> str | None:
    """The webhook URL from the environment variable `reports.webhook_url_env`, or None."""
    name = settings.reports.webhook_url_env
    value = environ.get(name, "").strip() if name else ""
    return value or None


def post_json(url: str | None, payload: dict[str, Any], *, attempts: int = 4, timeout_s: float = 10.0,
              backoff_s: float = 2.0, max_wait_s: float = 60.0,
              sleep: Callable[[float], None] = time.sleep,
              session: requests.Session | None = None) -> DeliveryResult:
    """POST `payload` as JSON, retrying timeouts, connection errors, 429 and 5xx.

    Waits `backoff_s`, then twice that, ... between attempts (a 429's `Retry-After` when it
    says more), each wait at most `max_wait_s`. Returns what happened; never raises, so a
    failed delivery cannot fail the step that asked for it. `url=None` means not configured.
    """
    if not url:
        return DeliveryResult("skipped", 0, error="no webhook configured")
    payload = scrub_value(payload)  # chat is one more place a secret must never reach
    started = time.monotonic()
    with _url_hidden_from_logs(url):
        return _post(url, payload, attempts=attempts, timeout_s=timeout_s, backoff_s=backoff_s,
                     max_wait_s=max_wait_s, sleep=sleep, session=session, started=started)


def _post(url: str, payload: dict[str, Any], *, attempts: int, timeout_s: float, backoff_s: float,
          max_wait_s: float, sleep: Callable[[float], None], session: requests.Session | None,
          started: float) -> DeliveryResult:
    import requests

    http = session or requests.Session()
    backoff = Backoff(first_s=backoff_s, max_s=max_wait_s)
    status: int | None = None
    error: str | None = None
    tried = 0
    try:
        for attempt in range(1, attempts + 1):
            tried = attempt
            wait = backoff.wait_s(attempt)
            try:
                status_code, headers = _attempt(http, url, payload, timeout_s)
            except DeadlineExceeded:
                status, error, retry = None, f"no complete answer within {timeout_s + DEADLINE_GRACE_S:g} s", True
                if session is None:  # the stuck request still owns that session: use a new one
                    http = requests.Session()
            except requests.RequestException as exc:
                status, error = None, type(exc).__name__  # its text may hold the URL
                retry = not isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema)
            except Exception as exc:  # noqa: BLE001 - a delivery must never fail its caller
                status, error, retry = None, type(exc).__name__, False
            else:
                status = status_code
                if 200 <= status < 300:
                    log.info("webhook delivered on attempt %d (HTTP %d)", attempt, status)
                    return DeliveryResult("delivered", attempt, status, None, time.monotonic() - started)
                error = f"HTTP {status}"
                retry = status in RETRYABLE
                wait = max(wait, retry_after_s(headers.get("Retry-After")) or 0.0)
            if not retry:
                log.warning("webhook delivery failed on attempt %d: %s (not retried)", attempt, error)
                break
            if attempt < attempts:
                log.warning("webhook delivery attempt %d/%d failed: %s", attempt, attempts, error)
                sleep(min(wait, max_wait_s))  # a receiver's Retry-After included
            else:
                log.warning("webhook delivery failed after %d attempts: %s", attempts, error)
    finally:
        if session is None:
            http.close()
    return DeliveryResult("failed", tried, status, error, time.monotonic() - started)


def _attempt(http: requests.Session, url: str, payload: dict[str, Any],
             timeout_s: float) -> tuple[int, Mapping[str, str]]:
    """One POST: (status, headers), with the body left unread; raises what requests raises,
    or DeadlineExceeded when the whole answer took longer than `timeout_s` + grace.

    The request runs in a daemon thread so the deadline holds even while requests is blocked
    in a socket read; a thread left behind ends at the receiver's next silence of `timeout_s`.
    """
    outcome: dict[str, Any] = {}

    def post() -> None:
        try:
            response = http.post(url, json=payload, timeout=timeout_s, allow_redirects=False, stream=True)
            outcome["answer"] = (response.status_code, response.headers)
            response.close()  # streamed and unread: a 2 GiB body costs nothing
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=post, name="pathlens-webhook", daemon=True)
    worker.start()
    worker.join(timeout_s + DEADLINE_GRACE_S)
    if worker.is_alive():
        raise DeadlineExceeded()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["answer"]


class _HideUrl(logging.Filter):
    """Replaces the URL, and its path and query, by `***` in the records of a logger."""

    def __init__(self, url: str) -> None:
        super().__init__()
        parts = urlsplit(url)
        secret_part = parts.path + (f"?{parts.query}" if parts.query else "")
        self.secrets = [url] + ([secret_part] if len(secret_part) > 1 else [])

    def _clean(self, value: Any) -> Any:
        if isinstance(value, str):
            for secret in self.secrets:
                value = value.replace(secret, "***")
        return value

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._clean(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(self._clean(a) for a in record.args)
        return True


@contextlib.contextmanager
def _url_hidden_from_logs(url: str) -> Iterator[None]:
    hide = _HideUrl(url)
    loggers = [logging.getLogger(name) for name in _HTTP_LOGGERS]
    for logger in loggers:
        logger.addFilter(hide)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(hide)


