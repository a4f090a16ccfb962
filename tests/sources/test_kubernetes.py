"""The Kubernetes source through the real `kubernetes` client, a real kubeconfig with several
contexts, and the project's local API servers (tests/sources/k8s_server.py); real DuckDB files.

Expected values are worked out by hand from what each test puts in its clusters.
"""

from __future__ import annotations

import copy
import json
import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipelines.config import parse_settings
from pipelines.sources.kubernetes import KubernetesSource
from pipelines.warehouse import writer
from tests.sources.k8s_server import FakeCluster, K8sApiServer, load_manifests, write_kubeconfig

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "kubernetes"
SHOP = load_manifests(FIXTURES / "microservices-demo-release-all.yaml")  # 12 Deployments
VLLM = load_manifests(FIXTURES / "k8s-examples-vllm-gpu-deployment.yaml")[0]
T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
REDIS_STS = {
    "apiVersion": "apps/v1",
    "kind": "StatefulSet",
    "metadata": {"name": "redis", "labels": {"app.kubernetes.io/name": "redis"}},
    "spec": {
        "serviceName": "redis",
        "replicas": 3,
        "selector": {"matchLabels": {"app": "redis"}},
        "template": {
            "metadata": {"labels": {"app": "redis"}},
            "spec": {"containers": [{"name": "redis", "image": "redis:7", "ports": [{"containerPort": 6379}]}]},
        },
    },
}


def labelled(manifest: dict, **labels: str) -> dict:
    """A copy of a manifest with extra labels on the object (as a team's Helm chart would add)."""
    out = copy.deepcopy(manifest)
    out["metadata"].setdefault("labels", {}).update({k.replace("__", "/"): v for k, v in labels.items()})
    return out


def build_prod() -> FakeCluster:
    """prod-eu: 3 namespaces; 13 Deployments (12 shop + vLLM), 1 StatefulSet, 13 ReplicaSets."""
    c = FakeCluster("prod-eu", token="prod-secret-token", clock=T0)
    c.add_namespace("kube-system", at=T0 - timedelta(days=400))
    c.add_namespace("shop", labels={"team": "checkout"}, at=T0 - timedelta(days=30))
    c.add_namespace("ml", at=T0 - timedelta(days=10))
    for i, m in enumerate(SHOP):
        if m["metadata"]["name"] == "frontend":
            m = labelled(m, **{"backstage.io__kubernetes-id": "storefront"})
        elif i % 2 == 1:
            m = labelled(m, **{"app.kubernetes.io__name": m["metadata"]["name"]})
        c.apply(m, namespace="shop", at=T0 - timedelta(days=20, minutes=i))
    c.apply(labelled(VLLM, **{"backstage.io__kubernetes-id": "gemma"}), namespace="ml", at=T0 - timedelta(days=5))
    c.apply(REDIS_STS, namespace="shop", at=T0 - timedelta(days=20))
    return c


def build_staging() -> FakeCluster:
    """staging: 2 namespaces (one per-PR); 3 Deployments, 3 ReplicaSets."""
    c = FakeCluster("staging", token="staging-secret-token", clock=T0)
    c.add_namespace("shop", at=T0 - timedelta(days=30))
    c.add_namespace("pr-1234", labels={"pathlens.io/pull-request": "1234"}, at=T0 - timedelta(hours=3))
    for m in SHOP[:2]:
        c.apply(m, namespace="shop", at=T0 - timedelta(days=2))
    c.apply(SHOP[0], namespace="pr-1234", at=T0 - timedelta(hours=3))
    return c


def free_port() -> int:
    """A port nothing listens on: connecting to it is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Clock:
    """The source's clock: a fixed time the test moves forward between loads."""

    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at.astimezone(UTC).replace(tzinfo=None)


@pytest.fixture
def prod():
    with K8sApiServer(build_prod()) as server:
        yield server


@pytest.fixture
def staging():
    with K8sApiServer(build_staging()) as server:
        yield server


@pytest.fixture
def kubeconfig(tmp_path, prod, staging) -> Path:
    return write_kubeconfig(
        tmp_path / "kubeconfig",
        {
            "prod-eu": (prod.url, prod.cluster.token),
            "staging": (staging.url, staging.cluster.token),
            "dev-down": (f"http://127.0.0.1:{free_port()}", "dev-secret-token"),
            "prod-wrong-token": (prod.url, "not-the-token"),
        },
        current="staging",
    )


