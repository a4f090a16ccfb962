"""File history through REST, for a GitHub (Enterprise Server) without GraphQL.

The same history as `history.py` reads through GraphQL, with the endpoints every GitHub has:
`commits?sha=BRANCH&path=P&since=T` (newest first, paged) for each file read and for the
`.github/workflows` folder, then `contents/P?ref=COMMIT` for each version (a file's text, or the
folder's listing; 404: the file is absent at that commit). The rows are made by the same
`history.version_rows` as on the GraphQL path: each version in the window, the branch at the
window's start (`commits?until=T&per_page=1`, then the files there) for a whole-window read, a
`deleted` row at the previous head for a file seen for the first time, and the head.

Incremental like the GraphQL path: a whole window is read once (or again when the configuration
changes what is read, the window grows, or the previous head is no longer on the branch — a
force-push, checked with `commits?since=T&until=T` around its committer date); later reads start
a day before the previous head's committer date. The caller (`fetch.fetch_files`) only comes here
when the repo's tree changed. Cost per changed repo: one head request, one listing per file path
(five), one `contents` per version found, plus six for the window's start on a whole-window read.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from pipelines.sources.github import history
from pipelines.sources.github.client import FetchError
from pipelines.sources.github.fetch import COMMITS, Context, capped_workflows, contents_at, pages
from pipelines.sources.github.history import WORKFLOWS, Known, RepoRead, Target, Version
from pipelines.sources.github.incremental import Batch
from pipelines.sources.github.rows import iso, ts


def enabled(ctx: Context) -> bool:
    """Whether the REST path reads history (`history.backfill_days` > 0)."""
    return ctx.settings.history.backfill_days > 0


def read_versions(ctx: Context, batch: Batch, repo: dict[str, Any], present: dict[str, tuple[str, int]],
                  fresh: list[dict[str, Any]], known: dict[str, Known]) -> dict[str, Any]:
    """Add the repo's raw.repo_file_versions rows (and, after a force-push, the deletion of its
    rows inside the window) to `batch`; returns the `files` state keys that say what was read
    (`head`, `head_at`, `history_since`). `present`: path → (blob sha, size) at the head;
    `fresh`: the files read this time ({path, sha, size, content})."""
    full, branch = repo["repo"], repo["default_branch"]
    prev = ctx.state.get(full, "files") or {}
    head = _head(ctx, full, branch)
    if head is None:  # an empty repository
        return {}
    head_oid, head_at = head
    target = history.plan(ctx, repo)
    if target.prev_head == head_oid:
        return {k: prev.get(k) for k in ("head", "head_at", "history_since")}
    if target.prev_head and target.prev_head_at is not None and not _on_branch(ctx, full, branch, target):
        target = Target(repo, None, None, history.window_start(ctx), rewrite=True)
    read = RepoRead(target, head=head_oid, head_at=head_at, rewritten=target.rewrite)
    read.current = {path: {"oid": sha, "byteSize": size, "text": None} for path, (sha, size) in present.items()}
    if target.since is not None:
        for path in [*history.file_paths(ctx), WORKFLOWS]:
            for oid, at in _commits(ctx, full, branch, {"path": path, "since": iso(target.since)}):
                read.versions.append(Version(path, oid, at, _at(ctx, full, path, oid)))
        if history._reads_base(target):
            base = _commits(ctx, full, branch, {"until": iso(target.since)}, first=True)
            if base:
                oid, at = base[0]
                files = {p: b for p in history.file_paths(ctx) if (b := _at(ctx, full, p, oid)) is not None}
                for entry in (_at(ctx, full, WORKFLOWS, oid) or {}).get("entries", []):
                    if ctx.wanted(f"{WORKFLOWS}/{entry['name']}"):
                        files[f"{WORKFLOWS}/{entry['name']}"] = entry["object"]
                read.base = (oid, at, capped_workflows(ctx, Batch("base"), full, files))
    if read.rewritten and target.since is not None:
        batch.statements.append(("DELETE FROM raw.repo_file_versions WHERE repo = ? AND committed_at >= ?",
                                 [full, target.since]))
        known = {}
    texts = history._Texts(ctx, batch, full)
    texts.seed({r["sha"]: r["content"] for r in fresh})  # read (or found unreadable) already
    batch.add_rows("repo_file_versions", history.version_rows(ctx, read, known, texts))
    since = prev.get("history_since") if target.prev_head and not read.rewritten else _iso(target.since)
    return {"head": head_oid, "head_at": iso(head_at), "history_since": since}


def _head(ctx: Context, full: str, branch: str) -> tuple[str, datetime] | None:
    found = _commits(ctx, full, branch, {}, first=True)
    return found[0] if found else None


def _on_branch(ctx: Context, full: str, branch: str, target: Target) -> bool:
    """Whether the previous head is still on the branch (no force-push since)."""
    at = iso(target.prev_head_at)  # type: ignore[arg-type]
    return target.prev_head in {oid for oid, _ in _commits(ctx, full, branch, {"since": at, "until": at})}


def _commits(ctx: Context, full: str, branch: str, params: dict[str, str], *,
             first: bool = False) -> list[tuple[str, datetime]]:
    """(sha, committer date) of the branch's commits matching `params`, newest first (only the
    newest with `first`). An empty repository (409) has none."""
    out: list[tuple[str, datetime]] = []
    query = {"sha": branch, **params, "per_page": 1 if first else 100}
    try:
        for page in pages(ctx, COMMITS, f"/repos/{full}/commits", query, scope=full, part=None):
            for item in page.data or []:
                at = _date(((item.get("commit") or {}).get("committer") or {}).get("date"))
                if at is not None:  # a commit without a readable date cannot be placed in time
                    out.append((item["sha"], at))
            if first:
                break
    except FetchError as exc:
        if exc.status == 409:
            return []
        raise
    return out[:1] if first else out


def _at(ctx: Context, full: str, path: str, commit: str) -> dict[str, Any] | None:
    """The file at `path` in `commit` as a GraphQL-shaped Blob (text when `contents` gave it),
    the folder's listing as `{"entries": [...]}` for the workflows folder, None when absent."""
    data = contents_at(ctx, full, path, commit)
    if data is None:
        return None
    if path == WORKFLOWS:
        if not isinstance(data, list):
            return None
        return {"entries": [{"name": e["name"], "type": "blob",
                             "object": {"oid": e["sha"], "byteSize": int(e.get("size") or 0), "text": None}}
                            for e in data if e.get("type") == "file"]}
    if not isinstance(data, dict) or data.get("type") != "file":
        return None
    size = int(data.get("size") or 0)
    if ctx.files.too_big(path, size):
        return {"oid": data["sha"], "byteSize": size, "text": None}
    text = None
    if data.get("encoding") == "base64" and data.get("content"):
        try:
            text = base64.b64decode(data["content"]).decode("utf-8-sig")
        except (binascii.Error, ValueError):
            text = None  # not UTF-8: `history._Texts` notes it when it reads the blob
    return {"oid": data["sha"], "byteSize": size, "text": text}


def _date(value: Any) -> datetime | None:
    try:
        return ts(value)
    except ValueError:
        return None


def _iso(value: datetime | None) -> str | None:
    return iso(value) if value is not None else None
