"""The Kubernetes source: every configured kubeconfig context → the `raw.k8s_*` tables.

Contexts are read in parallel (each is its own API server) and written one at a time, each in
its own transaction, so a cluster that fails leaves the others' rows and its own previous rows
untouched. What a refresh does to each table:

- `raw.k8s_namespaces`: listed namespaces are upserted with `deleted = false`; ones the cluster
  no longer lists are kept and marked `deleted = true` (their `fetched_at` stays the last time
  they were seen), so per-pull-request namespaces are still counted after they are torn down.
- `raw.k8s_workloads`: Deployments and StatefulSets as the cluster has them now. One the cluster
  no longer has is deleted from the table: it no longer runs, so its pod template says nothing
  about what runs. Its rollouts stay in `raw.k8s_replicasets`.
- `raw.k8s_replicasets`: every ReplicaSet ever seen. New ones are added, listed ones updated,
  ones the cluster has pruned are kept as they were last seen. `first_seen_at` is kept across
  refreshes (reset only when a ReplicaSet of the same name has a new uid: a different object).

Nothing is deleted or marked deleted on the strength of a list that failed or was only partly
readable; loading the same cluster state twice changes nothing but `fetched_at`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import polars as pl
from kubernetes import config as k8s_config
from kubernetes.config.config_exception import ConfigException

from pipelines.raw_schema import RAW_TABLES
from pipelines.sources.kubernetes.listing import (
    PATHS,
    SOURCE,
    CallStats,
    ClusterReader,
    ContextUnusable,
    Listing,
    ResourceFailed,
)
from pipelines.sources.kubernetes.rows import namespace_rows, replicaset_rows, workload_rows
from pipelines.sources.problems import FetchProblem, write_problems
from pipelines.warehouse import transaction, upsert

if TYPE_CHECKING:
    from pipelines.config import Settings

log = logging.getLogger(__name__)

# what one load counts, per context and in total (the load's metadata)
COUNTS = ("rows_k8s_namespaces", "rows_k8s_workloads", "rows_k8s_replicasets", "new_replicasets",
          "namespaces_marked_deleted", "workloads_removed", "unlabelled_workloads", "requests", "errors")
WORKLOAD_KINDS = {"deployments": "Deployment", "statefulsets": "StatefulSet"}


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class ContextSnapshot:
    """What one context gave: complete listings only, plus what failed and what it cost."""

    context: str
    fetched_at: datetime
    namespaces: Listing | None = None
    apps: dict[str, Listing] = field(default_factory=dict)  # resource → listing
    errors: list[FetchProblem] = field(default_factory=list)
    stats: dict[str, CallStats] = field(default_factory=dict)


class KubernetesSource:
    """Reads Namespaces, Deployments, StatefulSets and ReplicaSets from kubeconfig contexts.

    Needs only `list` on those resources (see docs/kubernetes-source.md for the ClusterRole).
    `service_label` / `fallback_label` are not used to filter anything: every object is stored
    with its labels and the SQL maps objects to services; they are used here only to count, in
    the returned metadata, the workloads that carry neither label.
    """

    def __init__(
        self,
        *,
        kubeconfig: str,
        contexts: list[str],
        service_label: str = "backstage.io/kubernetes-id",
        fallback_label: str = "app.kubernetes.io/name",
        page_size: int = 500,
        retries: int = 3,
        timeout: tuple[float, float] = (5.0, 60.0),
        max_parallel: int = 4,
        clock: Callable[[], datetime] = utc_now,
    ):
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, got {page_size}")
        # Like KUBECONFIG, several files may be joined with os.pathsep; the client merges them.
        self.kubeconfig = os.pathsep.join(str(Path(p).expanduser()) for p in kubeconfig.split(os.pathsep))
        self.contexts = list(contexts)
        self.service_label = service_label
        self.fallback_label = fallback_label
        self.page_size = page_size
        self.retries = retries
        self.timeout = timeout
        self.max_parallel = max_parallel
        self.clock = clock

    @classmethod
    def from_settings(cls, settings: Settings) -> KubernetesSource | None:
        """The source for `settings.kubernetes`, or None when no clusters are configured."""
        k = settings.kubernetes
        if k is None:
            return None
        return cls(
            kubeconfig=k.kubeconfig,
            contexts=k.contexts,
            service_label=k.service_label,
            fallback_label=k.fallback_label,
        )

    # -- fetching -----------------------------------------------------------------------

    def resolved_contexts(self) -> tuple[list[str], list[FetchProblem]]:
        """The contexts to read: the configured ones, or the kubeconfig's current context.

        Returns (contexts, errors); an error here means the kubeconfig itself is unusable.
        """
        if self.contexts:
            return list(dict.fromkeys(self.contexts)), []
        try:
            _, current = k8s_config.list_kube_config_contexts(config_file=self.kubeconfig)
        except (ConfigException, OSError, ValueError) as exc:
            return [], [FetchProblem(SOURCE, "(current-context)", "kubeconfig", None, f"kubeconfig {self.kubeconfig}: {exc}")]
        return [current["name"]], []

    def fetch(self, context: str) -> ContextSnapshot:
        """Lists everything of one context; never raises for API or kubeconfig failures."""
        snap = ContextSnapshot(context, self.clock())
        reader = ClusterReader(
            self.kubeconfig, context, page_size=self.page_size, retries=self.retries, timeout=self.timeout
        )
        try:
            with reader:
                try:
                    snap.namespaces = reader.list_namespaces()
                except ResourceFailed as exc:
                    snap.errors.append(exc.error)
                names = None
                if snap.namespaces is not None:
                    names = sorted({(o.get("metadata") or {}).get("name") for o in snap.namespaces.items} - {None})
                for resource in ("deployments", "statefulsets", "replicasets"):
                    try:
                        snap.apps[resource] = reader.list_apps(resource, names)
                    except ResourceFailed as exc:
                        snap.errors.append(exc.error)
        except ContextUnusable as exc:
            snap.errors.append(exc.error)
        snap.errors[:0] = reader.errors
        snap.stats = reader.stats
        for error in snap.errors:
            log.warning("kubernetes context %s: %s (%s) %s", context, error.endpoint, error.status, error.message)
        return snap

    # -- loading ------------------------------------------------------------------------

    def load_into(self, con: duckdb.DuckDBPyConnection, refresh_id: str) -> dict:
        """Fetches every context and writes it; returns row, request and error counts.

        A context that cannot be read at all, or only in part, is recorded in `raw.fetch_errors`
        and the rest still load. Returns JSON-ready metadata for the Dagster materialisation.
        """
        contexts, config_errors = self.resolved_contexts()
        totals: dict = {"source": SOURCE, "contexts": contexts, **dict.fromkeys(COUNTS, 0),
                        "errors_by_context": {}}
        for error in config_errors:
            self._write_errors(con, refresh_id, [error], utc_now())
            totals["errors_by_context"][error.scope] = 1
            totals["errors"] += 1
        if not contexts:
            return totals
        with ThreadPoolExecutor(max_workers=max(1, min(self.max_parallel, len(contexts)))) as pool:
            for snap in pool.map(self.fetch, contexts):  # in the configured order
                counts = self._write_context(con, refresh_id, snap)
                for key, value in counts.items():
                    totals[key] += value
                totals["errors_by_context"][snap.context] = counts["errors"]
        return totals

    def _write_context(self, con: duckdb.DuckDBPyConnection, refresh_id: str, snap: ContextSnapshot) -> dict:
        """Writes one context's snapshot in one transaction; returns what it changed."""
        counts = {**dict.fromkeys(COUNTS, 0), "requests": sum(s.requests for s in snap.stats.values())}
        cluster, at = snap.context, snap.fetched_at
        errors = list(snap.errors)
        with transaction(con):
            if snap.namespaces is not None:
                frame, problems = namespace_rows(snap.namespaces.items, cluster, at)
                errors += [FetchProblem(SOURCE, cluster, PATHS["namespaces"][0], None, p) for p in problems]
                counts["rows_k8s_namespaces"] = upsert(con, RAW_TABLES["k8s_namespaces"], frame)
                counts["namespaces_marked_deleted"] = self._mark_deleted_namespaces(con, cluster, frame)
            for resource, kind in WORKLOAD_KINDS.items():
                listing = snap.apps.get(resource)
                if listing is None:
                    continue
                frame, problems = workload_rows(listing.items, cluster, kind, at)
                errors += [FetchProblem(SOURCE, cluster, PATHS[resource][0], None, p) for p in problems]
                counts["rows_k8s_workloads"] += upsert(con, RAW_TABLES["k8s_workloads"], frame)
                counts["workloads_removed"] += self._remove_gone_workloads(con, cluster, kind, frame, listing, snap)
                counts["unlabelled_workloads"] += self._count_unlabelled(listing.items)
            listing = snap.apps.get("replicasets")
            if listing is not None:
                frame, problems = replicaset_rows(listing.items, cluster, at)
                errors += [FetchProblem(SOURCE, cluster, PATHS["replicasets"][0], None, p) for p in problems]
                frame, new = self._keep_first_seen(con, frame)
                counts["rows_k8s_replicasets"] = upsert(con, RAW_TABLES["k8s_replicasets"], frame)
                counts["new_replicasets"] = new
            counts["errors"] = self._write_errors(con, refresh_id, errors, at)
            self._write_log(con, refresh_id, cluster, snap.stats)
        return counts

    def _count_unlabelled(self, items: list[dict]) -> int:
        def labels(obj: dict) -> dict:
            value = (obj.get("metadata") or {}).get("labels")
            return value if isinstance(value, dict) else {}

        return sum(1 for o in items if not ({self.service_label, self.fallback_label} & labels(o).keys()))

    @staticmethod
    def _mark_deleted_namespaces(con: duckdb.DuckDBPyConnection, cluster: str, listed: pl.DataFrame) -> int:
        """Marks the cluster's namespaces missing from a complete list as deleted; returns how many."""
        con.register("_listed_namespaces", listed.select("name"))
        try:
            (count,) = con.execute(
                """
                UPDATE raw.k8s_namespaces SET deleted = true
                WHERE cluster = ? AND NOT deleted
                  AND name NOT IN (SELECT name FROM _listed_namespaces)
                """,
                [cluster],
            ).fetchone()
        finally:
            con.unregister("_listed_namespaces")
        return count

    @staticmethod
    def _remove_gone_workloads(
        con: duckdb.DuckDBPyConnection, cluster: str, kind: str, listed: pl.DataFrame,
        listing: Listing, snap: ContextSnapshot,
    ) -> int:
        """Deletes workloads of `kind` that a complete enough list no longer shows; returns how many.

        A cluster-wide list covers every namespace. A per-namespace fallback covers the
        namespaces it could read, and namespaces the cluster no longer has at all.
        """
        params: list = [cluster, kind]
        scope = ""
        if listing.namespaces is not None:
            readable = sorted(listing.namespaces)
            existing = [] if snap.namespaces is None else [
                (o.get("metadata") or {}).get("name") for o in snap.namespaces.items
            ]
            scope = "AND (list_contains(?, w.namespace)"
            params.append(readable)
            if snap.namespaces is not None:
                scope += " OR NOT list_contains(?, w.namespace)"
                params.append([n for n in existing if n])
            scope += ")"
        con.register("_listed_workloads", listed.select("namespace", "name"))
        try:
            (count,) = con.execute(
                f"""
                DELETE FROM raw.k8s_workloads w
                WHERE w.cluster = ? AND w.kind = ? {scope}
                  AND NOT EXISTS (
                    SELECT 1 FROM _listed_workloads l WHERE l.namespace = w.namespace AND l.name = w.name
                  )
                """,  # noqa: S608 - `scope` is built from fixed text; values are parameters
                params,
            ).fetchone()
        finally:
            con.unregister("_listed_workloads")
        return count

    @staticmethod
    def _keep_first_seen(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> tuple[pl.DataFrame, int]:
        """The frame with `first_seen_at` taken from the stored row of the same object.

        Same object = same cluster, namespace, name and uid. Returns (frame, rows never seen before).
        """
        con.register("_incoming_rs", frame)
        try:
            merged = con.sql(
                """
                SELECT i.* REPLACE (coalesce(s.first_seen_at, i.first_seen_at) AS first_seen_at),
                       s.first_seen_at IS NULL AS _new
                FROM _incoming_rs i
                LEFT JOIN raw.k8s_replicasets s
                  ON s.cluster = i.cluster AND s.namespace = i.namespace AND s.name = i.name
                 AND s.uid IS NOT DISTINCT FROM i.uid
                """
            ).pl()
        finally:
            con.unregister("_incoming_rs")
        return merged.drop("_new"), int(merged["_new"].sum())

    @staticmethod
    def _write_errors(con: duckdb.DuckDBPyConnection, refresh_id: str,
                      errors: list[FetchProblem], at: datetime) -> int:
        return write_problems(con, refresh_id, [(e, at) for e in errors])

    @staticmethod
    def _write_log(con: duckdb.DuckDBPyConnection, refresh_id: str, context: str,
                   stats: dict[str, CallStats]) -> int:
        now = utc_now()
        frame = pl.DataFrame(
            [
                {"refresh_id": refresh_id, "source": SOURCE, "endpoint": f"{context}:{path}",
                 "requests": s.requests, "not_modified": 0, "retries": s.retries,
                 "rate_limit_waits": s.rate_limit_waits, "wait_s": 0.0,
                 "bytes": s.bytes, "recorded_at": now}
                for path, s in stats.items()
            ],
            schema=RAW_TABLES["fetch_log"].polars_schema(),
        )
        return upsert(con, RAW_TABLES["fetch_log"], frame)
