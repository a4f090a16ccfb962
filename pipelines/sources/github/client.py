"""The HTTP layer of the GitHub source: PyGithub's requester, plus what its lists lack.

PyGithub supplies the parts that are hard to get right: authentication (a token, or a GitHub
App's JWT and installation-token exchange, refreshed before expiry), the base URL of
github.com or an Enterprise Server, the user agent, and masking of credentials in its logs.
Its paginated lists never send `If-None-Match` and its retry policy retries 502s without
sleeping, so this module sends each GET itself through `Requester.requestJson` and adds:

- conditional requests: the stored ETag goes out as `If-None-Match`; a 304 costs no rate limit;
- retries with exponential backoff and jitter for 5xx answers, dropped connections and truncated
  bodies, bounded by `max_attempts`;
- the primary rate limit (403/429 with `X-RateLimit-Remaining: 0` → wait until
  `X-RateLimit-Reset`) and secondary limits (`Retry-After`, else at least a minute, doubling);
  while one worker waits, every worker waits (`PauseGate`);
- accounting per endpoint: requests, 304s, retries, rate-limit waits, seconds waited, bytes.

All waiting goes through the injected `sleep`, so tests run at full speed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from github import Github, GithubException
from github.Requester import Requester

from pipelines.scrub import scrub
from pipelines.sources.github.auth import CredentialError, Credentials, RedactingFilter, SharedAuth

log = logging.getLogger(__name__)

API_VERSION = "2022-11-28"
PER_PAGE = 100
GRAPHQL_ENDPOINT = "POST /graphql"  # accounting names of GraphQL queries start with this
# GitHub's secondary limits (docs.github.com, "Rate limits for the REST API"): at most 100 requests
# in flight, 900 points a minute for REST (a GET is 1 point), 2,000 for GraphQL (a query is 1),
# and 90 s of server CPU a minute. pathlens keeps REST at 900 a minute (304s included: the docs
# do not say they are free there), and at most two GraphQL queries, the heavy ones, in flight.
REST_PER_MINUTE = 900
GRAPHQL_IN_FLIGHT = 2


class FetchError(Exception):
    """One endpoint could not be read (after retries); the refresh records it and goes on."""

    def __init__(self, endpoint: str, status: int | None, message: str):
        message = scrub(message)  # error pages may echo the request's Authorization header
        super().__init__(f"{endpoint}: {status or 'no answer'}: {message}")
        self.endpoint = endpoint
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Response:
    """One answer: status (200, 304, 404, 409, …), lower-cased headers, parsed JSON, the URL asked."""

    status: int
    headers: Mapping[str, str]
    data: Any
    url: str  # relative to the API base, with its query, in canonical (sorted) order

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    def link(self, rel: str) -> str | None:
        """The absolute URL of a `Link` relation (`next`, `last`, …), if the answer has one."""
        header = self.headers.get("link")
        if not header:
            return None
        for entry in requests.utils.parse_header_links(header):
            if entry.get("rel") == rel:
                return entry.get("url")
        return None

    def message(self) -> str:
        if isinstance(self.data, dict) and self.data.get("message"):
            return str(self.data["message"])
        return f"HTTP {self.status}"


@dataclass
class EndpointStats:
    requests: int = 0
    not_modified: int = 0
    retries: int = 0
    rate_limit_waits: int = 0
    wait_s: float = 0.0
    bytes: int = 0
    points: int = 0  # GraphQL points spent (`rateLimit.cost`); REST endpoints spend none


@dataclass
class Accounting:
    """What a refresh spent, per endpoint (thread-safe)."""

    endpoints: dict[str, EndpointStats] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, endpoint: str, **counts: float) -> None:
        with self._lock:
            stats = self.endpoints.setdefault(endpoint, EndpointStats())
            for name, value in counts.items():
                setattr(stats, name, getattr(stats, name) + value)

    def totals(self) -> EndpointStats:
        total = EndpointStats()
        with self._lock:
            for stats in self.endpoints.values():
                for name in vars(total):
                    setattr(total, name, getattr(total, name) + getattr(stats, name))
        return total

    def counted(self) -> int:
        """REST requests that spent the rate limit: all but 304s and `GET /rate_limit` (free on
        GitHub). GraphQL queries spend a separate budget, counted in `points`."""
        with self._lock:
            return sum(s.requests - s.not_modified for name, s in self.endpoints.items()
                       if name != "GET /rate_limit" and not name.startswith(GRAPHQL_ENDPOINT))

    def points(self) -> int:
        """GraphQL points spent."""
        with self._lock:
            return sum(s.points for s in self.endpoints.values())

    def rows(self, refresh_id: str, recorded_at: datetime) -> list[dict[str, Any]]:
        """raw.fetch_log rows, one per endpoint, in endpoint order."""
        with self._lock:
            return [
                {"refresh_id": refresh_id, "source": "github", "endpoint": name, **vars(stats),
                 "recorded_at": recorded_at}
                for name, stats in sorted(self.endpoints.items())
            ]


class Pacer:
    """Spaces requests to at most `rate` a second, allowing a burst of `burst` (a token bucket);
    `take` sleeps until the caller's token is due."""

    def __init__(self, rate: float, burst: int, sleep: Callable[[float], None], clock: Callable[[], float]):
        self._rate = rate
        self._burst = float(max(burst, 1))
        self._tokens = self._burst
        self._sleep = sleep
        self._clock = clock
        self._last = clock()
        self._lock = threading.Lock()

    def take(self) -> None:
        with self._lock:
            now = self._clock()
            self._tokens = min(self._burst, self._tokens + (now - self._last) * self._rate)
            self._last = now
            self._tokens -= 1.0
            wait = -self._tokens / self._rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)


