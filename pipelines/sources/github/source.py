"""`GitHubSource`: one refresh of an organisation from the GitHub REST API into the raw tables.

The main thread lists the organisation's repos page by page (committing each page with its
ETag) and hands per-repo work — files, runs, deployments, and the exception-request issues —
to a small pool of worker threads. Workers only talk HTTP; every Batch they return is
committed by the main thread on the writer connection, data and cursors in one transaction.
A repo part that still fails after retries is recorded in `raw.fetch_errors` and the refresh
goes on; its previously stored data stays as it was.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime
from typing import Any

import duckdb
import polars as pl

from pipelines.config import Settings
from pipelines.raw_schema import RAW_TABLES
from pipelines.sources.github import activity, fetch, history, templates
from pipelines.sources.github.auth import CredentialError, credentials_from
from pipelines.sources.github.client import GRAPHQL_IN_FLIGHT, Accounting, FetchError, GitHubClient
from pipelines.sources.github.graphql import GraphQLClient
from pipelines.sources.github.incremental import Batch, StoredState, commit, repo_problem
from pipelines.sources.github.rows import in_scope
from pipelines.sources.problems import FetchProblem, write_problems
from pipelines.template_repos import tracked_repos, unreadable
from pipelines.warehouse import transaction, upsert

log = logging.getLogger(__name__)

FILES_PER_JOB = 50  # repos per GraphQL files job (one query of ~3 points when they fit)
ACTIVITY_PER_JOB = 100  # repos per GraphQL activity job (one query of 2 points)

Progress = Callable[[str, int, int], None]


class SourceError(Exception):
    """The refresh cannot go on (GitHub unreachable, organisation not visible); one-line reason."""


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class GitHubSource:
    """Loads a GitHub organisation into `raw.*`; see the module docstring and docs/github-source.md."""

    def __init__(self, settings: Settings, *, sleep: Callable[[float], None] = time.sleep,
                 progress: Progress | None = None, environ: Mapping[str, str] = os.environ,
                 now: Callable[[], datetime] = utc_now, max_attempts: int = 5):
        if settings.github is None:
            raise ValueError("GitHubSource needs a `github:` section in the configuration")
        self.settings = settings
        self._sleep = sleep
        self._progress = progress or (lambda stage, done, total: None)
        self._environ = environ
        self._now = now
        self._max_attempts = max_attempts
        self._client: GitHubClient | None = None
        self.accounting = Accounting()

    # credentials -------------------------------------------------------------------------------
    def check_credentials(self) -> None:
        """Raise CredentialError (naming the variable or file to fix, never the secret) unless
        GitHub accepts the configured credential; SourceError when GitHub cannot be reached.

        Costs one `GET /rate_limit` (free on GitHub), plus the installation-token exchange for
        a GitHub App. Nothing is written.
        """
        if self._client is not None:
            return
        gh = self.settings.github
        assert gh is not None
        creds = credentials_from(gh, self._environ)
        self.accounting = Accounting()
        client = GitHubClient(creds, gh.api_url, sleep=self._sleep, announce=self._announce,
                              accounting=self.accounting, max_attempts=self._max_attempts,
                              max_in_flight=gh.max_concurrency, rest_per_minute=gh.requests_per_minute)
        try:
            resp = client.get(fetch.RATE_LIMIT, "/rate_limit")
        except FetchError as exc:
            client.close()
            raise SourceError(f"cannot reach the GitHub API at {gh.api_url} (github.api_url): {exc.message}") from None
        except CredentialError:
            client.close()
            raise
        # 404: Enterprise Server with rate limiting disabled answers "Rate limiting is not enabled."
        if resp.status not in (200, 404):
            client.close()
            raise CredentialError(creds.scrub(
                f"GitHub refused {creds.describe} ({resp.status}: {resp.message()}); {creds.fix}"))
        self._client = client

    def close(self) -> None:
        """Release connections (load_into does this itself; for a check without a load)."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def _announce(self, message: str, seconds: float) -> None:
        log.warning(message)
        self._progress(message, 0, math.ceil(seconds))

    # the load --------------------------------------------------------------------------------------
    def load_into(self, con: duckdb.DuckDBPyConnection, refresh_id: str) -> dict[str, Any]:
        """Fetch what changed since the last refresh into `raw.*`; returns run metadata.

        The metadata holds rows written per table, requests sent, 304s, retries, rate-limit
        waits, seconds waited, bytes, and the repos that failed (also in raw.fetch_errors).
        """
        self.check_credentials()
        assert self._client is not None and self.settings.github is not None
        ctx = fetch.Context(self._client, self.settings, StoredState.read(con), self._now())
        snapshot = fetch.Snapshot.read(con)
        run = _Run(self, con, ctx, snapshot, history.known_versions(con))
        try:
            run.execute()
        finally:
            run.record(refresh_id)
            self.close()
        return run.metadata()


