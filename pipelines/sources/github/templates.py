"""The template and platform-workflow repos' history: default-branch commit graph and tags.

Template drift (SPEC §3) is counted on the commit graph in SQL, so the source only has to keep
`raw.template_commits` (sha, committer date, parents) and `raw.template_refs` (where the head
and the tags point) current, for the few repos `template_repos.tracked_repos` names. Cost:

- a repo of the organisation listing whose `pushed_at` and default branch did not move costs
  nothing (a tag push moves `pushed_at` too); a repo outside the listing costs one conditional
  `GET /repos/{repo}`, a 304 when nothing was pushed;
- otherwise `GET /repos/{repo}/commits?sha=BRANCH` (conditional on the first page's ETag: a
  304 means the head did not move) and, when it moved, its pages only until every new commit's
  parents are known — commits never change, and the stored graph is closed under parents, so
  a push of three commits costs one page;
- `GET /repos/{repo}/tags`, each page conditional; the tags of every page (fresh or 304) are
  kept with the page's ETag so a 304 page still knows its tags. A tag pointing outside the
  stored graph (a release branch) has its history walked the same way from its commit.

`GET /repos/{repo}/commits` lists every commit reachable from its start, newest first, the
start itself first; GitHub peels annotated tags in `GET /repos/{repo}/tags` (`commit.sha`).
Like the other fetch functions, this runs in a worker thread and returns a Batch.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

import duckdb

from pipelines.sources.github.client import PER_PAGE, FetchError, Response
from pipelines.sources.github.fetch import Context, pages, prune
from pipelines.sources.github.incremental import Batch
from pipelines.sources.github.rows import iso, ts

REPO = "GET /repos/{repo}"
COMMITS = "GET /repos/{repo}/commits"
TAGS = "GET /repos/{repo}/tags"
STATE_KEY = "template_history"
MAX_PAGES = 500  # 50,000 commits: a walk longer than this is a runaway, not a template


def known_commits(con: duckdb.DuckDBPyConnection) -> dict[str, frozenset[str]]:
    """The commit shas already stored, per repo (read on the writer's connection)."""
    known: dict[str, set[str]] = {}
    for repo, sha in con.execute("SELECT repo, sha FROM raw.template_commits").fetchall():
        known.setdefault(repo, set()).add(sha)
    return {repo: frozenset(shas) for repo, shas in known.items()}


def commit_row(repo: str, item: dict[str, Any], fetched_at: datetime) -> dict[str, Any]:
    """One `GET /repos/{repo}/commits` item → a raw.template_commits row."""
    committer = (item.get("commit") or {}).get("committer") or {}
    return {
        "repo": repo,
        "sha": item["sha"].lower(),
        "committed_at": ts(committer.get("date")),
        "parents": [p["sha"].lower() for p in item.get("parents") or []],
        "fetched_at": fetched_at,
    }


def fetch_template_history(ctx: Context, repo: str, listed: dict[str, Any] | None,
                           known: frozenset[str]) -> Batch:
    """Bring `repo`'s stored commit graph and refs up to date; see the module docstring.

    `repo` is `owner/name` in lower case; `listed` its raw.repos row when the organisation
    listing holds it; `known` the shas already stored for it. Raises FetchError when the repo
    cannot be read (not found, no access): the refresh records it and keeps what was stored.
    """
    batch = Batch(f"template history {repo}")
    prev = ctx.state.get(repo, STATE_KEY) or {}
    state: dict[str, Any] = dict(prev)
    if listed is not None:
        pushed, branch = _iso(listed.get("pushed_at")), listed.get("default_branch")
        state.pop("repo_etag", None)
    else:
        resp = ctx.client.get(REPO, f"/repos/{quote(repo)}", etag=prev.get("repo_etag") if "head" in prev else None)
        if resp.status == 304:
            return batch
        if resp.status != 200:
            raise FetchError(REPO, resp.status, f"{repo}: {resp.message()}")
        pushed, branch = resp.data.get("pushed_at"), resp.data.get("default_branch")
        state["repo_etag"] = resp.etag
    if "head" in prev and prev.get("pushed_at") == pushed and prev.get("default_branch") == branch:
        batch.state[(repo, STATE_KEY)] = state
        return batch
    state.update(pushed_at=pushed, default_branch=branch)
    rows: dict[str, dict[str, Any]] = {}
    head = _read_head(ctx, batch, repo, branch, prev, state, known, rows)
    tags = _read_tags(ctx, batch, repo)
    if tags is not None:
        for _, sha in tags:
            if sha not in known and sha not in rows:
                first = _commits_page(ctx, repo, {"sha": sha, "per_page": PER_PAGE}, None)
                _walk(ctx, repo, first, known, rows)
        batch.statements.append(("DELETE FROM raw.template_refs WHERE repo = ? AND kind = 'tag'", [repo]))
        batch.add_rows("template_refs", [{"repo": repo, "kind": "tag", "name": name, "sha": sha, "fetched_at": ctx.now}
                                         for name, sha in tags])
    if head is not _UNCHANGED:
        batch.statements.append(("DELETE FROM raw.template_refs WHERE repo = ? AND kind = 'head'", [repo]))
        if head is not None:
            batch.add_rows("template_refs", [{"repo": repo, "kind": "head", "name": branch or "HEAD", "sha": head,
                                              "fetched_at": ctx.now}])
        state["head"] = head
    batch.add_rows("template_commits", list(rows.values()))
    batch.state[(repo, STATE_KEY)] = state
    return batch


_UNCHANGED: Any = object()


def _read_head(ctx: Context, batch: Batch, repo: str, branch: str | None, prev: dict[str, Any],
               state: dict[str, Any], known: frozenset[str], rows: dict[str, dict[str, Any]]) -> Any:
    """The default branch's head sha (None for an empty repo, `_UNCHANGED` on a 304), with the
    commits it brings added to `rows`."""
    params: dict[str, Any] = {"per_page": PER_PAGE}
    if branch:
        params["sha"] = branch
    same_branch = prev.get("default_branch") == branch and "head" in prev
    first = _commits_page(ctx, repo, params, prev.get("commits_etag") if same_branch else None)
    if first is None:  # 409: an empty repository has no commits
        state["commits_etag"] = None
        return None
    if first.status == 304:
        return _UNCHANGED
    state["commits_etag"] = first.etag
    if not first.data:
        return None
    _walk(ctx, repo, first, known, rows)
    return first.data[0]["sha"].lower()


def _commits_page(ctx: Context, repo: str, params: dict[str, Any], etag: str | None) -> Response | None:
    resp = ctx.client.get(COMMITS, f"/repos/{quote(repo)}/commits", params, etag=etag)
    if resp.status == 409:
        return None
    if resp.status not in (200, 304):
        raise FetchError(COMMITS, resp.status, f"{repo}: {resp.message()}")
    return resp


def _walk(ctx: Context, repo: str, resp: Response | None, known: frozenset[str],
          rows: dict[str, dict[str, Any]]) -> None:
    """Add the commits of `resp` and its next pages to `rows`, until every new commit's parents
    are known or new (the graph is then closed again) or the listing ends."""
    missing: set[str] = set()
    for _ in range(MAX_PAGES):
        if resp is None or resp.status != 200:
            return
        for item in resp.data or []:
            row = commit_row(repo, item, ctx.now)
            if row["sha"] in known or row["sha"] in rows:
                continue
            rows[row["sha"]] = row
            missing.discard(row["sha"])
            missing.update(p for p in row["parents"] if p not in known and p not in rows)
        link = resp.link("next")
        if not missing or not link:
            return
        resp = ctx.client.get(COMMITS, ctx.client.canonical(link))
        if resp.status != 200:
            raise FetchError(COMMITS, resp.status, f"{repo}: {resp.message()}")
    raise FetchError(COMMITS, None, f"{repo}: history longer than {MAX_PAGES} pages; not stored")


def _read_tags(ctx: Context, batch: Batch, repo: str) -> list[tuple[str, str]] | None:
    """Every tag (name, peeled commit sha), or None when every page answered 304 (unchanged)."""
    tags: list[tuple[str, str]] = []
    keys: set[str | None] = set()
    fresh = False

    def describe(data: Any) -> dict[str, Any]:
        return {"tags": [[t["name"], t["commit"]["sha"].lower()] for t in data or []]}

    for page in pages(ctx, TAGS, f"/repos/{quote(repo)}/tags", {"per_page": PER_PAGE}, scope=repo,
                      part="template_tags", describe=describe,
                      trust=lambda value: isinstance(value.get("tags"), list)):
        keys.add(page.key)
        listed = describe(page.data)["tags"] if page.fresh else (page.value or {}).get("tags", [])
        tags += [(name, sha) for name, sha in listed]
        if page.fresh:
            fresh = True
            if page.value is not None:
                batch.state[(repo, page.key)] = page.value  # type: ignore[index]
    prune(ctx, batch, repo, "etag:template_tags:", keys)
    return tags if fresh else None


def _iso(value: datetime | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return iso(value)
