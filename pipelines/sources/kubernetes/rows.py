"""Kubernetes API objects (raw JSON) → rows of the raw tables. Pure: no client, no database.

Each function returns the frame and a list of problems, one line per object that was malformed,
naming the object and what was wrong. A problem never drops a good field: an unparsable
``creationTimestamp`` or revision becomes NULL and the row is kept; only an object without a
name (which has no natural key) is skipped.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl

from pipelines.raw_schema import RAW_TABLES

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"


def to_json(value: object) -> str:
    """Compact JSON text, keys in the order the API returned them (stable between reads)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def parse_timestamp(text: object) -> datetime | None:
    """An RFC 3339 timestamp as naive UTC; raises ValueError when it is not one."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise ValueError(f"expected an RFC 3339 string, got {text!r}")
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone")
    return parsed.astimezone(UTC).replace(tzinfo=None)


def _integer(value: object) -> int:
    """An integer from an int or a decimal string (annotations are strings); else ValueError."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise ValueError(f"{value!r} is not an integer")


class _Record:
    """One object's metadata, with problems collected under the object's name."""

    def __init__(self, obj: object, what: str, problems: list[str], namespaced: bool):
        self.problems = problems
        self.meta = (obj.get("metadata") if isinstance(obj, dict) else None) or {}
        self.obj = obj if isinstance(obj, dict) else {}
        name, ns = self.meta.get("name"), self.meta.get("namespace")
        self.ok = isinstance(name, str) and bool(name) and (not namespaced or (isinstance(ns, str) and bool(ns)))
        self.label = f"{what} {ns}/{name}" if namespaced else f"{what} {name}"
        if not self.ok:
            problems.append(f"{what} without a name{' or namespace' if namespaced else ''} skipped: {str(obj)[:200]}")

    def dict_field(self, key: str) -> str:
        value = self.meta.get(key) or {}
        if not isinstance(value, dict):
            self.problems.append(f"{self.label}: metadata.{key} is not an object; stored as {{}}")
            value = {}
        return to_json(value)

    def created_at(self) -> datetime | None:
        try:
            return parse_timestamp(self.meta.get("creationTimestamp"))
        except ValueError as exc:
            self.problems.append(f"{self.label}: creationTimestamp {exc}; stored as NULL")
            return None

    def integer(self, value: object, what: str) -> int | None:
        if value is None:
            return None
        try:
            return _integer(value)
        except ValueError as exc:
            self.problems.append(f"{self.label}: {what} {exc}; stored as NULL")
            return None


def _frame(table: str, rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=RAW_TABLES[table].polars_schema())


def namespace_rows(items: list[dict], cluster: str, fetched_at: datetime) -> tuple[pl.DataFrame, list[str]]:
    """`raw.k8s_namespaces` rows for the namespaces listed now (all `deleted = false`)."""
    problems: list[str] = []
    rows = []
    for obj in items:
        rec = _Record(obj, "Namespace", problems, namespaced=False)
        if not rec.ok:
            continue
        rows.append({
            "cluster": cluster,
            "name": rec.meta["name"],
            "uid": rec.meta.get("uid"),
            "labels": rec.dict_field("labels"),
            "created_at": rec.created_at(),
            "deleted": False,
            "fetched_at": fetched_at,
        })
    return _frame("k8s_namespaces", rows), problems


def workload_rows(items: list[dict], cluster: str, kind: str, fetched_at: datetime) -> tuple[pl.DataFrame, list[str]]:
    """`raw.k8s_workloads` rows for Deployments or StatefulSets (`kind` names which)."""
    problems: list[str] = []
    rows = []
    for obj in items:
        rec = _Record(obj, kind, problems, namespaced=True)
        if not rec.ok:
            continue
        spec = rec.obj.get("spec") if isinstance(rec.obj.get("spec"), dict) else {}
        template = spec.get("template") if isinstance(spec.get("template"), dict) else {}
        pod_spec = template.get("spec")
        rows.append({
            "cluster": cluster,
            "kind": kind,
            "namespace": rec.meta["namespace"],
            "name": rec.meta["name"],
            "uid": rec.meta.get("uid"),
            "labels": rec.dict_field("labels"),
            "annotations": rec.dict_field("annotations"),
            "replicas": rec.integer(spec.get("replicas"), "spec.replicas"),
            "pod_spec": None if pod_spec is None else to_json(pod_spec),
            "created_at": rec.created_at(),
            "fetched_at": fetched_at,
        })
    return _frame("k8s_workloads", rows), problems


def controller_of(meta: dict) -> tuple[str | None, str | None]:
    """(kind, name) of the ownerReference with `controller: true`, or (None, None)."""
    for ref in meta.get("ownerReferences") or []:
        if isinstance(ref, dict) and ref.get("controller") is True:
            return ref.get("kind"), ref.get("name")
    return None, None


def replicaset_rows(items: list[dict], cluster: str, fetched_at: datetime) -> tuple[pl.DataFrame, list[str]]:
    """`raw.k8s_replicasets` rows; `first_seen_at` is `fetched_at` here (the loader keeps older ones)."""
    problems: list[str] = []
    rows = []
    for obj in items:
        rec = _Record(obj, "ReplicaSet", problems, namespaced=True)
        if not rec.ok:
            continue
        spec = rec.obj.get("spec") if isinstance(rec.obj.get("spec"), dict) else {}
        annotations = rec.meta.get("annotations") if isinstance(rec.meta.get("annotations"), dict) else {}
        owner_kind, owner_name = controller_of(rec.meta)
        rows.append({
            "cluster": cluster,
            "namespace": rec.meta["namespace"],
            "name": rec.meta["name"],
            "uid": rec.meta.get("uid"),
            "owner_kind": owner_kind,
            "owner_name": owner_name,
            "labels": rec.dict_field("labels"),
            "revision": rec.integer(annotations.get(REVISION_ANNOTATION), f"annotation {REVISION_ANNOTATION}"),
            "replicas": rec.integer(spec.get("replicas"), "spec.replicas"),
            "created_at": rec.created_at(),
            "first_seen_at": fetched_at,
            "fetched_at": fetched_at,
        })
    return _frame("k8s_replicasets", rows), problems
