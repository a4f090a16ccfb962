"""The files pathlens reads and their git history, through batched GraphQL queries.

One query reads, for up to 50 repos under aliases, the default branch's head commit, the
current text of every file pathlens reads (`file(path:)` on the head commit: the catalog file,
the service spec, `.copier-answers.yml`, `.cruft.json`, the `.github/workflows` folder) and the
history of each of them (`history(path:, since:)`, 100 commits a page, with the text at every
commit). Cost: one connection per file path and repo (five, plus one for the fast-forward
check), so 50 repos cost about 3 points.

What is written, per repo whose default branch moved (the caller skips repos whose `pushed_at`
did not move: they cost nothing):

- `raw.repo_files`: the files at the head, files no longer there deleted;
- `raw.repo_file_versions`: one row per commit in the window that touched a file (a commit
  that removed it: `deleted`, no blob, no content), plus a row at the head commit for every
  file whose head version is not already the newest stored one (so, where no history is read
  — `history.backfill_days: 0` — every refresh still records what it saw);
- state `files` in `raw.fetch_state`: the head commit, its committer date and the start of the
  window read, so the next refresh reads only commits since the previous head (less a day, for
  commits whose committer date is a little older than their push).

Where a file's history starts: a whole-window read also asks for the branch's newest commit at or
before the window's start (`history(until:, first: 1)`, one more connection) and records, at that
commit, the version of every file the read saw then — or a `deleted` row for a file that did not
exist yet. An incremental read records a `deleted` row at the previous head for a file it had
never seen. So a file added inside the window in an older repo is absent before it was added
(SPEC §3 "a file absent then counts as absent"), and a file unchanged since before the window
is known from that commit on.

Force-pushes: every incremental read asks whether the previous head is still on the branch
(`history(since: T, until: T)` around its committer date T, from the new head). When it is
not, the branch was rewritten: the repo's versions committed inside the window are deleted and
the whole window is read again, so no version of a vanished commit stays behind. Versions older
than the window are kept (they cannot be checked without reading further back).

Blobs whose text GitHub cut (`isTruncated`) or calls binary (`isBinary`) are read through REST
(`git/blobs/{sha}`); text that is not UTF-8 is stored with `content = NULL` and noted. Which
files, their size limits and the per-repo cap on workflow files are `pipelines.repo_files`'s,
as on the REST path: a blob over its kind's limit (its `byteSize`) is stored without content and
never read through REST; workflow files beyond the cap (by path) are left out and noted.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import duckdb

from pipelines.sources.github.client import FetchError
from pipelines.sources.github.fetch import BLOBS, Context, capped_workflows
from pipelines.sources.github.graphql import GraphQLClient, batch_size, literal, run_batched
from pipelines.sources.github.incremental import Batch, repo_problem
from pipelines.sources.github.rows import iso, ts
from pipelines.sources.problems import FetchProblem

WORKFLOWS = ".github/workflows"
HISTORY_OVERLAP = timedelta(days=1)  # re-read this far behind the previous head's committer date
PAGE = 100
BLOB = "fragment B on Blob { oid byteSize text isBinary isTruncated }"
FOLDER = "... on Tree { entries { name type object { ...B } } }"


@dataclass(frozen=True)
class Known:
    """The newest stored version of one file: its blob (None when deleted) and commit date."""

    blob: str | None
    committed_at: datetime | None


@dataclass
class Target:
    """One repo to read: its listing row, the previous head (if any) and where history starts."""

    repo: dict[str, Any]
    prev_head: str | None
    prev_head_at: datetime | None
    since: datetime | None  # None: no history is read (backfill_days = 0)
    rewrite: bool = False  # a force-push was seen: versions inside the window are replaced

    @property
    def full(self) -> str:
        return self.repo["repo"]


@dataclass
class Version:
    path: str
    commit: str
    committed_at: datetime
    blob: dict[str, Any] | None  # GraphQL Blob; None = the file is absent at this commit


@dataclass
class RepoRead:
    """What one repo's answer held, before it becomes rows."""

    target: Target
    head: str | None = None
    head_at: datetime | None = None
    tree: str | None = None
    current: dict[str, dict[str, Any]] = field(default_factory=dict)  # path → Blob at the head
    versions: list[Version] = field(default_factory=list)
    rewritten: bool = False
    pages: dict[str, str] = field(default_factory=dict)  # path → cursor of its next history page
    notes: Batch = field(default_factory=lambda: Batch("notes"))  # errors noted while reading
    # the branch at the window's start (whole-window reads): commit, date, path → Blob then
    base: tuple[str, datetime, dict[str, dict[str, Any]]] | None = None


