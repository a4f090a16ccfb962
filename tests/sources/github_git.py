"""Git history for the local GitHub test server: commit graphs, branches, tags, compare.

A `FakeGraph` is one repository's git object graph as GitHub's REST API shows it. Graphs live
in `FakeOrg.graphs` under `owner/name` (lower case; the owner need not be the org's, as a
template may live elsewhere); `route` answers, for a repo that has a graph:

- ``GET /repos/{o}/{r}``: the repository (`default_branch`, `pushed_at`, ...);
- ``GET /repos/{o}/{r}/commits?sha=REF``: every commit reachable from REF (a branch, a tag, a
  full or abbreviated sha; default: the default branch), in `git log` order — newest committer
  date first, REF itself first — paginated with ``Link``; 409 for a repository without commits,
  404 for a REF that names nothing;
- ``GET /repos/{o}/{r}/tags``: tags with their peeled commit, names in descending order;
- ``GET /repos/{o}/{r}/git/matching-refs/tags[/PREFIX]``: tag refs; an annotated tag's object
  is the tag object (type ``tag``), readable with ``GET /repos/{o}/{r}/git/tags/{sha}``;
- ``GET /repos/{o}/{r}/compare/{base}...{head}``: `status`, `ahead_by` (commits reachable from
  head and not from base: `git rev-list --count base..head`), `behind_by`, `merge_base_commit`.

Everything else about the repo (files, runs, ...) is left to the main server. A push moves the
org repo's `pushed_at` when the graph's repo is also a `FakeRepo` of the org, as on GitHub.
This module is the git part only, kept apart from the server so both can grow independently.
"""

from __future__ import annotations

import hashlib
import heapq
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.sources.github_server import FakeOrg, _Handler


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class FakeCommit:
    sha: str
    parents: tuple[str, ...]
    committed_at: datetime
    message: str


@dataclass
class FakeGraph:
    """One repository's commits, branches and tags. Shas are real-looking 40-hex strings."""

    full_name: str  # owner/name as GitHub spells it
    default_branch: str = "main"
    created_at: datetime | None = None
    pushed_at: datetime | None = None
    commits: dict[str, FakeCommit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)  # name → commit sha
    annotated: dict[str, str] = field(default_factory=dict)  # name → tag object sha (annotated tags)
    org: FakeOrg | None = None

    # writing history ------------------------------------------------------------------------
    def commit(self, message: str, at: datetime, *, branch: str | None = None,
               parents: list[str] | None = None, sha: str | None = None) -> str:
        """A new commit on `branch` (default: the default branch) whose parents are the branch's
        head, or `parents` when given; returns its sha. `sha` forces one (to build ambiguous
        abbreviations)."""
        branch = branch or self.default_branch
        if parents is None:
            parents = [self.branches[branch]] if branch in self.branches else []
        sha = sha or hashlib.sha1(f"{self.full_name}\n{message}\n{at}\n{parents}".encode()).hexdigest()
        self.commits[sha] = FakeCommit(sha, tuple(parents), at, message)
        self.branches[branch] = sha
        self._pushed(at)
        return sha

    def branch(self, name: str, at_sha: str) -> None:
        self.branches[name] = at_sha

    def merge(self, source: str, at: datetime, *, into: str | None = None, message: str | None = None) -> str:
        """A merge commit of branch `source` into `into` (default branch); parents (into, source)."""
        into = into or self.default_branch
        return self.commit(message or f"Merge branch '{source}'", at, branch=into,
                           parents=[self.branches[into], self.branches[source]])

    def tag(self, name: str, sha: str, *, annotated: bool = False, at: datetime | None = None) -> None:
        """Point tag `name` at commit `sha` (moving it if it exists)."""
        self.tags[name] = sha
        if annotated:
            self.annotated[name] = hashlib.sha1(f"tag {name} {sha}".encode()).hexdigest()
        else:
            self.annotated.pop(name, None)
        if at is not None:
            self._pushed(at)

    def force_push(self, branch: str, sha: str, at: datetime) -> None:
        self.branches[branch] = sha
        self._pushed(at)

    def _pushed(self, at: datetime) -> None:
        self.pushed_at = max(self.pushed_at or at, at)
        if self.org is not None:
            repo = self.org.find(self.full_name)
            if repo is not None:
                repo.pushed_at = max(repo.pushed_at or at, at)
                repo.empty = False

    # reading history ------------------------------------------------------------------------
    def resolve(self, ref: str) -> str | None:
        """A branch, tag, full sha or unambiguous abbreviation (4+ hex digits) → commit sha."""
        if ref in self.branches:
            return self.branches[ref]
        if ref in self.tags:
            return self.tags[ref]
        ref = ref.lower()
        if ref in self.commits:
            return ref
        if len(ref) >= 4:
            found = [sha for sha in self.commits if sha.startswith(ref)]
            if len(found) == 1:
                return found[0]
        return None

    def ancestors(self, sha: str) -> set[str]:
        """`sha` and every commit reachable from it through parents."""
        seen, todo = set(), [sha]
        while todo:
            current = todo.pop()
            if current in seen or current not in self.commits:
                continue
            seen.add(current)
            todo.extend(self.commits[current].parents)
        return seen

    def log(self, start: str) -> list[FakeCommit]:
        """`git log start`: the start first, then by committer date, newest first."""
        out, seen = [], {start}
        heap = [(-self.commits[start].committed_at.timestamp(), start)]
        while heap:
            _, sha = heapq.heappop(heap)
            commit = self.commits[sha]
            out.append(commit)
            for parent in commit.parents:
                if parent not in seen and parent in self.commits:
                    seen.add(parent)
                    heapq.heappush(heap, (-self.commits[parent].committed_at.timestamp(), parent))
        return out


