"""The configuration as tables, so SQL models can join against it.

`config.settings` has one row (the refresh's `as_of` and every list the metrics need);
`config.golden_paths` one row per configured template, with its source normalised;
`config.team_aliases` one row per `teams.aliases` entry.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from pipelines.config import Settings
from pipelines.facts import normalise_template_source
from pipelines.repo_files import RepoFiles
from pipelines.sources.registry import source_scope


def settings_frame(settings: Settings, *, as_of: datetime, refresh_id: str) -> pl.DataFrame:
    """One row: what the SQL models need to know about this refresh and its configuration."""
    scope = source_scope(settings)
    k8s = scope.kubernetes
    strings = pl.List(pl.String)
    return pl.DataFrame(
        {
            "refresh_id": [refresh_id],
            "source": ["demo" if settings.is_demo else "github"],
            "as_of": [as_of],
            "service_types": pl.Series([list(settings.services.types)], dtype=strings),
            # as the tree spells them (pipelines.repo_files): `./catalog-info.yaml` is `catalog-info.yaml`
            "catalog_file": [RepoFiles.from_settings(settings).catalog_file],
            "spec_file": [RepoFiles.from_settings(settings).spec_file],
            "exclude_repos": pl.Series([list(scope.exclude_repos)], dtype=strings),
            "adoption_threshold": [float(settings.adoption.threshold)],
            "exceptions_repos": pl.Series([[r.lower() for r in settings.exceptions.repos]], dtype=strings),
            "exceptions_label": [settings.exceptions.label.lower()],
            "platform_workflow_repos": pl.Series(
                [[r.lower() for r in settings.ci.platform_workflow_repos]], dtype=strings
            ),
            "kubernetes_contexts": pl.Series([list(k8s.contexts)], dtype=strings),
            "production_contexts": pl.Series([list(k8s.production_contexts)], dtype=strings),
            "production_environments": pl.Series(
                [list(settings.deploys.production_environments)], dtype=strings
            ),
            "service_label": [k8s.service_label],
            "fallback_label": [k8s.fallback_label],
            "pr_namespace_pattern": [k8s.pr_namespace_pattern],
            "history_backfill_days": [settings.history.backfill_days],
            # template drift (marts.template_health): commits behind that count as "far behind"
            "drift_commits": [settings.alerts.drift_commits],
            "template_stale_days": pl.Series([settings.alerts.template_stale_days], dtype=pl.Int64),
        },
        schema_overrides={"as_of": pl.Datetime("us")},
    )


def team_aliases_frame(settings: Settings) -> pl.DataFrame:
    """One row per `teams.aliases` entry: the alias (trimmed, lower case, as labels and owners
    are compared) and the owner it stands for, as written (SQL reads it as an entity reference)."""
    aliases = settings.teams.aliases
    return pl.DataFrame(
        {"alias": [a.strip().lower() for a in aliases], "owner": [o.strip() for o in aliases.values()]},
        schema={"alias": pl.String, "owner": pl.String},
    )


def gpu_resources_frame(settings: Settings) -> pl.DataFrame:
    """One row: the resource names that count as GPUs (escape_hatch.gpu_resources)."""
    return pl.DataFrame(
        {"gpu_resources": pl.Series([list(settings.escape_hatch.gpu_resources)], dtype=pl.List(pl.String))}
    )


def golden_paths_frame(settings: Settings) -> pl.DataFrame:
    """One row per configured golden path; `source_norm` compares equal across spellings,
    `template_repo` is the GitHub repo whose history is read (NULL: not a GitHub repository),
    `languages` the languages it serves, lower case (NULL when the configuration lists none)."""
    from pipelines.template_repos import golden_path_repo

    paths = settings.golden_paths
    return pl.DataFrame(
        {
            "position": list(range(len(paths))),
            "name": [g.name for g in paths],
            "ref": [g.ref for g in paths],
            "source": [g.source for g in paths],
            "source_norm": [normalise_template_source(g.source) if g.source else None for g in paths],
            "template_repo": [golden_path_repo(settings, g.source) for g in paths],
            "languages": [None if g.languages is None else sorted({lang.strip().lower() for lang in g.languages})
                          for g in paths],
        },
        schema={"position": pl.Int32, "name": pl.String, "ref": pl.String, "source": pl.String,
                "source_norm": pl.String, "template_repo": pl.String, "languages": pl.List(pl.String)},
    )
