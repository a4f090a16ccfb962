"""Which loader fills the raw tables: the live sources, or the demo organisation.

Every loader has `load_into(con, refresh_id) -> dict` (metadata) and writes the same raw
tables, so nothing downstream knows or cares which one ran.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import duckdb

from pipelines.config import KubernetesSettings, Settings
from pipelines.raw_schema import RAW_TABLES
from pipelines.warehouse import append

GITHUB_TABLES = ("repos", "repo_files", "repo_file_versions", "workflow_runs", "deployments", "issues",
                 "template_commits", "template_refs")
KUBERNETES_TABLES = ("k8s_namespaces", "k8s_workloads", "k8s_replicasets")

Progress = Callable[[str, int, int], None]


def plain_metadata(metadata: dict) -> dict:
    """A loader's metadata as Dagster can store it: numbers and strings, anything else as text."""
    return {k: v if isinstance(v, int | float | str) else str(v) for k, v in metadata.items()}


class Loader(Protocol):
    def load_into(self, con: duckdb.DuckDBPyConnection, refresh_id: str) -> dict: ...


@dataclass
class DemoLoader:
    """Loads some of the demo organisation's raw tables, as a live source would."""

    settings: Settings
    as_of: datetime
    tables: tuple[str, ...]

    def load_into(self, con: duckdb.DuckDBPyConnection, refresh_id: str) -> dict:
        from pipelines.sources.demo import generate

        demo = self.settings.demo
        org = generate(demo.scale, demo.seed, self.as_of)
        rows = {}
        for name in self.tables:
            table = RAW_TABLES[name]
            # The demo is the whole truth each time: replace, so nothing stale lingers. Its
            # natural keys are unique by construction (tests/sources/test_demo.py). No single
            # transaction around it all: DuckDB would hold millions of uncommitted rows in
            # memory, and an interrupted load is simply redone by the next refresh (nothing is
            # published from a failed one).
            con.execute(f"DELETE FROM {table.qualified}")
            rows[name] = append(con, table, org.tables[name])
        return {"source": "demo", **{f"rows_{k}": v for k, v in rows.items()}}


@dataclass(frozen=True)
class SourceScope:
    """What the SQL must know of the source's world beyond the shared settings: how its
    clusters label services (and which are production), and which repos are left out."""

    kubernetes: KubernetesSettings
    exclude_repos: tuple[str, ...]


def source_scope(settings: Settings) -> SourceScope:
    """The configured `kubernetes:` (its defaults without one) and `github.exclude_repos`; for
    the demo, which cannot carry those sections, the conventions its organisation follows."""
    if settings.is_demo:
        from pipelines.sources.demo_conventions import DEMO_EXCLUDE_REPOS, demo_kubernetes_mapping

        return SourceScope(KubernetesSettings(**demo_kubernetes_mapping()), DEMO_EXCLUDE_REPOS)
    return SourceScope(settings.kubernetes or KubernetesSettings(),
                       tuple(settings.github.exclude_repos) if settings.github else ())


def github_loader(settings: Settings, as_of: datetime, progress: Progress | None = None) -> Loader:
    """The demo's GitHub-shaped tables, or the live GitHub source."""
    if settings.is_demo:
        return DemoLoader(settings, as_of, GITHUB_TABLES)
    from pipelines.sources.github import GitHubSource

    return GitHubSource(settings, progress=progress)


def kubernetes_loader(settings: Settings, as_of: datetime) -> Loader | None:
    """The demo's Kubernetes tables, the live clusters, or None when none are configured."""
    if settings.is_demo:
        return DemoLoader(settings, as_of, KUBERNETES_TABLES)
    if settings.kubernetes is None:
        return None
    from pipelines.sources.kubernetes import KubernetesSource

    return KubernetesSource.from_settings(settings)
