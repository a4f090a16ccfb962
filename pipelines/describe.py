"""What a configuration would read, in words (for `pathlens check-config`)."""

from __future__ import annotations

import os

from rich.console import Group
from rich.table import Table
from rich.text import Text

from pipelines.config import Settings
from pipelines.repo_files import RepoFiles
from pipelines.template_repos import unreadable


def _env_state(name: str | None) -> str:
    """Whether an environment variable is set — never its value."""
    if not name:
        return "(none)"
    return f"${name} ({'set' if os.environ.get(name) else 'NOT SET'})"


def describe_settings(settings: Settings, path: os.PathLike[str] | str) -> Group:
    """A rich renderable listing sources, conventions and outputs; secrets shown as set/unset."""
    rows: list[tuple[str, str]] = [("configuration", str(path)), ("warehouse", settings.warehouse)]
    if settings.demo is not None:
        rows.append(("source", f"demo organisation (scale {settings.demo.scale}, seed {settings.demo.seed})"))
    if settings.github is not None:
        gh = settings.github
        auth = (
            f"GitHub App {gh.app_id}, installation {gh.installation_id}, key {gh.private_key_path}"
            if gh.uses_app_auth
            else f"token from {_env_state(gh.token_env)}"
        )
        rows += [
            ("github", f"org {gh.org} at {gh.api_url}"),
            ("github auth", auth),
            ("excluded repos", ", ".join(gh.exclude_repos) or "(none)"),
        ]
    if settings.backstage is not None:
        rows.append(("backstage", f"{settings.backstage.url} (token {_env_state(settings.backstage.token_env)})"))
    if settings.kubernetes is not None:
        k8s = settings.kubernetes
        rows += [
            ("kubernetes", f"contexts {', '.join(k8s.contexts) or '(none)'} from {k8s.kubeconfig}"),
            ("production contexts", ", ".join(k8s.production_contexts) or "(none)"),
            ("service label", f"{k8s.service_label} (else {k8s.fallback_label})"),
        ]
    services = settings.services
    rows += [
        ("files read", RepoFiles.from_settings(settings).describe()),
        ("service types", ", ".join(services.types)),
        ("escape hatch", f"{settings.escape_hatch.path} (GPU resources: {', '.join(settings.escape_hatch.gpu_resources)})"),
        ("exception requests", f"label {settings.exceptions.label!r} in {', '.join(settings.exceptions.repos) or '(no repos)'}"),
        ("platform CI", ", ".join(settings.ci.platform_workflow_repos) or "(none)"),
        ("CI backfill", f"{settings.ci.backfill_days} days"),
        ("production environments", ", ".join(settings.deploys.production_environments)),
        ("adoption threshold", f"{settings.adoption.threshold:.0%}"),
        ("team aliases", ", ".join(f"{a} → {o}" for a, o in settings.teams.aliases.items()) or "(none)"),
        ("reports", f"{settings.reports.out_dir} (webhook {_env_state(settings.reports.webhook_url_env)})"),
    ]
    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    for key, value in rows:
        table.add_row(key, Text(value))
    paths = Table(title="golden paths", show_header=True, header_style="bold")
    for col in ("name", "ref (Backstage template)", "source (copier / cruft)"):
        paths.add_column(col)
    for g in settings.golden_paths:
        paths.add_row(Text(g.name), Text(g.ref or "-"), Text(g.source or "-"))
    notes = [Text(f"golden path {u.golden_path!r}: {u.reason} ({u.source or 'no source'}); "
                  "its services' template drift is not computed", style="yellow")
             for u in unreadable(settings)]
    return Group(Text("configuration OK", style="bold green"), table, paths, *notes)
