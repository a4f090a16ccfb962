"""Deploys of the demo services: GitHub deployments, and Kubernetes objects in two clusters.

Each in-scope service deploys one way: through Kubernetes Deployments only (most, and every
monorepo component, since a repo's GitHub deployments belong to each of its services), GitHub
deployments only, both (an Actions job records a GitHub deployment and rolls the Deployment a
minute later), or not at all. A service's first production deploy comes a lognormal delay after
its creation — days for golden-path services, weeks for DIY ones — and that instant is the
intent's `first_production_deploy_at`: the first production deploy in either source is always
exactly then, and always succeeds. Later deploys are uniform in time after the first.

Rollouts are drawn as numpy arrays (about a million ReplicaSets at `large`).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from pipelines.sources.demo import escapes, ids
from pipelines.sources.demo.plan import Plan, Repo, Service, image_for
from pipelines.sources.demo.scales import DAY, HOUR, MINUTE, SECOND, WEEK
from pipelines.sources.demo_conventions import (
    DEMO_CONTEXTS,
    DEMO_FALLBACK_LABEL,
    DEMO_SERVICE_LABEL,
)

PRODUCTION, STAGING = DEMO_CONTEXTS
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease", "monitoring",
                     "ingress-nginx")
INFRA_WORKLOADS = (  # (namespace, name, kind): cluster software, belonging to no service
    ("kube-system", "coredns", "Deployment"),
    ("ingress-nginx", "ingress-nginx-controller", "Deployment"),
    ("monitoring", "prometheus-server", "Deployment"),
    ("monitoring", "grafana", "Deployment"),
    ("monitoring", "loki", "StatefulSet"),
)
GENERIC_APP_NAMES = ("server", "api", "app", "web")


@dataclass
class Deployed:
    """How one service deploys; built once per in-scope service."""

    svc: Service
    repo: Repo
    mechanism: str  # k8s | github | both | none
    first_prod_us: int
    first_staging_us: int
    rate_per_week: float  # production; staging deploys 1.6× as often
    namespace: str
    label_style: str  # full | generic-name | fallback-only
    pod_spec: dict[str, Any]
    replicas: int


@dataclass
class DeployTables:
    deployments: pl.DataFrame
    namespaces: pl.DataFrame
    workloads: pl.DataFrame
    replicasets: pl.DataFrame
    first_production: dict[str, int]  # service → first production deploy (µs), when deployed


def plan_deploys(plan: Plan, rnd: random.Random) -> list[Deployed]:
    out = []
    for repo, svc in plan.services():
        if repo.archived or repo.fork or repo.excluded:
            continue
        mechanism = rnd.choices(["k8s", "github", "both", "none"], weights=[0.6, 0.12, 0.18, 0.1])[0]
        if svc.stateful and mechanism == "k8s":
            mechanism = "both"  # StatefulSets have no ReplicaSets: GitHub records their deploys
        if len(repo.services) > 1 and mechanism != "none":
            mechanism = "k8s"  # a repo's GitHub deployments would belong to each of its services
        golden = svc.golden is not None
        delay = rnd.lognormvariate(np.log(3.0), 0.8) if golden else rnd.lognormvariate(np.log(16.0), 0.9)
        first_prod = svc.created_us + int(delay * DAY)
        first_staging = svc.created_us + int(delay * rnd.uniform(0.15, 0.6) * DAY)
        rate = (1.5 if golden else 0.6) * rnd.lognormvariate(0, 0.5) * plan.scale.deploy_factor
        spec = svc.spec
        preset = spec.preset if spec else "small"
        port = spec.port if spec else 8080
        pod = (spec.escape.pod_spec if spec and spec.escape else
               escapes.default_pod_spec(svc.name, image_for(svc), port, preset))
        out.append(Deployed(
            svc, repo, mechanism, first_prod, first_staging, rate,
            namespace=svc.team.short if rnd.random() < 0.85 else svc.name,
            label_style=rnd.choices(["full", "generic-name", "fallback-only"],
                                    weights=[0.8, 0.1, 0.1])[0],
            pod_spec=pod,
            replicas=spec.replicas if spec else 2,
        ))
    return out


def workload_labels(d: Deployed) -> dict[str, str]:
    name = d.svc.name
    if d.label_style == "fallback-only":
        labels = {DEMO_FALLBACK_LABEL: name}
    elif d.label_style == "generic-name":
        labels = {DEMO_FALLBACK_LABEL: GENERIC_APP_NAMES[len(name) % 4], DEMO_SERVICE_LABEL: name}
    else:
        labels = {DEMO_FALLBACK_LABEL: name, DEMO_SERVICE_LABEL: name}
    labels["app.kubernetes.io/managed-by"] = "platform" if d.svc.golden else "Helm"
    return labels


def generate_deploys(plan: Plan, deployed: list[Deployed], rng: np.random.Generator,
                     rnd: random.Random) -> DeployTables:
    as_of = plan.as_of_us
    # One stream per (service, environment) that has started by as_of.
    streams: list[tuple[int, str, int]] = []  # (deployed index, cluster, first µs)
    for i, d in enumerate(deployed):
        if d.mechanism == "none":
            continue
        for cluster, first in ((STAGING, d.first_staging_us), (PRODUCTION, d.first_prod_us)):
            if first <= as_of:
                streams.append((i, cluster, first))
    s_dep = np.array([s[0] for s in streams], dtype=np.int64)
    s_prod = np.array([s[1] == PRODUCTION for s in streams], dtype=bool)
    s_first = np.array([s[2] for s in streams], dtype=np.int64)
    rate = np.array([deployed[i].rate_per_week for i in s_dep]) * np.where(s_prod, 1.0, 1.6)
    counts = 1 + rng.poisson(rate * (as_of - s_first) / WEEK)
    stream = np.repeat(np.arange(len(streams)), counts)
    k = np.arange(stream.size) - np.repeat(np.cumsum(counts) - counts, counts)
    first = s_first[stream]
    t = np.where(k == 0, first, first + (rng.random(stream.size) * (as_of - first)).astype(np.int64))
    order = np.lexsort((t, stream))
    stream, t = stream[order], t[order]  # k stays 0..n-1 per stream, now in time order
    t = _strictly_increasing_seconds(t, stream, k)

    codes = {"k8s": 0, "github": 1, "both": 2}
    s_mech = np.array([codes[deployed[i].mechanism] for i in s_dep], dtype=np.int8)
    s_stateful = np.array([deployed[i].svc.stateful for i in s_dep], dtype=bool)
    m = s_mech[stream]
    has_gh = (m >= 1) & (t <= as_of)  # the seconds spacing can push a last one past as_of
    has_rs = (m != 1) & ~s_stateful[stream]
    # GitHub records the deployment; the Deployment rolls a steady minute or so later.
    lag = np.where(m == 2, rng.integers(30, 300, len(streams))[stream] * SECOND, 0)

    first_production = {deployed[s_dep[i]].svc.name: int(s_first[i])
                        for i in range(len(streams)) if s_prod[i]}
    deployments = _github_deployments(plan, deployed, s_dep, s_prod, stream[has_gh], t[has_gh],
                                      k[has_gh], rng)
    rs_t = t + lag
    keep = has_rs & (rs_t <= as_of)
    workloads, wl_index = _workloads(plan, deployed, streams, s_stateful, rng)
    replicasets = _replicasets(plan, deployed, s_dep, streams, wl_index, workloads,
                               stream[keep], rs_t[keep], k[keep], counts, rng)
    previews_wl, previews_rs = _previews(plan, deployed, rng, rnd)
    infra_wl, infra_rs = _infrastructure(plan, rng)
    workloads = pl.concat([workloads.drop("_stream"), previews_wl, infra_wl], how="diagonal")
    replicasets = pl.concat([replicasets, previews_rs, infra_rs], how="diagonal")
    workloads = _annotated(workloads, replicasets)
    namespaces = _namespaces(plan, workloads, rng)
    return DeployTables(deployments, namespaces, workloads, replicasets, first_production)


def _strictly_increasing_seconds(t: np.ndarray, stream: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Whole-second times, at least a second apart within each stream (so revisions and
    creation order agree); `t` is sorted within each stream and `k` is the index in it."""
    seconds = t // SECOND
    offset = stream.astype(np.int64) * 10**11  # keeps the running maximum inside a stream
    seconds = np.maximum.accumulate(seconds - k + offset) - offset + k
    return seconds * SECOND


