"""Which repositories hold the golden paths' templates and the platform's CI workflows.

One decision, read by the GitHub source (what to fetch) and by the SQL models (through
`golden_paths.template_repo`): a golden path's `source` names a GitHub repository when
`facts.template_answers.github_repo` says so for the configured GitHub's host; any other source (a local path,
another host) has no commit history pathlens can read, and its services' drift is NULL with
that reason (SPEC §3 "Template drift").
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.config import Settings
from pipelines.facts.template_answers import github_repo, github_web_host


@dataclass(frozen=True)
class Unreadable:
    """A golden path whose template history cannot be read, and why (one line)."""

    golden_path: str
    source: str | None
    reason: str


def web_host(settings: Settings) -> str:
    return github_web_host(settings.github.api_url) if settings.github is not None else "github.com"


def golden_path_repo(settings: Settings, source: str | None) -> str | None:
    """The `owner/name` (lower case) of a golden path's template repository, or None."""
    return github_repo(source, web_host(settings)) if source else None


def tracked_repos(settings: Settings) -> list[str]:
    """The repos whose commit graph and tags are read: every golden path's template repo and
    every `ci.platform_workflow_repos` entry, lower case, deduplicated, in configuration order."""
    repos = [golden_path_repo(settings, g.source) for g in settings.golden_paths]
    repos += [r.lower() for r in settings.ci.platform_workflow_repos]
    return list(dict.fromkeys(r for r in repos if r))


def unreadable(settings: Settings) -> list[Unreadable]:
    """Golden paths without a readable template history, each with the reason shown for its
    services in `marts.template_drift.unresolved_reason`."""
    out = []
    for g in settings.golden_paths:
        if not g.source:
            out.append(Unreadable(g.name, None, "golden path has no template source"))
        elif golden_path_repo(settings, g.source) is None:
            out.append(Unreadable(g.name, g.source, "template source is not a GitHub repository"))
    return out
