"""A local Kubernetes-API-compatible HTTP server for tests.

It serves one in-memory cluster over a real socket, in the wire format of the API server:
typed lists (``kind: DeploymentList``) with ``metadata.resourceVersion``, ``limit`` /
``continue`` pagination from a consistent snapshot, ``410 Gone`` with a ``Status`` of reason
``Expired`` for a continue token older than the last compaction, ``403 Forbidden`` and
``401 Unauthorized`` Status objects, and the ``/api``, ``/apis`` and ``/version`` discovery
endpoints. `FakeCluster` also plays the deployment controller: applying or rolling out a
Deployment creates a ReplicaSet with its ``pod-template-hash`` and revision annotation, and
old ReplicaSets beyond ``spec.revisionHistoryLimit`` are pruned, as a real cluster does.

Only what pathlens reads is implemented: list (no watch, no selectors, no writes over HTTP).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import yaml

# resource (URL plural) → (API group version, list kind, namespaced)
RESOURCES: dict[str, tuple[str, str, bool]] = {
    "namespaces": ("v1", "NamespaceList", False),
    "deployments": ("apps/v1", "DeploymentList", True),
    "statefulsets": ("apps/v1", "StatefulSetList", True),
    "replicasets": ("apps/v1", "ReplicaSetList", True),
}
_KIND_TO_RESOURCE = {"Deployment": "deployments", "StatefulSet": "statefulsets", "ReplicaSet": "replicasets"}
_GROUP = {"v1": "", "apps/v1": "apps"}
_HASH_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # the alphabet of Kubernetes' SafeEncodeString


def timestamp(at: datetime) -> str:
    """RFC 3339 in UTC with a Z, as the API server writes ``creationTimestamp``."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class ListRequest:
    """What a test hook sees before a list is served."""

    resource: str
    namespace: str | None
    limit: int | None
    continue_token: str | None


