"""SPEC §3 "Team" and the exception request's service, on a hand-built organisation.

Every expected value was worked out by hand from the owners, labels and titles below.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from pipelines.sql_models import config_functions
from tests.metrics.conftest import SETTINGS, build, repo

CATALOG = "catalog-info.yaml"


def component(name: str, owner: str | None) -> str:
    owner_line = f"  owner: {owner!r}\n" if owner is not None else ""
    return (f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n"
            f"spec:\n  type: service\n{owner_line}")


REPOS = [
    repo("pay", "2024-01-10T00:00:00", "Go"),
    repo("pay-web", "2024-01-11T00:00:00", "Go"),
    repo("search", "2024-02-01T00:00:00", "Go"),
    repo("jane-tool", "2024-02-02T00:00:00", "Go"),
    repo("sre-bot", "2024-02-03T00:00:00", "Go"),
    repo("legacy", "2024-02-04T00:00:00", "Go"),
    repo("mono", "2024-02-05T00:00:00", "Go"),
    repo("other-mono", "2024-02-06T00:00:00", "Go"),
]

FILES = {
    ("acme/pay", CATALOG): component("payments-api", "group:default/Team-Payments"),
    ("acme/pay-web", CATALOG): component("payments-web", "team-payments"),
    ("acme/search", CATALOG): component("search", "Team-Search"),
    ("acme/jane-tool", CATALOG): component("jane-tool", "user:default/jane"),
    ("acme/sre-bot", CATALOG): component("sre-bot", "group:ops/sre"),
    ("acme/legacy", CATALOG): component("legacy-billing", "billing-old"),  # a legacy name, aliased
    ("acme/mono", CATALOG): component("worker", "team-search") + "---\n" + component("mono-api", "team-search"),
    ("acme/other-mono", CATALOG): component("worker", "team-search"),  # a second `worker`
}


def issue(number: int, title: str, labels: list[str]) -> dict:
    return {"repo": "acme/platform", "number": number, "title": title, "state": "open",
            "created_at": datetime(2024, 3, number), "closed_at": None,
            "labels": ["golden-path-exception", *labels], "is_pull_request": False}


ISSUES = [
    issue(1, "Payments-API needs a GPU", ["team:payments"]),  # alias payments → team-payments
    issue(2, "exception for payments-web and search", ["team/Team-Payments"]),  # two services named
    issue(3, "sidecar please", ["TEAM:group:default/team-search", "service:Mono-API"]),
    issue(4, "search is slow; not payments-api-v2", ["team:ml-research"]),  # no such owner
    issue(5, "raw deployment", ["team/ops/sre", "repo:mono"]),  # repo with two services: none
    issue(6, "another one", ["repo:acme/pay-web"]),
    issue(7, "worker needs hostNetwork", []),  # `worker` is a service of two repos: none
    issue(8, "checkout-api.", ["service:worker"]),  # names the service; two repos: no repo
    issue(9, "billing", ["team:billing"]),  # alias billing → the legacy owner's team
]

TEAM_SETTINGS = {
    **SETTINGS,
    "teams": {"aliases": {"Payments": "team-payments", "billing": "group:default/billing-team",
                          "billing-old": "group:default/billing-team"}},
}


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    return build(tmp_path_factory.mktemp("teams"), repos=REPOS, files=FILES, issues=ISSUES,
                 settings=TEAM_SETTINGS)


@pytest.mark.parametrize(("written", "ref", "short"), [
    ("group:default/Team-X", "group:default/team-x", "team-x"),
    ("team-x", "group:default/team-x", "team-x"),
    ("  Team-X ", "group:default/team-x", "team-x"),
    ("user:default/jane", "user:default/jane", "user:jane"),
    ("user:jane", "user:default/jane", "user:jane"),
    ("group:ops/sre", "group:ops/sre", "ops/sre"),
    ("ops/sre", "group:ops/sre", "ops/sre"),
    ("", None, None),
    (None, None, None),
])
def test_an_owner_is_a_backstage_entity_reference(written, ref, short):
    con = duckdb.connect()
    con.execute("create schema config; create table config.team_aliases (alias varchar, owner varchar)")
    for statement in config_functions():
        con.execute(statement)
    assert con.execute("select config.owner_ref($1), config.owner_short(config.owner_ref($1))",
                       [written]).fetchall() == [(ref, short)]


def test_services_carry_the_short_owner_and_the_full_reference(wh):
    got = wh.sql("select service, repo, owner, owner_ref from marts.services order by service, repo").fetchall()
    assert got == [
        ("jane-tool", "acme/jane-tool", "user:jane", "user:default/jane"),
        ("legacy-billing", "acme/legacy", "billing-team", "group:default/billing-team"),  # via the alias
        ("mono-api", "acme/mono", "team-search", "group:default/team-search"),
        ("payments-api", "acme/pay", "team-payments", "group:default/team-payments"),
        ("payments-web", "acme/pay-web", "team-payments", "group:default/team-payments"),
        ("search", "acme/search", "team-search", "group:default/team-search"),
        ("sre-bot", "acme/sre-bot", "ops/sre", "group:ops/sre"),
        ("worker", "acme/mono", "team-search", "group:default/team-search"),
        ("worker", "acme/other-mono", "team-search", "group:default/team-search"),
    ]


def test_request_teams_go_through_aliases_and_references(wh):
    got = wh.sql("select number, team, team_label from marts.exception_requests order by number").fetchall()
    assert got == [
        (1, "team-payments", "team:payments"),  # alias (compared case-insensitively)
        (2, "team-payments", "team/Team-Payments"),  # a reference itself
        (3, "team-search", "TEAM:group:default/team-search"),
        (4, "ml-research", "team:ml-research"),
        (5, "ops/sre", "team/ops/sre"),
        (6, None, None),
        (7, None, None),
        (8, None, None),
        (9, "billing-team", "team:billing"),
    ]


def test_request_service_from_labels_else_one_whole_word_of_the_title(wh):
    got = wh.sql("select number, service, service_repo from marts.exception_requests order by number").fetchall()
    assert got == [
        (1, "payments-api", "acme/pay"),  # title word, case-insensitive
        (2, None, None),  # payments-web and search both named: none
        (3, "mono-api", "acme/mono"),  # service:Mono-API
        (4, "search", "acme/search"),  # `payments-api-v2` is not the word payments-api
        (5, None, None),  # repo:mono holds two services
        (6, "payments-web", "acme/pay-web"),  # repo:OWNER/NAME
        (7, None, None),  # `worker` is two services (two repos)
        (8, "worker", None),  # service:worker names it; which repo is unknown
        (9, None, None),  # no service is called billing
    ]


def test_teams_lists_every_owner_and_every_label_team(wh):
    got = wh.sql("select * from marts.teams order by owner").fetchall()
    # (owner, owner_ref, services, golden_path_services, exception_requests, has_services, exception_labels)
    assert got == [
        ("billing-team", "group:default/billing-team", 1, 0, 1, True, ["team:billing"]),
        ("ml-research", "group:default/ml-research", 0, 0, 1, False, ["team:ml-research"]),
        ("ops/sre", "group:ops/sre", 1, 0, 1, True, ["team/ops/sre"]),
        ("team-payments", "group:default/team-payments", 2, 0, 2, True, ["team/Team-Payments", "team:payments"]),
        ("team-search", "group:default/team-search", 4, 0, 1, True, ["TEAM:group:default/team-search"]),
        ("user:jane", "user:default/jane", 1, 0, 0, True, []),
    ]


def test_a_label_team_matching_no_owner_is_a_data_quality_warning(wh):
    from pipelines.data_quality import team_label_warnings

    assert team_label_warnings(wh) == [
        "team 'ml-research' (from exception label 'team:ml-research'; 1 request) matches no service "
        "owner: fix the label or map it in teams.aliases"
    ]


def test_escape_hatches_count_the_requests_naming_them(tmp_path):
    spec = "service:\n  kubernetes_override:\n    containers: [{name: a}, {name: b}]\n"
    files = {**FILES, ("acme/pay", "service.yaml"): spec, ("acme/other-mono", "service.yaml"): spec}
    con = build(tmp_path, repos=REPOS, files=files, issues=ISSUES, settings=TEAM_SETTINGS)
    got = con.sql("select service, repo, exception_requests from marts.escape_hatches order by repo").fetchall()
    # payments-api: request 1 (title); worker of other-mono: request 8 (service:worker, no repo)
    assert got == [("worker", "acme/other-mono", 1), ("payments-api", "acme/pay", 1)]
