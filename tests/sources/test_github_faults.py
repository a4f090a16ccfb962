"""Faults, rate limits and interruptions: the raw tables end up exactly as after a clean load."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import github.Requester
import pytest

from tests.sources.github_helpers import (
    NOW,
    TOKEN,
    TOKEN_ENV,
    load,
    make_settings,
    query,
    raw_contents,
)
from tests.sources.github_server import Faults, GitHubTestServer, sample_org

REPOS = 24


@pytest.fixture(scope="module")
def clean_db(tmp_path_factory) -> Path:
    """The reference: one uninterrupted load of the sample organisation from a faultless server."""
    db = tmp_path_factory.mktemp("clean") / "clean.duckdb"
    with GitHubTestServer(sample_org(NOW, repos=REPOS), tokens={TOKEN}) as srv:
        meta = load(db, make_settings(srv.base_url))
    assert meta["failed_repos"] == [] and meta["rows_workflow_runs"] > 0
    return db


def test_a_load_under_faults_ends_with_the_same_raw_tables_as_a_clean_one(clean_db, tmp_path):
    faults = Faults(seed=3, error_rate=0.08, truncate_rate=0.06, drop_rate=0.05, max_per_url=2,
                    primary_limit_at={9}, primary_reset_in=30, secondary_limit_at={20},
                    secondary_no_retry_after_at={33})
    slept: list[float] = []
    db = tmp_path / "faulty.duckdb"
    with GitHubTestServer(sample_org(NOW, repos=REPOS), tokens={TOKEN}, faults=faults) as srv:
        meta = load(db, make_settings(srv.base_url), sleep=slept.append)
        kinds = dict(srv.fault_counts)

    assert raw_contents(db) == raw_contents(clean_db)
    assert meta["failed_repos"] == []
    assert kinds["502"] > 0 and kinds["truncate"] > 0 and kinds["drop"] > 0, kinds
    assert kinds["primary"] == kinds["secondary"] == kinds["secondary-no-retry-after"] == 1
    assert meta["retries"] == kinds["502"] + kinds["truncate"] + kinds["drop"]
    assert meta["rate_limit_waits"] == 3
    waits = sorted(s for s in slept if s >= 5)
    # Retry-After: 7 s; no Retry-After: at least a minute; primary: until X-RateLimit-Reset + 1 s.
    assert waits[0] == 7.0 and waits[-1] == 60.0 and 29.0 <= waits[1] <= 31.5, waits
    logged = query(db, "SELECT sum(rate_limit_waits), sum(retries) FROM raw.fetch_log")
    assert logged == [(3, meta["retries"])]


def test_the_primary_rate_limit_waits_until_reset_pauses_every_worker_and_is_announced(tmp_path):
    announced: list[tuple[str, int, int]] = []
    quiet: list[int] = []

    with GitHubTestServer(sample_org(NOW, repos=8), tokens={TOKEN},
                          faults=Faults(primary_limit_at={12}, primary_reset_in=30)) as srv:
        def sleep(seconds: float) -> None:
            if seconds > 5:  # the rate-limit wait: no worker may send anything meanwhile
                # Requests already on the wire when the wait began may still land: settle first.
                deadline = time.monotonic() + 5
                settled = len(srv.log)
                while time.monotonic() < deadline:
                    time.sleep(0.1)
                    if srv.in_flight == 0 and len(srv.log) == settled:
                        break
                    settled = len(srv.log)
                before = len(srv.log)
                time.sleep(0.3)
                quiet.append(len(srv.log) - before)

        meta = load(tmp_path / "w.duckdb", make_settings(srv.base_url, max_concurrency=4), sleep=sleep,
                    progress=lambda *a: announced.append(a))
    assert meta["rate_limit_waits"] == 1 and meta["failed_repos"] == []
    assert quiet == [0]
    waits = [a for a in announced if "rate limit" in a[0]]
    assert len(waits) == 1
    message, done, total = waits[0]
    assert message.startswith("GitHub primary rate limit: waiting ") and 30 <= total <= 32 and done == 0


def test_secondary_limits_honour_retry_after_else_back_off_from_a_minute_doubling(tmp_path):
    slept: list[float] = []
    # One worker, so request numbers are deterministic: 1 = /rate_limit, 2.. = the first repo page.
    with GitHubTestServer(sample_org(NOW, repos=2), tokens={TOKEN},
                          faults=Faults(secondary_limit_at={2}, secondary_no_retry_after_at={3, 4})) as srv:
        meta = load(tmp_path / "w.duckdb", make_settings(srv.base_url, max_concurrency=1, graphql=False),
                    sleep=slept.append)
        first = [(r.path, r.status) for r in srv.log[:5]]
    assert first == [("/rate_limit", 200), ("/orgs/acme/repos", 403), ("/orgs/acme/repos", 429),
                     ("/orgs/acme/repos", 429), ("/orgs/acme/repos", 200)]
    assert slept == [7.0, 120.0, 240.0]
    assert meta["rate_limit_waits"] == 3 and meta["retries"] == 0


class Killed(BaseException):
    """Stands in for a KeyboardInterrupt or a dying worker: not an error the load may swallow."""


@pytest.mark.parametrize("kill_after", [1, 3, 4, 12, 20, 30])  # a whole load: ~34 requests
def test_a_load_killed_after_n_requests_then_rerun_matches_one_clean_load(clean_db, tmp_path, monkeypatch, kill_after):
    db = tmp_path / "killed.duckdb"
    with GitHubTestServer(sample_org(NOW, repos=REPOS), tokens={TOKEN}) as srv:
        settings = make_settings(srv.base_url)
        real = github.Requester.Requester.requestJson
        calls = {"n": 0}
        lock = threading.Lock()

        def dying(self, *args, **kwargs):
            with lock:
                calls["n"] += 1
                if calls["n"] > kill_after:
                    raise Killed()
            return real(self, *args, **kwargs)

        monkeypatch.setattr(github.Requester.Requester, "requestJson", dying)
        with pytest.raises(Killed):
            load(db, settings)
        monkeypatch.setattr(github.Requester.Requester, "requestJson", real)
        partial = query(db, "SELECT count(*) FROM raw.repos")[0][0]
        meta = load(db, settings, refresh_id="r2")

    assert raw_contents(db) == raw_contents(clean_db)
    assert meta["failed_repos"] == []
    if kill_after >= 4:
        assert partial > 0, "the first load got far enough to write something"


def test_a_process_killed_with_sigkill_mid_load_then_rerun_matches_one_clean_load(clean_db, tmp_path):
    """A real kill: the loader runs in a child process that gets SIGKILL while it waits on
    GitHub, so DuckDB must recover from its WAL with only whole transactions applied."""
    db = tmp_path / "sigkill.duckdb"
    root = Path(__file__).resolve().parents[2]
    with GitHubTestServer(sample_org(NOW, repos=REPOS), tokens={TOKEN}, faults=Faults(hold_after=22)) as srv:
        child = textwrap.dedent(f"""
            import sys; sys.path.insert(0, {str(root)!r})
            from tests.sources.github_helpers import load, make_settings
            load({str(db)!r}, make_settings({srv.base_url!r}))
        """)
        proc = subprocess.Popen([sys.executable, "-c", child], env={**os.environ, TOKEN_ENV: TOKEN})
        deadline = time.monotonic() + 60
        while len(srv.log) < 20 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        time.sleep(0.3)  # let the main thread commit what the workers finished
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
        srv.release()
        srv.faults.hold_after = None
        partial = query(db, "SELECT count(*) FROM raw.repos")[0][0]
        meta = load(db, make_settings(srv.base_url), refresh_id="r2")
    assert partial > 0
    assert raw_contents(db) == raw_contents(clean_db)
    assert meta["failed_repos"] == []
