"""Pure parts of the GitHub source: timestamps, scope rules, file selection, URL handling."""

from __future__ import annotations

from datetime import datetime

import pytest
from github import Auth

from pipelines.sources.github.auth import Credentials, redact_tokens
from pipelines.sources.github.client import FetchError, GitHubClient
from pipelines.sources.github.rows import in_scope, is_excluded, issue_row, ts, wanted_file


@pytest.mark.parametrize("text, expected", [
    ("2020-08-26T11:44:53Z", datetime(2020, 8, 26, 11, 44, 53)),
    ("2021-01-01T10:00:00+10:00", datetime(2021, 1, 1, 0, 0, 0)),  # GHES answers can carry an offset
    ("2021-01-01T00:30:00-02:00", datetime(2021, 1, 1, 2, 30, 0)),
    (None, None),
    ("", None),
])
def test_timestamps_become_naive_utc(text, expected):
    assert ts(text) == expected


@pytest.mark.parametrize("repo, patterns, excluded", [
    ("acme/sandbox-x", ["sandbox-*"], True),
    ("acme/my-sandbox", ["sandbox-*"], False),
    ("acme/legacy-billing", ["acme/legacy-*"], True),
    ("acme/legacy-billing", ["other/*"], False),
    ("acme/Sandbox-x", ["sandbox-*"], False),  # GitHub names are matched as written
])
def test_exclude_globs_match_name_or_full_name(repo, patterns, excluded):
    assert is_excluded(repo, patterns) is excluded


def test_scope_is_not_archived_not_fork_not_excluded():
    base = {"repo": "acme/a", "archived": False, "fork": False}
    assert in_scope(base, [])
    assert not in_scope({**base, "archived": True}, [])
    assert not in_scope({**base, "fork": True}, [])
    assert not in_scope(base, ["a"])


@pytest.mark.parametrize("path, wanted", [
    ("catalog-info.yaml", True), ("service.yaml", True), (".copier-answers.yml", True), (".cruft.json", True),
    (".github/workflows/ci.yml", True), (".github/workflows/release.yaml", True),
    (".github/workflows/sub/ci.yml", False), (".github/workflows/README.md", False),
    ("docs/catalog-info.yaml", False), ("sub/.cruft.json", False), (".github/ci.yml", False),
])
def test_the_files_read(path, wanted):
    assert wanted_file(path, "catalog-info.yaml", "service.yaml") is wanted


def test_pull_requests_from_the_issues_endpoint_are_flagged():
    item = {"number": 4, "title": "t", "state": "open", "labels": [{"name": "x"}], "user": {"login": "u"},
            "created_at": "2025-01-01T00:00:00Z", "pull_request": {"url": "…"}}
    row = issue_row("acme/p", item, datetime(2025, 1, 2))
    assert row["is_pull_request"] is True and row["labels"] == ["x"] and row["author"] == "u"
    del item["pull_request"]
    assert issue_row("acme/p", item, datetime(2025, 1, 2))["is_pull_request"] is False


def test_token_shapes_are_redacted():
    text = 'got {"token": "v1.abc", "x": 1} and ghs_16CharactersLongXYZ and github_pat_11ABCDEFGH_xyz'
    assert redact_tokens(text) == 'got {"token": "***", "x": 1} and *** and ***'


@pytest.fixture
def client():
    creds = Credentials(auth=Auth.Token("t"), describe="the token in $T", fix="fix it", secrets=("t",))
    c = GitHubClient(creds, "https://ghe.example.com/api/v3/")
    yield c
    c.close()


def test_urls_are_made_relative_and_canonical(client):
    assert client.canonical("/orgs/acme/repos", {"per_page": 100, "type": "all"}) == "/orgs/acme/repos?per_page=100&type=all"
    assert client.canonical("https://ghe.example.com/api/v3/orgs/acme/repos?type=all&page=2") == (
        "/orgs/acme/repos?page=2&type=all")


@pytest.mark.parametrize("link", [
    "https://evil.example.com/api/v3/orgs/acme/repos?page=2",  # another host
    "http://ghe.example.com/api/v3/orgs/acme/repos?page=2",  # another scheme
    "https://ghe.example.com/other/orgs/acme/repos?page=2",  # outside the API prefix
])
def test_links_that_leave_the_api_are_refused(client, link):
    with pytest.raises(FetchError, match="link leaves the API at https://ghe.example.com/api/v3"):
        client.canonical(link)


def test_pacer_spaces_requests_after_a_burst():
    from pipelines.sources.github.client import Pacer

    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))
        now[0] += seconds

    pacer = Pacer(rate=15.0, burst=4, sleep=sleep, clock=lambda: now[0])  # 900 a minute
    for _ in range(6):
        pacer.take()
    # the first 4 pass at once (the burst); the 5th is due 1/15 s later, the 6th 1/15 s after it
    assert slept == [round(1 / 15, 6), round(1 / 15, 6)]
    now[0] += 10.0  # ten idle seconds refill the bucket, capped at the burst
    for _ in range(4):
        pacer.take()
    assert len(slept) == 2
