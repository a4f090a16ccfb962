"""What the GitHub source reads, and when: one function per kind of data, each returning a Batch.

Every function is incremental and conditional:

- the repo listing and every list page go out with the page's stored ETag; a 304 page is
  skipped, its contents are already in the warehouse;
- a repo's files are read only when its `pushed_at` or default branch moved (decided by the
  caller), and then only the wanted files whose blob sha changed — files over 1 MB straight
  from `git/blobs/{sha}`; which files, their size limits and the per-repo cap on workflow
  files come from `pipelines.repo_files`, decided from the tree before any download;
- runs from the last cursor minus a safety window (and back to the oldest run that was not
  completed last time), walking `created` ranges down when a listing hits GitHub's
  1,000-result cap;
- deployments newest first until a page brings nothing new, plus a conditional re-check of
  recent deployments whose latest status was not final;
- exception-request issues with `since` = the newest `updated_at` seen.

The functions run in worker threads and never touch the warehouse: the caller commits each
returned Batch (data, deletions and cursors together) on its own connection.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import duckdb

from pipelines.config import Settings
from pipelines.repo_files import RepoFiles
from pipelines.sources.github.client import PER_PAGE, FetchError, GitHubClient
from pipelines.sources.github.incremental import Batch, StoredState, repo_problem
from pipelines.sources.github.rows import (
    ImplausibleDate,
    deployment_row,
    iso,
    issue_row,
    repo_row,
    run_row,
    ts,
    ts_or_none,
)

ORG_REPOS = "GET /orgs/{org}/repos"
TREE = "GET /repos/{repo}/git/trees/{ref}"
CONTENTS = "GET /repos/{repo}/contents/{path}"
BLOBS = "GET /repos/{repo}/git/blobs/{sha}"
COMMITS = "GET /repos/{repo}/commits"
RUNS = "GET /repos/{repo}/actions/runs"
DEPLOYMENTS = "GET /repos/{repo}/deployments"
STATUSES = "GET /repos/{repo}/deployments/{id}/statuses"
ISSUES = "GET /repos/{repo}/issues"
RATE_LIMIT = "GET /rate_limit"

BLOB_THRESHOLD = 1_000_000  # larger files come back from `contents` without their content
RUNS_SAFETY = timedelta(hours=2)  # re-read runs this far behind the cursor
OPEN_RUN_LOOKBACK = timedelta(days=35)  # GitHub ends a run within 35 days; older ones won't change
DEPLOYMENT_RECHECK = timedelta(days=7)  # non-final deployments older than this are left alone
FINAL_DEPLOYMENT_STATES = {"success", "failure", "error", "inactive"}


@dataclass(frozen=True)
class Context:
    client: GitHubClient
    settings: Settings
    state: StoredState
    now: datetime  # naive UTC: the refresh's "now"

    @property
    def files(self) -> RepoFiles:
        """Which files are read, and their limits (`pipelines.repo_files`)."""
        return RepoFiles.from_settings(self.settings)

    @property
    def wanted_signature(self) -> str:
        """Changes when the configuration changes which files are read (forces a re-read)."""
        return self.files.signature

    def wanted(self, path: str) -> bool:
        return self.files.wanted(path)


@dataclass
class Snapshot:
    """The warehouse rows a load compares against, read once on the writer's connection."""

    repos: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, dict[str, str]] = field(default_factory=dict)  # repo → path → blob sha
    deployments: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection) -> Snapshot:
        snap = cls()
        for row in _dicts(con, "SELECT * FROM raw.repos"):
            snap.repos[row["repo"]] = row
        for repo, path, sha in con.execute("SELECT repo, path, sha FROM raw.repo_files").fetchall():
            snap.files.setdefault(repo, {})[path] = sha
        for row in _dicts(con, "SELECT * FROM raw.deployments"):
            snap.deployments.setdefault(row["repo"], {})[row["deployment_id"]] = row
        return snap


