"""A small hand-built organisation for the report and alert tests, and a local webhook server.

The organisation (as_of Wednesday 2024-05-15 10:00 UTC; the last complete week is Monday
6 May – Sunday 12 May, the one before 29 April – 5 May; the last complete month April):

| service | created            | owner        | golden | escape hatch |
|---------|--------------------|--------------|--------|--------------|
| alpha   | 2024-03-10         | team-a       | yes    |              |
| bravo   | 2024-04-02         | team-a       | no     |              |
| charlie | 2024-04-20         | team-b       | yes    |              |
| delta   | 2024-04-30 23:00   | team-b       | no     | gpu          |
| hotel   | 2024-05-01         | team-b       | no     | sidecar (*)  |
| echo    | 2024-05-07         | team-a       | yes    |              |
| foxtrot | 2024-05-08         | HOSTILE_TEAM | no     |              |
| golf    | 2024-05-12 23:59   | HOSTILE_TEAM | no     |              |

(*) hotel's git history: created without a service spec; the spec with its sidecar escape hatch
was committed on 2024-05-10 12:00 (raw.repo_file_versions). Every other file is as of creation.
Exception requests, CI runs and one production deploy are listed below with their dates.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import polars as pl
import pytest

from pipelines.config import Settings, parse_settings
from pipelines.reports.alerts import build_alerts
from pipelines.reports.failures import RunFailure, ingest_failures, record_failure
from pipelines.warehouse import writer
from tests.metrics.conftest import build, repo

T = datetime.fromisoformat
AS_OF = T("2024-05-15T10:00:00")
HOSTILE_TEAM = "<script>alert('team')</script>"
HOSTILE_TITLES = {
    1: "<script>alert('x')</script>",
    2: '"><img src=x onerror=alert(1)>',
    3: "[x](javascript:alert(1))",
    4: "=HYPERLINK(\"http://evil.example\",\"GPU please\")",
    5: "Need a sidecar & an init container",
}

SETTINGS = {
    "github": {"org": "acme"},
    "golden_paths": [{"name": "go-service", "ref": "template:default/go-service"}],
    "exceptions": {"repos": ["acme/platform"]},
    "alerts": {"exception_requests_above": 0, "lookback_days": 7},
    "reports": {"team_min_services": 2, "worst_teams": 5, "team_window_days": 90},
}

SERVICES = [  # name, created, owner, golden, spec
    ("alpha", "2024-03-10T00:00:00", "team-a", True, None),
    ("bravo", "2024-04-02T00:00:00", "team-a", False, None),
    ("charlie", "2024-04-20T00:00:00", "team-b", True, None),
    ("delta", "2024-04-30T23:00:00", "team-b", False, "gpu"),
    ("hotel", "2024-05-01T00:00:00", "team-b", False, "sidecar"),
    ("echo", "2024-05-07T00:00:00", "team-a", True, None),
    ("foxtrot", "2024-05-08T00:00:00", HOSTILE_TEAM, False, None),
    ("golf", "2024-05-12T23:59:00", HOSTILE_TEAM, False, None),
]

OVERRIDES = {
    "gpu": {"containers": [{"name": "model", "image": "m:1", "resources": {"limits": {"nvidia.com/gpu": 1}}}]},
    "sidecar": {"containers": [{"name": "app", "image": "a:1"}, {"name": "envoy", "image": "e:1"}]},
}


def catalog(name: str, owner: str, golden: bool) -> str:
    """A catalog-info.yaml; values are JSON (valid YAML), so any owner string survives quoting."""
    annotations = {"backstage.io/source-template": "template:default/go-service"} if golden else {}
    if name == "delta":
        annotations["pathlens.io/escape-hatch-reason"] = HOSTILE_REASON.removeprefix("declared:")
    return json.dumps({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
                       "metadata": {"name": name, "annotations": annotations},
                       "spec": {"type": "service", "owner": owner, "lifecycle": "production"}})


def spec(name: str, override: str) -> str:
    return json.dumps({"service": {"name": name, "language": "go", "kubernetes_override": OVERRIDES[override]}})


def issue(number: int, opened: str, closed: str | None, labels: tuple[str, ...] = ()) -> dict:
    return {"repo": "acme/platform", "number": number, "title": HOSTILE_TITLES[number],
            "state": "closed" if closed else "open", "created_at": T(opened),
            "closed_at": T(closed) if closed else None,
            "labels": ["golden-path-exception", *labels], "is_pull_request": False}


ISSUES = [
    issue(1, "2024-04-10T00:00:00", "2024-04-12T00:00:00", ("service:delta",)),  # April: opened and closed, 2 days; about delta
    issue(2, "2024-05-07T00:00:00", None, ("team:platform",)),  # week: opened, still open
    issue(3, "2024-05-09T00:00:00", "2024-05-10T12:00:00"),  # week: opened and closed, 1.5 days
    issue(4, "2024-05-01T00:00:00", "2024-05-08T00:00:00"),  # previous week: opened; week: closed, 7 days
    issue(5, "2024-03-05T00:00:00", None),  # March: opened, never closed
]


def run(repo_: str, run_id: int, created: str, duration_s: float, conclusion: str) -> dict:
    created_at = T(created)
    return {"repo": repo_, "run_id": run_id, "run_attempt": 1, "workflow_name": "ci", "event": "push",
            "status": "completed", "conclusion": conclusion, "created_at": created_at,
            "run_started_at": created_at, "updated_at": created_at + timedelta(seconds=duration_s)}


RUNS = [
    run("acme/alpha", 1, "2024-05-07T10:00:00", 300, "success"),  # week, golden
    run("acme/alpha", 2, "2024-05-08T10:00:00", 600, "failure"),  # week, golden
    run("acme/bravo", 3, "2024-05-09T10:00:00", 900, "success"),  # week, DIY
    run("acme/alpha", 4, "2024-04-30T10:00:00", 200, "success"),  # previous week, golden
    run("acme/bravo", 5, "2024-05-02T10:00:00", 1200, "failure"),  # previous week, DIY
    run("acme/bravo", 6, "2024-05-03T10:00:00", 100, "cancelled"),  # previous week, DIY
]

DEPLOYMENTS = [{"repo": "acme/alpha", "deployment_id": 1, "environment": "production",
                "created_at": T("2024-05-09T12:00:00"), "status_state": "success"}]


# a team's own reason (catalog annotation) is repository text: delta's component declares a
# hostile one
HOSTILE_REASON = "declared:<b>GPU</b> | [x](javascript:alert(2))"
# hotel's service spec, committed on 10 May (its catalog is as of creation)
HOTEL_SPEC_AT = T("2024-05-10T12:00:00")


def file_versions(files: dict[tuple[str, str], str]) -> pl.DataFrame:
    """raw.repo_file_versions: each file's one commit, at its repo's creation except hotel's spec."""
    created = {f"acme/{name}": T(at) for name, at, *_ in SERVICES}
    rows = [{"repo": repo_, "path": path, "commit_sha": f"{i:040x}",
             "committed_at": HOTEL_SPEC_AT if (repo_, path) == ("acme/hotel", "service.yaml") else created[repo_],
             "blob_sha": None, "size": len(text), "content": text, "deleted": False, "fetched_at": AS_OF}
            for i, ((repo_, path), text) in enumerate(sorted(files.items()))]
    return pl.DataFrame(rows, schema_overrides={"blob_sha": pl.String})


