"""API objects → raw rows (pure), including malformed objects: each problem names the object."""

from __future__ import annotations

from datetime import datetime

import pytest

from pipelines.sources.kubernetes.rows import (
    controller_of,
    namespace_rows,
    parse_timestamp,
    replicaset_rows,
    workload_rows,
)

AT = datetime(2025, 3, 1, 12, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-02-29T23:30:00Z", datetime(2024, 2, 29, 23, 30)),
        ("2024-03-01T01:30:00+02:00", datetime(2024, 2, 29, 23, 30)),  # 01:30 at +02:00 is 23:30 UTC the day before
        ("2024-03-01T00:00:00.123456Z", datetime(2024, 3, 1, 0, 0, 0, 123456)),
        (None, None),
    ],
)
def test_parse_timestamp_is_naive_utc(text, expected):
    assert parse_timestamp(text) == expected


@pytest.mark.parametrize("text", ["yesterday", "2024-03-01T00:00:00", 1709251200])
def test_parse_timestamp_rejects_non_rfc3339(text):
    with pytest.raises(ValueError):
        parse_timestamp(text)


def test_replicaset_row_fields_and_problems():
    items = [
        {
            "metadata": {
                "name": "api-7d9f", "namespace": "shop", "uid": "u1",
                "labels": {"app.kubernetes.io/name": "api", "pod-template-hash": "7d9f"},
                "annotations": {"deployment.kubernetes.io/revision": "12"},
                "creationTimestamp": "2025-02-01T10:00:00Z",
                "ownerReferences": [
                    {"kind": "Rollout", "name": "not-the-controller", "controller": False},
                    {"kind": "Deployment", "name": "api", "controller": True},
                ],
            },
            "spec": {"replicas": 0},
        },
        {
            "metadata": {
                "name": "odd-1", "namespace": "shop",
                "annotations": {"deployment.kubernetes.io/revision": "v3"},
                "creationTimestamp": "last tuesday",
            },
            "spec": {"replicas": "two"},
        },
        {"metadata": {"name": "no-namespace"}},
        "not an object",
    ]
    frame, problems = replicaset_rows(items, "prod", AT)
    assert frame.to_dicts() == [
        {"cluster": "prod", "namespace": "shop", "name": "api-7d9f", "uid": "u1", "owner_kind": "Deployment",
         "owner_name": "api", "labels": '{"app.kubernetes.io/name":"api","pod-template-hash":"7d9f"}',
         "revision": 12, "replicas": 0, "created_at": datetime(2025, 2, 1, 10), "first_seen_at": AT, "fetched_at": AT},
        {"cluster": "prod", "namespace": "shop", "name": "odd-1", "uid": None, "owner_kind": None,
         "owner_name": None, "labels": "{}", "revision": None, "replicas": None, "created_at": None,
         "first_seen_at": AT, "fetched_at": AT},
    ]
    assert len(problems) == 5
    assert problems[0] == ("ReplicaSet shop/odd-1: annotation deployment.kubernetes.io/revision 'v3' is not an "
                           "integer; stored as NULL")
    assert problems[1] == "ReplicaSet shop/odd-1: spec.replicas 'two' is not an integer; stored as NULL"
    assert problems[2].startswith("ReplicaSet shop/odd-1: creationTimestamp ")
    assert problems[3].startswith("ReplicaSet without a name or namespace skipped: {'metadata': {'name': 'no-namespace'}}")
    assert problems[4].startswith("ReplicaSet without a name or namespace skipped: not an object")


def test_workload_row_keeps_pod_spec_json_as_returned():
    pod_spec = {"containers": [{"name": "a", "image": "a:1"}, {"name": "proxy", "image": "envoy"}],
                "initContainers": [{"name": "log", "image": "fluent", "restartPolicy": "Always"}]}
    items = [{"metadata": {"name": "api", "namespace": "shop", "labels": ["not", "a", "map"],
                           "creationTimestamp": "2025-02-01T10:00:00Z"},
              "spec": {"replicas": 3, "template": {"spec": pod_spec}}},
             {"metadata": {"name": "bare", "namespace": "shop"}, "spec": {}}]
    frame, problems = workload_rows(items, "prod", "StatefulSet", AT)
    rows = frame.to_dicts()
    assert rows[0]["pod_spec"] == (
        '{"containers":[{"name":"a","image":"a:1"},{"name":"proxy","image":"envoy"}],'
        '"initContainers":[{"name":"log","image":"fluent","restartPolicy":"Always"}]}'
    )
    assert (rows[0]["kind"], rows[0]["replicas"], rows[0]["labels"], rows[0]["annotations"]) == ("StatefulSet", 3, "{}", "{}")
    assert (rows[1]["pod_spec"], rows[1]["replicas"], rows[1]["created_at"]) == (None, None, None)
    assert problems == ["StatefulSet shop/api: metadata.labels is not an object; stored as {}"]


def test_namespace_rows_and_empty_input():
    frame, problems = namespace_rows([{"metadata": {"name": "pr-42", "labels": {"pr": "42"}}}], "staging", AT)
    assert frame.to_dicts() == [{"cluster": "staging", "name": "pr-42", "uid": None, "labels": '{"pr":"42"}',
                                 "created_at": None, "deleted": False, "fetched_at": AT}]
    assert problems == []
    empty, _ = namespace_rows([], "staging", AT)
    assert empty.height == 0 and empty.columns == frame.columns


def test_controller_of_without_controller_reference():
    assert controller_of({"ownerReferences": [{"kind": "Deployment", "name": "x"}]}) == (None, None)
    assert controller_of({}) == (None, None)
