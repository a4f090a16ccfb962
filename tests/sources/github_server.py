"""A local GitHub-compatible REST server for tests and benchmarks: real sockets, real wire format.

It serves an in-memory organisation (`FakeOrg`) under ``/api/v3`` (the GitHub Enterprise Server
layout) and speaks what PyGithub and the pathlens GitHub source rely on:

- ``Link`` pagination with absolute URLs on the server's own host, ``per_page``/``page``;
- weak ``ETag`` on every GET and ``304 Not Modified`` for a matching ``If-None-Match`` (a 304
  does not spend the rate limit, as on GitHub);
- ``X-RateLimit-Limit/Remaining/Used/Reset/Resource`` on every answer;
- ``409`` for the tree and contents of an empty repository, ``404`` for missing things;
- files over 1 MiB answered by ``contents`` with ``encoding: none`` and an empty ``content``,
  readable through ``git/blobs/{sha}``;
- the 1,000-result cap of filtered workflow-run listings (``total_count`` tells the truth, pages
  past 1,000 results are empty);
- a GitHub App installation-token exchange that verifies the app's RS256 JWT;
- injected faults (`Faults`): primary rate limit with a reset time, secondary limits with and
  without ``Retry-After``, 502s, truncated JSON bodies, dropped connections, and repos whose
  endpoints always fail.

Every request is recorded in `GitHubTestServer.log` so tests can count what was spent.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

import jwt

from tests.sources import github_git

API_PREFIX = "/api/v3"
GRAPHQL_PATH = "/api/graphql"  # where PyGithub (and GitHub Enterprise Server) put GraphQL beside /api/v3
CONTENTS_LIMIT = 1024 * 1024  # the contents API answers without content above this size
RESULT_CAP = 1000  # filtered workflow-run listings stop here
_CAPPED_RUN_FILTERS = {"actor", "branch", "check_suite_id", "created", "event", "head_sha", "status"}


def git_blob_sha(content: bytes) -> str:
    """The sha git gives a blob with this content (what GitHub reports as a file's `sha`)."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def tree_sha_of(files: dict[str, bytes], branch: str) -> str:
    """A stand-in root tree sha: changes exactly when the files do (the same in REST and GraphQL)."""
    listing = "\n".join(f"{p} {git_blob_sha(c)}" for p, c in sorted(files.items()))
    return hashlib.sha1(f"tree {branch}\n{listing}".encode()).hexdigest()


def iso(ts: datetime | None) -> str | None:
    return None if ts is None else ts.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class FakeRun:
    id: int
    created_at: datetime
    status: str = "completed"
    conclusion: str | None = "success"
    run_attempt: int = 1
    workflow_id: int = 1
    name: str = "CI"
    path: str = ".github/workflows/ci.yml"
    event: str = "push"
    head_branch: str = "main"
    run_started_at: datetime | None = None
    updated_at: datetime | None = None
    head_sha: str | None = None  # the commit it ran on (check suites of a commit count these)

    def json(self, full_name: str, base: str) -> dict[str, Any]:
        started = self.run_started_at or self.created_at + timedelta(seconds=5)
        updated = self.updated_at or started + timedelta(minutes=3)
        return {
            "id": self.id,
            "name": self.name,
            "node_id": f"WFR_{self.id}",
            "head_branch": self.head_branch,
            "head_sha": self.head_sha or hashlib.sha1(str(self.id).encode()).hexdigest(),
            "path": self.path,
            "display_title": f"run {self.id}",
            "run_number": self.id % 10000,
            "event": self.event,
            "status": self.status,
            "conclusion": self.conclusion,
            "workflow_id": self.workflow_id,
            "check_suite_id": self.id * 3,
            "url": f"{base}/repos/{full_name}/actions/runs/{self.id}",
            "html_url": f"https://github.test/{full_name}/actions/runs/{self.id}",
            "created_at": iso(self.created_at),
            "updated_at": iso(updated),
            "run_attempt": self.run_attempt,
            "run_started_at": iso(started),
        }


@dataclass
class FakeDeployment:
    id: int
    created_at: datetime
    environment: str = "production"
    ref: str = "main"
    sha: str = "0" * 40
    # (status id, state, created_at), in the order they were created
    statuses: list[tuple[int, str, datetime]] = field(default_factory=list)
    updated_at_override: datetime | None = None  # for a GitHub that does not bump it on a new status

    @property
    def updated_at(self) -> datetime:
        if self.updated_at_override is not None:
            return self.updated_at_override
        return max([self.created_at, *(s[2] for s in self.statuses)])

    def json(self, full_name: str, base: str) -> dict[str, Any]:
        return {
            "url": f"{base}/repos/{full_name}/deployments/{self.id}",
            "id": self.id,
            "node_id": f"DE_{self.id}",
            "sha": self.sha,
            "ref": self.ref,
            "task": "deploy",
            "payload": {},
            "original_environment": self.environment,
            "environment": self.environment,
            "description": None,
            "creator": {"login": "deployer", "id": 7, "type": "User"},
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "statuses_url": f"{base}/repos/{full_name}/deployments/{self.id}/statuses",
            "repository_url": f"{base}/repos/{full_name}",
            "transient_environment": False,
            "production_environment": self.environment == "production",
        }


@dataclass
class FakeIssue:
    number: int
    title: str
    created_at: datetime
    labels: list[str] = field(default_factory=list)
    state: str = "open"
    closed_at: datetime | None = None
    updated_at: datetime | None = None
    is_pull_request: bool = False
    author: str = "octocat"

    def json(self, full_name: str, base: str) -> dict[str, Any]:
        out = {
            "url": f"{base}/repos/{full_name}/issues/{self.number}",
            "html_url": f"https://github.test/{full_name}/issues/{self.number}",
            "id": 100000 + self.number,
            "number": self.number,
            "title": self.title,
            "user": {"login": self.author, "id": 1, "type": "User"},
            "labels": [{"id": i, "name": n, "color": "ededed", "default": False} for i, n in enumerate(self.labels)],
            "state": self.state,
            "locked": False,
            "comments": 0,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at or self.closed_at or self.created_at),
            "closed_at": iso(self.closed_at),
            "body": "",
        }
        if self.is_pull_request:
            out["pull_request"] = {"url": f"{base}/repos/{full_name}/pulls/{self.number}", "merged_at": None}
        return out