def window_start(ctx: Context) -> datetime | None:
    days = ctx.settings.history.backfill_days
    return None if days == 0 else (ctx.now - timedelta(days=days)).replace(microsecond=0)


def file_paths(ctx: Context) -> list[str]:
    """The single files read (the workflows folder is read as a folder)."""
    return list(dict.fromkeys(ctx.files.root_files))


def window_extended(ctx: Context, repo: dict[str, Any]) -> bool:
    """Whether `history.backfill_days` now reaches further back than this repo was read."""
    prev = ctx.state.get(repo["repo"], "files") or {}
    start = window_start(ctx)
    if start is None or prev.get("head") is None:
        return False
    read_from = ts(prev.get("history_since"))
    return read_from is None or start < read_from - timedelta(days=1)


def plan(ctx: Context, repo: dict[str, Any]) -> Target:
    """What to read for a repo whose files may have changed (see the module docstring)."""
    prev = ctx.state.get(repo["repo"], "files") or {}
    start = window_start(ctx)
    same = (prev.get("default_branch") == repo["default_branch"] and prev.get("want") == ctx.wanted_signature
            and prev.get("head") is not None)
    read_from = ts(prev.get("history_since"))
    extended = start is not None and (read_from is None or start < read_from - timedelta(days=1))
    if not same or extended:
        return Target(repo, None, None, start)
    head_at = ts(prev.get("head_at"))
    since = None if start is None else max(start, (head_at or start) - HISTORY_OVERLAP)
    return Target(repo, prev.get("head"), head_at, since)


def _fragment(ctx: Context, target: Target) -> str:
    """One repo's selection; the files and their histories are a named fragment per `since`
    (see `_fragments`), so 50 repos do not repeat the same 1 KB of query text 50 times."""
    owner, _, name = target.full.partition("/")
    parts = ["oid committedDate tree { oid }", f"...{_fragment_name(target.since)}"]
    if target.prev_head and target.prev_head_at is not None:
        at = literal(iso(target.prev_head_at))
        parts.append(f"ff: history(first: 5, since: {at}, until: {at}) {{ nodes {{ oid }} }}")
    if _reads_base(target):
        parts.append(f"base: history(first: 1, until: {literal(iso(target.since))}) "  # type: ignore[arg-type]
                     "{ nodes { oid committedDate ...Base } }")
    return (f"repository(owner: {literal(owner)}, name: {literal(name)}) {{ isEmpty "
            f"defaultBranchRef {{ name target {{ ... on Commit {{ {' '.join(parts)} }} }} }} }}")


def _reads_base(target: Target) -> bool:
    """Whether the read asks for the branch at the window's start (a whole-window read)."""
    return target.since is not None and (target.prev_head is None or target.rewrite)


def _fragment_name(since: datetime | None) -> str:
    return "Files" if since is None else "Files" + since.strftime("%Y%m%d%H%M%S")


def _fragments(ctx: Context, targets: list[Target]) -> str:
    """The Blob fragment and one files fragment per distinct `since` among `targets`."""
    out = [BLOB]
    paths = file_paths(ctx)
    if any(_reads_base(t) for t in targets):
        parts = [f"f{i}: file(path: {literal(path)}) {{ object {{ ...B }} }}" for i, path in enumerate(paths)]
        parts.append(f"fw: file(path: {literal(WORKFLOWS)}) {{ object {{ {FOLDER} }} }}")
        out.append(f"fragment Base on Commit {{ {' '.join(parts)} }}")
    for since in sorted({t.since for t in targets}, key=lambda s: (s is not None, s or datetime.min)):
        parts = [f"f{i}: file(path: {literal(path)}) {{ object {{ ...B }} }}" for i, path in enumerate(paths)]
        parts.append(f"fw: file(path: {literal(WORKFLOWS)}) {{ object {{ {FOLDER} }} }}")
        if since is not None:
            parts += [f"h{i}: " + _history(path, since, None) for i, path in enumerate([*paths, WORKFLOWS])]
        out.append(f"fragment {_fragment_name(since)} on Commit {{ {' '.join(parts)} }}")
    return "\n".join(out)


def _history(path: str, since: datetime, after: str | None) -> str:
    cursor = f", after: {literal(after)}" if after else ""
    obj = FOLDER if path == WORKFLOWS else "...B"
    return (f"history(path: {literal(path)}, since: {literal(iso(since))}, first: {PAGE}{cursor}) "
            f"{{ pageInfo {{ hasNextPage endCursor }} nodes {{ oid committedDate "
            f"file(path: {literal(path)}) {{ object {{ {obj} }} }} }} }}")


