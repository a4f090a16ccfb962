"""What moved in each repo since the last refresh, for 100 repos per GraphQL query.

Workflow runs exist only in REST, and a refresh that asks every repo for its runs spends a round
trip per repo even when the answer is a free 304. One batched query tells which repos need
asking, and brings the deployments with it:

```graphql
a0: repository(owner: "acme", name: "checkout") {
  pushedAt
  defaultBranchRef { target { ... on Commit { oid checkSuites { totalCount } } } }
  deployments(first: 10, orderBy: {field: CREATED_AT, direction: DESC}) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { databaseId environment commitOid ref { name } createdAt updatedAt latestStatus { state createdAt } } }
}
```

Two connections per repo (`checkSuites`, `deployments`): 100 repos cost 2 points.

- **Runs** are read (through REST, as before) only when the repo's `pushedAt`, its default
  branch's head or the number of check suites on that head changed (a scheduled or dispatched
  run adds a check suite to the head commit; a push or a pull request moves `pushedAt`), when
  the last read left runs that were not completed, or when it was more than `RUNS_RECHECK` ago
  (a re-run of an old run, or a run on another branch without a push, is seen within a day).
- **Deployments** come from this query: the newest ten with their latest status each refresh;
  when all ten are new (the first refresh, or a burst), further pages of 100 until a known one.
  Rows are written only for deployments that are new or whose latest status changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pipelines.sources.github.fetch import Context
from pipelines.sources.github.graphql import GraphQLClient, batch_size, literal, run_batched
from pipelines.sources.github.incremental import Batch, repo_problem
from pipelines.sources.github.rows import deployment_row, iso, ts
from pipelines.sources.problems import FetchProblem

RUNS_RECHECK = timedelta(hours=24)
NEWEST = 10
PAGE = 100
DEPLOYMENT = ("databaseId environment commitOid ref { name } createdAt updatedAt "
              "latestStatus { state createdAt }")


@dataclass
class Activity:
    """One repo's signals and its deployments batch; `runs_needed` says whether to ask REST."""

    repo: dict[str, Any]
    signals: dict[str, Any]  # pushed_at, head, check_suites
    batch: Batch
    runs_needed: bool


def _deployments(first: int, after: str | None) -> str:
    cursor = f", after: {literal(after)}" if after else ""
    return (f"deployments(first: {first}{cursor}, orderBy: {{field: CREATED_AT, direction: DESC}}) "
            f"{{ totalCount pageInfo {{ hasNextPage endCursor }} nodes {{ {DEPLOYMENT} }} }}")


def _fragment(repo: dict[str, Any]) -> str:
    owner, _, name = repo["repo"].partition("/")
    return (f"repository(owner: {literal(owner)}, name: {literal(name)}) {{ pushedAt "
            f"defaultBranchRef {{ target {{ ... on Commit {{ oid checkSuites {{ totalCount }} }} }} }} "
            f"{_deployments(NEWEST, None)} }}")


def read_activity(ctx: Context, gql: GraphQLClient, repos: list[dict[str, Any]],
                  stored: dict[str, dict[int, dict[str, Any]]]) -> list[Activity | FetchProblem]:
    """Signals and deployments of `repos` (one worker job): an Activity per repo, an FetchProblem
    per repo the query could not answer (its runs are then read as before, see `runs_needed`)."""
    out: list[Activity | FetchProblem] = []
    more: list[tuple[dict[str, Any], str, Batch]] = []
    size = batch_size(2, max_aliases=100)
    for start in range(0, len(repos), size):
        for result in run_batched(gql, "activity", repos[start:start + size], lambda alias, r: _fragment(r)):
            repo = result.item
            if result.error is not None:
                out.append(repo_problem(repo["repo"], result.error.endpoint, result.error.status, result.error.message))
                continue
            data = result.data or {}
            head = ((data.get("defaultBranchRef") or {}).get("target")) or {}
            signals = {"pushed_at": data.get("pushedAt"), "head": head.get("oid"),
                       "check_suites": (head.get("checkSuites") or {}).get("totalCount")}
            batch = Batch(f"activity {repo['repo']}")
            known = stored.get(repo["repo"], {})
            connection = data.get("deployments") or {}
            all_new = _take(ctx, batch, repo["repo"], connection, known)
            info = connection.get("pageInfo") or {}
            if all_new and info.get("hasNextPage") and info.get("endCursor"):
                more.append((repo, info["endCursor"], batch))
            out.append(Activity(repo, signals, batch, runs_needed(ctx, repo["repo"], signals)))
    _more_deployments(ctx, gql, more, stored, out)
    return out