@dataclass
class FakeRepo:
    name: str
    created_at: datetime
    pushed_at: datetime | None = None
    language: str | None = "Python"
    archived: bool = False
    fork: bool = False
    default_branch: str = "main"
    files: dict[str, bytes] = field(default_factory=dict)
    empty: bool = False  # no commits: trees and contents answer 409
    runs: list[FakeRun] = field(default_factory=list)
    deployments: list[FakeDeployment] = field(default_factory=list)
    issues: list[FakeIssue] = field(default_factory=list)
    # endpoint kinds ('tree', 'contents', 'blobs', 'runs', 'deployments', 'statuses', 'issues')
    # that always answer 500 for this repo: a repo that keeps failing
    broken: set[str] = field(default_factory=set)
    id: int = 0
    # the default branch, oldest commit first; kept in step with `files` by `head()`
    commits: list[FakeCommit] = field(default_factory=list)
    created_at_text: str | None = None  # sent instead of `created_at` (a malformed or absurd value)

    def tree_sha(self) -> str:
        return tree_sha_of(self.files, self.default_branch)

    def head(self) -> FakeCommit | None:
        """The default branch's head commit (None for an empty repo).

        The first commit is made at `created_at` with the files the repo was built with; when
        `files` was changed without `FakeOrg.push`, a commit at `pushed_at` records the change.
        """
        if self.empty:
            return None
        if not self.commits or self.commits[-1].files != self.files:
            last = self.commits[-1] if self.commits else None
            at = self.created_at if last is None else max(self.pushed_at or self.created_at,
                                                           last.committed_at + timedelta(seconds=1))
            self.commits.append(FakeCommit.make(last, at, dict(self.files)))
        return self.commits[-1]

    def commit(self, oid: str) -> FakeCommit | None:
        self.head()
        return next((c for c in self.commits if c.oid == oid), None)


@dataclass
class FakeCommit:
    """One commit of a default branch: its sha, committer date and the whole file tree after it."""

    oid: str
    committed_at: datetime
    files: dict[str, bytes]
    parent: str | None = None

    @classmethod
    def make(cls, parent: FakeCommit | None, at: datetime, files: dict[str, bytes]) -> FakeCommit:
        listing = "\n".join(f"{p} {git_blob_sha(c)}" for p, c in sorted(files.items()))
        seed = f"parent {parent.oid if parent else '-'}\ndate {iso(at)}\n{listing}"
        return cls(hashlib.sha1(seed.encode()).hexdigest(), at, files, parent.oid if parent else None)

    def touches(self, path: str, parent: FakeCommit | None) -> bool:
        """Whether this commit changed `path` (a file, or anything under a folder) from its parent."""
        before = parent.files if parent else {}
        prefix = path.rstrip("/") + "/"
        names = {p for p in (*self.files, *before) if p == path or p.startswith(prefix)}
        return any(self.files.get(p) != before.get(p) for p in names)


@dataclass
class FakeOrg:
    login: str = "acme"
    repos: dict[str, FakeRepo] = field(default_factory=dict)
    _next_id: int = 1000
    # git histories by lower-case `owner/name` (any owner): github_git.py serves them
    graphs: dict[str, github_git.FakeGraph] = field(default_factory=dict)

    def add(self, repo: FakeRepo) -> FakeRepo:
        if not repo.id:
            self._next_id += 1
            repo.id = self._next_id
        if repo.pushed_at is None:
            repo.pushed_at = repo.created_at
        self.repos[repo.name] = repo
        return repo

    def find(self, full_name: str) -> FakeRepo | None:
        owner, _, name = full_name.partition("/")
        repo = self.repos.get(name) or self.repos.get(self.renamed.get(name, ""))
        return repo if repo is not None and owner.lower() == self.login.lower() else None

    renamed: dict[str, str] = field(default_factory=dict)  # old name → new name (GitHub redirects)

    def push(self, name: str, at: datetime, files: dict[str, bytes | None], *,
             committed_at: datetime | None = None) -> None:
        """Commit to a repo's default branch: set (bytes) or delete (None) files, move pushed_at.

        `committed_at` (default `at`) is the commit's committer date; a rebased or cherry-picked
        commit can carry one older than the push.
        """
        repo = self.repos[name]
        repo.head()
        for path, content in files.items():
            if content is None:
                repo.files.pop(path, None)
            else:
                repo.files[path] = content
        repo.empty = False
        repo.pushed_at = at
        parent = repo.commits[-1] if repo.commits else None
        repo.commits.append(FakeCommit.make(parent, committed_at or at, dict(repo.files)))

    def force_push(self, name: str, at: datetime, drop: int, files: dict[str, bytes | None]) -> None:
        """Rewrite the default branch: forget its newest `drop` commits, then commit `files` on top."""
        repo = self.repos[name]
        repo.head()
        del repo.commits[len(repo.commits) - drop:]
        repo.files = dict(repo.commits[-1].files) if repo.commits else {}
        self.push(name, at, files)

    def push_elsewhere(self, name: str, at: datetime) -> None:
        """A push to another branch: `pushed_at` moves, the default branch does not."""
        self.repos[name].head()
        self.repos[name].pushed_at = at

    def rename(self, old: str, new: str) -> None:
        repo = self.repos.pop(old)
        repo.name = new
        self.repos[new] = repo
        self.renamed[old] = new


