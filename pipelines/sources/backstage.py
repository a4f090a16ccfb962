"""The optional Backstage catalog source: Component entities from `GET {url}/api/catalog/entities`.

For organisations whose catalog is not all in repos. Entities land in `raw.backstage_entities`
(one row per `component:namespace/name`, the whole entity as JSON); the SQL merges them with
the repo files by entity name. The catalog API returns the current catalog, so a successful
load replaces the table in one transaction; a failed one records the failure in
`raw.fetch_errors` and leaves the previous entities in place.

The bearer token, if the catalog needs one, is read from the environment variable named by
`backstage.token_env`; it never appears in messages or logs.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import duckdb
import polars as pl
import requests

from pipelines.config import Settings
from pipelines.raw_schema import RAW_TABLES
from pipelines.retry import Backoff, retry_after_s
from pipelines.scrub import register, scrub
from pipelines.sources.github.auth import CredentialError
from pipelines.sources.github.source import SourceError
from pipelines.sources.problems import FetchProblem, write_problems
from pipelines.warehouse import transaction, upsert

log = logging.getLogger(__name__)

ENDPOINT = "GET /api/catalog/entities"
BACKOFF = Backoff(first_s=1.0, max_s=30.0, jitter=True)  # unless the catalog sends Retry-After
PAGE_SIZE = 500


class BackstageSource:
    """Loads Backstage Component entities into `raw.backstage_entities`."""

    def __init__(self, settings: Settings, *, sleep: Callable[[float], None] = time.sleep,
                 environ: Mapping[str, str] = os.environ, max_attempts: int = 4, timeout_s: float = 30,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC).replace(tzinfo=None)):
        if settings.backstage is None:
            raise ValueError("BackstageSource needs a `backstage:` section in the configuration")
        self.settings = settings.backstage
        self._sleep = sleep
        self._environ = environ
        self._max_attempts = max_attempts
        self._timeout_s = timeout_s
        self._now = now
        self._session = requests.Session()
        self._token: str | None = None
        self.requests = self.retries = self.bytes = 0

    @property
    def url(self) -> str:
        return self.settings.url.rstrip("/") + "/api/catalog/entities"

    def check_credentials(self) -> None:
        """Raise CredentialError naming the variable to fix unless the catalog accepts us, or
        SourceError when it cannot be reached. Costs one small request; writes nothing."""
        self._read_token()
        try:
            resp = self._get({"filter": "kind=component", "limit": 1})
        except _Unavailable as exc:
            raise SourceError(f"cannot reach the Backstage catalog (backstage.url): {exc.message}") from None
        self._check_status(resp)

    def _read_token(self) -> None:
        env = self.settings.token_env
        if env:
            token = (self._environ.get(env) or "").strip()
            if not token:
                raise CredentialError(
                    f"Backstage token missing: the environment variable {env} is not set or empty "
                    f"(backstage.token_env in pathlens.yaml names it)")
            self._token = token
            register(token)

    def _check_status(self, resp: requests.Response) -> None:
        if resp.status_code in (401, 403):
            env = self.settings.token_env
            raise CredentialError(self._scrub(
                f"Backstage at {self.settings.url} rejected "
                f"{'the token in $' + env if env else 'an unauthenticated request'} ({resp.status_code}); "
                f"set backstage.token_env to a variable holding a valid token"))

    def load_into(self, con: duckdb.DuckDBPyConnection, refresh_id: str) -> dict[str, Any]:
        """Replace raw.backstage_entities with the catalog's Components; returns metadata.

        A catalog that cannot be read (after retries) is recorded in raw.fetch_errors and the
        entities stored last time stay; a rejected token raises CredentialError.
        """
        self._read_token()
        now = self._now()
        rows: list[dict[str, Any]] = []
        problems: list[FetchProblem] = []
        try:
            for index, entity in enumerate(self._entities()):
                row = entity_row(entity, now)
                if isinstance(row, str):
                    problems.append(self._problem(None, f"entity #{index}: {row}; skipped"))
                else:
                    rows.append(row)
        except _Unavailable as exc:
            problems.append(self._problem(exc.status, exc.message))
            rows = []
            failed = True
        else:
            failed = False
        with transaction(con):
            if not failed:
                con.execute("DELETE FROM raw.backstage_entities")
                spec = RAW_TABLES["backstage_entities"]
                if rows:
                    upsert(con, spec, pl.from_dicts(rows, schema=spec.polars_schema()))
            self._record(con, refresh_id, now, problems)
        return {"source": "backstage", "rows_backstage_entities": 0 if failed else len(rows),
                "requests": self.requests, "retries": self.retries, "bytes": self.bytes,
                "errors": len(problems), "failed": failed}

    # HTTP ---------------------------------------------------------------------------------------
    def _entities(self):
        offset = 0
        while True:
            resp = self._get({"filter": "kind=component", "limit": PAGE_SIZE, "offset": offset,
                              "order": "asc:metadata.name"})
            self._check_status(resp)
            if resp.status_code != 200:
                raise _Unavailable(resp.status_code, f"HTTP {resp.status_code} from {self.url}")
            try:
                page = resp.json()
            except ValueError:
                raise _Unavailable(200, f"unreadable JSON from {self.url}") from None
            if not isinstance(page, list):
                raise _Unavailable(200, f"expected a JSON array of entities from {self.url}")
            yield from page
            if len(page) < PAGE_SIZE:
                return
            offset += len(page)

    def _get(self, params: dict[str, Any]) -> requests.Response:
        """GET with bounded retries (backoff and jitter) for 5xx, 429, dropped connections and
        truncated bodies; raises _Unavailable once they run out."""
        headers = {"Accept": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        for attempt in range(1, self._max_attempts + 1):
            reason: str
            try:
                resp = self._session.get(self.url, params=params, headers=headers, timeout=self._timeout_s)
                self.requests += 1
                self.bytes += len(resp.content)
                if resp.status_code < 500 and resp.status_code != 429:
                    if resp.status_code == 200:
                        resp.json()  # a truncated body is retried like a dropped connection
                    return resp
                reason = f"HTTP {resp.status_code}"
                wait = retry_after_s(resp.headers.get("Retry-After"))
            except (requests.RequestException, ValueError) as exc:
                self.requests += 1
                reason = type(exc).__name__
                wait = None
            if attempt == self._max_attempts:
                raise _Unavailable(None, self._scrub(f"{self.url}: gave up after {attempt} attempts: {reason}"))
            self.retries += 1
            self._sleep(wait if wait is not None else BACKOFF.wait_s(attempt))
        raise AssertionError("unreachable")

    def _record(self, con: duckdb.DuckDBPyConnection, refresh_id: str, now: datetime,
                problems: list[FetchProblem]) -> None:
        log_spec = RAW_TABLES["fetch_log"]
        upsert(con, log_spec, pl.from_dicts([{
            "refresh_id": refresh_id, "source": "backstage", "endpoint": ENDPOINT, "requests": self.requests,
            "not_modified": 0, "retries": self.retries, "rate_limit_waits": 0, "wait_s": 0.0,
            "bytes": self.bytes, "recorded_at": now}], schema=log_spec.polars_schema()))
        write_problems(con, refresh_id, [(p, now) for p in problems])
        for problem in problems:
            log.warning("Backstage: %s (%s)", problem.message, problem.status)

    def _problem(self, status: int | None, message: str) -> FetchProblem:
        return FetchProblem("backstage", self.settings.url, ENDPOINT, status, message)

    def _scrub(self, text: str) -> str:
        return scrub(text, [self._token] if self._token else [])


def entity_row(entity: Any, fetched_at: datetime) -> dict[str, Any] | str:
    """A raw.backstage_entities row, or why the entity cannot be one."""
    if not isinstance(entity, dict):
        return f"not an object ({type(entity).__name__})"
    kind = entity.get("kind")
    metadata = entity.get("metadata")
    if not isinstance(kind, str) or not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str):
        return "missing kind or metadata.name"
    namespace = metadata.get("namespace") or "default"
    name = metadata["name"]
    return {
        "entity_ref": f"{kind}:{namespace}/{name}".lower(),
        "kind": kind,
        "namespace": namespace,
        "name": name,
        "entity": json.dumps(entity, sort_keys=True),
        "fetched_at": fetched_at,
    }


class _Unavailable(Exception):
    def __init__(self, status: int | None, message: str):
        super().__init__(message)
        self.status = status
        self.message = message

