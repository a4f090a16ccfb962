"""`generate`: the demo organisation as raw tables, plus the intent they were made from."""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from pipelines.raw_schema import RAW_TABLES
from pipelines.sources.demo import files, ids
from pipelines.sources.demo.deploys import generate_deploys, plan_deploys
from pipelines.sources.demo.history import HistoryEvent, generate_versions, golden_at_creation
from pipelines.sources.demo.issues import generate_issues
from pipelines.sources.demo.plan import Plan, build_plan
from pipelines.sources.demo.runs import RepoRuns, generate_runs
from pipelines.sources.demo.scales import SCALES, SECOND
from pipelines.sources.demo.templates import generate_histories

TABLES = ("repos", "repo_files", "repo_file_versions", "workflow_runs", "deployments", "issues",
          "template_commits", "template_refs", "k8s_namespaces",
          "k8s_workloads", "k8s_replicasets")

INTENT_SCHEMA = {
    "service": pl.String,
    "repo": pl.String,  # OWNER/NAME
    "team": pl.String,  # the owning team's name, however `owner` spells it
    "owner": pl.String,  # spec.owner exactly as written; NULL when not catalogued
    "language": pl.String,  # spec language, else GitHub's, lower case
    "lifecycle": pl.String,
    "kind": pl.String,  # spec.type (service | website); NULL when not catalogued
    "created_at": pl.Datetime("us"),
    "catalogued": pl.Boolean,
    "golden_path": pl.String,  # template name, NULL when DIY
    "golden_path_at_creation": pl.String,  # the same at the end of its creation day (history.py)
    "has_service_spec": pl.Boolean,
    "escape_hatch": pl.Boolean,
    "escape_hatch_reasons": pl.List(pl.String),  # sorted; empty when no escape hatch
    "escape_hatch_variant": pl.String,  # how the override is written (see escapes.py)
    "uses_platform_ci": pl.Boolean,
    "archived": pl.Boolean,
    "forked": pl.Boolean,
    "excluded": pl.Boolean,  # matches DEMO_EXCLUDE_REPOS (`sandbox-*`)
    "in_scope": pl.Boolean,  # not archived, not forked, not excluded
    "first_production_deploy_at": pl.Datetime("us"),
}


@dataclass(frozen=True)
class DemoOrg:
    """A generated organisation.

    `tables`: raw table name → frame with exactly `RAW_TABLES[name].columns` (types castable by
    `warehouse.conform`; `workflow_runs` keeps its text columns as `pl.Categorical`).
    `intent`: one row per service the generator meant to create, in scope or not (see
    `in_scope`); the truth to compare `marts.services` and friends with.
    `intent_exceptions`: one row per intended exception request (labelled issue, not a PR), with
    the `service` it is about (None: the service it names does not exist, or it names none).
    `history`: the dated changes the file history was made from (history.py), oldest first.
    """

    scale: str
    seed: int
    as_of: datetime
    tables: dict[str, pl.DataFrame]
    intent: pl.DataFrame
    intent_exceptions: pl.DataFrame
    history: tuple[HistoryEvent, ...] = ()


def generate(scale: str, seed: int, as_of: datetime) -> DemoOrg:
    """The demo organisation for (`scale`, `seed`, `as_of`); the same arguments give identical
    frames. Memoised per process. `as_of` is the organisation's "now" (naive = UTC); nothing in
    it happens later. Raises ValueError for an unknown scale."""
    if scale not in SCALES:
        raise ValueError(f"unknown demo scale {scale!r}; expected one of {sorted(SCALES)}")
    if as_of.tzinfo is not None:
        as_of = as_of.astimezone(UTC).replace(tzinfo=None)
    return _generate(scale, int(seed), as_of)


def forget_generated() -> None:
    """Drop the memoised organisations (a large one holds gigabytes once it is loaded)."""
    _generate.cache_clear()


