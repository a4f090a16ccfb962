"""Exception requests tied to escape hatches (issue #12 item 3), on a hand-built organisation.

marts.escape_hatches: per escape hatch, how many requests name it, how many are still open, and
the latest one (state, link); marts.exception_requests.service_escape_hatch: whether the service
a request names uses the escape hatch. Every expected value is worked out by hand from the
services and issues below.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.metrics.conftest import build, repo

CATALOG = "catalog-info.yaml"
SPEC = "service.yaml"


def component(name: str) -> str:
    return (f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n"
            "spec:\n  type: service\n  owner: team-x\n")


GPU = ("service:\n  kubernetes_override:\n    containers:\n      - name: train\n"
       "        resources: {limits: {nvidia.com/gpu: 1}}\n")
SIDECAR = "service:\n  kubernetes_override:\n    containers: [{name: a}, {name: b}]\n"
PLAIN = "service:\n  port: 8080\n"

REPOS = [repo(n, "2024-01-02T00:00:00", "Go") for n in ("gpu", "side", "web", "a-worker", "b-worker")]
FILES = {
    ("acme/gpu", CATALOG): component("trainer"), ("acme/gpu", SPEC): GPU,
    ("acme/side", CATALOG): component("proxy"), ("acme/side", SPEC): SIDECAR,
    ("acme/web", CATALOG): component("web"), ("acme/web", SPEC): PLAIN,
    ("acme/a-worker", CATALOG): component("worker"), ("acme/a-worker", SPEC): PLAIN,
    ("acme/b-worker", CATALOG): component("worker"), ("acme/b-worker", SPEC): SIDECAR,
}


def issue(number: int, title: str, opened: str, closed: str | None, labels: list[str] = ()) -> dict:
    return {"repo": "acme/platform", "number": number, "title": title,
            "state": "closed" if closed else "open",
            "created_at": datetime.fromisoformat(opened),
            "closed_at": datetime.fromisoformat(closed) if closed else None,
            "labels": ["golden-path-exception", *labels], "is_pull_request": False,
            "html_url": f"https://github.com/acme/platform/issues/{number}"}


ISSUES = [
    issue(1, "trainer needs a GPU", "2024-03-01T00:00:00", "2024-03-05T00:00:00"),  # title word
    issue(2, "trainer: second GPU pool", "2024-04-01T00:00:00", None),
    issue(3, "a sidecar, please", "2024-02-01T00:00:00", "2024-02-10T00:00:00", ["service:proxy"]),
    issue(4, "web wants a raw pod spec", "2024-03-10T00:00:00", None),  # web: no escape hatch
    issue(5, "please help", "2024-03-11T00:00:00", None),  # names no service
    issue(6, "queue consumer", "2024-03-12T00:00:00", "2024-03-20T00:00:00", ["service:worker"]),
    issue(7, "an exception", "2024-03-13T00:00:00", None, ["repo:acme/a-worker"]),
    issue(8, "again", "2024-02-01T00:00:00", None, ["service:proxy"]),  # same instant as #3
]


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    return build(tmp_path_factory.mktemp("links"), repos=REPOS, files=FILES, issues=ISSUES)


def test_each_escape_hatch_carries_its_requests_and_the_latest_ones_state(wh):
    got = wh.sql("""
        select service, repo, exception_requests, open_exception_requests, latest_request_repo,
               latest_request_number, latest_request_state, latest_request_opened_at, latest_request_url
        from marts.escape_hatches order by repo""").fetchall()
    assert got == [
        # worker of b-worker: #6 (service:worker names no single repo, so it counts for each
        # `worker`; only b-worker's has an escape hatch); #7 names a-worker's. #6 is closed.
        ("worker", "acme/b-worker", 1, 0, "acme/platform", 6, "closed", datetime(2024, 3, 12),
         "https://github.com/acme/platform/issues/6"),
        # trainer: #1 (closed) and #2 (open, opened later: the latest)
        ("trainer", "acme/gpu", 2, 1, "acme/platform", 2, "open", datetime(2024, 4, 1),
         "https://github.com/acme/platform/issues/2"),
        # proxy: #3 (closed) and #8 (open), opened at the same instant: the higher number is latest
        ("proxy", "acme/side", 2, 1, "acme/platform", 8, "open", datetime(2024, 2, 1),
         "https://github.com/acme/platform/issues/8"),
    ]


def test_an_escape_hatch_without_a_request_has_none(tmp_path):
    con = build(tmp_path, repos=REPOS, files=FILES, issues=[ISSUES[3], ISSUES[4]])  # #4 web, #5 nothing
    got = con.sql("""
        select service, exception_requests, open_exception_requests, latest_request_number,
               latest_request_state, latest_request_url
        from marts.escape_hatches order by repo""").fetchall()
    assert got == [("worker", 0, 0, None, None, None), ("trainer", 0, 0, None, None, None),
                   ("proxy", 0, 0, None, None, None)]


def test_a_request_says_whether_its_service_uses_the_escape_hatch(wh):
    got = wh.sql("select number, service, service_escape_hatch from marts.exception_requests order by number").fetchall()
    assert got == [
        (1, "trainer", True),
        (2, "trainer", True),
        (3, "proxy", True),
        (4, "web", False),  # web's spec has no override
        (5, None, None),  # about no known service
        (6, "worker", True),  # one of the two `worker`s (b-worker) has an escape hatch
        (7, "worker", False),  # repo:acme/a-worker names the one without
        (8, "proxy", True),
    ]


def test_requests_counted_on_escape_hatches_are_those_flagged_on_requests(wh):
    # the two columns are two views of one matching rule: the requests counted on some escape
    # hatch are exactly those whose service_escape_hatch is true (here #1 #2 #3 #6 #8: 5 requests)
    counted = wh.sql("select sum(exception_requests) from marts.escape_hatches").fetchall()[0][0]
    flagged = wh.sql("select count(*) from marts.exception_requests where service_escape_hatch").fetchall()[0][0]
    assert (counted, flagged) == (5, 5)