def source(kubeconfig: Path, contexts: list[str], clock: Clock | None = None, **kw) -> KubernetesSource:
    return KubernetesSource(kubeconfig=str(kubeconfig), contexts=contexts, retries=1,
                            timeout=(2.0, 5.0), clock=clock or Clock(T0), **kw)


def rows(con, sql: str, params=None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def naive(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(tzinfo=None)


def test_two_contexts_load_every_page_with_raw_json(tmp_path, kubeconfig, prod, staging):
    src = source(kubeconfig, ["prod-eu", "staging"], page_size=5)
    with writer(tmp_path / "w.duckdb") as con:
        meta = src.load_into(con, "r1")

        assert rows(con, "SELECT cluster, kind, count(*) FROM raw.k8s_workloads GROUP BY ALL ORDER BY ALL") == [
            ("prod-eu", "Deployment", 13),
            ("prod-eu", "StatefulSet", 1),
            ("staging", "Deployment", 3),
        ]
        assert rows(con, "SELECT cluster, count(*) FROM raw.k8s_replicasets GROUP BY ALL ORDER BY ALL") == [
            ("prod-eu", 13),
            ("staging", 3),
        ]
        assert rows(con, "SELECT cluster, name, labels, created_at, deleted FROM raw.k8s_namespaces ORDER BY ALL") == [
            ("prod-eu", "kube-system", '{"kubernetes.io/metadata.name":"kube-system"}', datetime(2023, 12, 3, 9, 0), False),
            ("prod-eu", "ml", '{"kubernetes.io/metadata.name":"ml"}', datetime(2024, 12, 27, 9, 0), False),
            ("prod-eu", "shop", '{"team":"checkout"}', datetime(2024, 12, 7, 9, 0), False),
            ("staging", "pr-1234", '{"pathlens.io/pull-request":"1234"}', datetime(2025, 1, 6, 6, 0), False),
            ("staging", "shop", '{"kubernetes.io/metadata.name":"shop"}', datetime(2024, 12, 7, 9, 0), False),
        ]

        # pod_spec is spec.template.spec exactly as the API returned it: camelCase, GPU request intact.
        (pod_spec, labels, replicas, created) = rows(
            con, "SELECT pod_spec, labels, replicas, created_at FROM raw.k8s_workloads WHERE name = 'vllm-gemma-deployment'"
        )[0]
        spec = json.loads(pod_spec)
        assert spec == VLLM["spec"]["template"]["spec"]
        assert spec["containers"][0]["resources"]["requests"]["nvidia.com/gpu"] == "1"
        assert "volumeMounts" in spec["containers"][0]
        assert json.loads(labels) == {"backstage.io/kubernetes-id": "gemma"}
        assert (replicas, created) == (1, datetime(2025, 1, 1, 9, 0))
        assert rows(con, "SELECT replicas FROM raw.k8s_workloads WHERE kind = 'StatefulSet'") == [(3,)]

        # One rollout per Deployment: revision 1, owned by its Deployment, created with it.
        rs = rows(con, """SELECT owner_kind, owner_name, revision, replicas, created_at, first_seen_at, fetched_at
                          FROM raw.k8s_replicasets WHERE cluster = 'prod-eu' AND owner_name = 'frontend'""")
        assert rs == [("Deployment", "frontend", 1, 1, datetime(2024, 12, 17, 9, 0), naive(T0), naive(T0))]
        assert json.loads(rows(con, "SELECT labels FROM raw.k8s_replicasets WHERE owner_name = 'frontend' "
                                    "AND cluster = 'prod-eu'")[0][0])["app"] == "frontend"

        assert rows(con, "SELECT count(*) FROM raw.fetch_errors") == [(0,)]
        log = dict(rows(con, "SELECT endpoint, requests FROM raw.fetch_log WHERE refresh_id = 'r1'"))
        # 13 Deployments and 13 ReplicaSets at 5 a page: 3 pages each; 3 namespaces and 1 StatefulSet: 1 page.
        assert log == {
            "prod-eu:/api/v1/namespaces": 1,
            "prod-eu:/apis/apps/v1/deployments": 3,
            "prod-eu:/apis/apps/v1/statefulsets": 1,
            "prod-eu:/apis/apps/v1/replicasets": 3,
            "staging:/api/v1/namespaces": 1,
            "staging:/apis/apps/v1/deployments": 1,
            "staging:/apis/apps/v1/statefulsets": 1,
            "staging:/apis/apps/v1/replicasets": 1,
        }

    deployment_calls = [p for p in prod.cluster.requests if p.startswith("/apis/apps/v1/deployments")]
    assert len(deployment_calls) == 3
    assert all("limit=5" in p for p in deployment_calls)
    assert ["continue=" in p for p in deployment_calls] == [False, True, True]
    # Labelled in prod-eu: frontend (backstage.io/kubernetes-id), the 6 odd-numbered shop
    # Deployments (app.kubernetes.io/name), vLLM and redis. The other 5 shop Deployments and
    # all 3 in staging carry neither label.
    assert meta["unlabelled_workloads"] == 5 + 3
    assert meta["rows_k8s_workloads"] == 17
    assert meta["rows_k8s_replicasets"] == 16
    assert meta["new_replicasets"] == 16
    assert meta["requests"] == 8 + 4
    assert meta["errors"] == 0
    assert meta["errors_by_context"] == {"prod-eu": 0, "staging": 0}


def test_expired_continue_token_relists_the_complete_set_once(tmp_path, kubeconfig, prod):
    """A write and a compaction between page 1 and page 2: the continue token is 410 Gone."""
    cluster = prod.cluster
    fired = []

    def compact_before_first_continue(req):
        if req.resource == "deployments" and req.continue_token and not fired:
            fired.append(req)
            extra = labelled(SHOP[0])
            extra["metadata"]["name"] = "aaa-new"  # sorts first: a naive resume would miss it
            cluster.apply(extra, namespace="shop")
            cluster.compact()

    cluster.hooks.append(compact_before_first_continue)
    with writer(tmp_path / "w.duckdb") as con:
        source(kubeconfig, ["prod-eu"], page_size=5).load_into(con, "r1")
        names = [n for (n,) in rows(con, "SELECT name FROM raw.k8s_workloads WHERE kind = 'Deployment' ORDER BY name")]
        assert len(names) == 14 == len(set(names))
        assert names[0] == "aaa-new"
        assert set(names) == {m["metadata"]["name"] for m in SHOP} | {"vllm-gemma-deployment", "aaa-new"}
        assert rows(con, "SELECT requests, retries FROM raw.fetch_log "
                         "WHERE endpoint = 'prod-eu:/apis/apps/v1/deployments'") == [(1 + 1 + 3, 1)]
        assert rows(con, "SELECT count(*) FROM raw.fetch_errors") == [(0,)]
    calls = [p for p in cluster.requests if p.startswith("/apis/apps/v1/deployments")]
    assert ["continue=" in p for p in calls] == [False, True, False, True, True]


def test_forbidden_cluster_wide_list_falls_back_to_readable_namespaces(tmp_path, kubeconfig, prod):
    cluster = prod.cluster
    db = tmp_path / "w.duckdb"
    with writer(db) as con:
        source(kubeconfig, ["prod-eu"]).load_into(con, "r1")
    # RBAC changes: Deployments only through namespaced Roles, none in kube-system;
    # StatefulSets not at all. Meanwhile a shop Deployment is deleted.
    cluster.add_namespace("empty")
    cluster.forbid("deployments")
    cluster.forbid("deployments", "kube-system")
    cluster.forbid("statefulsets")
    for ns in ("kube-system", "shop", "ml", "empty"):
        cluster.forbid("statefulsets", ns)
    cluster.apply(labelled(SHOP[0]) | {"metadata": {"name": "coredns"}}, namespace="kube-system")
    cluster.delete("deployments", "shop", "adservice")
    with writer(db) as con:
        meta = source(kubeconfig, ["prod-eu"], clock=Clock(T0 + timedelta(days=1))).load_into(con, "r2")
        errors = rows(con, "SELECT repo, endpoint, status, message FROM raw.fetch_errors WHERE refresh_id = 'r2' ORDER BY endpoint")
        assert errors == [
            ("prod-eu", "/apis/apps/v1/namespaces/kube-system/deployments", 403,
             'deployments.apps is forbidden: User "system:serviceaccount:pathlens:reader" cannot list resource '
             '"deployments" in API group "apps" in the namespace "kube-system"'),
            ("prod-eu", "/apis/apps/v1/statefulsets", 403,
             'statefulsets.apps is forbidden: User "system:serviceaccount:pathlens:reader" cannot list resource '
             '"statefulsets" in API group "apps" at the cluster scope'),
        ]
        deployments = {n for (n,) in rows(con, "SELECT name FROM raw.k8s_workloads WHERE kind = 'Deployment'")}
        # adservice is gone from a namespace that was read; kube-system could not be read, so
        # coredns is unknown (not loaded) and nothing there is removed.
        assert deployments == {m["metadata"]["name"] for m in SHOP} - {"adservice"} | {"vllm-gemma-deployment"}
        # The StatefulSet list failed: last refresh's row stays.
        assert rows(con, "SELECT name, fetched_at FROM raw.k8s_workloads WHERE kind = 'StatefulSet'") == [("redis", naive(T0))]
        assert meta["workloads_removed"] == 1
        assert meta["errors_by_context"] == {"prod-eu": 2}
        assert rows(con, "SELECT endpoint, requests FROM raw.fetch_log WHERE refresh_id = 'r2' AND endpoint LIKE '%deployments'"
                         " ORDER BY endpoint") == [
            ("prod-eu:/apis/apps/v1/deployments", 1),
            ("prod-eu:/apis/apps/v1/namespaces/{ns}/deployments", 4),
        ]


def test_down_unauthorised_and_unknown_contexts_are_recorded_and_the_rest_load(tmp_path, kubeconfig):
    started = time.monotonic()
    with writer(tmp_path / "w.duckdb") as con:
        meta = source(kubeconfig, ["dev-down", "prod-wrong-token", "no-such-context", "staging"]).load_into(con, "r1")
        elapsed = time.monotonic() - started
        assert rows(con, "SELECT DISTINCT cluster FROM raw.k8s_workloads") == [("staging",)]
        errors = rows(con, "SELECT repo, endpoint, status, message FROM raw.fetch_errors ORDER BY repo")
    assert [(r, e, s) for r, e, s, _ in errors] == [
        ("dev-down", "/api/v1/namespaces", None),
        ("no-such-context", "kubeconfig", None),
        ("prod-wrong-token", "/api/v1/namespaces", 401),
    ]
    messages = {r: m for r, _, _, m in errors}
    assert "API server unreachable" in messages["dev-down"] and "Connection refused" in messages["dev-down"]
    assert "no-such-context" in messages["no-such-context"] and str(kubeconfig) in messages["no-such-context"]
    assert messages["prod-wrong-token"] == "Unauthorized"
    assert not any("secret-token" in m or "not-the-token" in m for m in messages.values())
    assert meta["errors_by_context"] == {"dev-down": 1, "prod-wrong-token": 1, "no-such-context": 1, "staging": 0}
    assert elapsed < 5


def test_a_cluster_that_goes_down_keeps_its_previous_rows(tmp_path, prod):
    db = tmp_path / "w.duckdb"
    config = write_kubeconfig(tmp_path / "kubeconfig", {"prod-eu": (prod.url, prod.cluster.token)})
    with writer(db) as con:
        source(config, ["prod-eu"]).load_into(con, "r1")
        before = rows(con, "SELECT * FROM raw.k8s_workloads ORDER BY ALL")
    write_kubeconfig(config, {"prod-eu": (f"http://127.0.0.1:{free_port()}", prod.cluster.token)})
    with writer(db) as con:
        meta = source(config, ["prod-eu"], clock=Clock(T0 + timedelta(days=1))).load_into(con, "r2")
        assert rows(con, "SELECT * FROM raw.k8s_workloads ORDER BY ALL") == before
        assert rows(con, "SELECT count(*) FROM raw.k8s_namespaces WHERE deleted") == [(0,)]
    assert meta["errors"] == 1 and meta["rows_k8s_workloads"] == 0


def test_transient_503_is_retried_and_a_persistent_one_recorded(tmp_path, kubeconfig, staging):
    cluster = staging.cluster
    cluster.faults = [503]  # the namespaces list: answered on the retry
    with writer(tmp_path / "w.duckdb") as con:
        source(kubeconfig, ["staging"]).load_into(con, "r1")
        assert rows(con, "SELECT requests, retries FROM raw.fetch_log WHERE endpoint = 'staging:/api/v1/namespaces'") == [(1, 1)]
        assert rows(con, "SELECT count(*) FROM raw.k8s_namespaces") == [(2,)]
        cluster.faults = [503, 503]  # namespaces: first try and its one retry both fail
        meta = source(kubeconfig, ["staging"]).load_into(con, "r2")
        assert rows(con, "SELECT endpoint, status FROM raw.fetch_errors WHERE refresh_id = 'r2'") == [
            ("/api/v1/namespaces", 503)
        ]
        assert meta["rows_k8s_workloads"] == 3 and meta["rows_k8s_namespaces"] == 0


def test_rollout_history_survives_pruning_and_deleted_namespaces_are_kept(tmp_path, kubeconfig, staging):
    cluster = staging.cluster
    checkout = labelled(SHOP[7], **{"backstage.io__kubernetes-id": "checkout"})
    assert checkout["metadata"]["name"] == "checkoutservice"
    checkout["spec"]["revisionHistoryLimit"] = 2
    t1, t2 = T0 + timedelta(days=1), T0 + timedelta(days=2)
    cluster.apply(checkout, namespace="shop", at=T0 + timedelta(hours=1))
    cluster.rollout("shop", "checkoutservice", image="checkout:v2", at=T0 + timedelta(hours=2))
    cluster.rollout("shop", "checkoutservice", image="checkout:v3", at=T0 + timedelta(hours=3))
    db = tmp_path / "w.duckdb"
    history = """SELECT revision, replicas, created_at, first_seen_at, fetched_at FROM raw.k8s_replicasets
                 WHERE owner_name = 'checkoutservice' ORDER BY revision"""
    with writer(db) as con:
        source(kubeconfig, ["staging"], clock=Clock(t1)).load_into(con, "r1")
        assert rows(con, history) == [
            (1, 0, datetime(2025, 1, 6, 10), naive(t1), naive(t1)),
            (2, 0, datetime(2025, 1, 6, 11), naive(t1), naive(t1)),
            (3, 1, datetime(2025, 1, 6, 12), naive(t1), naive(t1)),
        ]
    cluster.rollout("shop", "checkoutservice", image="checkout:v4", at=T0 + timedelta(days=1, hours=4))
    cluster.rollout("shop", "checkoutservice", image="checkout:v5", at=T0 + timedelta(days=1, hours=5))
    live = sorted(int(rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"])
                  for rs in cluster.objects["replicasets"].values() if rs["metadata"]["name"].startswith("checkout"))
    assert live == [3, 4, 5]  # the cluster pruned revisions 1 and 2
    cluster.delete_namespace("pr-1234")
    with writer(db) as con:
        meta = source(kubeconfig, ["staging"], clock=Clock(t2)).load_into(con, "r2")
        assert rows(con, history) == [
            (1, 0, datetime(2025, 1, 6, 10), naive(t1), naive(t1)),  # pruned: as last seen
            (2, 0, datetime(2025, 1, 6, 11), naive(t1), naive(t1)),
            (3, 0, datetime(2025, 1, 6, 12), naive(t1), naive(t2)),  # still listed, scaled down
            (4, 0, datetime(2025, 1, 7, 13), naive(t2), naive(t2)),
            (5, 1, datetime(2025, 1, 7, 14), naive(t2), naive(t2)),
        ]
        assert meta["new_replicasets"] == 2
        assert rows(con, "SELECT name, deleted, fetched_at FROM raw.k8s_namespaces ORDER BY name") == [
            ("pr-1234", True, naive(t1)),
            ("shop", False, naive(t2)),
        ]
        assert meta["namespaces_marked_deleted"] == 1
        # The PR namespace's Deployment is gone with it; its rollout is history and stays.
        assert rows(con, "SELECT count(*) FROM raw.k8s_workloads WHERE namespace = 'pr-1234'") == [(0,)]
        assert rows(con, "SELECT owner_name, revision FROM raw.k8s_replicasets WHERE namespace = 'pr-1234'") == [
            (SHOP[0]["metadata"]["name"], 1)
        ]
        assert meta["workloads_removed"] == 1


def test_loading_the_same_state_twice_changes_nothing_but_fetched_at(tmp_path, kubeconfig):
    db = tmp_path / "w.duckdb"
    tables = {
        "k8s_namespaces": "cluster, name, uid, labels, created_at, deleted",
        "k8s_workloads": "cluster, kind, namespace, name, uid, labels, annotations, replicas, pod_spec, created_at",
        "k8s_replicasets": "cluster, namespace, name, uid, owner_kind, owner_name, labels, revision, replicas, "
                           "created_at, first_seen_at",
    }
    snapshots = []
    for i, at in enumerate([T0, T0 + timedelta(hours=6)]):
        with writer(db) as con:
            source(kubeconfig, ["prod-eu", "staging"], clock=Clock(at)).load_into(con, f"r{i}")
            snapshots.append({t: rows(con, f"SELECT {cols} FROM raw.{t} ORDER BY ALL") for t, cols in tables.items()})  # noqa: S608
            fetched = rows(con, "SELECT DISTINCT fetched_at FROM raw.k8s_workloads")
    assert snapshots[0] == snapshots[1]
    assert [len(snapshots[1][t]) for t in tables] == [5, 17, 16]
    assert fetched == [(naive(T0 + timedelta(hours=6)),)]


def test_empty_context_list_reads_the_current_context(tmp_path, kubeconfig):
    with writer(tmp_path / "w.duckdb") as con:
        meta = source(kubeconfig, []).load_into(con, "r1")
        assert rows(con, "SELECT DISTINCT cluster FROM raw.k8s_namespaces") == [("staging",)]
    assert meta["contexts"] == ["staging"]


def test_missing_kubeconfig_is_one_clear_error(tmp_path):
    missing = tmp_path / "nope" / "config"
    with writer(tmp_path / "w.duckdb") as con:
        meta = source(missing, ["prod-eu"]).load_into(con, "r1")
        ((repo, endpoint, message),) = rows(con, "SELECT repo, endpoint, message FROM raw.fetch_errors")
    assert (repo, endpoint) == ("prod-eu", "kubeconfig")
    assert message == f"kubeconfig {missing}: file not found"
    assert meta["errors"] == 1


def test_from_settings():
    base = {"github": {"org": "acme"}}
    assert KubernetesSource.from_settings(parse_settings(base)) is None
    settings = parse_settings(base | {"kubernetes": {
        "kubeconfig": "/etc/pathlens/kubeconfig", "contexts": ["prod-eu", "staging"], "service_label": "team.io/svc",
    }})
    src = KubernetesSource.from_settings(settings)
    assert (src.kubeconfig, src.contexts, src.service_label, src.fallback_label, src.page_size) == (
        "/etc/pathlens/kubeconfig", ["prod-eu", "staging"], "team.io/svc", "app.kubernetes.io/name", 500,
    )


def test_a_malformed_object_is_recorded_and_the_rest_load(tmp_path, kubeconfig, staging):
    cluster = staging.cluster
    bad = next(rs for rs in cluster.objects["replicasets"].values() if rs["metadata"]["namespace"] == "pr-1234")
    bad["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = "first"
    with writer(tmp_path / "w.duckdb") as con:
        meta = source(kubeconfig, ["staging"]).load_into(con, "r1")
        assert rows(con, "SELECT namespace, revision FROM raw.k8s_replicasets ORDER BY namespace, revision") == [
            ("pr-1234", None), ("shop", 1), ("shop", 1),
        ]
        assert rows(con, "SELECT repo, endpoint, status, message FROM raw.fetch_errors") == [(
            "staging", "/apis/apps/v1/replicasets", None,
            f"ReplicaSet pr-1234/{bad['metadata']['name']}: annotation deployment.kubernetes.io/revision "
            "'first' is not an integer; stored as NULL",
        )]
    assert meta["errors_by_context"] == {"staging": 1}
