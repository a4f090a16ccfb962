"""The GraphQL client through PyGithub's requester against the local server's GraphQL API.

Costs are worked out by hand with GitHub's documented calculation: add up, for every
connection, the requests needed to fill it when each `first`/`last` is reached (the product of
the enclosing connections' sizes), divide by 100, round, at least 1 point.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from github import Auth
from graphql import parse

from pipelines.sources.github.auth import Credentials
from pipelines.sources.github.client import FetchError, GitHubClient
from pipelines.sources.github.graphql import GraphQLClient, batch_size, literal, run_batched
from tests.sources.github_graphql import query_cost
from tests.sources.github_helpers import TOKEN
from tests.sources.github_server import FakeOrg, FakeRepo, Faults, GitHubTestServer

T = datetime


def _org() -> FakeOrg:
    org = FakeOrg("acme")
    for name in ("a", "b", "c", "d"):
        org.add(FakeRepo(name, created_at=T(2024, 1, 1), files={"service.yaml": f"service: {{name: {name}}}\n".encode()}))
    # five commits on `a` touching service.yaml (the first one creates it), one touching README only
    for day in range(2, 6):
        org.push("a", T(2024, 1, day), {"service.yaml": f"service: {{name: a, replicas: {day}}}\n".encode()})
    org.push("a", T(2024, 1, 9), {"README.md": b"# a\n"})
    return org


def _client(srv: GitHubTestServer, slept: list[float]) -> GraphQLClient:
    creds = Credentials(Auth.Token(TOKEN), "the test token", "fix it", (TOKEN,))
    return GraphQLClient(GitHubClient(creds, srv.base_url, sleep=slept.append, backoff_base_s=0.01))


@pytest.mark.parametrize(("text", "points", "nodes"), [
    # one connection of 100: 1 request → 0.01 → rounds to 0 → the minimum, 1 point
    ('{ repository(owner: "acme", name: "a") { defaultBranchRef { target { ... on Commit {'
     ' history(first: 100) { nodes { oid } } } } } } }', 1, 100),
    # nested: 1 request for the outer 10, plus 10 for the inner 20s = 11 requests; 10 + 200 nodes
    ('{ repository(owner: "acme", name: "a") { defaultBranchRef { target { ... on Commit {'
     ' history(first: 10) { nodes { history(first: 20) { nodes { oid } } } } } } } } }', 1, 210),
    # 160 aliases of one connection each: 160 requests → 1.6 → 2 points
    ("{ " + " ".join(f'r{i}: repository(owner: "acme", name: "a") {{ defaultBranchRef {{ target {{ '
                     f'... on Commit {{ history(first: 1) {{ nodes {{ oid }} }} }} }} }} }}' for i in range(160)) + " }",
     2, 160),
    # 100 outer × 100 inner: 1 + 100 requests → 1.01 → 1 point; 10,100 nodes
    ('{ repository(owner: "acme", name: "a") { defaultBranchRef { target { ... on Commit {'
     ' history(first: 100) { nodes { history(first: 100) { nodes { oid } } } } } } } } }', 1, 10100),
    # a connection asked only for totalCount (no first): still one request
    ('{ repository(owner: "acme", name: "a") { deployments { totalCount } } }', 1, 0),
])
def test_point_cost_follows_githubs_calculation(text, points, nodes):
    assert query_cost(parse(text), {})[:2] == (points, nodes)


def test_aliases_partial_not_found_and_points_are_accounted():
    slept: list[float] = []
    with GitHubTestServer(_org(), tokens={TOKEN}) as srv:
        gql = _client(srv, slept)
        got = run_batched(gql, "heads", ["a", "gone", "b"], lambda alias, name: (
            f"repository(owner: \"acme\", name: {literal(name)}) {{ nameWithOwner "
            f"defaultBranchRef {{ name }} }}"))
        spent = srv.graphql.points_spent
    assert [b.data for b in got] == [{"nameWithOwner": "acme/a", "defaultBranchRef": {"name": "main"}}, None,
                                     {"nameWithOwner": "acme/b", "defaultBranchRef": {"name": "main"}}]
    assert got[1].error is not None and got[1].error.status == 404 and "NOT_FOUND" in got[1].error.message
    assert "acme/gone" in got[1].error.message
    # no connection at all: the minimum of 1 point, recorded by the client as the server charged
    assert spent == 1 and gql.client.accounting.points() == 1
    assert gql.client.accounting.counted() == 0  # GraphQL spends points, not REST requests


def test_history_pages_follow_cursors_to_the_boundary():
    # `a`'s history of service.yaml: created 2024-01-01, changed on the 2nd, 3rd, 4th, 5th:
    # 5 commits, newest first; pages of 2 → 2, 2, 1 with hasNextPage true, true, false.
    with GitHubTestServer(_org(), tokens={TOKEN}) as srv:
        gql = _client(srv, [])
        dates, after, pages = [], None, []
        while True:
            cursor = f", after: {literal(after)}" if after else ""
            ans = gql.query("history", (
                'query { rateLimit { cost remaining resetAt } repository(owner: "acme", name: "a") { '
                'defaultBranchRef { target { ... on Commit { history(path: "service.yaml", first: 2'
                f'{cursor}) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ committedDate }} }} }} }} }} }} }}'))
            h = ans.data["repository"]["defaultBranchRef"]["target"]["history"]
            pages.append((len(h["nodes"]), h["pageInfo"]["hasNextPage"]))
            dates += [n["committedDate"] for n in h["nodes"]]
            if not h["pageInfo"]["hasNextPage"]:
                break
            after = h["pageInfo"]["endCursor"]
    assert pages == [(2, True), (2, True), (1, False)]
    assert dates == ["2024-01-05T00:00:00Z", "2024-01-04T00:00:00Z", "2024-01-03T00:00:00Z",
                     "2024-01-02T00:00:00Z", "2024-01-01T00:00:00Z"]


def test_rate_limited_waits_until_reset_then_asks_again():
    slept: list[float] = []
    faults = Faults(primary_limit_at={1}, primary_reset_in=40)
    with GitHubTestServer(_org(), tokens={TOKEN}, faults=faults) as srv:
        gql = _client(srv, slept)
        ans = gql.query("one", 'query { rateLimit { cost remaining resetAt } r: repository(owner: "acme", name: "c") { name } }')
    assert ans.data["r"] == {"name": "c"} and ans.cost == 1
    assert len(slept) == 1 and 39.0 <= slept[0] <= 42.0, slept  # until X-RateLimit-Reset + 1 s
    stats = gql.client.accounting.totals()
    assert stats.rate_limit_waits == 1 and stats.requests == 2 and stats.points == 1


def test_secondary_limit_and_502_are_retried():
    slept: list[float] = []
    faults = Faults(secondary_limit_at={1}, retry_after=7, error_rate=1.0, max_per_url=1)
    with GitHubTestServer(_org(), tokens={TOKEN}, faults=faults) as srv:
        gql = _client(srv, slept)
        ans = gql.query("one", 'query { rateLimit { cost remaining resetAt } r: repository(owner: "acme", name: "d") { name } }')
    assert ans.data["r"] == {"name": "d"}
    assert 7.0 in slept  # Retry-After
    stats = gql.client.accounting.totals()
    assert stats.rate_limit_waits == 1 and stats.retries == 1 and stats.requests == 3


def test_a_query_too_heavy_for_github_is_split_until_it_passes():
    # more than 2 repositories in a query → 502 (a GitHub timeout): 4 → 2 + 2
    with GitHubTestServer(_org(), tokens={TOKEN}, graphql_max_repos=2) as srv:
        gql = _client(srv, [])
        got = run_batched(gql, "heads", ["a", "b", "c", "d"],
                          lambda alias, name: f"repository(owner: \"acme\", name: {literal(name)}) {{ name }}")
        answered = [r.status for r in srv.log if r.path == "/graphql"]
    assert [b.data for b in got] == [{"name": n} for n in "abcd"]
    assert answered.count(200) == 2 and answered.count(502) == 5  # the client's 5 attempts on the 4-repo query


def test_query_level_errors_raise():
    with GitHubTestServer(_org(), tokens={TOKEN}) as srv:
        gql = _client(srv, [])
        with pytest.raises(FetchError, match="EXCESSIVE_PAGINATION"):
            gql.query("big", 'query { rateLimit { cost remaining resetAt } repository(owner: "acme", name: "a") { '
                             'defaultBranchRef { target { ... on Commit { history(first: 101) { nodes { oid } } } } } } }')
        with pytest.raises(FetchError, match="Cannot query field"):
            gql.query("typo", "query { rateLimit { cost } repository(owner: \"acme\", name: \"a\") { nope } }")


def test_truncated_and_binary_blobs_are_flagged():
    org = _org()
    org.push("b", T(2024, 2, 1), {"big.yaml": b"k: " + b"v" * 100 + b"\n", "bin.dat": b"\x00\x01"})
    with GitHubTestServer(org, tokens={TOKEN}, graphql_text_limit=50) as srv:
        gql = _client(srv, [])
        ans = gql.query("blobs", (
            'query { rateLimit { cost remaining resetAt } r: repository(owner: "acme", name: "b") { '
            'big: object(expression: "HEAD:big.yaml") { ... on Blob { byteSize text isTruncated isBinary } } '
            'bin: object(expression: "HEAD:bin.dat") { ... on Blob { byteSize text isTruncated isBinary } } } }'))
    big, binary = ans.data["r"]["big"], ans.data["r"]["bin"]
    assert big["byteSize"] == 104 and big["isTruncated"] is True and len(big["text"]) == 50
    assert binary == {"byteSize": 2, "text": None, "isTruncated": False, "isBinary": True}


def test_batch_size_keeps_a_query_under_its_point_ceiling():
    assert batch_size(6) == 50  # 300 requests: the alias cap decides
    assert batch_size(30) == 33  # 990 ≤ 1,000 requests
    assert batch_size(5000) == 1


def test_rename_is_followed_and_an_empty_repo_has_no_branch():
    org = _org()
    org.rename("c", "c2")
    org.add(FakeRepo("e", created_at=T(2024, 3, 1), empty=True))
    with GitHubTestServer(org, tokens={TOKEN}) as srv:
        gql = _client(srv, [])
        ans = gql.query("r", 'query { rateLimit { cost remaining resetAt } '
                             'old: repository(owner: "acme", name: "c") { nameWithOwner } '
                             'e: repository(owner: "acme", name: "e") { isEmpty defaultBranchRef { name } } }')
    assert ans.data["old"] == {"nameWithOwner": "acme/c2"}
    assert ans.data["e"] == {"isEmpty": True, "defaultBranchRef": None}


def test_rest_history_endpoints_through_pygithub():
    """`commits?path=&since=&sha=` and `contents?ref=` as PyGithub's own objects read them."""
    from github import Github

    org = _org()
    with GitHubTestServer(org, tokens={TOKEN}) as srv:
        gh = Github(base_url=srv.base_url, auth=Auth.Token(TOKEN), per_page=2, seconds_between_requests=0)
        repo = gh.get_repo("acme/a")
        # service.yaml: created 01-01, changed 01-02..01-05; the README commit (01-09) did not touch it
        commits = list(repo.get_commits(path="service.yaml", since=T(2024, 1, 3), sha="main"))
        dates = [c.commit.committer.date.replace(tzinfo=None) for c in commits]
        assert dates == [T(2024, 1, 5), T(2024, 1, 4), T(2024, 1, 3)]  # newest first, two pages of 2
        oldest = list(repo.get_commits(path="service.yaml"))[-1]
        text = repo.get_contents("service.yaml", ref=oldest.sha).decoded_content
        assert text == b"service: {name: a}\n"
        assert repo.get_contents("service.yaml", ref=commits[0].sha).decoded_content == \
            b"service: {name: a, replicas: 5}\n"
        gh.close()