class FakeCluster:
    """The objects of one cluster, with a resourceVersion counter and RBAC denials."""

    def __init__(self, name: str, *, token: str = "test-token", clock: datetime | None = None):
        self.name = name
        self.token = token
        self.clock = clock or datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
        self.resource_version = 1000
        self.compacted_version = 0
        self.objects: dict[str, dict[tuple[str, str], dict]] = {r: {} for r in RESOURCES}
        self.forbidden: set[tuple[str, str | None]] = set()  # (resource, namespace; None = cluster scope)
        self.faults: list[int] = []  # statuses answered to the next requests, first first
        self.hooks: list[Callable[[ListRequest], None]] = []
        self.requests: list[str] = []  # every request path with its query, in order
        self._snapshots: dict[tuple[str, str | None, int], list[dict]] = {}
        self.lock = threading.RLock()

    # -- state changes (what kubectl and the controllers would do) -------------------------

    def _bump(self) -> str:
        self.resource_version += 1
        return str(self.resource_version)

    def _metadata(self, name: str, namespace: str | None, at: datetime | None, **extra) -> dict:
        meta = {"name": name}
        if namespace is not None:
            meta["namespace"] = namespace
        meta.update(
            uid=str(uuid.uuid4()),
            resourceVersion=self._bump(),
            creationTimestamp=timestamp(at or self.clock),
        )
        meta.update({k: v for k, v in extra.items() if v})
        return meta

    def add_namespace(self, name: str, *, labels: dict | None = None, at: datetime | None = None) -> dict:
        with self.lock:
            obj = {
                "metadata": self._metadata(name, None, at, labels=labels or {"kubernetes.io/metadata.name": name}),
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            }
            self.objects["namespaces"][("", name)] = obj
            return obj

    def delete_namespace(self, name: str) -> None:
        """Removes the namespace and everything in it (the namespace controller's job)."""
        with self.lock:
            self.objects["namespaces"].pop(("", name))
            for resource in ("deployments", "statefulsets", "replicasets"):
                for key in [k for k in self.objects[resource] if k[0] == name]:
                    del self.objects[resource][key]
            self._bump()

    def apply(self, manifest: dict, *, namespace: str, at: datetime | None = None) -> dict:
        """Creates a Deployment or StatefulSet from a manifest; a Deployment gets revision 1."""
        with self.lock:
            resource = _KIND_TO_RESOURCE[manifest["kind"]]
            src = manifest["metadata"]
            obj = {
                "metadata": self._metadata(
                    src["name"], namespace, at, labels=src.get("labels"), annotations=src.get("annotations")
                ),
                "spec": copy.deepcopy(manifest.get("spec") or {}),
                "status": {},
            }
            obj["spec"].setdefault("replicas", 1)
            if resource == "deployments":
                obj["spec"].setdefault("revisionHistoryLimit", 10)
                obj["metadata"].setdefault("annotations", {})["deployment.kubernetes.io/revision"] = "1"
            self.objects[resource][(namespace, src["name"])] = obj
            if resource == "deployments":
                self._new_replicaset(obj, 1, at)
            return obj

    def rollout(self, namespace: str, name: str, *, image: str, at: datetime | None = None) -> dict:
        """Sets the first container's image: the controller makes the next revision's ReplicaSet."""
        with self.lock:
            deployment = self.objects["deployments"][(namespace, name)]
            deployment["spec"]["template"]["spec"]["containers"][0]["image"] = image
            meta = deployment["metadata"]
            revision = int(meta["annotations"]["deployment.kubernetes.io/revision"]) + 1
            meta["annotations"]["deployment.kubernetes.io/revision"] = str(revision)
            meta["resourceVersion"] = self._bump()
            return self._new_replicaset(deployment, revision, at)

    def _new_replicaset(self, deployment: dict, revision: int, at: datetime | None) -> dict:
        meta, spec = deployment["metadata"], deployment["spec"]
        template = copy.deepcopy(spec["template"])
        digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).digest()
        pod_hash = "".join(_HASH_ALPHABET[b % len(_HASH_ALPHABET)] for b in digest[:10])
        labels = {**(template.get("metadata", {}).get("labels") or {}), "pod-template-hash": pod_hash}
        template.setdefault("metadata", {})["labels"] = labels
        namespace = meta["namespace"]
        for old in self._owned_replicasets(namespace, meta["uid"]):
            old["spec"]["replicas"] = 0
        rs = {
            "metadata": self._metadata(
                f"{meta['name']}-{pod_hash}",
                namespace,
                at,
                labels=labels,
                annotations={
                    "deployment.kubernetes.io/desired-replicas": str(spec["replicas"]),
                    "deployment.kubernetes.io/max-replicas": str(spec["replicas"] + 1),
                    "deployment.kubernetes.io/revision": str(revision),
                },
                ownerReferences=[
                    {
                        "apiVersion": "apps/v1",
                        "kind": "Deployment",
                        "name": meta["name"],
                        "uid": meta["uid"],
                        "controller": True,
                        "blockOwnerDeletion": True,
                    }
                ],
            ),
            "spec": {"replicas": spec["replicas"], "selector": spec.get("selector"), "template": template},
            "status": {"replicas": spec["replicas"]},
        }
        self.objects["replicasets"][(namespace, rs["metadata"]["name"])] = rs
        self._prune(namespace, meta["uid"], spec["revisionHistoryLimit"])
        return rs

    def _owned_replicasets(self, namespace: str, owner_uid: str) -> list[dict]:
        return [
            rs
            for (ns, _), rs in self.objects["replicasets"].items()
            if ns == namespace and any(o["uid"] == owner_uid for o in rs["metadata"].get("ownerReferences", []))
        ]

    def _prune(self, namespace: str, owner_uid: str, keep_old: int) -> None:
        """Deletes old (scaled-to-0) ReplicaSets beyond the history limit, oldest revision first."""
        owned = sorted(
            self._owned_replicasets(namespace, owner_uid),
            key=lambda rs: int(rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]),
        )
        old = owned[:-1]
        for rs in old[: max(0, len(old) - keep_old)]:
            del self.objects["replicasets"][(namespace, rs["metadata"]["name"])]

    def delete(self, resource: str, namespace: str, name: str) -> None:
        with self.lock:
            del self.objects[resource][(namespace, name)]
            self._bump()

    def compact(self) -> None:
        """Forgets every older snapshot: continue tokens issued before now expire (410)."""
        with self.lock:
            self.compacted_version = self.resource_version
            self._snapshots.clear()

    def forbid(self, resource: str, namespace: str | None = None) -> None:
        self.forbidden.add((resource, namespace))

    # -- serving lists -----------------------------------------------------------------

    def list(self, resource: str, namespace: str | None, limit: int | None, token: str | None) -> tuple[int, dict]:
        """(HTTP status, JSON body) of one list request, as the API server would answer it."""
        for hook in list(self.hooks):
            hook(ListRequest(resource, namespace, limit, token))
        with self.lock:
            api_version, list_kind, _ = RESOURCES[resource]
            if (resource, namespace) in self.forbidden:
                return 403, _forbidden(resource, namespace)
            if token:
                try:
                    state = json.loads(base64.urlsafe_b64decode(token.encode()))
                    version, start = int(state["rv"]), state["start"]
                except (ValueError, KeyError, TypeError):
                    return 400, _status(400, "BadRequest", "continue key is not valid: illegal base64 data")
                snapshot = self._snapshots.get((resource, namespace, version))
                if version < self.compacted_version or snapshot is None:
                    return 410, _status(
                        410,
                        "Expired",
                        "The provided continue parameter is too old to display a consistent list result. "
                        "You can start a new list without the continue parameter, or use the continue token "
                        "in this response to retrieve the remainder of the results. Continuing with the "
                        "provided token results in an inconsistent list - objects that were created, "
                        "modified, or deleted between the time the first chunk was returned and now may "
                        "show up in the list.",
                    )
            else:
                version, start = self.resource_version, ""
                snapshot = [
                    copy.deepcopy(obj)
                    for key, obj in sorted(self.objects[resource].items())
                    if namespace is None or key[0] == namespace
                ]
                self._snapshots[(resource, namespace, version)] = snapshot
            remaining = [o for o in snapshot if _key(o) > start]
            page = remaining[:limit] if limit else remaining
            metadata: dict = {"resourceVersion": str(version)}
            if limit and len(remaining) > limit:
                next_start = _key(page[-1]) + "\x00"
                payload = {"v": "meta.k8s.io/v1", "rv": version, "start": next_start}
                metadata["continue"] = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()
                metadata["remainingItemCount"] = len(remaining) - limit
            return 200, {"kind": list_kind, "apiVersion": api_version, "metadata": metadata, "items": page}


