"""The demo organisation's conventions: the `pathlens.yaml` that describes it, and the
Kubernetes facts a demo configuration cannot carry.

The generator (`pipelines.sources.demo`) writes repositories that follow these conventions, so
`demo_config_mapping()` is the configuration under which the demo's metrics mean something.
A configuration with `demo:` may not also name `kubernetes:` (or `github:`), so the clusters'
contexts, the production context, the service label and the excluded repo patterns are module
constants here for the pipeline to use in the demo's place.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pipelines import DEFAULT_WAREHOUSE

if TYPE_CHECKING:
    from pipelines.config import Settings

ORG = "acme"

# Golden-path template name → the language it scaffolds (`node-service` is TypeScript/JavaScript).
GOLDEN_PATH_TEMPLATES: dict[str, tuple[str, ...]] = {
    "go-service": ("go",),
    "python-service": ("python",),
    "node-service": ("typescript", "javascript"),
    "java-service": ("java",),
}
TEMPLATE_FOR_LANGUAGE: dict[str, str] = {
    lang: name for name, langs in GOLDEN_PATH_TEMPLATES.items() for lang in langs
}

PLATFORM_REPO = f"{ORG}/platform"  # where exception requests are filed
PLATFORM_WORKFLOWS_REPO = f"{ORG}/platform-workflows"  # the platform's reusable CI workflows
EXCEPTION_LABEL = "golden-path-exception"
PRODUCTION_ENVIRONMENTS = ("production",)
ADOPTION_THRESHOLD = 0.5

# Kubernetes, as `kubernetes:` would say it (it cannot be set together with `demo:`).
DEMO_CONTEXTS = ("prod-eu", "staging")
DEMO_PRODUCTION_CONTEXTS = ("prod-eu",)
DEMO_SERVICE_LABEL = "backstage.io/kubernetes-id"
DEMO_FALLBACK_LABEL = "app.kubernetes.io/name"
DEMO_PR_NAMESPACE_PATTERN = "pr-*"

# Repos a real configuration would leave out with `github.exclude_repos` (the demo has one or
# more `sandbox-*` repos holding a service spec; they are out of scope only if this is applied).
DEMO_EXCLUDE_REPOS = ("sandbox-*",)


def template_ref(name: str) -> str:
    """The Backstage `backstage.io/source-template` value of a golden-path template."""
    return f"template:default/{name}"


def template_source(name: str) -> str:
    """The copier/cruft source of a golden-path template, as the configuration writes it."""
    return f"gh:{ORG}/template-{name}"


def team_aliases() -> dict[str, str]:
    """`teams.aliases` for the demo: the short `team:X` label of each team → its owner
    (the catalogs write owners as `group:default/team-X` or `team-X`)."""
    from pipelines.sources.demo.names import TEAM_WORDS

    return {word: f"group:default/team-{word}" for word in TEAM_WORDS}


def demo_kubernetes_mapping() -> dict[str, Any]:
    """The `kubernetes:` section the demo clusters would have in a real configuration."""
    return {
        "contexts": list(DEMO_CONTEXTS),
        "production_contexts": list(DEMO_PRODUCTION_CONTEXTS),
        "service_label": DEMO_SERVICE_LABEL,
        "fallback_label": DEMO_FALLBACK_LABEL,
        "pr_namespace_pattern": DEMO_PR_NAMESPACE_PATTERN,
    }


def demo_config_mapping(
    scale: str = "default",
    seed: int = 7,
    warehouse: str = DEFAULT_WAREHOUSE,
    as_of: str | date | datetime | None = None,
) -> dict[str, Any]:
    """The `pathlens.yaml` mapping (SPEC §5 shape) for the demo organisation.

    Returns a plain dict for `pipelines.config.parse_settings`; `as_of` (the demo's "now") is
    kept as an ISO string, or None for "today".
    """
    if isinstance(as_of, date):  # datetime is a date too
        as_of = as_of.isoformat()
    return {
        "warehouse": warehouse,
        "demo": {"scale": scale, "seed": seed, "as_of": as_of},
        "services": {
            "catalog_file": "catalog-info.yaml",
            "spec_file": "service.yaml",
            "types": ["service", "website"],
        },
        "golden_paths": [
            {"name": name, "ref": template_ref(name), "source": template_source(name),
             "languages": list(languages)}
            for name, languages in GOLDEN_PATH_TEMPLATES.items()
        ],
        "escape_hatch": {
            "path": "service.kubernetes_override",
            "gpu_resources": ["nvidia.com/gpu", "amd.com/gpu"],
        },
        "exceptions": {"repos": [PLATFORM_REPO], "label": EXCEPTION_LABEL},
        "ci": {"platform_workflow_repos": [PLATFORM_WORKFLOWS_REPO]},
        "deploys": {"production_environments": list(PRODUCTION_ENVIRONMENTS)},
        "adoption": {"threshold": ADOPTION_THRESHOLD},
        "teams": {"aliases": team_aliases()},
    }


def demo_settings(scale: str = "default", seed: int = 7, warehouse: str = DEFAULT_WAREHOUSE,
                  as_of: str | None = None) -> Settings:
    """The configuration `pathlens demo` uses: the demo organisation's own conventions."""
    from pipelines.config import parse_settings

    return parse_settings(demo_config_mapping(scale=scale, seed=seed, warehouse=warehouse, as_of=as_of), "(demo)")