def _connections(ctx: Context, target: Target) -> int:
    return 1 + (len(file_paths(ctx)) + 1 if target.since is not None else 0) + (1 if _reads_base(target) else 0)


# the read -----------------------------------------------------------------------------------
def read_repos(ctx: Context, gql: GraphQLClient, targets: list[Target],
               known: dict[str, dict[str, Known]]) -> list[Batch | FetchProblem]:
    """Read `targets` (one worker job); returns a Batch per repo read, an FetchProblem per repo
    that failed. `known` holds the newest stored version of each file, by repo and path."""
    out: list[Batch | FetchProblem] = []
    reads: list[RepoRead] = []
    todo = targets
    for _round in range(2):  # the second round re-reads whole windows after force-pushes
        again: list[Target] = []
        size = batch_size(max(_connections(ctx, t) for t in todo)) if todo else 1
        for start in range(0, len(todo), size):
            chunk = todo[start:start + size]
            for result in run_batched(gql, "files", chunk, lambda alias, t: _fragment(ctx, t),
                                      lambda items: _fragments(ctx, list(items))):
                target = result.item
                if result.error is not None:
                    out.append(repo_problem(target.full, result.error.endpoint, result.error.status, result.error.message))
                    continue
                read = _parse(ctx, target, result.data)
                if read is None:
                    again.append(Target(target.repo, None, None, window_start(ctx), rewrite=True))
                else:
                    reads.append(read)
        todo = again
        if not todo:
            break
    _follow_pages(ctx, gql, reads, out)
    for read in reads:
        if any(isinstance(o, FetchProblem) and o.scope == read.target.full for o in out):
            continue
        try:
            out.append(_batch(ctx, read, known.get(read.target.full, {})))
        except FetchError as exc:
            out.append(repo_problem(read.target.full, exc.endpoint, exc.status, exc.message))
    return out


def _parse(ctx: Context, target: Target, data: Any) -> RepoRead | None:
    """The repo's answer as a RepoRead; None when the previous head is gone (a force-push)."""
    read = RepoRead(target, rewritten=target.rewrite)
    branch = (data or {}).get("defaultBranchRef")
    commit = (branch or {}).get("target")
    if not commit or not commit.get("oid"):
        return read  # an empty repository: no commits, no files
    read.head, read.head_at = commit["oid"], _date(commit.get("committedDate"))
    read.tree = (commit.get("tree") or {}).get("oid")
    if target.prev_head and "ff" in commit and read.head != target.prev_head:
        if target.prev_head not in {n.get("oid") for n in commit["ff"].get("nodes") or []}:
            return None
    read.current = capped_workflows(ctx, read.notes, target.full, _files_of(ctx, commit))
    for node in ((commit.get("base") or {}).get("nodes") or [])[:1]:
        at = _date(node.get("committedDate"))
        if at is not None and node.get("oid"):
            read.base = (node["oid"], at, capped_workflows(ctx, Batch("base"), target.full, _files_of(ctx, node)))
    if target.since is not None:
        for i, path in enumerate([*file_paths(ctx), WORKFLOWS]):
            history = commit.get(f"h{i}") or {}
            _take_history(read, path, history)
    return read