def add_graph(org: FakeOrg, graph: FakeGraph) -> FakeGraph:
    """Register `graph` with the org (and let its pushes move the org repo's `pushed_at`)."""
    graph.org = org
    org.graphs[graph.full_name.lower()] = graph
    if graph.pushed_at is not None:
        graph._pushed(graph.pushed_at)
    return graph


# the wire format ---------------------------------------------------------------------------------
def commit_json(graph: FakeGraph, commit: FakeCommit, base: str) -> dict[str, Any]:
    full = graph.full_name
    person = {"name": "Template Bot", "email": "bot@example.com", "date": _iso(commit.committed_at)}
    return {
        "sha": commit.sha,
        "node_id": f"C_{commit.sha[:12]}",
        "commit": {
            "author": person,
            "committer": person,
            "message": commit.message,
            "tree": {"sha": hashlib.sha1(commit.sha.encode()).hexdigest(), "url": f"{base}/repos/{full}/git/trees/x"},
            "url": f"{base}/repos/{full}/git/commits/{commit.sha}",
            "comment_count": 0,
            "verification": {"verified": False, "reason": "unsigned", "signature": None, "payload": None},
        },
        "url": f"{base}/repos/{full}/commits/{commit.sha}",
        "html_url": f"https://github.test/{full}/commit/{commit.sha}",
        "comments_url": f"{base}/repos/{full}/commits/{commit.sha}/comments",
        "author": None,
        "committer": None,
        "parents": [{"sha": p, "url": f"{base}/repos/{full}/commits/{p}",
                     "html_url": f"https://github.test/{full}/commit/{p}"} for p in commit.parents],
    }


def repo_json(graph: FakeGraph, base: str) -> dict[str, Any]:
    owner, _, name = graph.full_name.partition("/")
    return {
        "id": int(hashlib.sha1(graph.full_name.encode()).hexdigest()[:6], 16), "node_id": f"R_{name}",
        "name": name, "full_name": graph.full_name, "private": True,
        "owner": {"login": owner, "id": 1, "type": "Organization"},
        "html_url": f"https://github.test/{graph.full_name}", "description": None, "fork": False,
        "url": f"{base}/repos/{graph.full_name}",
        "created_at": _iso(graph.created_at) if graph.created_at else None,
        "updated_at": _iso(graph.pushed_at) if graph.pushed_at else None,
        "pushed_at": _iso(graph.pushed_at) if graph.pushed_at else None,
        "size": 100 if graph.commits else 0, "language": None, "archived": False, "disabled": False,
        "default_branch": graph.default_branch, "visibility": "private",
    }


class _Answer(Exception):
    """An error status for the main server to send (404 / 409 / 422)."""

    def __init__(self, status: int, message: str):
        self.status = status
        self.message = message