def _ts(us: np.ndarray | list[int]) -> pl.Series:
    return pl.Series(np.asarray(us, dtype=np.int64), dtype=pl.Int64).cast(pl.Datetime("us"))


def _github_deployments(plan: Plan, deployed: list[Deployed], s_dep: np.ndarray,
                        s_prod: np.ndarray, stream: np.ndarray, t: np.ndarray, k: np.ndarray,
                        rng: np.random.Generator) -> pl.DataFrame:
    as_of = plan.as_of_us
    n = stream.size
    order = np.argsort(t, kind="stable")
    stream, t, k = stream[order], t[order], k[order]
    state = rng.choice(3, n, p=[0.92, 0.05, 0.03])
    state[k == 0] = 0  # a service's first deploy to an environment went through
    status_at = t + rng.integers(20 * SECOND, 8 * MINUTE, n)
    pending = (status_at > as_of) & (k > 0)
    state[pending] = 3
    status_at = np.minimum(status_at, as_of)
    status_at[pending] = t[pending]
    states = np.array(["success", "failure", "error", "in_progress"], dtype=object)
    env = np.where(s_prod[stream], "production", "staging")
    ref = np.where(rng.random(n) < 0.7, "main",
                   np.char.add("v1.", rng.integers(0, 40, n).astype(str)).astype(object))
    repo_of = np.array([deployed[i].repo.full_name for i in s_dep] or [""], dtype=object)
    return pl.DataFrame({
        "repo": pl.Series(repo_of[stream] if n else [], dtype=pl.String),
        "deployment_id": 1_800_000_000 + np.cumsum(rng.integers(1, 400, n, dtype=np.int64)),
        "environment": pl.Series(env, dtype=pl.String),
        "ref": pl.Series(ref, dtype=pl.String),
        "sha": ids.hex_strings(rng, n),
        "created_at": _ts(t),
        "status_state": pl.Series(states[state] if n else [], dtype=pl.String),
        "status_at": _ts(status_at),
        "fetched_at": _ts(np.full(n, as_of)),
    })