@dataclass
class Faults:
    """What the server does wrong, on purpose.

    Request numbers count every request the server received (1-based). Random faults are drawn
    per request from the seed, the request (URL, and body for GraphQL) and how many times that
    request came before, so the same client run meets the same faults whatever order its
    threads send requests in. No request fails more than `max_per_url` times, so a client that
    retries a few times always gets through in the end.
    """

    seed: int = 1
    error_rate: float = 0.0  # 502 Bad Gateway
    truncate_rate: float = 0.0  # a JSON body cut in half (the connection then closes)
    drop_rate: float = 0.0  # the connection closes before any answer
    max_per_url: int = 2
    primary_limit_at: set[int] = field(default_factory=set)  # 403, X-RateLimit-Remaining: 0
    primary_reset_in: int = 30  # seconds until X-RateLimit-Reset
    secondary_limit_at: set[int] = field(default_factory=set)  # 403 with Retry-After
    secondary_no_retry_after_at: set[int] = field(default_factory=set)  # 429, no Retry-After
    retry_after: int = 7
    hold_after: int | None = None  # requests after this number wait until `release()` (a hung server)
    # paths (prefixes) answered 400 with an error page echoing the request's headers, as some
    # proxies and debug endpoints do: the Authorization header (the token) travels in the body
    echo_headers_on: tuple[str, ...] = ()


@dataclass
class AppInstall:
    """A GitHub App the server knows: the JWT's `iss` and the key that must have signed it."""

    app_id: int
    public_key_pem: bytes
    installation_id: int


@dataclass
class Record:
    method: str
    path: str  # without the /api/v3 prefix
    query: dict[str, str]
    status: int
    if_none_match: str | None
    bytes: int
    points: int = 0  # GraphQL: the query's cost in points (its own budget, not the REST one)

    @property
    def counted(self) -> bool:
        """Spent the REST rate limit: every answer but a 304, `/rate_limit` (free) and GraphQL
        queries (those spend the separate GraphQL points budget, see `points`)."""
        return self.status != 304 and self.path not in ("/rate_limit", "/graphql")


