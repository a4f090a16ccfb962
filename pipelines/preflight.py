"""Problems a configuration will meet on this machine, found before anything is fetched.

`pathlens check-config` reports them: an unset credential variable, a missing GitHub App key
file, a kubeconfig that is not there or lacks a configured context. Only local files and the
names of environment variables are looked at; no secret value is read into a message.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import yaml

from pipelines.config import Settings


def preflight_problems(settings: Settings, environ: Mapping[str, str] = os.environ) -> list[str]:
    """One line per problem, naming the key path and what to fix; empty when all is in place."""
    problems: list[str] = []
    gh = settings.github
    if gh is not None:
        if gh.uses_app_auth:
            key = Path(gh.private_key_path).expanduser()
            if not key.is_file():
                problems.append(f"github.private_key_path: no file at {key}")
        elif gh.token_env and not environ.get(gh.token_env):
            problems.append(f"github.token_env: the environment variable {gh.token_env} is not set")
    if settings.backstage is not None and settings.backstage.token_env and not environ.get(settings.backstage.token_env):
        problems.append(f"backstage.token_env: the environment variable {settings.backstage.token_env} is not set")
    if settings.kubernetes is not None:
        problems += _kubeconfig_problems(settings)
    return problems


def _kubeconfig_problems(settings: Settings) -> list[str]:
    k8s = settings.kubernetes
    path = Path(k8s.kubeconfig).expanduser()
    if not path.is_file():
        return [f"kubernetes.kubeconfig: no file at {path}"]
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        known = {c.get("name") for c in config.get("contexts") or [] if isinstance(c, dict)}
    except (OSError, yaml.YAMLError, AttributeError) as exc:
        return [f"kubernetes.kubeconfig: {path} is not a readable kubeconfig ({type(exc).__name__})"]
    problems = [
        f"kubernetes.contexts[{i}]: no context {name!r} in {path}"
        for i, name in enumerate(k8s.contexts)
        if name not in known
    ]
    return problems