def _workloads(plan: Plan, deployed: list[Deployed], streams: list[tuple[int, str, int]],
               stateful: np.ndarray,
               rng: np.random.Generator) -> tuple[pl.DataFrame, dict[int, int]]:
    """One Deployment (or StatefulSet) per Kubernetes-deployed stream; stream → row."""
    rows, index = [], {}
    for si, (di, cluster, first) in enumerate(streams):
        d = deployed[di]
        if d.mechanism not in ("k8s", "both"):
            continue
        index[si] = len(rows)
        labels = workload_labels(d)
        replicas = d.replicas if cluster == PRODUCTION else 1
        rows.append({
            "cluster": cluster,
            "kind": "StatefulSet" if stateful[si] else "Deployment",
            "namespace": d.namespace,
            "name": d.svc.name,
            "labels": json.dumps(labels),
            "annotations": None,  # filled below with the latest revision
            "replicas": replicas,
            "pod_spec": json.dumps(d.pod_spec),
            "created_at": int(first),
            "_stream": si,
        })
    frame = pl.DataFrame(rows, schema={
        "cluster": pl.String, "kind": pl.String, "namespace": pl.String, "name": pl.String,
        "labels": pl.String, "annotations": pl.String, "replicas": pl.Int32,
        "pod_spec": pl.String, "created_at": pl.Int64, "_stream": pl.Int64})
    frame = frame.with_columns(
        uid=ids.uuids(rng, frame.height),
        created_at=pl.col("created_at").cast(pl.Datetime("us")),
        fetched_at=pl.lit(plan.as_of_us).cast(pl.Datetime("us")),
    )
    return frame, index


def _rs_labels(labels_json: pl.Expr, hashes: pl.Expr) -> pl.Expr:
    """A ReplicaSet's labels: its pod template's, plus `pod-template-hash`."""
    return pl.concat_str([labels_json.str.strip_suffix("}"), pl.lit(', "pod-template-hash": "'),
                          hashes, pl.lit('"}')])


def _replicasets(plan: Plan, deployed: list[Deployed], s_dep: np.ndarray,
                 streams: list[tuple[int, str, int]], wl_index: dict[int, int],
                 workloads: pl.DataFrame, stream: np.ndarray, t: np.ndarray, k: np.ndarray,
                 counts: np.ndarray, rng: np.random.Generator) -> pl.DataFrame:
    as_of = plan.as_of_us
    n = stream.size
    row_of_stream = np.full(len(streams), -1, dtype=np.int64)
    for si, row in wl_index.items():
        row_of_stream[si] = row
    row = row_of_stream[stream]
    assert (row >= 0).all(), "a rollout without its Deployment"
    hashes = ids.pod_template_hashes(rng, n)
    latest = k == (counts[stream] - 1)
    wl = workloads.select(pl.col("cluster", "namespace", "name", "labels", "replicas")
                          .gather(pl.Series(row)))
    rs = wl.with_columns(
        hash=hashes,
        revision=pl.Series(k + 1, dtype=pl.Int64),
        rs_replicas=pl.when(pl.Series(latest)).then(pl.col("replicas")).otherwise(0),
        created_at=_ts(t),
        first_seen_at=_ts(np.minimum(t + rng.integers(0, HOUR, n), as_of)),
    ).select(
        "cluster", "namespace",
        pl.concat_str([pl.col("name"), pl.lit("-"), pl.col("hash")]).alias("name"),
        pl.lit("Deployment").alias("owner_kind"),
        pl.col("name").alias("owner_name"),
        _rs_labels(pl.col("labels"), pl.col("hash")).alias("labels"),
        "revision",
        pl.col("rs_replicas").cast(pl.Int32).alias("replicas"),
        "created_at", "first_seen_at",
    ).with_columns(uid=ids.uuids(rng, n), fetched_at=pl.lit(as_of).cast(pl.Datetime("us")))
    return rs