class GitHubTestServer:
    """`with GitHubTestServer(org, tokens={"t0k3n"}) as srv:` → `srv.base_url` for PyGithub."""

    def __init__(
        self,
        org: FakeOrg,
        *,
        tokens: set[str] | None = None,
        app: AppInstall | None = None,
        faults: Faults | None = None,
        rate_limit: int = 5000,
        contents_limit: int = CONTENTS_LIMIT,
        rate_limiting: bool = True,  # False: like an Enterprise Server with rate limiting disabled
        delay_s: float = 0.0,  # every answer waits this long (a real network round trip)
        graphql: bool = True,  # False: an Enterprise Server without the GraphQL API
        graphql_text_limit: int = 512 * 1024,  # Blob.text is cut here (isTruncated)
        graphql_max_repos: int | None = None,  # heavier queries time out: 502, as GitHub does
    ):
        self.org = org
        self.tokens = set(tokens or ())
        self.app = app
        self.faults = faults or Faults()
        self.rate_limit = rate_limit
        self.remaining = rate_limit
        self.reset_at = int(time.time()) + 3600
        self.contents_limit = contents_limit
        self.rate_limiting = rate_limiting
        self.delay_s = delay_s
        self.graphql_enabled = graphql
        from tests.sources.github_graphql import GraphQLApi

        self.graphql = GraphQLApi(self, text_limit=graphql_text_limit)
        self.graphql_max_repos = graphql_max_repos
        self.log: list[Record] = []
        self.issued_tokens: list[str] = []
        self._lock = threading.Lock()
        self._requests_per_key: Counter[str] = Counter()
        self._faults_per_url: Counter[str] = Counter()
        self._received = 0
        self.fault_counts: Counter[str] = Counter()
        self._released = threading.Event()
        self.in_flight = 0
        self.max_in_flight = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> GitHubTestServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        handler = type("Handler", (_Handler,), {"server_state": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="github-test-server", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._released.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    @property
    def origin(self) -> str:
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def base_url(self) -> str:
        return self.origin + API_PREFIX

    # accounting helpers for tests --------------------------------------------------------
    def counted(self) -> int:
        return sum(1 for r in self.log if r.counted)

    def not_modified(self) -> int:
        return sum(1 for r in self.log if r.status == 304)

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()

    # fault decisions ---------------------------------------------------------------------
    def _next_request_number(self) -> int:
        with self._lock:
            self._received += 1
            return self._received

    def _random_fault(self, request_key: str) -> str | None:
        """The fault to inject into this request ("502", "truncate", "drop") or None."""
        f = self.faults
        if not (f.error_rate or f.truncate_rate or f.drop_rate):
            return None
        with self._lock:
            attempt = self._requests_per_key[request_key]
            self._requests_per_key[request_key] += 1
            if self._faults_per_url[request_key] >= f.max_per_url:
                return None
            digest = hashlib.sha256(f"{f.seed}|{request_key}|{attempt}".encode()).digest()
            roll = int.from_bytes(digest[:8], "big") / 2**64
            kind = None
            if roll < f.error_rate:
                kind = "502"
            elif roll < f.error_rate + f.truncate_rate:
                kind = "truncate"
            elif roll < f.error_rate + f.truncate_rate + f.drop_rate:
                kind = "drop"
            if kind:
                self._faults_per_url[request_key] += 1
                self.fault_counts[kind] += 1
            return kind

    def release(self) -> None:
        """Let held requests (`Faults.hold_after`) through."""
        self._released.set()

    def _spend(self) -> None:
        with self._lock:
            self.remaining = max(self.remaining - 1, 0)

    def rate_headers(self) -> dict[str, str]:
        if not self.rate_limiting:
            return {}
        return {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Used": str(self.rate_limit - self.remaining),
            "X-RateLimit-Reset": str(self.reset_at),
            "X-RateLimit-Resource": "core",
        }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes
    server_state: GitHubTestServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence the default stderr log
        pass

    # plumbing ----------------------------------------------------------------------------
    def _record(self, path: str, query: dict[str, str], status: int, size: int) -> None:
        st = self.server_state
        with st._lock:
            st.log.append(Record(self.command, path, query, status, self.headers.get("If-None-Match"), size))

    def _send(self, status: int, body: Any, *, headers: dict[str, str] | None = None,
              path: str = "", query: dict[str, str] | None = None, etag: bool = True,
              truncate: bool = False) -> None:
        st = self.server_state
        raw = b"" if body is None else json.dumps(body).encode()
        out_headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        if etag and self.command == "GET" and status == 200:
            tag = 'W/"' + hashlib.sha256(raw).hexdigest()[:40] + '"'
            out_headers["ETag"] = tag
            if self.headers.get("If-None-Match") == tag:
                status, raw = 304, b""
                out_headers.pop("Content-Type")
        if status != 304 and path not in ("/rate_limit", "/graphql"):
            st._spend()
        if path != "/graphql":  # GraphQL answers carry the GraphQL budget's headers
            out_headers.update(st.rate_headers())
        self._record(path, query or {}, status, len(raw))
        self.send_response(status)
        for k, v in out_headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        if truncate:
            self.wfile.write(raw[: len(raw) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(raw)

    def _error(self, status: int, message: str, path: str, query: dict[str, str],
               headers: dict[str, str] | None = None, truncate: bool = False) -> None:
        self._send(status, {"message": message, "documentation_url": "https://docs.github.com/rest",
                            "status": str(status)}, headers=headers, path=path, query=query, etag=False,
                   truncate=truncate)

    def _authorised(self) -> bool:
        header = self.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        return scheme.lower() in ("token", "bearer") and value in self.server_state.tokens

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        split = urlsplit(self.path)
        path = split.path.removeprefix(API_PREFIX)
        length = int(self.headers.get("Content-Length") or 0)
        payload = self.rfile.read(length) if length else b""
        if split.path == GRAPHQL_PATH and self.server_state.graphql_enabled:
            self._graphql(payload)
            return
        parts = path.strip("/").split("/")
        if len(parts) == 4 and parts[:2] == ["app", "installations"] and parts[3] == "access_tokens":
            self._token_exchange(int(parts[2]), path)
            return
        self._error(404, "Not Found", path, {})

    def _graphql(self, payload: bytes) -> None:
        st = self.server_state
        number = st._next_request_number()
        if st.delay_s:
            time.sleep(st.delay_s)
        if not self._authorised():
            self._error(401, "Bad credentials", "/graphql", {})
            return
        if self._injected_fault(number, "/graphql", {},
                                fault_key=f"{self.path}#{hashlib.sha256(payload or b'').hexdigest()}"):
            return
        try:
            body = json.loads(payload or b"null")
        except ValueError:
            self._error(400, "Problems parsing JSON", "/graphql", {})
            return
        heavy = st.graphql_max_repos is not None and isinstance(body, dict) and \
            str(body.get("query")).count("repository(") > st.graphql_max_repos
        if heavy:
            with st._lock:
                st.fault_counts["graphql-timeout"] += 1
            self._error(502, "Something went wrong while executing your query. This may be the result of a "
                        "timeout, or it could be a GitHub bug.", "/graphql", {})
            return
        with st._lock:  # the fake organisation is not safe to read while a test mutates it
            answer, headers = st.graphql.answer(body)
        cost = ((answer.get("data") or {}).get("rateLimit") or {}).get("cost") or 0
        raw = json.dumps(answer).encode()
        with st._lock:
            st.log.append(Record("POST", "/graphql", {}, 200, None, len(raw), int(cost)))
        self.send_response(200)
        for k, v in {"Content-Type": "application/json; charset=utf-8", **headers}.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        if self._truncate:
            self.wfile.write(raw[: len(raw) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(raw)

    def _token_exchange(self, installation_id: int, path: str) -> None:
        st = self.server_state
        app = st.app
        scheme, _, token = self.headers.get("Authorization", "").partition(" ")
        if app is None or scheme.lower() != "bearer":
            self._error(401, "A JSON web token could not be decoded", path, {})
            return
        try:
            claims = jwt.decode(token, app.public_key_pem, algorithms=["RS256"],
                                options={"require": ["iat", "exp", "iss"]})
        except jwt.PyJWTError:
            self._error(401, "A JSON web token could not be decoded", path, {})
            return
        if str(claims["iss"]) != str(app.app_id):
            self._error(401, "Integration not found", path, {})
            return
        if installation_id != app.installation_id:
            self._error(404, "Not Found", path, {})
            return
        issued = "ghs_" + hashlib.sha256(f"{time.time_ns()}-{len(st.issued_tokens)}".encode()).hexdigest()[:36]
        with st._lock:
            st.issued_tokens.append(issued)
            st.tokens.add(issued)
        expires = datetime.now(UTC) + timedelta(hours=1)
        self._send(201, {"token": issued, "expires_at": iso(expires.replace(tzinfo=None)),
                         "permissions": {"contents": "read", "actions": "read", "deployments": "read",
                                         "issues": "read", "metadata": "read"},
                         "repository_selection": "all"}, path=path, etag=False)

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        st = self.server_state
        with st._lock:
            st.in_flight += 1
            st.max_in_flight = max(st.max_in_flight, st.in_flight)
        try:
            self._get()
        finally:
            with st._lock:
                st.in_flight -= 1

    def _get(self) -> None:
        st = self.server_state
        number = st._next_request_number()
        if st.faults.hold_after is not None and number > st.faults.hold_after:
            st._released.wait(timeout=60)
        split = urlsplit(self.path)
        path = unquote(split.path.removeprefix(API_PREFIX)) if split.path.startswith(API_PREFIX) else split.path
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        if not split.path.startswith(API_PREFIX):
            self._error(404, "Not Found", path, query)
            return
        if not self._authorised():
            self._error(401, "Bad credentials", path, query)
            return
        if st.delay_s:
            time.sleep(st.delay_s)
        if self._injected_fault(number, path, query):
            return
        truncate = self._truncate
        try:
            status, body, headers = self._route(path, query)
        except _NotFound:
            self._error(404, "Not Found", path, query, truncate=truncate)
            return
        except _Conflict:
            self._error(409, "Git Repository is empty.", path, query, truncate=truncate)
            return
        except _Broken:
            self._error(500, "Server Error", path, query, truncate=truncate)
            return
        self._send(status, body, headers=headers, path=path, query=query, truncate=truncate)

    def _injected_fault(self, number: int, path: str, query: dict[str, str], *, fault_key: str | None = None) -> bool:
        """Answer with an injected fault (Faults) and return True, or return False.

        `fault_key` names the request for random faults (default: its URL)."""
        st = self.server_state
        f = st.faults
        if any(path.startswith(prefix) for prefix in f.echo_headers_on):
            echoed = "; ".join(f"{k}: {v}" for k, v in self.headers.items())
            self._error(400, f"Bad request (request headers: {echoed})", path, query)
            return True
        if number in f.primary_limit_at and path == "/graphql":
            # GraphQL's primary limit: HTTP 200, `errors` of type RATE_LIMITED, no data
            with st._lock:
                st.fault_counts["primary"] += 1
                remaining, st.graphql.budget.remaining = st.graphql.budget.remaining, 0
                st.graphql.budget.reset_at = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=f.primary_reset_in)
                headers = st.graphql._headers()
                st.graphql.budget.remaining = remaining  # the window resets for whoever comes next
                st.graphql.budget.reset_at = None
            body = {"errors": [{"type": "RATE_LIMITED", "code": "graphql_rate_limit",
                                "message": "API rate limit already exceeded for user ID 1."}]}
            self._send(200, body, headers=headers, path=path, query=query, etag=False)
            return True
        if number in f.primary_limit_at:
            with st._lock:
                st.fault_counts["primary"] += 1
                st.remaining = 0
                st.reset_at = int(time.time()) + f.primary_reset_in
            self._error(403, "API rate limit exceeded for installation ID 1. If you reach out to GitHub Support "
                        "for help, please include the request ID.", path, query)
            with st._lock:
                st.remaining = st.rate_limit  # the window resets for whoever comes next
            return True
        if number in f.secondary_limit_at:
            with st._lock:
                st.fault_counts["secondary"] += 1
            self._error(403, "You have exceeded a secondary rate limit. Please wait a few minutes before you "
                        "try again.", path, query, headers={"Retry-After": str(f.retry_after)})
            return True
        if number in f.secondary_no_retry_after_at:
            with st._lock:
                st.fault_counts["secondary-no-retry-after"] += 1
            self._error(429, "You have exceeded a secondary rate limit. Please wait a few minutes before you "
                        "try again.", path, query)
            return True
        fault = st._random_fault(fault_key or self.path)
        if fault == "drop":
            self._record(path, query, 0, 0)
            self.close_connection = True
            self.connection.shutdown(2)
            return True
        if fault == "502":
            self._record(path, query, 502, 0)
            body = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
            self.send_response(502)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return True
        self._truncate = fault == "truncate"
        return False

    # routes --------------------------------------------------------------------------------
    def _route(self, path: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        st = self.server_state
        parts = path.strip("/").split("/")
        if path == "/rate_limit":
            if not st.rate_limiting:
                raise _NotFound
            core = {"limit": st.rate_limit, "remaining": st.remaining, "reset": st.reset_at,
                    "used": st.rate_limit - st.remaining}
            return 200, {"resources": {"core": core}, "rate": core}, {}
        # --- git history (commits, tags, refs, compare) of repos with a graph: github_git.py ---
        try:
            answer = github_git.route(self, path, query)
        except github_git._Answer as exc:
            raise {404: _NotFound, 409: _Conflict}[exc.status] from None
        if answer is not None:
            return answer
        # --- end of git history ---
        if len(parts) == 3 and parts[0] == "orgs" and parts[2] == "repos":
            if parts[1].lower() != st.org.login.lower():
                raise _NotFound
            return self._org_repos(path, query)
        if len(parts) == 3 and parts[0] == "repos":
            repo = st.org.find(f"{parts[1]}/{parts[2]}")
            if repo is None:
                raise _NotFound
            return 200, self._repo_json(repo), {}
        if len(parts) >= 4 and parts[0] == "repos":
            repo = st.org.find(f"{parts[1]}/{parts[2]}")
            if repo is None:
                raise _NotFound
            rest = parts[3:]
            full = f"{st.org.login}/{repo.name}"
            if rest[:2] == ["git", "trees"] and len(rest) >= 3:
                return self._tree(repo, "/".join(rest[2:]), query)
            if rest[:2] == ["git", "blobs"] and len(rest) == 3:
                return self._blob(repo, rest[2])
            if rest[0] == "contents" and len(rest) >= 2:
                return self._contents(repo, "/".join(rest[1:]), query)
            if rest == ["commits"]:
                return self._commits(repo, full, path, query)
            if rest == ["actions", "runs"]:
                return self._runs(repo, full, path, query)
            if rest == ["deployments"]:
                self._check_broken(repo, "deployments")
                items = sorted(repo.deployments, key=lambda d: d.id, reverse=True)
                return self._page(path, query, [d.json(full, st.base_url) for d in items])
            if len(rest) == 3 and rest[0] == "deployments" and rest[2] == "statuses":
                self._check_broken(repo, "statuses")
                dep = next((d for d in repo.deployments if str(d.id) == rest[1]), None)
                if dep is None:
                    raise _NotFound
                statuses = sorted(dep.statuses, key=lambda s: s[0], reverse=True)
                return self._page(path, query, [
                    {"id": sid, "state": state, "created_at": iso(at), "updated_at": iso(at),
                     "environment": dep.environment, "deployment_url": f"{st.base_url}/repos/{full}/deployments/{dep.id}",
                     "description": "", "creator": {"login": "deployer"}}
                    for sid, state, at in statuses])
            if rest == ["issues"]:
                return self._issues(repo, full, path, query)
        raise _NotFound

    def _check_broken(self, repo: FakeRepo, kind: str) -> None:
        if kind in repo.broken:
            raise _Broken

    def _page(self, path: str, query: dict[str, str], items: list[Any], *, cap: int | None = None,
              wrap: str | None = None, total: int | None = None) -> tuple[int, Any, dict[str, str]]:
        per_page = min(int(query.get("per_page", 30)), 100)
        page = max(int(query.get("page", 1)), 1)
        reachable = len(items) if cap is None else min(len(items), cap)
        start = (page - 1) * per_page
        chunk = items[start:min(start + per_page, reachable)] if start < reachable else []
        headers: dict[str, str] = {}
        last = max((reachable + per_page - 1) // per_page, 1)
        links = []
        if page < last:
            links.append(f'<{self._url(path, query, page + 1)}>; rel="next"')
            links.append(f'<{self._url(path, query, last)}>; rel="last"')
        if page > 1:
            links.append(f'<{self._url(path, query, 1)}>; rel="first"')
            links.append(f'<{self._url(path, query, page - 1)}>; rel="prev"')
        if links:
            headers["Link"] = ", ".join(links)
        body: Any = chunk if wrap is None else {"total_count": len(items) if total is None else total, wrap: chunk}
        return 200, body, headers

    def _url(self, path: str, query: dict[str, str], page: int) -> str:
        q = dict(query)
        q["page"] = str(page)
        return f"{self.server_state.base_url}{quote(path)}?{urlencode(q)}"

    def _org_repos(self, path: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        st = self.server_state
        repos = list(st.org.repos.values())
        sort = query.get("sort", "created")
        direction = query.get("direction", "asc" if sort == "full_name" else "desc")
        key = {"full_name": lambda r: r.name.lower(), "created": lambda r: (r.created_at, r.id),
               "pushed": lambda r: (r.pushed_at, r.id)}.get(sort, lambda r: (r.created_at, r.id))
        repos.sort(key=key, reverse=direction == "desc")
        return self._page(path, query, [self._repo_json(r) for r in repos])

    def _repo_json(self, r: FakeRepo) -> dict[str, Any]:
        st = self.server_state
        return {
            "id": r.id, "node_id": f"R_{r.id}", "name": r.name, "full_name": f"{st.org.login}/{r.name}",
            "private": True, "owner": {"login": st.org.login, "id": 1, "type": "Organization"},
            "html_url": f"https://github.test/{st.org.login}/{r.name}", "description": None,
            "fork": r.fork, "url": f"{st.base_url}/repos/{st.org.login}/{r.name}",
            "created_at": r.created_at_text or iso(r.created_at), "updated_at": iso(r.pushed_at), "pushed_at": iso(r.pushed_at),
            "size": 0 if r.empty else 100, "language": r.language, "archived": r.archived, "disabled": False,
            "default_branch": r.default_branch, "visibility": "private",
        }

    def _tree(self, repo: FakeRepo, ref: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        self._check_broken(repo, "tree")
        if repo.empty:
            raise _Conflict
        if ref != repo.default_branch:
            raise _NotFound
        entries: dict[str, dict[str, Any]] = {}
        for path, content in sorted(repo.files.items()):
            parts = path.split("/")
            for i in range(1, len(parts)):
                d = "/".join(parts[:i])
                entries.setdefault(d, {"path": d, "mode": "040000", "type": "tree",
                                       "sha": hashlib.sha1(d.encode()).hexdigest()})
            entries[path] = {"path": path, "mode": "100644", "type": "blob", "sha": git_blob_sha(content),
                             "size": len(content)}
        tree = list(entries.values())
        if query.get("recursive") not in ("1", "true"):
            tree = [e for e in tree if "/" not in e["path"]]
        return 200, {"sha": repo.tree_sha(), "tree": tree, "truncated": False}, {}

    def _blob(self, repo: FakeRepo, sha: str) -> tuple[int, Any, dict[str, str]]:
        self._check_broken(repo, "blobs")
        if repo.empty:
            raise _Conflict
        repo.head()
        contents = [*repo.files.values(), *(c for commit in repo.commits for c in commit.files.values())]
        for content in contents:
            if git_blob_sha(content) == sha:
                return 200, {"sha": sha, "size": len(content), "encoding": "base64", "node_id": f"B_{sha[:8]}",
                             "content": _b64_lines(content)}, {}
        raise _NotFound

    def _contents(self, repo: FakeRepo, path: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        self._check_broken(repo, "contents")
        if repo.empty:
            raise _Conflict
        ref = query.get("ref", repo.default_branch)
        files = repo.files
        if ref != repo.default_branch:
            commit = repo.commit(ref)
            if commit is None:
                raise _NotFound
            files = commit.files
        return self._contents_of(files, path)

    def _contents_of(self, files: dict[str, bytes], path: str) -> tuple[int, Any, dict[str, str]]:
        repo = FakeRepo("-", datetime.min, files=files)  # the same answer shape for any commit
        content = repo.files.get(path)
        if content is not None:
            sha = git_blob_sha(content)
            big = len(content) > self.server_state.contents_limit
            return 200, {"type": "file", "encoding": "none" if big else "base64", "size": len(content),
                         "name": path.rsplit("/", 1)[-1], "path": path, "sha": sha,
                         "content": "" if big else _b64_lines(content)}, {}
        children = sorted(p for p in repo.files if p.startswith(path.rstrip("/") + "/"))
        if children:
            seen: dict[str, dict[str, Any]] = {}
            for child in children:
                name = child[len(path.rstrip("/")) + 1:].split("/")[0]
                full = f"{path.rstrip('/')}/{name}"
                is_file = full in repo.files
                seen[name] = {"type": "file" if is_file else "dir", "name": name, "path": full,
                              "sha": git_blob_sha(repo.files[full]) if is_file else "0" * 40,
                              "size": len(repo.files[full]) if is_file else 0}
            return 200, list(seen.values()), {}
        raise _NotFound

    def _commits(self, repo: FakeRepo, full: str, path: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        """`GET /repos/{r}/commits?sha=&path=&since=&until=`: newest first, like `git log`."""
        self._check_broken(repo, "commits")
        head = repo.head()
        if head is None:
            raise _Conflict
        ref = query.get("sha", repo.default_branch)
        start = head if ref in (repo.default_branch, f"refs/heads/{repo.default_branch}") else repo.commit(ref)
        if start is None:
            raise _NotFound
        by_oid = {c.oid: c for c in repo.commits}
        chain, cursor = [], start
        while cursor is not None:
            chain.append(cursor)
            cursor = by_oid.get(cursor.parent) if cursor.parent else None
        want = query.get("path")
        lo = _parse_ts(query["since"]) if query.get("since") else None
        hi = _parse_ts(query["until"]) if query.get("until") else None
        picked = [c for c in chain
                  if (not want or c.touches(want, by_oid.get(c.parent) if c.parent else None))
                  and (lo is None or c.committed_at >= lo) and (hi is None or c.committed_at <= hi)]
        base = self.server_state.base_url
        items = [{"sha": c.oid, "node_id": f"C_{c.oid[:10]}", "url": f"{base}/repos/{full}/commits/{c.oid}",
                  "commit": {"author": {"name": "dev", "date": iso(c.committed_at)},
                             "committer": {"name": "dev", "date": iso(c.committed_at)}, "message": "change"},
                  "parents": [{"sha": c.parent}] if c.parent else []} for c in picked]
        return self._page(path, query, items)

    def _runs(self, repo: FakeRepo, full: str, path: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        self._check_broken(repo, "runs")
        runs = list(repo.runs)
        if "created" in query:
            lo, hi = parse_created(query["created"])
            runs = [r for r in runs if (lo is None or r.created_at >= lo) and (hi is None or r.created_at <= hi)]
        runs.sort(key=lambda r: (r.created_at, r.id), reverse=True)
        capped = bool(_CAPPED_RUN_FILTERS & set(query))
        base = self.server_state.base_url
        return self._page(path, query, [r.json(full, base) for r in runs], cap=RESULT_CAP if capped else None,
                          wrap="workflow_runs")

    def _issues(self, repo: FakeRepo, full: str, path: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        self._check_broken(repo, "issues")
        issues = list(repo.issues)
        state = query.get("state", "open")
        if state != "all":
            issues = [i for i in issues if i.state == state]
        if query.get("labels"):
            wanted = {w.strip().lower() for w in query["labels"].split(",") if w.strip()}
            issues = [i for i in issues if wanted <= {label.lower() for label in i.labels}]
        if query.get("since"):
            since = _parse_ts(query["since"])
            issues = [i for i in issues if (i.updated_at or i.closed_at or i.created_at) >= since]
        sort = query.get("sort", "created")
        direction = query.get("direction", "desc")
        key = (lambda i: (i.updated_at or i.closed_at or i.created_at, i.number)) if sort == "updated" else (
            lambda i: (i.created_at, i.number))
        issues.sort(key=key, reverse=direction == "desc")
        base = self.server_state.base_url
        return self._page(path, query, [i.json(full, base) for i in issues])


class _NotFound(Exception):
    pass


class _Conflict(Exception):
    pass


class _Broken(Exception):
    pass


def _b64_lines(content: bytes) -> str:
    encoded = base64.b64encode(content).decode()
    return "\n".join(encoded[i:i + 60] for i in range(0, len(encoded), 60)) + "\n"


def _parse_ts(text: str) -> datetime:
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), datetime.min.time())
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)


def parse_created(expr: str) -> tuple[datetime | None, datetime | None]:
    """GitHub's `created` qualifier (`>=X`, `<=X`, `>X`, `<X`, `X..Y`, `X..*`, `*..Y`, `X`) → bounds.

    Bounds are inclusive; a bare date covers its whole day, as GitHub's search syntax does.
    """
    one_s = timedelta(seconds=1)

    def lower(t: str) -> datetime:
        return _parse_ts(t)

    def upper(t: str) -> datetime:
        ts = _parse_ts(t)
        return ts + timedelta(days=1) - one_s if len(t) == 10 else ts

    if ".." in expr:
        a, b = expr.split("..", 1)
        return (None if a == "*" else lower(a)), (None if b == "*" else upper(b))
    for op in (">=", "<=", ">", "<"):
        if expr.startswith(op):
            t = expr[len(op):]
            if op == ">=":
                return lower(t), None
            if op == ">":
                return upper(t) + one_s, None
            if op == "<=":
                return None, upper(t)
            return None, lower(t) - one_s
    return lower(expr), upper(expr)


WORKFLOW = b"""name: CI
on: [push]
jobs:
  build:
    uses: acme/platform-workflows/.github/workflows/build.yml@v2
"""


def sample_org(now: datetime, repos: int = 24, *, seed: int = 7, runs_per_repo: int = 12,
               spacing_days: float | None = None) -> FakeOrg:
    """A deterministic organisation with a bit of everything the source must handle.

    Per repo `i`: a catalog file and a service spec; every third a copier answers file, every
    fourth a cruft file; one or two workflows; runs every few hours (the newest one still in
    progress in every fifth repo); a couple of deployments with statuses. Plus: an empty repo,
    an archived repo, a fork, an excluded `sandbox-*` repo, a repo whose catalog file is over
    1 MiB, and `platform` holding exception-request issues and a pull request. Repo `i` is
    created 600 − i × `spacing_days` days before `now`; by default a week apart, closer when
    there are more than 84 repos, so that the newest is still created before `now` (a repo
    created in the future is an implausible record the source skips).
    """
    if spacing_days is None:
        spacing_days = min(7.0, 590 / max(repos, 1))
    rng = random.Random(seed)
    org = FakeOrg("acme")
    run_id = 5_000_000
    dep_id = 90_000
    status_id = 700_000
    for i in range(repos):
        created = now - timedelta(days=600 - i * spacing_days, hours=rng.randrange(24))
        files = {
            "catalog-info.yaml": (f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n"
                                  f"  name: svc-{i:04d}\nspec:\n  type: service\n  owner: team-{i % 5}\n").encode(),
            "service.yaml": f"service:\n  name: svc-{i:04d}\n  language: go\n  port: {8000 + i}\n".encode(),
            ".github/workflows/ci.yml": WORKFLOW,
            "README.md": b"# readme\n",
            "src/main.go": b"package main\n",
        }
        if i % 3 == 0:
            files[".copier-answers.yml"] = b"_src_path: gh:acme/template-go-service\n_commit: v1.2.0\n"
        if i % 4 == 0:
            files[".cruft.json"] = b'{"template": "https://github.com/acme/template-py", "commit": "abc123"}\n'
        if i % 2 == 0:
            files[".github/workflows/release.yaml"] = b"name: release\non: {release: {types: [published]}}\njobs: {}\n"
        repo = org.add(FakeRepo(f"svc-{i:04d}", created_at=created, files=files,
                                language=["Go", "Python", "TypeScript", None][i % 4]))
        last_push = now - timedelta(hours=rng.randrange(1, 400))
        repo.pushed_at = max(last_push, created)
        for j in range(runs_per_repo):
            run_id += 1
            at = now - timedelta(hours=3 + j * 9, minutes=rng.randrange(60))
            in_progress = j == 0 and i % 5 == 0
            repo.runs.append(FakeRun(
                id=run_id, created_at=at, status="in_progress" if in_progress else "completed",
                conclusion=None if in_progress else rng.choice(["success", "success", "failure", "cancelled"]),
                run_attempt=2 if j % 7 == 3 else 1, workflow_id=10 + (j % 2),
                name="CI" if j % 2 == 0 else "release",
                path=".github/workflows/ci.yml" if j % 2 == 0 else ".github/workflows/release.yaml",
                event="push" if j % 3 else "pull_request", updated_at=at + timedelta(minutes=4)))
        for j in range(1 + i % 3):
            dep_id += 1
            at = now - timedelta(days=2 + j * 5, hours=i % 24)
            dep = FakeDeployment(id=dep_id, created_at=at, environment="production" if j % 2 == 0 else "staging",
                                 sha=hashlib.sha1(f"{i}-{j}".encode()).hexdigest())
            for k, state in enumerate(["in_progress", "success" if (i + j) % 4 else "failure"]):
                status_id += 1
                dep.statuses.append((status_id, state, at + timedelta(minutes=2 + k * 5)))
            repo.deployments.append(dep)
    org.add(FakeRepo("empty-repo", created_at=now - timedelta(days=30), empty=True))
    org.add(FakeRepo("old-archived", created_at=now - timedelta(days=900), archived=True,
                     files={"catalog-info.yaml": b"kind: Component\n"},
                     runs=[FakeRun(id=1, created_at=now - timedelta(days=3))]))
    org.add(FakeRepo("forked-lib", created_at=now - timedelta(days=300), fork=True,
                     files={"catalog-info.yaml": b"kind: Component\n"}))
    org.add(FakeRepo("sandbox-play", created_at=now - timedelta(days=20),
                     files={"service.yaml": b"service: {}\n"}))
    big = b"# padding\n" * 150_000 + b"kind: Component\nmetadata: {name: monolith}\n"
    org.add(FakeRepo("monolith", created_at=now - timedelta(days=800), files={"catalog-info.yaml": big},
                     runs=[FakeRun(id=2, created_at=now - timedelta(days=1))]))
    label = "golden-path-exception"
    org.add(FakeRepo("platform", created_at=now - timedelta(days=700), files={"README.md": b"platform\n"}, issues=[
        FakeIssue(1, "GPU nodes for ml-scorer", now - timedelta(days=40), [label, "team:ml"], state="closed",
                  closed_at=now - timedelta(days=33)),
        FakeIssue(2, "Sidecar for legacy auth", now - timedelta(days=12), [label.upper(), "team/payments"]),
        FakeIssue(3, "Unrelated bug", now - timedelta(days=5), ["bug"]),
        FakeIssue(4, "PR: allow override", now - timedelta(days=2), [label], is_pull_request=True),
    ]))
    return org