@functools.lru_cache(maxsize=4)
def _generate(scale_name: str, seed: int, as_of: datetime) -> DemoOrg:
    scale = SCALES[scale_name]
    as_of_us = _micros(as_of) // SECOND * SECOND
    streams = np.random.SeedSequence([seed, list(SCALES).index(scale_name)]).spawn(7)
    rngs = [np.random.default_rng(s) for s in streams]
    rnds = [random.Random(int(s.generate_state(1, np.uint64)[0])) for s in streams]

    plan = build_plan(scale, rnds[0], as_of_us)
    histories = generate_histories(plan, rnds[6])  # pins template commits: before the files
    repos, repo_files = _repo_tables(plan, rngs[0])
    runs = generate_runs(_runs_inputs(plan, rnds[1]), rngs[1], as_of_us)
    deployed = plan_deploys(plan, rnds[2])
    k8s = generate_deploys(plan, deployed, rngs[2], rnds[3])
    versions, history = generate_versions(plan, rnds[5])
    issues, exceptions = generate_issues(plan, rngs[4], rnds[4], _hatch_since(plan, history))

    tables = {
        "repos": repos,
        "repo_files": repo_files,
        "repo_file_versions": versions,
        "workflow_runs": runs,
        "deployments": k8s.deployments,
        "issues": issues,
        "template_commits": histories.commits,
        "template_refs": histories.refs,
        "k8s_namespaces": k8s.namespaces,
        "k8s_workloads": k8s.workloads,
        "k8s_replicasets": k8s.replicasets,
    }
    tables = {name: frame.select(list(RAW_TABLES[name].columns)) for name, frame in tables.items()}
    tables = {name: frame if name == "workflow_runs" else _whole_seconds(frame)  # already is
              for name, frame in tables.items()}
    intent = _whole_seconds(_intent(plan, k8s.first_production, golden_at_creation(plan, history)))
    return DemoOrg(scale_name, seed, as_of, tables, intent, _whole_seconds(exceptions), tuple(history))


def _hatch_since(plan: Plan, history: list[HistoryEvent]) -> dict[tuple[str, str], int]:
    """(repo, service) → when its escape hatch first appears: its first `escape_hatch_added`
    event, else the service's creation (it had the hatch from the start), for every in-scope
    service with an escape hatch today."""
    added: dict[tuple[str, str | None], int] = {}
    for event in history:
        if event.kind == "escape_hatch_added":
            added[(event.repo, event.service)] = min(event.at_us, added.get((event.repo, event.service), event.at_us))
    return {(repo.full_name, svc.name): added.get((repo.full_name, svc.name), svc.created_us)
            for repo, svc in plan.services()
            if not (repo.archived or repo.fork or repo.excluded) and svc.spec is not None and svc.spec.escape is not None}


def _whole_seconds(frame: pl.DataFrame) -> pl.DataFrame:
    """Timestamps to the second, as GitHub and Kubernetes report them (flooring keeps every
    instant at or before `as_of`)."""
    return frame.with_columns(pl.col(pl.Datetime("us")).dt.truncate("1s"))


def _micros(dt: datetime) -> int:
    """Microseconds since the epoch of a naive UTC datetime, in integer arithmetic."""
    return (dt - datetime(1970, 1, 1)) // timedelta(microseconds=1)


def _ts(values: list[int | None]) -> pl.Series:
    return pl.Series(values, dtype=pl.Int64).cast(pl.Datetime("us"))