class PauseGate:
    """Holds every worker while one of them sits out a rate limit.

    A rate limit is per credential, not per request: when one worker must wait, the others
    would only burn requests (and, for secondary limits, make it worse) by carrying on.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._pausers = 0

    def wait_open(self) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self._pausers == 0)

    def pause(self, seconds: float, sleep: Callable[[float], None]) -> None:
        with self._cond:
            self._pausers += 1
        try:
            sleep(seconds)
        finally:
            with self._cond:
                self._pausers -= 1
                self._cond.notify_all()


class GitHubClient:
    """GETs against the GitHub REST API with conditional requests, retries and rate limits.

    `get` returns the answer for 2xx, 304 and the 4xx statuses a caller may expect (404, 409,
    403 without a rate limit, …); it raises `FetchError` when retries are exhausted and
    `CredentialError` on 401 (a credential GitHub stopped accepting ends the refresh).
    """

    def __init__(
        self,
        credentials: Credentials,
        base_url: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
        announce: Callable[[str, float], None] | None = None,
        accounting: Accounting | None = None,
        max_attempts: int = 5,
        max_secondary_waits: int = 6,
        max_primary_waits: int = 3,
        backoff_base_s: float = 1.0,
        backoff_cap_s: float = 30.0,
        timeout_s: int = 30,
        max_in_flight: int = 4,
        rest_per_minute: int = REST_PER_MINUTE,
        graphql_in_flight: int = GRAPHQL_IN_FLIGHT,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.credentials = credentials
        self.base_url = base_url.rstrip("/")
        self._sleep = sleep
        self._announce = announce or (lambda message, seconds: None)
        self.accounting = accounting or Accounting()
        self.max_attempts = max_attempts
        self.max_secondary_waits = max_secondary_waits
        self.max_primary_waits = max_primary_waits
        self.backoff_base_s = backoff_base_s
        self.backoff_cap_s = backoff_cap_s
        self._timeout_s = timeout_s
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        self._clock = clock
        self._gate = PauseGate()
        self._in_flight = threading.BoundedSemaphore(max_in_flight)  # well under GitHub's 100
        self._graphql_in_flight = threading.BoundedSemaphore(graphql_in_flight)
        self._pace = Pacer(rest_per_minute / 60.0, max_in_flight, time.sleep, time.monotonic)
        self._local = threading.local()
        self._requesters: list[Requester] = []
        self._requesters_lock = threading.Lock()
        self._auth = SharedAuth(credentials.auth)
        split = urlsplit(self.base_url)
        self._origin = f"{split.scheme}://{split.netloc}"
        self._prefix = split.path.rstrip("/")
        # The app's own requester (for the installation-token exchange) is built once, here.
        self._main = self._new_github(credentials.auth)
        self._log_filter = RedactingFilter(credentials)
        logging.getLogger("github.Requester").addFilter(self._log_filter)

    # requesters ----------------------------------------------------------------------------
    def _new_github(self, auth: Any) -> Github:
        return Github(
            base_url=self.base_url,
            auth=auth,
            per_page=PER_PAGE,
            retry=None,  # retries are ours: bounded, with backoff, counted
            seconds_between_requests=None,  # concurrency is bounded by the worker pool instead
            seconds_between_writes=None,
            timeout=self._timeout_s,
            user_agent="pathlens",
            api_version=API_VERSION,
        )

    def _requester(self) -> Requester:
        """This thread's PyGithub requester (they are not safe to share between threads)."""
        requester = getattr(self._local, "requester", None)
        if requester is None:
            requester = self._new_github(self._auth).requester
            self._local.requester = requester
            with self._requesters_lock:
                self._requesters.append(requester)
        return requester

    def close(self) -> None:
        logging.getLogger("github.Requester").removeFilter(self._log_filter)
        with self._requesters_lock:
            for requester in self._requesters:
                requester.close()
            self._requesters.clear()
        self._main.close()

    # URLs ----------------------------------------------------------------------------------
    def canonical(self, url: str, params: Mapping[str, Any] | None = None) -> str:
        """`url` (relative, or absolute on the API host) with `params`, relative and sorted.

        Raises FetchError for an absolute URL on another host or outside the API prefix: a
        `Link` header pointing elsewhere would otherwise be silently fetched from the base host.
        """
        if not url.startswith("/"):
            split = urlsplit(url)
            origin = f"{split.scheme}://{split.netloc}"
            if origin != self._origin or not split.path.startswith(self._prefix + "/"):
                raise FetchError(url, None, f"link leaves the API at {self.base_url}")
            url = split.path[len(self._prefix):] + (f"?{split.query}" if split.query else "")
        return Requester.add_parameters_to_url(url, dict(params or {}))

    # the request loop --------------------------------------------------------------------------
    def get(self, endpoint: str, url: str, params: Mapping[str, Any] | None = None,
            etag: str | None = None) -> Response:
        """GET `url` (+ `params`), conditional on `etag` when given; see the class docstring."""
        return self._request("GET", endpoint, self.canonical(url, params), etag=etag)

    def post_graphql(self, endpoint: str, body: Mapping[str, Any]) -> Response:
        """POST a GraphQL request to the API's GraphQL endpoint (`/graphql` on github.com,
        `/api/graphql` on Enterprise Server), with the same auth, retries, rate-limit waits and
        accounting as a GET. The GraphQL-level answer (`errors`, points) is the caller's."""
        return self._request("POST", endpoint, None, body=body)

    def _request(self, method: str, endpoint: str, url: str | None, *, etag: str | None = None,
                 body: Mapping[str, Any] | None = None) -> Response:
        attempts = secondary = primary = 0
        while True:
            headers = {"Accept": "application/vnd.github+json"}
            if etag:
                headers["If-None-Match"] = etag
            try:
                with self._graphql_in_flight if method == "POST" else contextlib.nullcontext(), self._in_flight:
                    if method == "GET":
                        self._pace.take()
                    self._gate.wait_open()  # checked as late as possible: right before sending
                    requester = self._requester()
                    target = url if url is not None else requester.graphql_url
                    status, resp_headers, body_text = requester.requestJson(
                        method, target, headers=headers, input=dict(body) if body is not None else None)
            except GithubException as exc:  # raised inside auth: the installation-token exchange
                if exc.status in (401, 403, 404, 422):
                    raise self._rejected(exc.status, _exc_message(exc)) from None
                attempts = self._transient(endpoint, attempts, exc.status, f"token exchange: HTTP {exc.status}")
                continue
            except requests.RequestException as exc:
                self.accounting.add(endpoint, requests=1)
                attempts = self._transient(endpoint, attempts, None, type(exc).__name__)
                continue
            size = len(body_text.encode("utf-8")) if body_text else 0
            self.accounting.add(endpoint, requests=1, bytes=size)
            if status == 304:
                self.accounting.add(endpoint, not_modified=1)
                return Response(304, resp_headers, None, target)
            data, parse_error = _parse(body_text)
            if 200 <= status < 300:
                if parse_error:
                    attempts = self._transient(endpoint, attempts, status, f"unreadable JSON ({parse_error})")
                    continue
                return Response(status, resp_headers, data, target)
            if status == 401:
                raise self._rejected(401, _message(data) or "Bad credentials")
            wait = self._rate_limit_wait(status, resp_headers, data, secondary)
            if wait is not None:
                kind, seconds = wait
                if kind == "primary":
                    primary += 1
                    if primary > self.max_primary_waits:
                        raise FetchError(endpoint, status, "primary rate limit still exhausted after waiting")
                else:
                    secondary += 1
                    if secondary > self.max_secondary_waits:
                        raise FetchError(endpoint, status, "secondary rate limit: gave up after backing off")
                self._wait_rate_limit(endpoint, kind, seconds)
                continue
            if status >= 500:
                attempts = self._transient(endpoint, attempts, status, _message(data) or f"HTTP {status}")
                continue
            return Response(status, resp_headers, data, target)

    def _rejected(self, status: int | None, message: str) -> CredentialError:
        creds = self.credentials
        return CredentialError(creds.scrub(
            f"GitHub rejected {creds.describe} ({status}: {message}); {creds.fix}"))

    def _transient(self, endpoint: str, attempts: int, status: int | None, reason: str) -> int:
        """Count a failed attempt and sleep before the next; raise FetchError when out of attempts."""
        attempts += 1
        if attempts >= self.max_attempts:
            raise FetchError(endpoint, status, f"gave up after {attempts} attempts: {reason}")
        self.accounting.add(endpoint, retries=1)
        ceiling = min(self.backoff_cap_s, self.backoff_base_s * 2 ** (attempts - 1))
        with self._rng_lock:
            delay = ceiling / 2 + self._rng.uniform(0, ceiling / 2)
        log.debug("GitHub %s: %s; retry %d in %.1fs", endpoint, reason, attempts, delay)
        self._sleep(delay)
        return attempts

    def _rate_limit_wait(self, status: int, headers: Mapping[str, str], data: Any,
                         secondary_waits: int) -> tuple[str, float] | None:
        """('primary'|'secondary', seconds) when the answer is a rate limit, else None."""
        if status not in (403, 429):
            return None
        message = _message(data)
        remaining = headers.get("x-ratelimit-remaining")
        retry_after = headers.get("retry-after")
        if retry_after is not None:
            try:
                return "secondary", max(float(retry_after), 1.0)
            except ValueError:
                pass
        if remaining == "0" and not Requester.isSecondaryRateLimitError(message):
            try:
                reset = float(headers.get("x-ratelimit-reset", "0"))
            except ValueError:
                reset = 0.0
            return "primary", max(reset - self._clock(), 0.0) + 1.0
        if status == 429 or Requester.isRateLimitError(message):
            return "secondary", 60.0 * 2**secondary_waits
        return None

    def wait_rate_limit(self, endpoint: str, kind: str, seconds: float) -> None:
        """Announce, count and sit out a rate limit ('primary'/'secondary'); every worker waits."""
        self._wait_rate_limit(endpoint, kind, seconds)

    def seconds_until(self, epoch_s: float) -> float:
        """Seconds from now (the injected clock) until `epoch_s`, at least 0."""
        return max(epoch_s - self._clock(), 0.0)

    def _wait_rate_limit(self, endpoint: str, kind: str, seconds: float) -> None:
        until = datetime.fromtimestamp(self._clock() + seconds, UTC).strftime("%H:%M:%S UTC")
        self._announce(f"GitHub {kind} rate limit: waiting {math.ceil(seconds)} s (until {until})", seconds)
        self.accounting.add(endpoint, rate_limit_waits=1, wait_s=seconds)
        self._gate.pause(seconds, self._sleep)


def _parse(body: str) -> tuple[Any, str | None]:
    if not body:
        return None, None
    try:
        return json.loads(body), None
    except ValueError as exc:
        return None, str(exc)


def _message(data: Any) -> str:
    return str(data.get("message") or "") if isinstance(data, dict) else ""


def _exc_message(exc: GithubException) -> str:
    return _message(exc.data) or f"HTTP {exc.status}"