FETCH_ERRORS = [{"refresh_id": "test-refresh", "source": "github", "repo": "acme/broken", "endpoint": "/repos/acme/broken",
                 "status": 502, "message": "Bad Gateway", "occurred_at": T("2024-05-15T09:59:00")}]

FAILURE = RunFailure(run_id="0123456789abcdef", job_name="daily_refresh", failed_at=T("2024-05-14T05:03:00"),
                     steps=["github_raw"], message="RuntimeError: boom")


def settings(**overrides) -> Settings:
    return parse_settings({**SETTINGS, **overrides})


def build_org(tmp_path: Path, settings_map: dict | None = None) -> Path:
    """The organisation above, built through the real transforms, with marts.alerts; returns its file."""
    files, repos = {}, []
    for name, created, owner, golden, override in SERVICES:
        repos.append(repo(name, created, "Go"))
        files[(f"acme/{name}", "catalog-info.yaml")] = catalog(name, owner, golden)
        if override:
            files[(f"acme/{name}", "service.yaml")] = spec(name, override)
    con = build(tmp_path, repos=repos, files=files, issues=ISSUES, settings=settings_map or SETTINGS, as_of=AS_OF,
                extra={"workflow_runs": pl.DataFrame(RUNS), "deployments": pl.DataFrame(DEPLOYMENTS),
                       "repo_file_versions": file_versions(files), "fetch_errors": pl.DataFrame(FETCH_ERRORS)})
    con.close()
    path = tmp_path / "wh.duckdb"
    outbox = tmp_path / "outbox.jsonl"
    record_failure(outbox, FAILURE, [])
    with writer(path) as con:
        ingest_failures(con, outbox)
        build_alerts(con, parse_settings(settings_map or SETTINGS))
    return path


@pytest.fixture(scope="session")
def org(tmp_path_factory) -> Path:
    return build_org(tmp_path_factory.mktemp("org"))


class WebhookServer:
    """A local HTTP server answering each POST from a script of (status, delay_s) steps.

    The last step repeats. `requests` collects what arrived: (path, JSON body).
    """

    def __init__(self) -> None:
        self.script: list[tuple[int, float]] = [(200, 0.0)]
        self.requests: list[tuple[str, dict]] = []
        self.headers: dict[str, str] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                index = len(outer.requests)
                outer.requests.append((self.path, body))
                status, delay = outer.script[min(index, len(outer.script) - 1)]
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    for key, value in outer.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the "slow" cases)

            def log_message(self, *args) -> None:  # keep test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        # the path stands in for a Slack webhook's secret part
        return f"http://127.0.0.1:{self.server.server_address[1]}/services/T000/B000/SECRETtoken123"


@pytest.fixture
def webhook():
    server = WebhookServer()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()