def _annotated(workloads: pl.DataFrame, replicasets: pl.DataFrame) -> pl.DataFrame:
    """Workloads with their annotations: a Deployment's current revision (its latest
    ReplicaSet's), and the Helm release for Helm-managed ones."""
    latest = (replicasets.group_by("cluster", "namespace", "owner_name")
              .agg(pl.col("revision").max().alias("_revision")))
    joined = workloads.join(latest, left_on=["cluster", "namespace", "name"],
                            right_on=["cluster", "namespace", "owner_name"], how="left",
                            maintain_order="left")
    revision = pl.concat_str([pl.lit('"deployment.kubernetes.io/revision": "'),
                              pl.col("_revision").cast(pl.String), pl.lit('"')])
    helm = pl.concat_str([pl.lit('"meta.helm.sh/release-name": "'), pl.col("name"), pl.lit('"')])
    parts = pl.concat_list([
        pl.when(pl.col("_revision").is_not_null()).then(revision),
        pl.when(pl.col("labels").str.contains('"Helm"', literal=True)).then(helm),
    ]).list.drop_nulls()
    return joined.with_columns(
        annotations=pl.concat_str([pl.lit("{"), parts.list.join(", "), pl.lit("}")])
    ).drop("_revision")


def _previews(plan: Plan, deployed: list[Deployed], rng: np.random.Generator,
              rnd: random.Random) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`pr-<n>` namespaces in staging, each with one service's preview and 1–3 rollouts."""
    as_of = plan.as_of_us
    candidates = [d for d in deployed if d.mechanism in ("k8s", "both") and not d.svc.stateful]
    wl_rows, rs_rows = [], []
    numbers = rnd.sample(range(120, 4000), plan.scale.pr_namespaces)
    for j, number in enumerate(sorted(numbers)):
        # a third are open pull requests (listed); most of the rest were torn down (deleted)
        created = as_of - int(rnd.uniform(0.2, 6 if j % 3 == 2 else 90) * DAY)
        pool = [d for d in candidates if d.svc.created_us < created]
        if not pool:
            continue
        d = rnd.choice(pool)
        namespace = f"pr-{number}"
        labels = workload_labels(d)
        labels_json = json.dumps(labels)
        wl_rows.append({"cluster": STAGING, "kind": "Deployment", "namespace": namespace,
                        "name": d.svc.name, "labels": labels_json, "replicas": 1,
                        "pod_spec": json.dumps(d.pod_spec), "created_at": created})
        t = created
        for revision in range(1, rnd.randint(1, 3) + 1):
            if t > as_of:
                break
            rs_rows.append({"cluster": STAGING, "namespace": namespace,
                            "owner_name": d.svc.name, "labels": labels_json,
                            "revision": revision, "created_at": t})
            t += int(rnd.uniform(0.1, 30) * HOUR)
    return _finish_extra(plan, wl_rows, rs_rows, rng)