def _files_of(ctx: Context, commit: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """path → Blob of every file read, from a commit's `f<i>` / `fw` fields."""
    files: dict[str, dict[str, Any]] = {}
    for i, path in enumerate(file_paths(ctx)):
        blob = ((commit.get(f"f{i}") or {}).get("object"))
        if blob and blob.get("oid"):
            files[path] = blob
    for entry in _entries(commit.get("fw")):
        if ctx.wanted(f"{WORKFLOWS}/{entry['name']}"):
            files[f"{WORKFLOWS}/{entry['name']}"] = entry["object"]
    return files


def _date(value: Any) -> datetime | None:
    try:
        return ts(value)
    except ValueError:
        return None


def _entries(file_node: Any) -> list[dict[str, Any]]:
    tree = (file_node or {}).get("object") or {}
    return [e for e in tree.get("entries") or [] if e.get("type") == "blob" and e.get("object")]


def _take_history(read: RepoRead, path: str, history: dict[str, Any]) -> None:
    for node in history.get("nodes") or []:
        at = _date(node.get("committedDate"))
        if at is None:  # a commit without a readable, plausible date cannot be placed in time
            continue
        file_node = node.get("file")
        if path == WORKFLOWS:
            read.versions.append(Version(path, node["oid"], at, {"entries": _entries(file_node)}))
        else:
            blob = (file_node or {}).get("object")
            read.versions.append(Version(path, node["oid"], at, blob if blob and blob.get("oid") else None))
    info = history.get("pageInfo") or {}
    if info.get("hasNextPage") and info.get("endCursor"):
        read.pages[path] = info["endCursor"]


def _follow_pages(ctx: Context, gql: GraphQLClient, reads: list[RepoRead], out: list[Batch | FetchProblem]) -> None:
    """Read further history pages (files with more than 100 commits in the window), pinned to
    the head commit read first, so the cursors stay valid while the branch moves on."""
    while True:
        todo = [(read, path, cursor) for read in reads for path, cursor in read.pages.items()]
        if not todo:
            return
        for read in reads:
            read.pages = {}

        def fragment(alias: str, item: tuple[RepoRead, str, str]) -> str:
            read, path, cursor = item
            owner, _, name = read.target.full.partition("/")
            return (f"repository(owner: {literal(owner)}, name: {literal(name)}) {{ object(oid: {literal(read.head or '')}) "
                    f"{{ ... on Commit {{ h: {_history(path, read.target.since, cursor)} }} }} }}")  # type: ignore[arg-type]

        for result in run_batched(gql, "history pages", todo, fragment, BLOB):
            read, path, _ = result.item
            if result.error is not None:
                out.append(repo_problem(read.target.full, result.error.endpoint, result.error.status, result.error.message))
                continue
            _take_history(read, path, ((result.data or {}).get("object") or {}).get("h") or {})


# rows ----------------------------------------------------------------------------------------
def _batch(ctx: Context, read: RepoRead, known: dict[str, Known]) -> Batch:
    full = read.target.full
    batch = Batch(f"files {full}")
    batch.notes.extend(read.notes.notes)
    texts = _Texts(ctx, batch, full)
    prev = ctx.state.get(full, "files") or {}
    state = {"pushed_at": _iso_or_none(read.target.repo["pushed_at"]), "default_branch": read.target.repo["default_branch"],
             "want": ctx.wanted_signature, "tree_sha": read.tree, "tree_etag": None, "head": read.head,
             "head_at": _iso_or_none(read.head_at),
             "history_since": prev.get("history_since") if read.target.prev_head and not read.rewritten
             else _iso_or_none(read.target.since)}
    if read.target.prev_head and read.head == read.target.prev_head:
        batch.state[(full, "files")] = {**prev, **{k: state[k] for k in ("pushed_at",)}}
        return batch  # a push elsewhere: the default branch did not move
    if read.rewritten and read.target.since is not None:
        batch.statements.append(("DELETE FROM raw.repo_file_versions WHERE repo = ? AND committed_at >= ?",
                                 [full, read.target.since]))
        known = {}
    rows = version_rows(ctx, read, known, texts)
    current_rows = [{"repo": full, "path": path, "sha": blob["oid"], "size": blob.get("byteSize"),
                     "content": texts.text(path, blob), "fetched_at": ctx.now} for path, blob in sorted(read.current.items())]
    batch.statements.append(("DELETE FROM raw.repo_files WHERE repo = ?", [full]))
    batch.statements.append(("UPDATE raw.repos SET tree_sha = ? WHERE repo = ?", [read.tree, full]))
    batch.add_rows("repo_files", current_rows)
    batch.add_rows("repo_file_versions", rows)
    batch.state[(full, "files")] = state
    return batch


def version_rows(ctx: Context, read: RepoRead, known: dict[str, Known], texts: _Texts) -> list[dict[str, Any]]:
    """The raw.repo_file_versions rows of one repo's read (GraphQL or REST): each version in the
    window, where each file's history starts, and the head (see the module docstring)."""
    full = read.target.full
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    newest: dict[str, Known] = dict(known)

    def add(path: str, commit: str, at: datetime, blob: dict[str, Any] | None) -> None:
        rows[(path, commit)] = {
            "repo": full, "path": path, "commit_sha": commit, "committed_at": at,
            "blob_sha": blob["oid"] if blob else None, "size": blob.get("byteSize") if blob else None,
            "content": texts.text(path, blob) if blob else None, "deleted": blob is None, "fetched_at": ctx.now}
        seen = newest.get(path)
        if seen is None or seen.committed_at is None or at >= seen.committed_at:
            newest[path] = Known(blob["oid"] if blob else None, at)

    # The workflows folder's history gives the folder at each commit that touched it: a file's
    # version is recorded where its blob differs from the one before (or it appears or goes).
    # An incremental read starts from the stored state; a whole-window read from nothing.
    folder = {p: k.blob for p, k in known.items() if p.startswith(WORKFLOWS + "/") and k.blob is not None} \
        if read.target.prev_head and not read.rewritten else {}
    if read.base is not None:
        folder = {p: b["oid"] for p, b in read.base[2].items() if p.startswith(WORKFLOWS + "/")}
    for version in sorted(read.versions, key=lambda v: (v.committed_at, v.path)):
        if version.path != WORKFLOWS:
            add(version.path, version.commit, version.committed_at, version.blob)
            continue
        present = {f"{WORKFLOWS}/{e['name']}": e["object"] for e in (version.blob or {}).get("entries", [])
                   if ctx.wanted(f"{WORKFLOWS}/{e['name']}")}
        present = capped_workflows(ctx, Batch("history"), full, present)  # noted once, for the head
        for path, blob in present.items():
            if folder.get(path) != blob["oid"]:
                add(path, version.commit, version.committed_at, blob)
        for path in folder:
            if path not in present:
                add(path, version.commit, version.committed_at, None)
        folder = {path: blob["oid"] for path, blob in present.items()}

    # Where each file's history starts (see the module docstring): the branch at the window's
    # start for a whole-window read, else the previous head for a file never seen before.
    seen_paths = {path for path, _ in rows} | set(read.current)
    if read.base is not None:
        oid, at, files = read.base
        for path in sorted(seen_paths | set(files)):
            if (path, oid) not in rows:
                add(path, oid, at, files.get(path))
    elif read.target.prev_head and read.target.prev_head_at is not None and not read.rewritten:
        for path in sorted(seen_paths - set(known)):
            if (path, read.target.prev_head) not in rows:
                add(path, read.target.prev_head, read.target.prev_head_at, None)

    # The head: every file whose newest known version is not what the head holds gets a row at
    # the head commit (a file unchanged inside the window, or any file when no history is read).
    if read.head is not None and read.head_at is not None:
        for path, blob in read.current.items():
            seen = newest.get(path)
            if seen is None or seen.blob != blob["oid"]:
                add(path, read.head, read.head_at, blob)
        for path, seen in list(newest.items()):
            if seen.blob is not None and path not in read.current and ctx.wanted(path):
                add(path, read.head, read.head_at, None)

    return list(rows.values())


class _Texts:
    """Blob texts: GraphQL's when whole, else read through REST once per blob and repo."""

    def __init__(self, ctx: Context, batch: Batch, full: str):
        self.ctx, self.batch, self.full = ctx, batch, full
        self._cache: dict[str, str | None] = {}

    def seed(self, texts: dict[str, str | None]) -> None:
        """Blob sha → text (None: unreadable) already read another way (REST path)."""
        self._cache.update(texts)

    def text(self, path: str, blob: dict[str, Any]) -> str | None:
        """The blob's text; None when it is over the limit for `path`'s kind (never downloaded,
        the parsers record the limit) or not UTF-8."""
        oid = blob["oid"]
        if self.ctx.files.too_big(path, blob.get("byteSize")):
            return None
        if oid in self._cache:
            return self._cache[oid]
        if blob.get("text") is not None and not blob.get("isTruncated") and not blob.get("isBinary"):
            text: str | None = blob["text"].removeprefix("\ufeff")
        else:
            text = self._rest(oid)
        self._cache[oid] = text
        return text

    def _rest(self, oid: str) -> str | None:
        resp = self.ctx.client.get(BLOBS, f"/repos/{self.full}/git/blobs/{oid}")
        if resp.status in (404, 409):
            return None
        if resp.status != 200:
            raise FetchError(BLOBS, resp.status, resp.message())
        content = resp.data.get("content") or ""
        try:
            raw = base64.b64decode(content) if resp.data.get("encoding") == "base64" else content.encode("utf-8")
            return raw.decode("utf-8-sig")
        except (binascii.Error, ValueError):
            self.batch.notes.append(repo_problem(self.full, BLOBS, None, f"blob {oid}: not UTF-8 text; stored without content"))
            return None


def _iso_or_none(value: datetime | None) -> str | None:
    return iso(value) if value is not None else None


def known_versions(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Known]]:
    """The newest stored version of every file, by repo and path (what a refresh compares with)."""
    rows = con.execute(
        "SELECT repo, path, arg_max_null(blob_sha, (committed_at, fetched_at)), max(committed_at) "
        "FROM raw.repo_file_versions GROUP BY repo, path").fetchall()
    out: dict[str, dict[str, Known]] = {}
    for repo, path, blob, at in rows:
        out.setdefault(repo, {})[path] = Known(blob, at)
    return out
