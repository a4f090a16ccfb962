"""GitHub's GraphQL API beside the REST client: same auth, retries, waits and accounting.

`GraphQLClient.query` sends one query through `GitHubClient.post_graphql` (PyGithub's requester
of the calling thread, so a token or a GitHub App installation token alike, 5xx and dropped
connections retried with backoff, secondary limits — 403/429 with or without `Retry-After` —
sat out by every worker) and then reads the GraphQL-level answer:

- `rateLimit { cost remaining resetAt }` is asked in every query; its `cost` is added to the
  endpoint's `points` in the accounting (`raw.fetch_log.points`);
- HTTP 200 with an error of type `RATE_LIMITED` (GraphQL's primary limit, no data) waits until
  `X-RateLimit-Reset` (else `resetAt`, else a minute) and asks again, at most `max_primary_waits`
  times;
- errors whose `path` starts with an alias (`NOT_FOUND` for a repository that is gone, or any
  other) belong to that alias only: the other aliases' data is kept;
- errors without a path and no data (a malformed query, a node limit) raise `FetchError`.

`run_batched` puts many items (repos) into one query under aliases, sized so each query stays
under a point ceiling, and splits a batch in two when GitHub fails it as a whole (a query too
heavy to answer in time ends in 502s), so one repo's problem never loses the others.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pipelines.sources.github.client import GRAPHQL_ENDPOINT, FetchError, GitHubClient

log = logging.getLogger(__name__)

T = TypeVar("T")

RATE_LIMIT_FIELDS = "rateLimit { cost remaining resetAt }"
MAX_CONNECTION_REQUESTS = 1000  # per query: at most ~10 points, well inside GitHub's timeouts
MAX_ALIASES = 50


@dataclass
class Answer:
    """One GraphQL answer: `data` by alias, errors by alias (`(type, message)`), the cost."""

    data: dict[str, Any]
    errors: dict[str, tuple[str | None, str]] = field(default_factory=dict)
    cost: int = 0


def literal(value: str) -> str:
    """A GraphQL string literal (JSON's escapes are valid GraphQL string escapes)."""
    return json.dumps(value)


class GraphQLClient:
    """Queries GitHub's GraphQL API through a `GitHubClient` (see the module docstring)."""

    def __init__(self, client: GitHubClient, *, max_primary_waits: int = 3):
        self.client = client
        self.max_primary_waits = max_primary_waits

    def query(self, name: str, text: str) -> Answer:
        """Send `text` (a query whose selection includes `rateLimit { cost remaining resetAt }`);
        returns its data and per-alias errors, raises FetchError when the query as a whole failed."""
        endpoint = f"{GRAPHQL_ENDPOINT} {name}"
        waits = 0
        while True:
            resp = self.client.post_graphql(endpoint, {"query": text})
            if resp.status != 200 or not isinstance(resp.data, dict):
                raise FetchError(endpoint, resp.status, resp.message() if resp.status != 200 else "not a JSON object")
            errors = resp.data.get("errors") or []
            if any(isinstance(e, dict) and e.get("type") == "RATE_LIMITED" for e in errors):
                waits += 1
                if waits > self.max_primary_waits:
                    raise FetchError(endpoint, 200, "GraphQL rate limit still exhausted after waiting")
                self.client.wait_rate_limit(endpoint, "primary", self._reset_wait(resp))
                continue
            data = resp.data.get("data")
            cost = int(((data or {}).get("rateLimit") or {}).get("cost") or 0)
            self.client.accounting.add(endpoint, points=cost)
            by_alias: dict[str, tuple[str | None, str]] = {}
            general: list[str] = []
            for error in errors:
                if not isinstance(error, dict):
                    continue
                path = error.get("path") or []
                message = str(error.get("message") or "error")
                if path and isinstance(path[0], str):
                    by_alias.setdefault(path[0], (error.get("type"), message))
                else:
                    general.append(f"{error.get('type') or 'ERROR'}: {message}")
            if data is None or (general and not by_alias and not _has_aliases(data)):
                raise FetchError(endpoint, 200, "; ".join(general) or "no data in the answer")
            return Answer(data, by_alias, cost)

    def _reset_wait(self, resp: Any) -> float:
        reset = resp.headers.get("x-ratelimit-reset")
        if reset:
            try:
                return self.client.seconds_until(float(reset)) + 1.0
            except ValueError:
                pass
        return 60.0


def _has_aliases(data: dict[str, Any]) -> bool:
    return any(key != "rateLimit" for key in data)


class Batch(Generic[T]):
    """One item's result from `run_batched`: its data under the alias, or why there is none."""

    def __init__(self, item: T, data: Any = None, error: FetchError | None = None):
        self.item = item
        self.data = data
        self.error = error


def batch_size(requests_per_item: int, *, max_aliases: int = MAX_ALIASES,
               max_requests: int = MAX_CONNECTION_REQUESTS) -> int:
    """How many items fit one query: at most `max_aliases`, and few enough that the query's
    connection requests (GitHub's cost before dividing by 100) stay under `max_requests`."""
    return max(1, min(max_aliases, max_requests // max(requests_per_item, 1)))


def run_batched(gql: GraphQLClient, name: str, items: Sequence[T], fragment: Callable[[str, T], str],
                fragments: str | Callable[[Sequence[T]], str] = "") -> list[Batch[T]]:
    """Query every item under its own alias (`a0`, `a1`, …) in one query; returns one Batch per
    item, in order. `fragments` (text, or text for the items at hand: GraphQL rejects a fragment
    a query does not use) is appended to the query. A query that fails as a whole is split in
    two and retried, down to one item, whose failure becomes its own error."""
    if not items:
        return []
    aliases = [f"a{i}" for i in range(len(items))]
    tail = fragments(items) if callable(fragments) else fragments
    text = "query {\n  " + RATE_LIMIT_FIELDS + "\n" + "\n".join(
        f"  {alias}: {fragment(alias, item)}" for alias, item in zip(aliases, items, strict=True)) + "\n}\n" + tail
    try:
        answer = gql.query(name, text)
    except FetchError as exc:
        if len(items) == 1:
            return [Batch(items[0], error=exc)]
        half = math.ceil(len(items) / 2)
        log.info("GraphQL %s: a query of %d items failed (%s); splitting it", name, len(items), exc.message)
        return [*run_batched(gql, name, items[:half], fragment, fragments),
                *run_batched(gql, name, items[half:], fragment, fragments)]
    out: list[Batch[T]] = []
    for alias, item in zip(aliases, items, strict=True):
        if alias in answer.errors:
            kind, message = answer.errors[alias]
            out.append(Batch(item, error=FetchError(f"{GRAPHQL_ENDPOINT} {name}", 404 if kind == "NOT_FOUND" else 200,
                                                    f"{kind or 'error'}: {message}")))
        else:
            out.append(Batch(item, data=answer.data.get(alias)))
    return out