def route(handler: _Handler, path: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]] | None:
    """The answer for a git-history request on a repo with a graph, or None (not ours)."""
    parts = path.strip("/").split("/")
    if len(parts) < 3 or parts[0] != "repos":
        return None
    st = handler.server_state
    graph = st.org.graphs.get(f"{parts[1]}/{parts[2]}".lower())
    if graph is None:
        return None
    rest = parts[3:]
    base = st.base_url
    if not rest:
        return 200, repo_json(graph, base), {}
    if rest == ["commits"]:
        if not graph.commits:
            raise _Answer(409, "Git Repository is empty.")
        start = graph.resolve(query.get("sha") or graph.default_branch)
        if start is None:
            raise _Answer(404, "Not Found")
        return handler._page(path, query, [commit_json(graph, c, base) for c in graph.log(start)])
    if rest == ["tags"]:
        items = [{"name": name, "commit": {"sha": sha, "url": f"{base}/repos/{graph.full_name}/commits/{sha}"},
                  "zipball_url": f"{base}/repos/{graph.full_name}/zipball/refs/tags/{name}",
                  "tarball_url": f"{base}/repos/{graph.full_name}/tarball/refs/tags/{name}",
                  "node_id": f"T_{name}"} for name, sha in sorted(graph.tags.items(), reverse=True)]
        return handler._page(path, query, items)
    if rest[:3] == ["git", "matching-refs", "tags"]:
        prefix = "/".join(rest[3:])
        items = []
        for name in sorted(graph.tags):
            if not name.startswith(prefix):
                continue
            is_tag = name in graph.annotated
            sha = graph.annotated[name] if is_tag else graph.tags[name]
            kind = "tags" if is_tag else "commits"
            items.append({"ref": f"refs/tags/{name}", "node_id": f"REF_{name}",
                          "url": f"{base}/repos/{graph.full_name}/git/refs/tags/{name}",
                          "object": {"sha": sha, "type": "tag" if is_tag else "commit",
                                     "url": f"{base}/repos/{graph.full_name}/git/{kind}/{sha}"}})
        return handler._page(path, query, items)
    if rest[:2] == ["git", "tags"] and len(rest) == 3:
        name = next((n for n, sha in graph.annotated.items() if sha == rest[2]), None)
        if name is None:
            raise _Answer(404, "Not Found")
        target = graph.tags[name]
        return 200, {"node_id": f"TAG_{name}", "tag": name, "sha": rest[2], "message": name,
                     "url": f"{base}/repos/{graph.full_name}/git/tags/{rest[2]}",
                     "object": {"type": "commit", "sha": target,
                                "url": f"{base}/repos/{graph.full_name}/git/commits/{target}"}}, {}
    if rest[0] == "compare" and len(rest) >= 2:
        spec = "/".join(rest[1:])
        if "..." not in spec:
            raise _Answer(404, "Not Found")
        base_ref, head_ref = spec.split("...", 1)
        base_sha, head_sha = graph.resolve(base_ref), graph.resolve(head_ref)
        if base_sha is None or head_sha is None:
            raise _Answer(404, "Not Found")
        return 200, _compare(graph, base_sha, head_sha, base), {}
    return None


def _compare(graph: FakeGraph, base_sha: str, head_sha: str, base: str) -> dict[str, Any]:
    from_base, from_head = graph.ancestors(base_sha), graph.ancestors(head_sha)
    ahead = from_head - from_base
    behind = from_base - from_head
    common = from_base & from_head
    # the merge base: a common ancestor that no other common ancestor descends from
    merge_base = next((c for c in sorted(common, key=lambda s: graph.commits[s].committed_at, reverse=True)
                       if not any(c in graph.ancestors(o) for o in common if o != c)), None)
    status = ("identical" if not ahead and not behind else "ahead" if not behind
              else "behind" if not ahead else "diverged")
    listed = [c for c in reversed(graph.log(head_sha)) if c.sha in ahead][:250]
    return {
        "url": f"{base}/repos/{graph.full_name}/compare/{base_sha}...{head_sha}",
        "html_url": f"https://github.test/{graph.full_name}/compare/{base_sha}...{head_sha}",
        "permalink_url": f"https://github.test/{graph.full_name}/compare/{base_sha}...{head_sha}",
        "status": status,
        "ahead_by": len(ahead),
        "behind_by": len(behind),
        "total_commits": len(ahead),
        "base_commit": commit_json(graph, graph.commits[base_sha], base),
        "merge_base_commit": commit_json(graph, graph.commits[merge_base], base) if merge_base else None,
        "commits": [commit_json(graph, c, base) for c in listed],
        "files": [],
    }