def _key(obj: dict) -> str:
    meta = obj["metadata"]
    return f"{meta.get('namespace', '')}/{meta['name']}"


def _status(code: int, reason: str, message: str, details: dict | None = None) -> dict:
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}
    if details:
        body["details"] = details
    return body


def _forbidden(resource: str, namespace: str | None) -> dict:
    group = _GROUP[RESOURCES[resource][0]]
    qualified = f"{resource}.{group}" if group else resource
    where = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    return _status(
        403,
        "Forbidden",
        f'{qualified} is forbidden: User "system:serviceaccount:pathlens:reader" cannot list resource '
        f'"{resource}" in API group "{group}" {where}',
        {"group": group, "kind": resource},
    )


_DISCOVERY = {
    "/api": {"kind": "APIVersions", "versions": ["v1"],
             "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}]},
    "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": [{
        "name": "apps",
        "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
        "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"},
    }]},
    "/version": {"major": "1", "minor": "34", "gitVersion": "v1.34.0", "platform": "linux/amd64"},
}


def _route(path: str) -> tuple[str, str | None] | None:
    """(resource, namespace) for a list path, or None."""
    parts = path.strip("/").split("/")
    if parts[:2] == ["api", "v1"]:
        rest = parts[2:]
    elif parts[:3] == ["apis", "apps", "v1"]:
        rest = parts[3:]
    else:
        return None
    api_version = "v1" if parts[0] == "api" else "apps/v1"
    if len(rest) == 1 and rest[0] in RESOURCES and RESOURCES[rest[0]][0] == api_version:
        return rest[0], None
    if len(rest) == 3 and rest[0] == "namespaces" and rest[2] in RESOURCES and RESOURCES[rest[2]][2]:
        if RESOURCES[rest[2]][0] == api_version:
            return rest[2], rest[1]
    return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    cluster: FakeCluster  # set on the per-server subclass

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass

    def _send(self, code: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Audit-Id", str(uuid.uuid4()))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        cluster = self.cluster
        url = urlsplit(self.path)
        with cluster.lock:
            cluster.requests.append(self.path)
            fault = cluster.faults.pop(0) if cluster.faults else None
        if fault is not None:
            return self._send(fault, _status(fault, "ServiceUnavailable", "the server is currently unable to handle the request"))
        if self.headers.get("Authorization") != f"Bearer {cluster.token}":
            return self._send(401, _status(401, "Unauthorized", "Unauthorized"))
        if url.path in _DISCOVERY:
            return self._send(200, _DISCOVERY[url.path])
        route = _route(url.path)
        if route is None:
            return self._send(404, _status(404, "NotFound", "the server could not find the requested resource"))
        query = parse_qs(url.query)
        try:
            limit = int(query["limit"][0]) if "limit" in query else None
        except ValueError:
            return self._send(400, _status(400, "BadRequest", "limit must be an integer"))
        code, body = cluster.list(*route, limit, query.get("continue", [None])[0])
        self._send(code, body)


class K8sApiServer:
    """Serves one `FakeCluster` on 127.0.0.1 on a free port; use as a context manager."""

    def __init__(self, cluster: FakeCluster):
        self.cluster = cluster
        handler = type("Handler", (_Handler,), {"cluster": cluster})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> K8sApiServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def write_kubeconfig(path: Path, clusters: dict[str, tuple[str, str]], current: str | None = None) -> Path:
    """A kubeconfig with one context per entry: context name → (server URL, bearer token)."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": f"{ctx}-cluster", "cluster": {"server": url}} for ctx, (url, _) in clusters.items()],
        "users": [{"name": f"{ctx}-reader", "user": {"token": token}} for ctx, (_, token) in clusters.items()],
        "contexts": [
            {"name": ctx, "context": {"cluster": f"{ctx}-cluster", "user": f"{ctx}-reader"}} for ctx in clusters
        ],
        "current-context": current or next(iter(clusters)),
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def load_manifests(path: Path) -> list[dict]:
    """The Deployment and StatefulSet documents of a multi-document YAML file."""
    docs = yaml.safe_load_all(path.read_text(encoding="utf-8"))
    return [d for d in docs if isinstance(d, dict) and d.get("kind") in ("Deployment", "StatefulSet")]
