"""GitHub's GraphQL API (`POST /api/graphql`) for the local test server, on graphql-core.

A subset of GitHub's real schema, with the same names and shapes: `repository(owner:, name:)`
(following renames), `defaultBranchRef { name target }`, `Commit { oid committedDate
history(path:, since:, until:, first:, after:) file(path:) checkSuites }`, `Blob { text byteSize
isBinary isTruncated }`, `Tree { entries }`, `Repository.object(expression:)`, `deployments` with
`latestStatus`, and `rateLimit { cost limit remaining used resetAt nodeCount }`.

What GitHub does and this reproduces:

- point cost, per GitHub's documented calculation: for every connection (a field taking
  `first`/`last`), the number of requests needed to fill it assuming every `first`/`last` is
  reached (the product of the enclosing connections' sizes); the sum divided by 100, rounded
  half up, at least 1 (docs.github.com, "Rate limits and node limits for the GraphQL API");
- `first`/`last` required on connections whose nodes are asked for, at most 100
  (`MISSING_PAGINATION_BOUNDARIES`, `EXCESSIVE_PAGINATION`), and the 500,000-node limit;
- partial errors: an unknown repository is `null` under its alias with an error of type
  `NOT_FOUND` whose `path` names the alias; the other aliases answer normally;
- `RATE_LIMITED` (HTTP 200, `data: null`) when the query costs more than the points left;
- opaque cursors (`"<oid> <offset>"`, base64) and `pageInfo { hasNextPage endCursor }`;
- blob text cut at `text_limit` bytes with `isTruncated: true`; binary (NUL byte or not UTF-8)
  blobs with `isBinary: true` and `text: null`.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    build_schema,
    execute,
    parse,
    validate,
)
from graphql.utilities import value_from_ast_untyped

SDL = """
scalar DateTime
scalar GitTimestamp
scalar GitObjectID

type Query {
  repository(owner: String!, name: String!, followRenames: Boolean = true): Repository
  rateLimit(dryRun: Boolean = false): RateLimit
}

type RateLimit { cost: Int! limit: Int! remaining: Int! used: Int! resetAt: DateTime! nodeCount: Int! }

type Repository {
  id: ID!
  databaseId: Int
  name: String!
  nameWithOwner: String!
  isEmpty: Boolean!
  isArchived: Boolean!
  isFork: Boolean!
  pushedAt: DateTime
  createdAt: DateTime!
  defaultBranchRef: Ref
  object(expression: String, oid: GitObjectID): GitObject
  deployments(first: Int, after: String, last: Int, before: String, orderBy: DeploymentOrder,
              environments: [String!]): DeploymentConnection!
}

input DeploymentOrder { field: DeploymentOrderField!, direction: OrderDirection! }
enum DeploymentOrderField { CREATED_AT }
enum OrderDirection { ASC DESC }

type Ref { name: String! prefix: String! target: GitObject }

interface GitObject { oid: GitObjectID! abbreviatedOid: String! }

type Commit implements GitObject {
  oid: GitObjectID!
  abbreviatedOid: String!
  committedDate: DateTime!
  tree: Tree!
  history(first: Int, after: String, last: Int, before: String, path: String, since: GitTimestamp,
          until: GitTimestamp): CommitHistoryConnection!
  file(path: String!): TreeEntry
  checkSuites(first: Int, after: String, last: Int, before: String): CheckSuiteConnection
}

type Blob implements GitObject {
  oid: GitObjectID!
  abbreviatedOid: String!
  byteSize: Int!
  text: String
  isBinary: Boolean
  isTruncated: Boolean!
}

type Tree implements GitObject { oid: GitObjectID! abbreviatedOid: String! entries: [TreeEntry!] }

type TreeEntry { name: String! path: String oid: GitObjectID! type: String! mode: Int! object: GitObject }

type PageInfo { hasNextPage: Boolean! endCursor: String hasPreviousPage: Boolean! startCursor: String }

type CommitHistoryConnection { nodes: [Commit] pageInfo: PageInfo! totalCount: Int! }

