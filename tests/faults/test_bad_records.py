"""Issue 13, item 6: one bad value fails its record or repo, not the whole source.

Before: a repo whose `created_at` was `1-01-01T00:00:00Z` made the GitHub step fail
(ValueError) while the summary said "No repo failed"; a well-formed year 0001 loaded and
stretched every monthly mart to 24,311 rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from pipelines.sources.github.rows import ImplausibleDate, ts
from tests.sources.github_helpers import NOW, TOKEN, load, make_settings, query
from tests.sources.github_server import FakeRepo, GitHubTestServer, sample_org


@pytest.mark.parametrize("text", ["1-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z",
                                  "2999-01-01T00:00:00Z", "yesterday", "2024-13-01T00:00:00Z"])
def test_implausible_dates_are_refused(text: str):
    with pytest.raises(ImplausibleDate):
        ts(text)


def test_plausible_dates_read_as_naive_utc():
    assert ts("2024-05-01T12:00:00+02:00") == datetime(2024, 5, 1, 10, 0)
    assert ts((datetime.utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")) is not None


@pytest.mark.parametrize("created", ["1-01-01T00:00:00Z", "0001-01-01T00:00:00Z"])
def test_a_repo_with_an_absurd_date_is_one_recorded_error(tmp_path: Path, created: str):
    org = sample_org(NOW, repos=3)
    org.add(FakeRepo("ancient", created_at=NOW - timedelta(days=3), created_at_text=created))
    db = tmp_path / "w.duckdb"
    with GitHubTestServer(org, tokens={TOKEN}) as srv:
        meta = load(db, make_settings(srv.base_url))
    assert meta["failed_repos"] == ["acme/ancient"]
    assert [r for (r,) in query(db, "SELECT repo FROM raw.repos ORDER BY repo")] == [
        f"acme/{name}" for name in sorted(org.repos) if name != "ancient"]
    (message,) = query(db, "SELECT message FROM raw.fetch_errors WHERE repo = 'acme/ancient'")[0]
    assert "not a plausible date" in message or "not a timestamp" in message
    assert query(db, "SELECT min(created_at) >= TIMESTAMP '2005-01-01' FROM raw.repos") == [(True,)]