class _Run:
    """The state of one load: the pool, what was written, what failed."""

    def __init__(self, source: GitHubSource, con: duckdb.DuckDBPyConnection, ctx: fetch.Context,
                 snapshot: fetch.Snapshot, known: dict[str, dict[str, history.Known]]):
        self.source = source
        self.con = con
        self.ctx = ctx
        self.snapshot = snapshot
        self.known = known
        self.gql: GraphQLClient | None = None
        self.gql_wanted = False
        self.graphql_used = False
        self.pending_files: list[history.Target] = []
        self.pending_activity: list[dict[str, Any]] = []
        self.runs_skipped = 0
        self.early_runs: set[str] = set()  # repos whose runs were asked for before their signals came
        self.runs_read: set[str] = set()  # … of those, the ones whose runs are committed
        self.signals_waiting: dict[str, activity.Activity] = {}
        self.written: Counter[str] = Counter()
        self.errors: list[tuple[FetchProblem, datetime]] = []
        self.listed: list[str] = []
        self.listed_rows: dict[str, dict[str, Any]] = {}  # lower-case name → raw.repos row
        self.in_scope = 0
        self.jobs_total = 0
        self.jobs_done = 0
        self.futures: dict[Future, tuple[Any, ...]] = {}

    def execute(self) -> None:
        gh = self.ctx.settings.github
        assert gh is not None
        pool = ThreadPoolExecutor(max_workers=gh.max_concurrency, thread_name_prefix="pathlens-github")
        self._pool = pool
        # GraphQL jobs wait on GitHub's slowest answers: their own two threads (the GraphQL
        # in-flight bound), so REST jobs never queue behind them
        self._gql_pool = ThreadPoolExecutor(max_workers=GRAPHQL_IN_FLIGHT, thread_name_prefix="pathlens-graphql")
        self.gql_wanted = gh.graphql
        try:
            listing_keys: set[str | None] = set()
            try:
                for batch, rows, key in fetch.list_repos(self.ctx, self.snapshot):
                    listing_keys.add(key)
                    self._commit(batch)
                    for row in rows:
                        self._submit_repo(pool, row)
                    self.source._progress("GitHub: listing repositories", len(self.listed), 0)
                    self._drain(block=False)
            except FetchError as exc:
                raise SourceError(
                    f"cannot list the repositories of '{gh.org}' (github.org) at {gh.api_url}: "
                    f"{exc.status or 'no answer'}: {exc.message}") from None
            self._flush_files(pool)
            self._flush_activity(pool)
            for full in self.ctx.settings.exceptions.repos:
                self._submit(pool, full, "issues", fetch.fetch_issues, self.ctx, full)
            self._submit_templates(pool)
            while self.futures:
                self._drain(block=True)
            vanished = set(self.snapshot.repos) - set(self.listed)
            self._commit(fetch.forget_repos(self.ctx, vanished, listing_keys))
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            self._gql_pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        self._gql_pool.shutdown(wait=True)

    def _submit_repo(self, pool: ThreadPoolExecutor, row: dict[str, Any]) -> None:
        full = row["repo"]
        if full in self.listed:
            return
        self.listed.append(full)
        self.listed_rows[full.lower()] = row
        if not in_scope(row, self.ctx.settings.github.exclude_repos):  # type: ignore[union-attr]
            return
        self.in_scope += 1
        need = fetch.files_need_reading(self.ctx, row)
        if self.gql_wanted:
            self.gql = self._graphql_if_available()  # asked once, when the first repo in scope is listed
            self.gql_wanted = False
        if self.gql is not None and (need or history.window_extended(self.ctx, row)):
            self.pending_files.append(history.plan(self.ctx, row))
            if len(self.pending_files) >= FILES_PER_JOB:
                self._flush_files(pool)
        elif need:
            known = {path: (k.blob, k.committed_at) for path, k in self.known.get(full, {}).items()}
            self._submit(pool, full, "files", fetch.fetch_files, self.ctx, row, self.snapshot.files.get(full, {}), known)
        if self.gql is not None:
            if activity.runs_needed(self.ctx, full, None):  # due whatever the signals say: ask now
                self.early_runs.add(full)
                self._submit(pool, full, "runs", fetch.fetch_runs, self.ctx, row)
            self.pending_activity.append(row)
            if len(self.pending_activity) >= ACTIVITY_PER_JOB:
                self._flush_activity(pool)
        else:
            self._submit_rest_activity(pool, row)

    def _submit_rest_activity(self, pool: ThreadPoolExecutor, row: dict[str, Any]) -> None:
        full = row["repo"]
        self._submit(pool, full, "runs", fetch.fetch_runs, self.ctx, row)
        self._submit(pool, full, "deployments", fetch.fetch_deployments, self.ctx, row,
                     self.snapshot.deployments.get(full, {}))

    def _flush_activity(self, pool: ThreadPoolExecutor) -> None:
        if not self.pending_activity or self.gql is None:
            return
        rows, self.pending_activity = self.pending_activity, []
        label = f"{rows[0]['repo']} … ({len(rows)} repos)"
        self.futures[self._gql_pool.submit(_guarded_many, label, activity.read_activity, self.ctx, self.gql, rows,
                                 self.snapshot.deployments)] = (label, "activity", rows)  # type: ignore[assignment]
        self.jobs_total += 1

    def _on_activity(self, pool: ThreadPoolExecutor, item: activity.Activity) -> Batch | None:
        """Ask for the repo's runs when the signals say so. For runs asked for early, the signals
        are stored once both the runs and the signals are in (a batch to commit, or None)."""
        full = item.repo["repo"]
        if full in self.early_runs:
            if full in self.runs_read:
                return _signals_batch(self.ctx, item)
            self.signals_waiting[full] = item
            return None
        if item.runs_needed:
            self._submit(pool, full, "runs", _runs_with_signals, self.ctx, item)
        else:
            self.runs_skipped += 1
        return None

    def _on_runs_read(self, full: str) -> Batch | None:
        if full not in self.early_runs:
            return None
        waiting = self.signals_waiting.pop(full, None)
        if waiting is not None:
            return _signals_batch(self.ctx, waiting)
        self.runs_read.add(full)
        return None

    def _graphql_if_available(self) -> GraphQLClient | None:
        """A GraphQL client, or None when the API has no GraphQL (an old Enterprise Server answers
        404): the REST path then reads the files, as before."""
        assert self.source._client is not None
        gql = GraphQLClient(self.source._client)
        try:
            gql.query("probe", "query { rateLimit { cost remaining resetAt } }")
        except FetchError as exc:
            log.warning("GitHub GraphQL API not available (%s: %s); reading files through REST",
                        exc.status, exc.message)
            return None
        self.graphql_used = True
        return gql

    def _flush_files(self, pool: ThreadPoolExecutor) -> None:
        if not self.pending_files or self.gql is None:
            return
        targets, self.pending_files = self.pending_files, []
        label = f"{targets[0].full} … ({len(targets)} repos)"
        self.futures[self._gql_pool.submit(_guarded_many, label, history.read_repos, self.ctx, self.gql, targets,
                                 self.known)] = (label, "files")
        self.jobs_total += 1

    def _submit_templates(self, pool: ThreadPoolExecutor) -> None:
        """The golden paths' template repos and the platform workflow repos (templates.py);
        a golden path whose template is not a GitHub repository is said once, here."""
        for problem in unreadable(self.ctx.settings):
            log.warning("golden path %r: %s (%s): its services' template drift is not computed",
                        problem.golden_path, problem.reason, problem.source or "no source")
        known = templates.known_commits(self.con)
        for repo in tracked_repos(self.ctx.settings):
            self._submit(pool, repo, "template history", templates.fetch_template_history, self.ctx, repo,
                         self.listed_rows.get(repo), known.get(repo, frozenset()))

    def _submit(self, pool: ThreadPoolExecutor, repo: str, part: str, fn: Callable[..., Batch], *args: Any) -> None:
        self.futures[pool.submit(_guarded, repo, part, fn, *args)] = (repo, part)
        self.jobs_total += 1

    def _drain(self, *, block: bool) -> None:
        if not self.futures:
            return
        done, _ = wait(list(self.futures), timeout=None if block else 0, return_when=FIRST_COMPLETED)
        batches = []
        for future in done:
            job = self.futures.pop(future)
            outcome = future.result()  # re-raises CredentialError and interruptions
            answered: set[str] = set()
            for item in outcome if isinstance(outcome, list) else [outcome]:
                if isinstance(item, FetchProblem):
                    self._error(item)
                elif isinstance(item, activity.Activity):
                    answered.add(item.repo["repo"])
                    batches.append(item.batch)
                    signals = self._on_activity(self._pool, item)
                    if signals is not None:
                        batches.append(signals)
                else:
                    batches.append(item)
                    if job[1] == "runs":
                        signals = self._on_runs_read(job[0])
                        if signals is not None:
                            batches.append(signals)
            if job[1] == "activity":  # repos the query did not answer: runs and deployments by REST
                for row in job[2]:  # type: ignore[misc]
                    if row["repo"] not in answered:
                        if row["repo"] in self.early_runs:
                            self._submit(self._pool, row["repo"], "deployments", fetch.fetch_deployments, self.ctx,
                                         row, self.snapshot.deployments.get(row["repo"], {}))
                        else:
                            self._submit_rest_activity(self._pool, row)
        self._commit(*batches)
        self.jobs_done += len(done)
        self.source._progress("GitHub: reading repositories", self.jobs_done, self.jobs_total)

    def _commit(self, *batches: Batch) -> None:
        if not batches:
            return
        self.written.update(commit(self.con, list(batches), self.ctx.now))
        for batch in batches:
            for note in batch.notes:
                self._error(note)

    def _error(self, record: FetchProblem) -> None:
        log.warning("GitHub: %s: %s: %s: %s", record.scope, record.endpoint, record.status, record.message)
        self.errors.append((record, utc_now()))

    def record(self, refresh_id: str) -> None:
        """Append this refresh's accounting and errors (also after an interrupted load)."""
        now = utc_now()
        log_rows = self.source.accounting.rows(refresh_id, now)
        problems = list(self.errors)
        with transaction(self.con):
            spec = RAW_TABLES["fetch_log"]
            if log_rows:
                upsert(self.con, spec, pl.from_dicts(log_rows, schema=spec.polars_schema()))
            write_problems(self.con, refresh_id, problems)

    def metadata(self) -> dict[str, Any]:
        totals = self.source.accounting.totals()
        return {
            "source": "github",
            **{f"rows_{table}": self.written.get(table, 0)
               for table in ("repos", "repo_files", "repo_file_versions", "workflow_runs", "deployments", "issues",
                             "template_commits", "template_refs")},
            "graphql": self.graphql_used,
            "runs_skipped": self.runs_skipped,
            "graphql_points": self.source.accounting.points(),
            "repos_listed": len(self.listed),
            "repos_in_scope": self.in_scope,
            "requests": totals.requests,
            "not_modified": totals.not_modified,
            "counted_requests": self.source.accounting.counted(),
            "retries": totals.retries,
            "rate_limit_waits": totals.rate_limit_waits,
            "wait_s": round(totals.wait_s, 1),
            "bytes": totals.bytes,
            "errors": len(self.errors),
            "failed_repos": sorted({e.scope for e, _ in self.errors}),
        }