def _repo_tables(plan: Plan, rng: np.random.Generator) -> tuple[pl.DataFrame, pl.DataFrame]:
    repos = plan.repos
    repo_frame = pl.DataFrame({
        "repo": [r.full_name for r in repos],
        "name": [r.name for r in repos],
        "created_at": _ts([r.created_us for r in repos]),
        "pushed_at": _ts([r.pushed_us for r in repos]),
        "language": pl.Series([r.language for r in repos], dtype=pl.String),
        "archived": [r.archived for r in repos],
        "fork": [r.fork for r in repos],
        "default_branch": [r.default_branch for r in repos],
        "tree_sha": ids.hex_strings(rng, len(repos)),
        "html_url": [f"https://github.com/{r.full_name}" for r in repos],
        "fetched_at": _ts([plan.as_of_us] * len(repos)),
    })
    rows: dict[str, list] = {"repo": [], "path": [], "sha": [], "size": [], "content": []}
    for repo in repos:
        for path, text in files.render(repo).items():
            sha, size = ids.git_blob_sha(text)
            rows["repo"].append(repo.full_name)
            rows["path"].append(path)
            rows["sha"].append(sha)
            rows["size"].append(size)
            rows["content"].append(text)
    file_frame = pl.DataFrame(rows, schema={"repo": pl.String, "path": pl.String, "sha": pl.String,
                                            "size": pl.Int64, "content": pl.String})
    file_frame = file_frame.with_columns(fetched_at=pl.lit(plan.as_of_us).cast(pl.Datetime("us")))
    return repo_frame, file_frame


def _runs_inputs(plan: Plan, rnd: random.Random) -> RepoRuns:
    """Per-repo inputs for the run generator: every repo with workflow files, bar forks."""
    chosen = [r for r in plan.repos if files.workflow_paths(r) and not r.fork and r.runs_per_week]
    workflows: list[tuple[int, str, str]] = []
    ci_index, release_index = [], []
    workflow_id = 71_000_000
    for repo in chosen:
        paths = files.workflow_paths(repo)
        indices = []
        for path in paths:
            workflow_id += rnd.randint(1, 5000)
            indices.append(len(workflows))
            workflows.append((workflow_id, files.workflow_name(repo, path), path))
        ci_index.append(indices[0])
        release_index.append(indices[1] if len(indices) > 1 else -1)
    return RepoRuns(
        repo=[r.full_name for r in chosen],
        start_us=np.array([r.created_us for r in chosen], dtype=np.int64),
        end_us=np.array([r.end_us for r in chosen], dtype=np.int64),
        rate=np.array([r.runs_per_week for r in chosen], dtype=np.float64),
        golden=np.array([r.golden for r in chosen], dtype=bool),
        default_branch=[r.default_branch for r in chosen],
        ci_workflow=np.array(ci_index, dtype=np.int64),
        release_workflow=np.array(release_index, dtype=np.int64),
        workflows=workflows,
        language=[r.services[0].language if r.services else None for r in chosen],
    )


def _intent(plan: Plan, first_production: dict[str, int], at_creation: list[str | None]) -> pl.DataFrame:
    rows = []
    for (repo, svc), golden_then in zip(plan.services(), at_creation, strict=True):
        spec = svc.spec
        escape = spec.escape if spec is not None else None
        language = spec.language if spec is not None and spec.language else (repo.language or "").lower()
        rows.append({
            "service": svc.name,
            "repo": repo.full_name,
            "team": svc.team.name,
            "owner": svc.team.owner if svc.catalogued else None,
            "language": language or None,
            "lifecycle": svc.lifecycle if svc.catalogued else None,
            "kind": svc.kind if svc.catalogued else None,
            "created_at": svc.created_us,
            "catalogued": svc.catalogued,
            "golden_path": svc.golden,
            "golden_path_at_creation": golden_then,
            "has_service_spec": spec is not None,
            "escape_hatch": escape is not None,
            "escape_hatch_reasons": sorted(escape.reasons) if escape else [],
            "escape_hatch_variant": escape.variant if escape else None,
            "uses_platform_ci": repo.platform_ci,
            "archived": repo.archived,
            "forked": repo.fork,
            "excluded": repo.excluded,
            "in_scope": not (repo.archived or repo.fork or repo.excluded),
            "first_production_deploy_at": first_production.get(svc.name),
        })
    schema = dict(INTENT_SCHEMA, created_at=pl.Int64, first_production_deploy_at=pl.Int64)
    frame = pl.DataFrame(rows, schema=schema)
    return frame.with_columns(
        pl.col("created_at", "first_production_deploy_at").cast(pl.Datetime("us"))
    ).sort("created_at", "service")
