"""Webhook delivery: a Slack-compatible JSON POST with bounded retries that never raises.

The URL is a secret (a Slack incoming-webhook URL is its own credential), so it is read from
the environment variable the configuration names and never appears in a log line, an error or
a `DeliveryResult`: failures are described by HTTP status or exception class only.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import requests

from pipelines.config import Settings
from pipelines.scrub import scrub_value

log = logging.getLogger(__name__)

RETRYABLE = frozenset({408, 425, 429, 500, 502, 503, 504})
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
    http = session or requests.Session()
    status: int | None = None
    error: str | None = None
    tried = 0
    try:
        for attempt in range(1, attempts + 1):
            tried = attempt
            wait = backoff_s * 2 ** (attempt - 1)
            try:
                response = http.post(url, json=payload, timeout=timeout_s, allow_redirects=False)
            except requests.RequestException as exc:
                status, error = None, type(exc).__name__  # its text may hold the URL
                retry = not isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema)
            except Exception as exc:  # noqa: BLE001 - a delivery must never fail its caller
                status, error, retry = None, type(exc).__name__, False
            else:
                status = response.status_code
                response.close()
                if 200 <= status < 300:
                    log.info("webhook delivered on attempt %d (HTTP %d)", attempt, status)
                    return DeliveryResult("delivered", attempt, status, None, time.monotonic() - started)
                error = f"HTTP {status}"
                retry = status in RETRYABLE
                wait = max(wait, _retry_after(response.headers.get("Retry-After")))
            if not retry:
                log.warning("webhook delivery failed on attempt %d: %s (not retried)", attempt, error)
                break
            if attempt < attempts:
                log.warning("webhook delivery attempt %d/%d failed: %s", attempt, attempts, error)
                sleep(min(wait, max_wait_s))
            else:
                log.warning("webhook delivery failed after %d attempts: %s", attempts, error)
    finally:
        if session is None:
            http.close()
    return DeliveryResult("failed", tried, status, error, time.monotonic() - started)


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


def _retry_after(value: str | None) -> float:
    try:
        return max(float(value), 0.0) if value else 0.0
    except ValueError:
        return 0.0