def _signals_batch(ctx: fetch.Context, item: activity.Activity) -> Batch:
    batch = Batch(f"signals {item.repo['repo']}")
    batch.state[(item.repo["repo"], "activity")] = activity.activity_state(ctx, item)
    return batch


def _runs_with_signals(ctx: fetch.Context, item: activity.Activity) -> Batch:
    """The repo's runs (REST), with the signals they were read at, committed together."""
    batch = fetch.fetch_runs(ctx, item.repo)
    batch.state[(item.repo["repo"], "activity")] = activity.activity_state(ctx, item)
    return batch


def _guarded_many(label: str, fn: Callable[..., list[Batch | FetchProblem]], *args: Any) -> list[Batch | FetchProblem]:
    """`_guarded` for a job over many repos (it reports each repo's failure itself)."""
    try:
        return fn(*args)
    except CredentialError:
        raise
    except FetchError as exc:
        return [repo_problem(label, exc.endpoint, exc.status, exc.message)]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return [repo_problem(label, "files", None, f"unexpected answer ({type(exc).__name__}: {exc})")]


def _guarded(repo: str, part: str, fn: Callable[..., Batch], *args: Any) -> Batch | FetchProblem:
    """Run one job in a worker: a FetchError (or a malformed answer) becomes an FetchProblem for
    this repo part; a rejected credential or an interruption propagates and ends the load."""
    try:
        return fn(*args)
    except CredentialError:
        raise
    except FetchError as exc:
        return repo_problem(repo, exc.endpoint, exc.status, exc.message)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return repo_problem(repo, part, None, f"unexpected answer ({type(exc).__name__}: {exc})")