def _take(ctx: Context, batch: Batch, full: str, connection: dict[str, Any], known: dict[int, dict[str, Any]]) -> bool:
    """Rows for new or changed deployments of one page; True when none on it was known."""
    nodes = [n for n in connection.get("nodes") or [] if n and n.get("databaseId") is not None]
    rows = []
    all_new = True
    for node in nodes:
        status = node.get("latestStatus")
        latest = None if status is None else {"state": str(status.get("state") or "").lower(),
                                              "created_at": status.get("createdAt")}
        item = {"id": node["databaseId"], "environment": node.get("environment"),
                "ref": (node.get("ref") or {}).get("name"), "sha": node.get("commitOid"),
                "created_at": node.get("createdAt")}
        try:
            row = deployment_row(full, item, latest, ctx.now)
        except ValueError as exc:  # an unreadable date: this deployment is noted, the rest go on
            batch.notes.append(repo_problem(full, "POST /graphql activity", None,
                                           f"deployment {node['databaseId']} skipped: {exc}"))
            continue
        stored_row = known.get(node["databaseId"])
        if stored_row is not None:
            all_new = False
            if all(stored_row.get(k) == row[k] for k in ("environment", "status_state", "status_at")):
                continue
        rows.append(row)
    batch.add_rows("deployments", rows)
    return all_new


def _more_deployments(ctx: Context, gql: GraphQLClient, more: list[tuple[dict[str, Any], str, Batch]],
                      stored: dict[str, dict[int, dict[str, Any]]], out: list[Activity | FetchProblem]) -> None:
    while more:
        def fragment(alias: str, item: tuple[dict[str, Any], str, Batch]) -> str:
            owner, _, name = item[0]["repo"].partition("/")
            return f"repository(owner: {literal(owner)}, name: {literal(name)}) {{ {_deployments(PAGE, item[1])} }}"

        todo, more = more, []
        for result in run_batched(gql, "deployments", todo, fragment):
            repo, _, batch = result.item
            if result.error is not None:
                out.append(repo_problem(repo["repo"], result.error.endpoint, result.error.status, result.error.message))
                batch.rows.pop("deployments", None)  # keep none of a partial read: the next refresh redoes it
                continue
            connection = (result.data or {}).get("deployments") or {}
            all_new = _take(ctx, batch, repo["repo"], connection, stored.get(repo["repo"], {}))
            info = connection.get("pageInfo") or {}
            if all_new and info.get("hasNextPage") and info.get("endCursor"):
                more.append((repo, info["endCursor"], batch))


def runs_needed(ctx: Context, full: str, signals: dict[str, Any] | None) -> bool:
    """Whether a repo's runs must be asked for (see the module docstring). With `signals` None:
    whether they must be asked for whatever the signals will say (no state, runs in progress,
    or due for the daily re-check)."""
    prev = ctx.state.get(full, "activity")
    runs = ctx.state.get(full, "runs") or {}
    if prev is None or not runs or runs.get("open"):
        return True
    checked = ts(prev.get("checked_at"))
    if checked is None or ctx.now - checked >= RUNS_RECHECK:
        return True
    return signals is not None and any(prev.get(k) != signals.get(k) for k in ("pushed_at", "head", "check_suites"))


def activity_state(ctx: Context, activity: Activity) -> dict[str, Any]:
    """The `activity` state to store once the runs were read (with the runs' own batch)."""
    return {**activity.signals, "checked_at": iso(ctx.now)}