def _infrastructure(plan: Plan, rng: np.random.Generator) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Cluster software in both clusters: labelled, but belonging to no service."""
    wl_rows, rs_rows = [], []
    cluster_created = plan.start_us - 60 * DAY
    for c, cluster in enumerate((PRODUCTION, STAGING)):
        for w, (namespace, name, kind) in enumerate(INFRA_WORKLOADS):
            labels = json.dumps({DEMO_FALLBACK_LABEL: name, "app.kubernetes.io/part-of": "platform"})
            created = cluster_created + (c * 5 + w) * HOUR
            wl_rows.append({"cluster": cluster, "kind": kind, "namespace": namespace, "name": name,
                            "labels": labels, "replicas": 2,
                            "pod_spec": json.dumps({"containers": [{"name": name,
                                                                    "image": f"{name}:stable"}]}),
                            "created_at": created})
            if kind != "Deployment":
                continue
            upgrades = 4 + (w + c) % 5
            span = plan.as_of_us - created
            for revision in range(1, upgrades + 1):
                rs_rows.append({"cluster": cluster, "namespace": namespace, "owner_name": name,
                                "labels": labels, "revision": revision,
                                "created_at": created + span * (revision - 1) // upgrades})
    return _finish_extra(plan, wl_rows, rs_rows, rng)


def _finish_extra(plan: Plan, wl_rows: list[dict], rs_rows: list[dict],
                  rng: np.random.Generator) -> tuple[pl.DataFrame, pl.DataFrame]:
    as_of = plan.as_of_us
    wl = pl.DataFrame(wl_rows, schema={
        "cluster": pl.String, "kind": pl.String, "namespace": pl.String, "name": pl.String,
        "labels": pl.String, "replicas": pl.Int32, "pod_spec": pl.String, "created_at": pl.Int64})
    wl = wl.with_columns(
        uid=ids.uuids(rng, wl.height), annotations=pl.lit(None, pl.String),
        created_at=pl.col("created_at").cast(pl.Datetime("us")),
        fetched_at=pl.lit(as_of).cast(pl.Datetime("us")),
    )
    rs = pl.DataFrame(rs_rows, schema={
        "cluster": pl.String, "namespace": pl.String, "owner_name": pl.String,
        "labels": pl.String, "revision": pl.Int64, "created_at": pl.Int64})
    hashes = ids.pod_template_hashes(rng, rs.height)
    last = pl.col("revision") == pl.col("revision").max().over("cluster", "namespace", "owner_name")
    rs = rs.with_columns(hash=hashes).select(
        "cluster", "namespace",
        pl.concat_str([pl.col("owner_name"), pl.lit("-"), pl.col("hash")]).alias("name"),
        pl.lit("Deployment").alias("owner_kind"), "owner_name",
        _rs_labels(pl.col("labels"), pl.col("hash")).alias("labels"),
        "revision",
        pl.when(last).then(2).otherwise(0).cast(pl.Int32).alias("replicas"),
        pl.col("created_at").cast(pl.Datetime("us")),
        pl.min_horizontal(pl.col("created_at") + 5 * MINUTE, pl.lit(as_of))
        .cast(pl.Datetime("us")).alias("first_seen_at"),
    ).with_columns(uid=ids.uuids(rng, rs.height), fetched_at=pl.lit(as_of).cast(pl.Datetime("us")))
    return wl, rs


def _namespaces(plan: Plan, workloads: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Every namespace a workload lives in, plus the system ones; old previews are deleted."""
    as_of = plan.as_of_us
    cluster_created = plan.start_us - 60 * DAY
    first = (workloads.group_by("cluster", "namespace")
             .agg(pl.col("created_at").min().cast(pl.Int64)).sort("cluster", "namespace"))
    rows = list(first.iter_rows())
    known = {(c, n) for c, n, _ in rows}
    for cluster in (PRODUCTION, STAGING):
        for i, namespace in enumerate(SYSTEM_NAMESPACES):
            if (cluster, namespace) not in known:
                rows.append((cluster, namespace, cluster_created + i * MINUTE))
        for team in plan.teams:  # every team has its namespace, even before it deploys
            if (cluster, team.short) not in known:
                rows.append((cluster, team.short, plan.start_us + DAY))
    out = []
    team_of = {t.short: t.name for t in plan.teams}
    for cluster, namespace, created_us in sorted(rows):
        labels = {"kubernetes.io/metadata.name": namespace}
        if namespace in team_of:
            labels["acme.io/team"] = team_of[namespace]
        preview = namespace.startswith("pr-")
        if preview:
            labels["acme.io/preview"] = "true"
        ns_created = created_us - (0 if preview else HOUR)
        out.append({"cluster": cluster, "name": namespace, "labels": json.dumps(labels),
                    "created_at": min(ns_created, created_us),
                    "deleted": preview and created_us < as_of - 14 * DAY})
    frame = pl.DataFrame(out, schema={"cluster": pl.String, "name": pl.String,
                                      "labels": pl.String, "created_at": pl.Int64,
                                      "deleted": pl.Boolean})
    return frame.with_columns(
        uid=ids.uuids(rng, frame.height),
        created_at=pl.col("created_at").cast(pl.Datetime("us")),
        fetched_at=pl.lit(as_of).cast(pl.Datetime("us")),
    )