type CheckSuite { id: ID! }
type CheckSuiteConnection { nodes: [CheckSuite] pageInfo: PageInfo! totalCount: Int! }

type DeploymentStatus { state: String! createdAt: DateTime! }
type DeploymentRef { name: String! }
type Deployment {
  databaseId: Int
  environment: String
  commitOid: String!
  ref: DeploymentRef
  createdAt: DateTime!
  updatedAt: DateTime!
  latestStatus: DeploymentStatus
}
type DeploymentConnection { nodes: [Deployment] pageInfo: PageInfo! totalCount: Int! }
"""

MAX_PAGE = 100
NODE_LIMIT = 500_000
_LITERALS = re.compile(r'"(?:[^"\\]|\\.)*"')


def iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_ts(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


@dataclass
class Budget:
    """The credential's GraphQL points (5,000 an hour on github.com)."""

    limit: int = 5000
    remaining: int = 5000
    reset_at: datetime | None = None

    @property
    def used(self) -> int:
        return self.limit - self.remaining


# cost -----------------------------------------------------------------------------------------
def query_cost(document: Any, variables: dict[str, Any]) -> tuple[int, int, list[str]]:
    """(points, nodes, problems) of a parsed query, by GitHub's documented calculation."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    requests = 0
    nodes = 0
    problems: list[str] = []

    def arg(field: FieldNode, name: str) -> Any:
        for a in field.arguments or ():
            if a.name.value == name:
                return value_from_ast_untyped(a.value, variables)
        return None

    def walk(selections: Any, multiplier: int) -> None:
        nonlocal requests, nodes
        for sel in selections or ():
            if isinstance(sel, FragmentSpreadNode):
                walk(fragments[sel.name.value].selection_set.selections, multiplier)
                continue
            if isinstance(sel, InlineFragmentNode):
                walk(sel.selection_set.selections, multiplier)
                continue
            if not isinstance(sel, FieldNode):
                continue
            children = sel.selection_set.selections if sel.selection_set else ()
            names = {c.name.value for c in children if isinstance(c, FieldNode)}
            size = arg(sel, "first") or arg(sel, "last")
            is_connection = sel.name.value in CONNECTIONS
            if is_connection:
                if size is None and names & {"nodes", "edges"}:
                    problems.append(f"MISSING_PAGINATION_BOUNDARIES: You must provide a `first` or `last` value "
                                    f"to properly paginate the `{sel.name.value}` connection.")
                    size = 0
                if size is not None and size > MAX_PAGE:
                    problems.append(f"EXCESSIVE_PAGINATION: Requesting {size} records on the `{sel.name.value}` "
                                    f"connection exceeds the `first` limit of {MAX_PAGE} records.")
                requests += multiplier
                inner = multiplier * (size or 0)
                nodes += inner
                walk(children, inner)
            else:
                walk(children, multiplier)

    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            walk(definition.selection_set.selections, 1)
    if nodes > NODE_LIMIT:
        problems.append(f"MAX_NODE_LIMIT_EXCEEDED: This query requests up to {nodes:,} possible nodes "
                        f"which exceeds the maximum limit of {NODE_LIMIT:,}.")
    return max(1, math.floor(requests / 100 + 0.5)), nodes, problems


CONNECTIONS = {"history", "checkSuites", "deployments"}


# resolvers --------------------------------------------------------------------------------------
class GraphQLApi:
    """Executes one GraphQL request body against the server's organisation."""

    def __init__(self, server: Any, text_limit: int = 512 * 1024):
        self.server = server
        self.text_limit = text_limit
        self.schema = build_schema(SDL)
        self.budget = Budget()
        self.points_spent = 0
        self.queries = 0
        self._validated: dict[str, list[str]] = {}
        self._wire()

    def _wire(self) -> None:
        s = self.schema
        s.get_type("GitObject").resolve_type = lambda obj, info, t: obj["__typename"]  # type: ignore[attr-defined]
        q = s.query_type.fields  # type: ignore[union-attr]
        q["repository"].resolve = self._repository
        q["rateLimit"].resolve = lambda root, info, **kw: root["rateLimit"]
        repo = s.get_type("Repository").fields  # type: ignore[attr-defined]
        repo["object"].resolve = self._object
        repo["deployments"].resolve = self._deployments
        commit = s.get_type("Commit").fields  # type: ignore[attr-defined]
        commit["history"].resolve = self._history
        commit["file"].resolve = self._file
        commit["tree"].resolve = self._root_tree
        commit["checkSuites"].resolve = self._check_suites

    # entry point --------------------------------------------------------------------------
    def answer(self, body: Any) -> tuple[dict[str, Any], dict[str, str]]:
        """The JSON answer (always HTTP 200, as GitHub) and the rate-limit headers."""
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return {"errors": [{"message": "A query attribute must be specified and must be a string."}]}, {}
        variables = body.get("variables") or {}
        try:
            document = parse(body["query"])
        except GraphQLError as exc:
            return {"errors": [{"message": f"Parse error: {exc.message}", "locations": _locations(exc)}]}, {}
        shape = _LITERALS.sub('""', body["query"])  # the same query but for its strings validates the same
        problems = self._validated.get(shape)
        if problems is None:
            problems = [e.message for e in validate(self.schema, document)]
            if len(self._validated) < 256:
                self._validated[shape] = problems
        if problems:
            return {"errors": [{"message": m} for m in problems]}, {}
        cost, node_count, limits = query_cost(document, variables)
        if limits:
            return {"errors": [{"type": m.split(":")[0], "message": m.split(": ", 1)[1]} for m in limits]}, {}
        b = self.budget
        self.queries += 1
        if cost > b.remaining:
            return ({"errors": [{"type": "RATE_LIMITED", "code": "graphql_rate_limit",
                                 "message": "API rate limit already exceeded for user ID 1."}]},
                    self._headers())
        b.remaining -= cost
        self.points_spent += cost
        root = {"rateLimit": {"cost": cost, "limit": b.limit, "remaining": b.remaining, "used": b.used,
                              "resetAt": iso(self._reset()), "nodeCount": node_count}}
        result = execute(self.schema, document, root_value=root, variable_values=variables)
        out: dict[str, Any] = {"data": result.data}
        if result.errors:
            out["errors"] = [_github_error(e) for e in result.errors]
        return out, self._headers()

    def _reset(self) -> datetime:
        if self.budget.reset_at is None:
            self.budget.reset_at = datetime.fromtimestamp(self.server.reset_at, UTC).replace(tzinfo=None)
        return self.budget.reset_at

    def _headers(self) -> dict[str, str]:
        b = self.budget
        return {"X-RateLimit-Limit": str(b.limit), "X-RateLimit-Remaining": str(b.remaining),
                "X-RateLimit-Used": str(b.used),
                "X-RateLimit-Reset": str(int(self._reset().replace(tzinfo=UTC).timestamp())),
                "X-RateLimit-Resource": "graphql"}

    # repository ---------------------------------------------------------------------------
    def _repository(self, root: Any, info: Any, owner: str, name: str, followRenames: bool = True) -> Any:  # noqa: N803
        org = self.server.org
        repo = org.find(f"{owner}/{name}") if followRenames or name in org.repos else None
        if repo is None or "graphql" in repo.broken:
            raise GraphQLError(f"Could not resolve to a Repository with the name '{owner}/{name}'.",
                               extensions={"type": "NOT_FOUND"})
        head = repo.head()
        return {
            "_repo": repo,
            "id": f"R_{repo.id}", "databaseId": repo.id, "name": repo.name,
            "nameWithOwner": f"{org.login}/{repo.name}", "isEmpty": head is None, "isArchived": repo.archived,
            "isFork": repo.fork, "pushedAt": iso(repo.pushed_at) if repo.pushed_at else None,
            "createdAt": iso(repo.created_at),
            "defaultBranchRef": None if head is None else {
                "name": repo.default_branch, "prefix": "refs/heads/", "target": self._commit(repo, head)},
        }

    def _commit(self, repo: Any, commit: Any) -> dict[str, Any]:
        return {"__typename": "Commit", "_repo": repo, "_commit": commit, "oid": commit.oid,
                "abbreviatedOid": commit.oid[:7], "committedDate": iso(commit.committed_at)}

    def _object(self, parent: dict[str, Any], info: Any, expression: str | None = None, oid: str | None = None) -> Any:
        repo = parent["_repo"]
        if oid is not None:
            commit = repo.commit(oid)
            return self._commit(repo, commit) if commit else None
        if expression is None:
            return None
        rev, _, path = expression.partition(":")
        head = repo.head()
        if head is None:
            return None
        commit = head if rev in ("HEAD", repo.default_branch, f"refs/heads/{repo.default_branch}") else repo.commit(rev)
        if commit is None:
            return None
        if not path:
            return self._commit(repo, commit)
        return self._tree_object(commit, path)

    # commits ------------------------------------------------------------------------------
    def _history(self, parent: dict[str, Any], info: Any, first: int | None = None, after: str | None = None,
                 last: int | None = None, before: str | None = None, path: str | None = None,
                 since: str | None = None, until: str | None = None) -> dict[str, Any]:
        repo, start = parent["_repo"], parent["_commit"]
        by_oid = {c.oid: c for c in repo.commits}
        chain = []
        cursor: Any = start
        while cursor is not None:
            chain.append(cursor)
            cursor = by_oid.get(cursor.parent) if cursor.parent else None
        lo = parse_ts(since) if since else None
        hi = parse_ts(until) if until else None
        matching = [c for c in chain
                    if (path is None or c.touches(path, by_oid.get(c.parent) if c.parent else None))
                    and (lo is None or c.committed_at >= lo) and (hi is None or c.committed_at <= hi)]
        offset = _offset(after, start.oid) if after else 0
        size = first if first is not None else (last or 0)
        page = matching[offset:offset + size]
        end = offset + len(page)
        return {"nodes": [self._commit(repo, c) for c in page], "totalCount": len(matching),
                "pageInfo": {"hasNextPage": end < len(matching), "hasPreviousPage": offset > 0,
                             "endCursor": _cursor(start.oid, end) if page else None,
                             "startCursor": _cursor(start.oid, offset + 1) if page else None}}

    def _root_tree(self, parent: dict[str, Any], info: Any) -> dict[str, Any]:
        """The commit's root tree, with the sha the REST trees endpoint gives the same files."""
        from tests.sources.github_server import tree_sha_of

        tree = self._tree_object(parent["_commit"], "") or {"__typename": "Tree", "entries": []}
        oid = tree_sha_of(parent["_commit"].files, parent["_repo"].default_branch)
        return {**tree, "oid": oid, "abbreviatedOid": oid[:7]}

    def _file(self, parent: dict[str, Any], info: Any, path: str) -> Any:
        commit = parent["_commit"]
        obj = self._tree_object(commit, path)
        if obj is None:
            return None
        name = path.rstrip("/").rsplit("/", 1)[-1]
        return {"name": name, "path": path, "oid": obj["oid"], "type": "blob" if obj["__typename"] == "Blob" else "tree",
                "mode": 33188 if obj["__typename"] == "Blob" else 16384, "object": obj}

    def _tree_object(self, commit: Any, path: str) -> dict[str, Any] | None:
        path = path.strip("/")
        if path in commit.files:
            return self._blob(commit.files[path])
        prefix = path + "/" if path else ""
        children = sorted({p[len(prefix):].split("/")[0] for p in commit.files if p.startswith(prefix)})
        if not children:
            return None
        entries = []
        for name in children:
            child = prefix + name
            obj = self._tree_object(commit, child)
            assert obj is not None
            entries.append({"name": name, "path": child, "oid": obj["oid"],
                            "type": "blob" if obj["__typename"] == "Blob" else "tree",
                            "mode": 33188 if obj["__typename"] == "Blob" else 16384, "object": obj})
        oid = hashlib.sha1(("tree " + "\n".join(f"{e['name']} {e['oid']}" for e in entries)).encode()).hexdigest()
        return {"__typename": "Tree", "oid": oid, "abbreviatedOid": oid[:7], "entries": entries}

    def _blob(self, content: bytes) -> dict[str, Any]:
        from tests.sources.github_server import git_blob_sha

        oid = git_blob_sha(content)
        binary = b"\0" in content
        text: str | None = None
        truncated = False
        if not binary:
            cut = content[:self.text_limit]
            truncated = len(content) > self.text_limit
            try:
                text = cut.decode("utf-8")
            except UnicodeDecodeError:
                try:  # cut inside a multi-byte character: GitHub cuts on a character boundary
                    text = cut.decode("utf-8", errors="strict" if not truncated else "ignore")
                except UnicodeDecodeError:
                    binary = True
        return {"__typename": "Blob", "oid": oid, "abbreviatedOid": oid[:7], "byteSize": len(content),
                "text": None if binary else text, "isBinary": binary, "isTruncated": truncated}

    def _check_suites(self, parent: dict[str, Any], info: Any, first: int | None = None, after: str | None = None,
                      last: int | None = None, before: str | None = None) -> dict[str, Any]:
        repo, commit = parent["_repo"], parent["_commit"]
        suites = [r for r in repo.runs if getattr(r, "head_sha", None) == commit.oid]
        size = first if first is not None else (last or 0)
        return {"nodes": [{"id": f"CS_{r.id}"} for r in suites[:size]], "totalCount": len(suites),
                "pageInfo": {"hasNextPage": len(suites) > size, "hasPreviousPage": False,
                             "endCursor": None, "startCursor": None}}

    def _deployments(self, parent: dict[str, Any], info: Any, first: int | None = None, after: str | None = None,
                     last: int | None = None, before: str | None = None, orderBy: Any = None,  # noqa: N803
                     environments: list[str] | None = None) -> dict[str, Any]:
        repo = parent["_repo"]
        items = sorted(repo.deployments, key=lambda d: (d.created_at, d.id),
                       reverse=(orderBy or {}).get("direction") == "DESC")
        if environments:
            items = [d for d in items if d.environment in environments]
        offset = _offset(after, "deployments") if after else 0
        size = first if first is not None else (last or 0)
        page = items[offset:offset + size]
        end = offset + len(page)
        nodes = []
        for d in page:
            latest = max(d.statuses, key=lambda s: s[0]) if d.statuses else None
            nodes.append({"databaseId": d.id, "environment": d.environment, "commitOid": d.sha,
                          "ref": {"name": d.ref}, "createdAt": iso(d.created_at), "updatedAt": iso(d.updated_at),
                          "latestStatus": None if latest is None else {"state": latest[1].upper(),
                                                                       "createdAt": iso(latest[2])}})
        return {"nodes": nodes, "totalCount": len(items),
                "pageInfo": {"hasNextPage": end < len(items), "hasPreviousPage": offset > 0,
                             "endCursor": _cursor("deployments", end) if page else None, "startCursor": None}}


def _cursor(anchor: str, offset: int) -> str:
    return base64.b64encode(f"{anchor} {offset}".encode()).decode()


def _offset(cursor: str, anchor: str) -> int:
    try:
        got_anchor, offset = base64.b64decode(cursor).decode().rsplit(" ", 1)
        if got_anchor != anchor:
            raise ValueError
        return int(offset)
    except (ValueError, UnicodeDecodeError) as exc:
        raise GraphQLError(f"`{cursor}` does not appear to be a valid cursor.", extensions={"type": "INVALID_CURSOR_ARGUMENTS"}) from exc


def _locations(exc: GraphQLError) -> list[dict[str, int]]:
    return [{"line": loc.line, "column": loc.column} for loc in exc.locations or ()]


def _github_error(error: GraphQLError) -> dict[str, Any]:
    """graphql-core's error in GitHub's shape: `type` at the top level, next to `path`."""
    out: dict[str, Any] = {"message": error.message, "locations": _locations(error)}
    if error.path:
        out["path"] = list(error.path)
    kind = (error.extensions or {}).get("type")
    if kind:
        out["type"] = kind
    return out