def _dicts(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


# pagination -------------------------------------------------------------------------------------
@dataclass
class Page:
    url: str
    fresh: bool  # False: a 304, the stored page still holds
    data: Any
    key: str | None  # the fetch_state key of this page's ETag
    value: dict[str, Any] | None  # what to store for the page (fresh) or what was stored (304)

    @property
    def next_url(self) -> str | None:
        return (self.value or {}).get("next")


def pages(ctx: Context, endpoint: str, url: str, params: dict[str, Any], *, scope: str,
          part: str | None, describe: Callable[[Any], dict[str, Any]] = lambda data: {"count": len(data)},
          trust: Callable[[dict[str, Any]], bool] = lambda value: True) -> Iterator[Page]:
    """Follow `Link: rel="next"` from `url`, each page conditional on its stored ETag.

    `part` names the pages' ETag keys (``etag:<part>:<url>``); None sends no condition. What
    `describe` says about a page is stored with its ETag, so a 304 page can still be reasoned
    about. A stored page that `trust` rejects is fetched unconditionally. Raises FetchError
    for any answer but 200/304.
    """
    client = ctx.client
    next_url: str | None = client.canonical(url, params)
    seen: set[str] = set()
    while next_url and next_url not in seen:
        url = next_url
        seen.add(url)
        key = f"etag:{part}:{url}" if part else None
        stored = ctx.state.get(scope, key) if key else None
        if stored is not None and not trust(stored):
            stored = None
        resp = client.get(endpoint, url, etag=(stored or {}).get("etag"))
        if resp.status == 304 and stored is not None:
            yield Page(url, False, None, key, stored)
            next_url = stored.get("next")
            continue
        if resp.status != 200:
            raise FetchError(endpoint, resp.status, resp.message())
        link = resp.link("next")
        next_url = client.canonical(link) if link else None
        value = {"etag": resp.etag, "next": next_url, **describe(resp.data)} if resp.etag else None
        yield Page(url, True, resp.data, key, value)


def prune(ctx: Context, batch: Batch, scope: str, prefix: str, keep: set[str | None]) -> None:
    """Delete stored page ETags under `prefix` that this refresh no longer asks for."""
    for key in ctx.state.keys(scope, prefix):
        if key not in keep:
            batch.state[(scope, key)] = None


# the organisation's repos --------------------------------------------------------------------
def list_repos(ctx: Context, snapshot: Snapshot) -> Iterator[tuple[Batch, list[dict[str, Any]], str | None]]:
    """Per listing page: the batch to commit, the page's repo rows, and the page's state key."""
    org = ctx.settings.github.org  # type: ignore[union-attr]
    params = {"type": "all", "sort": "created", "direction": "asc", "per_page": PER_PAGE}

    def consistent(value: dict[str, Any]) -> bool:
        items = value.get("items")
        return isinstance(items, list) and all(name in snapshot.repos for name in items)

    for page in pages(ctx, ORG_REPOS, f"/orgs/{quote(org)}/repos", params, scope="*", part="repos",
                      trust=consistent):
        batch = Batch(f"repos page {page.url}")
        if page.fresh:
            rows = good_rows(batch, ORG_REPOS, page.data, lambda item: repo_row(
                item, (snapshot.repos.get(item["full_name"]) or {}).get("tree_sha"), ctx.now),
                repo_of=lambda item: str(item.get("full_name")))
            batch.add_rows("repos", rows)
            if page.value is not None:
                batch.state[("*", page.key)] = {**page.value, "items": [r["repo"] for r in rows]}  # type: ignore[index]
        else:
            rows = [snapshot.repos[name] for name in page.value["items"]]  # type: ignore[index]
        yield batch, rows, page.key


def forget_repos(ctx: Context, vanished: set[str], keep_listing_keys: set[str | None]) -> Batch:
    """Repos no longer listed (deleted, renamed, moved): drop them, their files, their files'
    history and cursors (a renamed repo is read afresh under its new name); runs, deploys stay."""
    batch = Batch("repos no longer listed")
    for repo in sorted(vanished):
        batch.statements.append(("DELETE FROM raw.repo_files WHERE repo = ?", [repo]))
        batch.statements.append(("DELETE FROM raw.repo_file_versions WHERE repo = ?", [repo]))
        batch.statements.append(("DELETE FROM raw.repos WHERE repo = ?", [repo]))
        for key in ctx.state.keys(repo, ""):
            if not key.startswith(("issues", "etag:issues:")):
                batch.state[(repo, key)] = None
    prune(ctx, batch, "*", "etag:repos:", keep_listing_keys)
    return batch


# files -----------------------------------------------------------------------------------------------
def files_need_reading(ctx: Context, repo: dict[str, Any]) -> bool:
    """Whether the repo's files may have changed since they were last read."""
    prev = ctx.state.get(repo["repo"], "files")
    return (
        prev is None
        or prev.get("pushed_at") != _iso_or_none(repo["pushed_at"])
        or prev.get("default_branch") != repo["default_branch"]
        or prev.get("want") != ctx.wanted_signature
    )


def fetch_files(ctx: Context, repo: dict[str, Any], stored: dict[str, str],
                known: dict[str, tuple[str | None, datetime | None]] | None = None) -> Batch:
    """Read the repo's tree, then each wanted file whose blob sha is new; drop files now gone.

    When the tree changed, the files' history since the last read goes to
    `raw.repo_file_versions` (`rest_history`, within `history.backfill_days`; `known`: path →
    (blob sha or None when deleted, committed_at) of the newest stored versions). With
    `backfill_days: 0` the head commit (`commits?sha=BRANCH&per_page=1`) keys a row for every file
    whose blob is not its newest stored version, and a deleted row for a file gone since: what
    each refresh sees, without reading history.
    """
    full, branch = repo["repo"], repo["default_branch"]
    batch = Batch(f"files {full}")
    prev = ctx.state.get(full, "files") or {}
    same_target = prev.get("default_branch") == branch and prev.get("want") == ctx.wanted_signature
    state: dict[str, Any] = {"pushed_at": _iso_or_none(repo["pushed_at"]), "default_branch": branch,
                             "want": ctx.wanted_signature, "tree_sha": None, "tree_etag": None,
                             # what the history read last saw (rest_history): kept until it reads again
                             **{k: prev[k] for k in ("head", "head_at", "history_since") if k in prev}}
    present: dict[str, tuple[str, int]] = {}
    cache: dict[str, dict[str, Any]] = {}
    if branch:
        resp = ctx.client.get(TREE, f"/repos/{full}/git/trees/{quote(branch, safe='')}", {"recursive": "1"},
                              etag=prev.get("tree_etag") if same_target else None)
        if resp.status == 304:
            batch.state[(full, "files")] = {**state, "tree_sha": prev.get("tree_sha"), "tree_etag": prev.get("tree_etag")}
            return batch
        if resp.status == 200:
            state.update(tree_sha=resp.data.get("sha"), tree_etag=resp.etag)
            if same_target and prev.get("tree_sha") == state["tree_sha"]:
                batch.state[(full, "files")] = state
                return batch
            if resp.data.get("truncated"):
                present, cache = _present_without_tree(ctx, full, branch)
            else:
                present = {e["path"]: (e["sha"], int(e.get("size") or 0)) for e in resp.data.get("tree", [])
                           if e.get("type") == "blob" and ctx.wanted(e["path"])}
            present = capped_workflows(ctx, batch, full, present)
        elif resp.status != 409:  # 409: an empty repository has no files, which is not an error
            raise FetchError(TREE, resp.status, resp.message())
    gone = sorted(p for p in stored if p not in present)
    rows = []
    for path, (sha, size) in sorted(present.items()):
        if stored.get(path) == sha:
            continue
        if ctx.files.too_big(path, size):
            # decided from the tree, before any download: stored without content, so the
            # parsers record a file error naming the limit
            rows.append({"repo": full, "path": path, "sha": sha, "size": size, "content": None, "fetched_at": ctx.now})
            continue
        got = _read_file(ctx, batch, full, branch, path, sha, size, cache.get(path))
        if got is None:
            if path in stored:
                gone.append(path)
            continue
        rows.append({"repo": full, "path": path, **got, "fetched_at": ctx.now})
    if branch:
        from pipelines.sources.github import rest_history  # it builds on this module
        from pipelines.sources.github.history import Known

        if rest_history.enabled(ctx):
            versions = {p: Known(blob, at) for p, (blob, at) in (known or {}).items()}
            state.update(rest_history.read_versions(ctx, batch, repo, present, rows, versions))
        else:
            _head_versions(ctx, batch, full, branch, present, rows, known or {}, stored)
    for path in gone:
        batch.statements.append(("DELETE FROM raw.repo_files WHERE repo = ? AND path = ?", [full, path]))
    batch.statements.append(("UPDATE raw.repos SET tree_sha = ? WHERE repo = ?", [state["tree_sha"], full]))
    batch.add_rows("repo_files", rows)
    batch.state[(full, "files")] = state
    return batch


def _head_versions(ctx: Context, batch: Batch, full: str, branch: str, present: dict[str, tuple[str, int]],
                   read: list[dict[str, Any]], known: dict[str, tuple[str | None, datetime | None]],
                   stored: dict[str, str]) -> None:
    """raw.repo_file_versions rows at the head commit for what changed since the newest stored
    versions (see `fetch_files`); a file unchanged since `raw.repo_files` is copied from there."""
    changed = {p for p, (sha, _) in present.items() if known.get(p, (None, None))[0] != sha}
    vanished = {p for p, (sha, _) in known.items() if sha is not None and p not in present and ctx.wanted(p)}
    if not changed and not vanished:
        return
    resp = ctx.client.get(COMMITS, f"/repos/{full}/commits", {"sha": branch, "per_page": 1})
    if resp.status == 409 or (resp.status == 200 and not resp.data):
        return
    if resp.status != 200:
        raise FetchError(COMMITS, resp.status, resp.message())
    head = resp.data[0]
    oid, at = head["sha"], ts(((head.get("commit") or {}).get("committer") or {}).get("date"))
    fresh = {r["path"]: r for r in read}
    for path in sorted(changed):
        if path in fresh:
            r = fresh[path]
            batch.add_rows("repo_file_versions", [{
                "repo": full, "path": path, "commit_sha": oid, "committed_at": at, "blob_sha": r["sha"],
                "size": r["size"], "content": r["content"], "deleted": False, "fetched_at": ctx.now}])
        elif stored.get(path) == present[path][0]:  # the blob raw.repo_files holds: copy it from there
            batch.statements.append(("DELETE FROM raw.repo_file_versions WHERE repo = ? AND path = ? AND commit_sha = ?",
                                     [full, path, oid]))
            batch.statements.append((
                "INSERT INTO raw.repo_file_versions SELECT repo, path, ?, ?, sha, size, content, false, ? "
                "FROM raw.repo_files WHERE repo = ? AND path = ?", [oid, at, ctx.now, full, path]))
    batch.add_rows("repo_file_versions", [{
        "repo": full, "path": path, "commit_sha": oid, "committed_at": at, "blob_sha": None, "size": None,
        "content": None, "deleted": True, "fetched_at": ctx.now} for path in sorted(vanished)])


def capped_workflows(ctx: Context, batch: Batch, full: str,
                     present: dict[str, Any]) -> dict[str, Any]:
    """`present` (path → anything) with at most `services.max_workflow_files` workflow files,
    the first by path; more is recorded as an error of the repo instead of costing a request
    (or a stored text) per file."""
    cap = ctx.files.max_workflow_files
    workflows = sorted(p for p in present if ctx.files.kind(p) == "workflow")
    if len(workflows) <= cap:
        return present
    batch.notes.append(repo_problem(full, TREE, None, f"{len(workflows)} workflow files, over the cap of {cap} "
                                   f"(services.max_workflow_files): only the first {cap} by path were read"))
    dropped = set(workflows[cap:])
    return {p: v for p, v in present.items() if p not in dropped}


def contents_at(ctx: Context, full: str, path: str, ref: str) -> Any | None:
    """GitHub's `contents` answer for `path` at `ref` (a file's dict, a folder's list), None when
    the path or the repo's content is absent (404, 409 for an empty repo); other errors raise."""
    resp = ctx.client.get(CONTENTS, f"/repos/{full}/contents/{quote(path)}", {"ref": ref})
    if resp.status in (404, 409):
        return None
    if resp.status != 200:
        raise FetchError(CONTENTS, resp.status, resp.message())
    return resp.data


def _present_without_tree(ctx: Context, full: str, branch: str) -> tuple[dict[str, tuple[str, int]], dict[str, dict]]:
    """For a tree GitHub truncated (huge repos): find the wanted files through `contents` instead."""
    present: dict[str, tuple[str, int]] = {}
    cache: dict[str, dict[str, Any]] = {}
    for path in ctx.files.root_files:
        data = contents_at(ctx, full, path, branch)
        if isinstance(data, dict) and data.get("type") == "file":
            present[path] = (data["sha"], int(data.get("size") or 0))
            cache[path] = data
    listing = contents_at(ctx, full, ".github/workflows", branch)
    if isinstance(listing, list):
        for entry in listing:
            if entry.get("type") == "file" and ctx.wanted(entry["path"]):
                present[entry["path"]] = (entry["sha"], int(entry.get("size") or 0))
    return present, cache


def _read_file(ctx: Context, batch: Batch, full: str, branch: str, path: str, sha: str, size: int,
               cached: dict[str, Any] | None) -> dict[str, Any] | None:
    """{sha, size, content} of one file, or None when it vanished meanwhile (404/409/not a file)."""
    data = cached
    if data is None and size <= BLOB_THRESHOLD:
        data = contents_at(ctx, full, path, branch)
        if not isinstance(data, dict) or data.get("type") != "file":
            return None
    if data is not None and data.get("encoding") == "base64" and (data.get("content") or not data.get("size")):
        raw, sha, size = _b64(data.get("content") or "", CONTENTS), data["sha"], int(data.get("size") or 0)
    else:
        blob_sha = data["sha"] if data is not None else sha
        resp = ctx.client.get(BLOBS, f"/repos/{full}/git/blobs/{blob_sha}")
        if resp.status in (404, 409):
            return None
        if resp.status != 200:
            raise FetchError(BLOBS, resp.status, resp.message())
        encoding = resp.data.get("encoding")
        content = resp.data.get("content") or ""
        raw = _b64(content, BLOBS) if encoding == "base64" else content.encode("utf-8")
        sha, size = blob_sha, int(resp.data.get("size") or len(raw))
    try:
        text: str | None = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = None
        batch.notes.append(repo_problem(full, CONTENTS, None, f"{path}: not UTF-8 text; stored without content"))
    return {"sha": sha, "size": size, "content": text}


def _b64(content: str, endpoint: str) -> bytes:
    try:
        return base64.b64decode(content)
    except (binascii.Error, ValueError) as exc:
        raise FetchError(endpoint, 200, f"undecodable base64 content: {exc}") from None


# workflow runs ------------------------------------------------------------------------------------------
def fetch_runs(ctx: Context, repo: dict[str, Any]) -> Batch:
    """Runs created since the cursor minus a safety window (and back to the oldest run that
    was not completed last time); the first refresh reads `ci.backfill_days` of history.

    The query itself never moves: `created>=<start of the first backfill>`, newest first,
    paged until a page reaches past the cursor. A fixed URL keeps each page's ETag valid, so
    an unchanged repo costs one 304. Reaching the end of the listing before the cursor with
    fewer runs than `total_count` means GitHub's 1,000-result cap cut it: `_walk_past_cap`
    then slices `created` ranges below the oldest run seen.
    """
    full = repo["repo"]
    batch = Batch(f"runs {full}")
    prev = ctx.state.get(full, "runs") or {}
    since = ts(prev.get("since")) or (ctx.now - timedelta(days=ctx.settings.ci.backfill_days)).replace(microsecond=0)
    cursor = ts(prev.get("cursor"))
    open_runs = {int(k): ts(v) for k, v in (prev.get("open") or {}).items()}
    open_runs = {k: v for k, v in open_runs.items() if v is not None and v >= ctx.now - OPEN_RUN_LOOKBACK}
    bound = min([cursor - RUNS_SAFETY, *open_runs.values()]) if cursor else None
    url = f"/repos/{full}/actions/runs"

    fresh: dict[int, dict[str, Any]] = {}
    keys: set[str | None] = set()
    listed, total, oldest, crossed = 0, None, None, False
    for page in pages(ctx, RUNS, url, {"created": f">={iso(since)}", "per_page": PER_PAGE},
                      scope=full, part="runs", describe=_describe_runs):
        keys.add(page.key)
        if page.fresh:
            if page.value is not None:
                batch.state[(full, page.key)] = page.value  # type: ignore[index]
            for item in _runs_on(page.data):
                fresh[item["id"]] = item
            description = _describe_runs(page.data)
        else:
            description = page.value or {}
        if total is None:
            total = description.get("total")
        listed += int(description.get("count") or 0)
        oldest = ts(description.get("oldest")) or oldest
        if bound is not None and oldest is not None and oldest < bound:
            crossed = True
            break
    if not crossed and total is not None and total > listed and oldest is not None:
        _walk_past_cap(ctx, full, url, bound or since, oldest, fresh)

    batch.add_rows("workflow_runs", good_rows(batch, RUNS, list(fresh.values()),
                                              lambda item: run_row(full, item, ctx.now), repo_of=lambda _: full))
    created = [ts_or_none(item.get("created_at")) for item in fresh.values()]
    newest = max([c for c in [cursor, *created] if c is not None], default=None)
    for run_id, item in fresh.items():
        if item.get("status") == "completed":
            open_runs.pop(run_id, None)
        else:
            open_runs[run_id] = ts_or_none(item.get("created_at"))
    batch.state[(full, "runs")] = {
        "cursor": _iso_or_none(newest),
        "since": iso(since),
        "open": {str(k): iso(v) for k, v in sorted(open_runs.items()) if v is not None},
    }
    prune(ctx, batch, full, "etag:runs:", keys)
    return batch


def _runs_on(data: Any) -> list[dict[str, Any]]:
    return (data or {}).get("workflow_runs") or []


def _describe_runs(data: Any) -> dict[str, Any]:
    runs = _runs_on(data)
    created = [c for c in (ts_or_none(r.get("created_at")) for r in runs) if c is not None]
    return {"count": len(runs), "total": (data or {}).get("total_count"),
            "oldest": iso(min(created)) if created else None}


def _walk_past_cap(ctx: Context, full: str, url: str, lower: datetime, upper: datetime,
                   fresh: dict[int, dict[str, Any]]) -> None:
    """GitHub lists at most 1,000 runs for a filtered query, newest first. Ask again for
    `created` from `lower` up to the oldest run seen so far (inclusive: runs created in that
    same second may straddle the cut), until one query lists everything it matches."""
    while True:
        got: list[dict[str, Any]] = []
        total = None
        for i, page in enumerate(pages(ctx, RUNS, url, {"created": f"{iso(lower)}..{iso(upper)}", "per_page": PER_PAGE},
                                       scope=full, part=None)):
            if i == 0:
                total = (page.data or {}).get("total_count")
            got.extend(_runs_on(page.data))
        for item in got:
            fresh[item["id"]] = item
        if total is None or total <= len(got) or not got:
            return
        oldest = min((c for c in (ts_or_none(item.get("created_at")) for item in got) if c is not None), default=upper)
        if oldest >= upper:  # type: ignore[operator]
            raise FetchError(RUNS, 200, f"more than {len(got)} runs created at {iso(upper)}; cannot slice finer than a second")
        upper = oldest  # type: ignore[assignment]


# deployments ----------------------------------------------------------------------------------------
def fetch_deployments(ctx: Context, repo: dict[str, Any], stored: dict[int, dict[str, Any]]) -> Batch:
    """New or updated deployments (newest first, until a page brings nothing new) with their
    latest status, and a conditional re-check of recent ones whose status was not final."""
    full = repo["repo"]
    batch = Batch(f"deployments {full}")
    todo: dict[int, dict[str, Any]] = {}
    for page in pages(ctx, DEPLOYMENTS, f"/repos/{full}/deployments", {"per_page": PER_PAGE},
                      scope=full, part="deployments"):
        if not page.fresh:
            break
        if page.value is not None:
            batch.state[(full, page.key)] = page.value  # type: ignore[index]
        news = False
        for item in page.data or []:
            known = stored.get(item["id"])
            if known is None or (ts_or_none(item.get("updated_at")) or datetime.min) > (
                    known["status_at"] or known["created_at"] or datetime.min):
                todo[item["id"]] = item
                news = True
        if not news:
            break
    recheck = {
        dep_id: known for dep_id, known in stored.items()
        if dep_id not in todo and known["status_state"] not in FINAL_DEPLOYMENT_STATES
        and known["created_at"] is not None and known["created_at"] >= ctx.now - DEPLOYMENT_RECHECK
    }
    rows = []
    for dep_id, item in todo.items():
        latest = _latest_status(ctx, batch, full, dep_id)
        if latest is _UNCHANGED:  # its statuses did not change: keep the stored latest one
            latest = _stored_status(stored[dep_id])
        rows.extend(good_rows(batch, DEPLOYMENTS, [item], lambda d, s=latest: deployment_row(full, d, s, ctx.now),
                              repo_of=lambda _: full))
    for dep_id, known in recheck.items():
        latest = _latest_status(ctx, batch, full, dep_id)
        if latest is not _UNCHANGED:
            item = {"id": dep_id, "environment": known["environment"], "ref": known["ref"], "sha": known["sha"],
                    "created_at": iso(known["created_at"])}
            rows.append(deployment_row(full, item, latest, ctx.now))
    batch.add_rows("deployments", rows)
    return batch


_UNCHANGED: Any = object()


def _stored_status(known: dict[str, Any]) -> dict[str, Any] | None:
    if known["status_state"] is None:
        return None
    return {"state": known["status_state"], "created_at": _iso_or_none(known["status_at"])}


def _latest_status(ctx: Context, batch: Batch, full: str, dep_id: int) -> Any:
    """The newest status (or None), `_UNCHANGED` on a 304; keeps an ETag while it is not final."""
    key = f"etag:statuses:{dep_id}"
    stored = ctx.state.get(full, key)
    resp = ctx.client.get(STATUSES, f"/repos/{full}/deployments/{dep_id}/statuses", {"per_page": 1},
                          etag=(stored or {}).get("etag"))
    if resp.status == 304:
        return _UNCHANGED
    if resp.status != 200:
        raise FetchError(STATUSES, resp.status, resp.message())
    latest = resp.data[0] if resp.data else None
    final = latest is not None and latest.get("state") in FINAL_DEPLOYMENT_STATES
    batch.state[(full, key)] = None if final or not resp.etag else {"etag": resp.etag}
    return latest


# exception-request issues ---------------------------------------------------------------------------------
def fetch_issues(ctx: Context, full: str) -> Batch:
    """Issues (and flagged pull requests) carrying the exception label, updated since `since`.

    `since` starts empty (everything) and moves up to the newest `updated_at` seen only when
    the listing has grown past one page: while it fits in one page the URL stays the same, so
    an unchanged repo answers 304.
    """
    batch = Batch(f"issues {full}")
    prev = ctx.state.get(full, "issues") or {}
    params = {"labels": ctx.settings.exceptions.label, "state": "all", "sort": "updated",
              "direction": "asc", "per_page": PER_PAGE}
    if prev.get("since"):
        params["since"] = prev["since"]
    newest = ts(prev.get("newest"))
    keys: set[str | None] = set()
    for page in pages(ctx, ISSUES, f"/repos/{full}/issues", params, scope=full, part="issues"):
        keys.add(page.key)
        if not page.fresh:
            continue
        if page.value is not None:
            batch.state[(full, page.key)] = page.value  # type: ignore[index]
        rows = good_rows(batch, ISSUES, page.data or [], lambda item: issue_row(full, item, ctx.now),
                         repo_of=lambda _: full)
        batch.add_rows("issues", rows)
        newest = max([t for t in [newest, *(r["updated_at"] for r in rows)] if t is not None], default=None)
    since = prev.get("since")
    if len(keys) > 1 and newest is not None:
        since = iso(newest)
    batch.state[(full, "issues")] = {"since": since, "newest": _iso_or_none(newest)}
    prune(ctx, batch, full, "etag:issues:", keys)
    return batch


def good_rows(batch: Batch, endpoint: str, items: list[Any], build: Callable[[Any], dict[str, Any]], *,
              repo_of: Callable[[Any], str]) -> list[dict[str, Any]]:
    """The rows `build` makes of `items`; an item it cannot make one of (an implausible date, a
    missing field) is left out and recorded as an error of its repo, and the rest go on."""
    rows = []
    for item in items:
        try:
            rows.append(build(item))
        except (ImplausibleDate, KeyError, TypeError, ValueError, AttributeError) as exc:
            ident = item.get("full_name") or item.get("number") or item.get("id") if isinstance(item, dict) else None
            batch.notes.append(repo_problem(repo_of(item) if isinstance(item, dict) else "?", endpoint, None,
                                           f"record {ident} skipped: {type(exc).__name__}: {exc}"))
    return rows


def _iso_or_none(value: datetime | None) -> str | None:
    return iso(value) if value is not None else None
