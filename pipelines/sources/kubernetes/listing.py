"""Reading one cluster: every object of a resource, page by page, through the official client.

`ClusterReader` opens one kubeconfig context and lists Namespaces, Deployments, StatefulSets and
ReplicaSets cluster-wide with ``limit`` / ``continue``. It keeps the raw JSON the API returned
(camelCase, every field), because later SQL reads pod specs and labels it cannot know in advance.

Faults, and what each one costs:
- an expired continue token (410 Gone) restarts that list from the first page, so the result is
  one consistent snapshot without duplicates (at most `MAX_RELISTS` times);
- a forbidden cluster-wide list (403) falls back to one list per known namespace, so a reader
  bound only to some namespaces still gets those; each namespace it may not read is an error;
- an unreachable API server, or rejected credentials (401), ends the context: nothing more can
  be read from it, and one error says why.
Transient failures (connection resets, 429, 5xx) are retried by urllib3 with a short backoff
before any of this applies.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import urllib3
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from pipelines.retry import retry_policy
from pipelines.sources.problems import FetchProblem

MAX_RELISTS = 3

# resource → (cluster-wide list path, namespaced list path template)
PATHS: dict[str, tuple[str, str | None]] = {
    "namespaces": ("/api/v1/namespaces", None),
    "deployments": ("/apis/apps/v1/deployments", "/apis/apps/v1/namespaces/{ns}/deployments"),
    "statefulsets": ("/apis/apps/v1/statefulsets", "/apis/apps/v1/namespaces/{ns}/statefulsets"),
    "replicasets": ("/apis/apps/v1/replicasets", "/apis/apps/v1/namespaces/{ns}/replicasets"),
}


SOURCE = "kubernetes"


@dataclass
class CallStats:
    """API calls spent on one endpoint; becomes one `raw.fetch_log` row."""

    requests: int = 0
    retries: int = 0  # urllib3 retries plus relists after an expired continue token
    rate_limit_waits: int = 0  # 429 answers retried after their Retry-After
    elapsed_s: float = 0.0  # time spent on requests, retries and their waits included
    bytes: int = 0


@dataclass
class Listing:
    """The objects of one resource, and how much of the cluster they cover.

    `namespaces` is None when the list was cluster-wide and complete; otherwise it is the set of
    namespaces that were read completely (what is absent elsewhere is unknown, not deleted).
    """

    items: list[dict]
    namespaces: frozenset[str] | None = None


class ContextUnusable(Exception):
    """The context cannot be read at all (bad kubeconfig, unreachable, unauthorised)."""

    def __init__(self, error: FetchProblem):
        super().__init__(error.message)
        self.error = error


class ResourceFailed(Exception):
    """One list failed (403, 404, 5xx after retries); the other resources can still be read."""

    def __init__(self, error: FetchProblem):
        super().__init__(error.message)
        self.error = error


def _status_message(exc: ApiException) -> str:
    """The `message` of the Status object the API server answered with, else its reason.

    Never the headers or the full body: those are not needed and may carry more than we want
    to store.
    """
    try:
        status = json.loads(exc.body or b"")
        if isinstance(status, dict) and status.get("message"):
            return str(status["message"])
    except (TypeError, ValueError):
        pass
    return str(exc.reason or "no reason given")


def client_configuration(retries: int, backoff_factor: float) -> k8s.Configuration:
    """A client configuration with bounded urllib3 retries (`pipelines.retry.retry_policy`; the
    library default is 3, no backoff cap). Only idempotent GETs are sent, so connection errors,
    429 and 5xx are all safe to retry; the last error response reaches the client, which raises
    an `ApiException` carrying its status."""
    cfg = k8s.Configuration()
    cfg.retries = retry_policy(retries=retries, backoff_factor=backoff_factor, max_wait_s=10)
    return cfg


@dataclass
class ClusterReader:
    """Lists one kubeconfig context's objects; collects call counts and non-fatal errors."""

    kubeconfig: str
    context: str
    page_size: int = 500
    retries: int = 3
    backoff_factor: float = 0.25
    timeout: tuple[float, float] = (5.0, 60.0)  # (connect, read) seconds per request
    stats: dict[str, CallStats] = field(default_factory=dict)
    errors: list[FetchProblem] = field(default_factory=list)  # each with this context as its scope

    def __post_init__(self) -> None:
        self._api_client: k8s.ApiClient | None = None

    def __enter__(self) -> ClusterReader:
        if not any(Path(p).expanduser().is_file() for p in self.kubeconfig.split(os.pathsep) if p):
            raise ContextUnusable(self._problem("kubeconfig", None, f"kubeconfig {self.kubeconfig}: file not found"))
        try:
            api_client = k8s_config.new_client_from_config(
                config_file=self.kubeconfig,
                context=self.context,
                persist_config=False,  # never write refreshed credentials back into the user's file
                client_configuration=client_configuration(self.retries, self.backoff_factor),
            )
        except (ConfigException, OSError, ValueError) as exc:
            raise ContextUnusable(self._problem("kubeconfig", None, f"kubeconfig {self.kubeconfig}: {exc}")) from None
        api_client.user_agent = "pathlens"
        self._api_client = api_client
        self._core = k8s.CoreV1Api(api_client)
        self._apps = k8s.AppsV1Api(api_client)
        return self

    def _problem(self, endpoint: str, status: int | None, message: str) -> FetchProblem:
        return FetchProblem(SOURCE, self.context, endpoint, status, message)

    def __exit__(self, *exc) -> None:
        if self._api_client is not None:
            self._api_client.close()
            self._api_client.rest_client.pool_manager.clear()

    # -- public -------------------------------------------------------------------------

    def list_namespaces(self) -> Listing:
        return Listing(self._list_all(PATHS["namespaces"][0], self._core.list_namespace))

    def list_apps(self, resource: str, namespaces: list[str] | None) -> Listing:
        """Every object of an apps/v1 resource; per namespace if the cluster-wide list is forbidden.

        `namespaces` are the namespaces the cluster listed (None when that list failed: then
        there is nothing to fall back on). Raises ResourceFailed when nothing could be read.
        """
        all_path, ns_path = PATHS[resource]
        call_all = getattr(self._apps, f"list_{_singular(resource)}_for_all_namespaces")
        try:
            return Listing(self._list_all(all_path, call_all))
        except ResourceFailed as exc:
            if exc.error.status != 403 or namespaces is None:
                raise
            cluster_wide = exc
        call_ns = getattr(self._apps, f"list_namespaced_{_singular(resource)}")
        items: list[dict] = []
        readable: set[str] = set()
        denied: list[FetchProblem] = []
        for ns in namespaces:
            path = ns_path.format(ns=ns)
            try:
                items.extend(self._list_all(path, lambda ns=ns, **kw: call_ns(ns, **kw), log_as=ns_path))
            except ResourceFailed as failed:
                denied.append(failed.error)
                continue
            readable.add(ns)
        if namespaces and not readable:
            raise cluster_wide  # forbidden everywhere: one error says it better than one per namespace
        self.errors.extend(denied)
        return Listing(items, frozenset(readable))

    # -- paging -------------------------------------------------------------------------

    def _list_all(self, path: str, call: Callable[..., urllib3.BaseHTTPResponse],
                  log_as: str | None = None) -> list[dict]:
        """All items of one list, following continue tokens; restarts on 410 Gone.

        Calls are counted under `log_as` (default `path`), so per-namespace lists add up under
        one templated endpoint instead of one log row per namespace.
        """
        stats = self.stats.setdefault(log_as or path, CallStats())
        replicaset = path.endswith("/replicasets")
        relists = 0
        while True:
            items: list[dict] = []
            token: str | None = None
            try:
                while True:
                    page = self._get(path, call, token, stats)
                    items.extend(_trim(o, replicaset) for o in page.get("items") or [])
                    token = (page.get("metadata") or {}).get("continue") or None
                    if token is None:
                        return items
            except ResourceFailed as exc:
                if exc.error.status == 410 and token is not None and relists < MAX_RELISTS:
                    relists += 1
                    stats.retries += 1
                    continue
                raise

    def _get(self, path: str, call: Callable[..., urllib3.BaseHTTPResponse], token: str | None,
             stats: CallStats) -> dict:
        """One page as parsed JSON; translates every failure into ContextUnusable or ResourceFailed."""
        stats.requests += 1
        started = time.monotonic()
        try:
            response = call(limit=self.page_size, _continue=token, _preload_content=False,
                            _request_timeout=self.timeout)
            try:
                data = response.data
            finally:
                response.release_conn()
        except ApiException as exc:
            error = self._problem(path, exc.status or None, _status_message(exc))
            if exc.status == 401 or not exc.status:
                raise ContextUnusable(error) from None
            raise ResourceFailed(error) from None
        except urllib3.exceptions.HTTPError as exc:
            if isinstance(exc, urllib3.exceptions.MaxRetryError):
                stats.retries += self.retries
            reason = getattr(exc, "reason", None) or exc
            raise ContextUnusable(self._problem(path, None, f"API server unreachable: {reason}")) from None
        finally:
            stats.elapsed_s += time.monotonic() - started
        history = getattr(response.retries, "history", ()) or ()
        stats.retries += len(history)
        stats.rate_limit_waits += sum(1 for h in history if h.status == 429)
        stats.bytes += len(data)
        try:
            page = json.loads(data)
        except ValueError:
            raise ResourceFailed(self._problem(path, response.status, "response is not JSON")) from None
        if not isinstance(page, dict):
            raise ResourceFailed(self._problem(path, response.status, "response is not a JSON object"))
        return page


def _trim(obj: object, replicaset: bool) -> object:
    """The object without what no table stores and that can be large.

    `managedFields` (server-side apply bookkeeping) goes everywhere; a ReplicaSet keeps only
    metadata and `spec.replicas`, since its pod template repeats its Deployment's at that revision.
    """
    if not isinstance(obj, dict):
        return obj
    meta = obj.get("metadata")
    if isinstance(meta, dict) and "managedFields" in meta:
        obj["metadata"] = {k: v for k, v in meta.items() if k != "managedFields"}
    if replicaset and isinstance(obj.get("spec"), dict):
        obj = {"metadata": obj.get("metadata"), "spec": {"replicas": obj["spec"].get("replicas")}}
    return obj


def _singular(resource: str) -> str:
    return {"deployments": "deployment", "statefulsets": "stateful_set", "replicasets": "replica_set"}[resource]
