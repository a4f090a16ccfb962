"""SPEC §3 CI and deploy rules on two hand-built services (one golden path, one DIY).
Expected values are worked out by hand in the comments."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import polars as pl
import pytest

from tests.metrics.conftest import build, repo

T = datetime.fromisoformat


def run(repo_, run_id, created, queue_s, duration_s, conclusion, attempt=1, status="completed"):
    created_at = T(created)
    started = created_at + timedelta(seconds=queue_s)
    return {
        "repo": repo_, "run_id": run_id, "run_attempt": attempt, "workflow_name": "ci", "event": "push",
        "status": status, "conclusion": conclusion, "created_at": created_at, "run_started_at": started,
        "updated_at": started + timedelta(seconds=duration_s),
    }


RUNS = [
    run("acme/gp", 1, "2024-04-02T10:00:00", 30, 300, "success"),
    run("acme/gp", 2, "2024-04-03T10:00:00", 60, 600, "failure", attempt=2),
    run("acme/gp", 3, "2024-04-04T00:00:00", 0, 100, "cancelled"),
    run("acme/gp", 4, "2024-05-01T00:00:00", 10, 50, None, status="in_progress"),
    run("acme/diy", 5, "2024-04-10T00:00:00", 120, 1200, "timed_out"),
    run("acme/diy", 6, "2024-04-11T00:00:00", 60, 900, "startup_failure"),
    run("acme/diy", 7, "2024-04-12T00:00:00", 0, 600, "success"),
]


def rs(cluster, name, owner, revision, created, labels=None, owner_kind="Deployment"):
    return {"cluster": cluster, "namespace": "apps", "name": name, "owner_kind": owner_kind, "owner_name": owner,
            "labels": json.dumps(labels or {}), "revision": revision, "created_at": T(created)}


GPU_POD = {"containers": [{"name": "m", "resources": {"limits": {"nvidia.com/gpu": "1"}}}]}
ZERO_GPU_POD = {"containers": [{"name": "m", "resources": {"requests": {"amd.com/gpu": "0"}}}]}
TWO_CONTAINERS = {"containers": [{"name": "app"}, {"name": "envoy"}]}

WORKLOADS = pl.DataFrame([
    {"cluster": "prod-eu", "kind": "Deployment", "namespace": "apps", "name": "gp-deploy",
     "labels": json.dumps({"backstage.io/kubernetes-id": "gp-k8s"}), "pod_spec": json.dumps(GPU_POD)},
    {"cluster": "staging", "kind": "Deployment", "namespace": "apps", "name": "gp-deploy",
     "labels": json.dumps({"backstage.io/kubernetes-id": "gp-k8s"}), "pod_spec": json.dumps(ZERO_GPU_POD)},
    {"cluster": "staging", "kind": "Deployment", "namespace": "apps", "name": "diy",
     "labels": json.dumps({"app.kubernetes.io/name": "diy"}), "pod_spec": json.dumps(TWO_CONTAINERS)},
])

REPLICASETS = pl.DataFrame([
    rs("prod-eu", "gp-deploy-1", "gp-deploy", 1, "2024-04-05T12:00:00"),
    rs("prod-eu", "gp-deploy-2", "gp-deploy", 2, "2024-04-20T00:00:00"),
    rs("staging", "gp-deploy-a", "gp-deploy", 1, "2024-04-03T00:00:00"),
    rs("staging", "diy-1", "diy", 1, "2024-04-11T00:00:00"),
    rs("prod-eu", "orphan", None, None, "2024-04-06T00:00:00", {"backstage.io/kubernetes-id": "gp-k8s"}, owner_kind=None),
])

DEPLOYMENTS = pl.DataFrame([
    {"repo": "acme/diy", "deployment_id": 11, "environment": "Production", "created_at": T("2024-04-08T00:00:00"),
     "status_state": "failure"},
    {"repo": "acme/diy", "deployment_id": 12, "environment": "staging", "created_at": T("2024-04-02T00:00:00"),
     "status_state": "success"},
])

SETTINGS = {
    "github": {"org": "acme"},
    "golden_paths": [{"name": "go-service", "ref": "template:default/go-service"}],
    "kubernetes": {"contexts": ["prod-eu", "staging"], "production_contexts": ["prod-eu"]},
}


def catalog(name, annotations):
    ann = "".join(f"\n    {k}: {v}" for k, v in annotations.items())
    return f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n  annotations:{ann}\nspec:\n  type: service\n  owner: team-a\n"


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    return build(
        tmp_path_factory.mktemp("friction"),
        repos=[repo("gp", "2024-04-01T00:00:00", "Go"), repo("diy", "2024-04-01T00:00:00", "Go")],
        files={
            ("acme/gp", "catalog-info.yaml"): catalog("gp", {
                "backstage.io/source-template": "template:default/go-service",
                "backstage.io/kubernetes-id": "gp-k8s"}),
            ("acme/diy", "catalog-info.yaml"): catalog("diy", {"example.com/x": "y"}),
        },
        settings=SETTINGS,
        extra={
            "workflow_runs": pl.DataFrame(RUNS),
            "k8s_workloads": WORKLOADS,
            "k8s_replicasets": REPLICASETS,
            "deployments": DEPLOYMENTS,
        },
    )


def test_ci_runs(wh):
    got = wh.sql("select run_id, service, queue_s, duration_s, failed, on_golden_path from marts.ci_runs order by run_id").fetchall()
    assert got == [
        (1, "gp", 30.0, 300.0, False, True),
        (2, "gp", 60.0, 600.0, True, True),
        (3, "gp", 0.0, 100.0, False, True),  # cancelled: neither failed nor succeeded
        (4, "gp", 10.0, None, False, True),  # in progress: no duration yet
        (5, "diy", 120.0, 1200.0, True, False),
        (6, "diy", 60.0, 900.0, True, False),
        (7, "diy", 0.0, 600.0, False, False),
    ]


def test_ci_friction_monthly(wh):
    got = wh.sql(
        "select service, month, runs, failed, failure_rate, median_duration_s, p90_duration_s, median_queue_s, rerun_rate"
        " from marts.ci_friction_monthly order by service, month"
    ).fetchall()
    assert got == [
        # [600, 900, 1200]: p90 at position 1.8 → 900 + 0.8 × 300
        ("diy", date(2024, 4, 1), 3, 2, 2 / 3, 900.0, pytest.approx(1140.0), 60.0, 0.0),
        ("diy", date(2024, 5, 1), 0, 0, None, None, None, None, None),  # kept, empty
        # [100, 300, 600]: p90 at 1.8 → 300 + 0.8 × 300; failure rate 1 / (1 + 1)
        ("gp", date(2024, 4, 1), 3, 1, 0.5, 300.0, pytest.approx(540.0), 30.0, 1 / 3),
        ("gp", date(2024, 5, 1), 1, 0, None, None, None, 10.0, 0.0),
    ]


def test_deploys(wh):
    got = wh.sql(
        "select service, source, cluster, environment, deployed_at, revision, production"
        " from marts.deploys order by service, deployed_at"
    ).fetchall()
    assert got == [
        ("diy", "github", None, "staging", T("2024-04-02T00:00:00"), None, False),
        ("diy", "github", None, "Production", T("2024-04-08T00:00:00"), None, True),  # case-insensitive
        ("diy", "kubernetes", "staging", None, T("2024-04-11T00:00:00"), 1, False),  # fallback label
        ("gp", "kubernetes", "staging", None, T("2024-04-03T00:00:00"), 1, False),
        ("gp", "kubernetes", "prod-eu", None, T("2024-04-05T12:00:00"), 1, True),  # by kubernetes-id
        ("gp", "kubernetes", "prod-eu", None, T("2024-04-20T00:00:00"), 2, True),
    ]  # the ReplicaSet without a Deployment owner is not a rollout


def test_time_to_first_deploy(wh):
    got = wh.sql("select service, first_production_deploy_at, days from marts.time_to_first_deploy order by service").fetchall()
    assert got == [("diy", T("2024-04-08T00:00:00"), 7.0), ("gp", T("2024-04-05T12:00:00"), 4.5)]


def test_comparison_services_holds_each_services_inputs(wh):
    got = {r[0]: r[1:] for r in wh.sql(
        """select service, stratum, ci_failed, ci_decided, ci_months, median_ci_duration_s,
                  production_deploys, service_weeks, days_to_first_deploy
           from marts.comparison_services""").fetchall()}
    weeks = (44 + 10 / 24) / 7  # 2024-04-01 → as_of 2024-05-15 10:00
    # gp: failure of success+failure (cancelled and in_progress are neither); April's completed
    # runs 300, 600, 100 s → monthly median 300 (May has only a run in progress: no median),
    # the median of that one month → 300; two prod-eu rollouts; first at 4.5 days
    assert got["gp"] == ("go × team-a", 1, 2, 1, 300.0, 2, pytest.approx(weeks), 4.5)
    # diy: timed_out + startup_failure of 3 decided; April 1200, 900, 600 → 900; the Production deployment
    assert got["diy"] == ("go × team-a", 2, 3, 1, 900.0, 1, pytest.approx(weeks), 7.0)


def test_golden_path_vs_diy_is_null_under_min_n(wh):
    got = {r[0]: r[1:] for r in wh.sql(
        """select metric, golden_path, diy, ratio, golden_path_n, diy_n, golden_path_low, diy_high,
                  p_value, significant, strata, stratified_ratio, stratified_p_value
           from marts.golden_path_vs_diy""").fetchall()}
    # one service a side, comparisons.min_n 20: every value NULL, the n's and the one shared stratum shown
    for metric in ("ci_failure_rate", "median_ci_duration_s", "deploys_per_service_week", "median_days_to_first_deploy"):
        assert got[metric] == (None, None, None, 1, 1, None, None, None, None, 1, None, None)
    assert wh.sql("select count(*), count(golden_path) from marts.golden_path_vs_diy_by_language").fetchall() == [(4, 0)]


def test_escape_hatch_live_reads_what_the_pod_templates_run(wh):
    got = wh.sql("select service, workloads, live_gpu, live_sidecar from marts.escape_hatch_live order by service").fetchall()
    # gp: one workload asks nvidia.com/gpu "1" (the other asks amd.com/gpu "0"); diy runs 2 containers
    assert got == [("diy", 1, False, True), ("gp", 2, True, False)]
