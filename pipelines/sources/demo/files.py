"""The text of each demo repo's files, as a team would have written them.

Only the files pathlens reads are rendered: `catalog-info.yaml`, `service.yaml`,
`.copier-answers.yml`, `.cruft.json` and `.github/workflows/*.yml`. Texts come from small
templates filled per repo (fast enough for 10k repos) and vary the way real repos do: comments,
quoting, a leading `---`, several documents, the top-level `on:` of every workflow.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from pipelines.sources.demo.plan import Repo, Service, Spec
from pipelines.sources.demo_conventions import PLATFORM_WORKFLOWS_REPO

CATALOG = "catalog-info.yaml"
SPEC = "service.yaml"
COPIER = ".copier-answers.yml"
CRUFT = ".cruft.json"
CI = ".github/workflows/ci.yml"
RELEASE = ".github/workflows/release.yml"
LOCAL_REUSABLE = ".github/workflows/_test.yml"

PLATFORM_TEAM = "group:default/team-platform"
_PLAIN = re.compile(r"[A-Za-z0-9/][A-Za-z0-9_./:@+-]*")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def q(value: str) -> str:
    """A YAML scalar for `value`: plain when that reads back as the same string, else quoted."""
    if _PLAIN.fullmatch(value) and value.lower() not in _YAML_WORDS and not _numberish(value):
        return value
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def _numberish(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def workflow_name(repo: Repo, path: str) -> str:
    """The `name:` of one of the repo's workflow files (what a workflow run reports)."""
    if path == RELEASE:
        return "Release"
    if repo.kind == "platform-workflows":
        return "Self-test"
    if repo.kind == "platform":
        return "Terraform"
    if repo.platform_ci and repo.ci != "platform-release":
        return "CI"
    return ("Build and test", "ci", "Test")[len(repo.name) % 3]


def workflow_paths(repo: Repo) -> list[str]:
    """The workflow files that produce runs, first the main one."""
    if repo.ci is None:
        return []
    return [CI, RELEASE] if repo.release else [CI]


def render(repo: Repo) -> dict[str, str]:
    """Every file of `repo` pathlens reads, path → text."""
    files: dict[str, str] = {}
    if repo.catalog:
        files[CATALOG] = catalog_info(repo)
    if repo.spec is not None:
        files[SPEC] = service_spec(repo.spec, repo)
    if repo.answers is not None:
        if repo.answers.tool == "copier":
            files[COPIER] = copier_answers(repo)
        else:
            files[CRUFT] = cruft_json(repo)
    files.update(workflows(repo))
    return files


# --- catalog-info.yaml ---------------------------------------------------------------------

def _component(name: str, type_: str, owner: str, *, lifecycle: str | None = None,
               annotations: list[tuple[str, str]] = (), description: str = "",
               tags: list[str] = (), system: str | None = None,
               provides_api: str | None = None) -> str:
    lines = ["apiVersion: backstage.io/v1alpha1", "kind: Component", "metadata:", f"  name: {name}"]
    if description:
        lines.append(f"  description: {q(description)}")
    if annotations:
        lines.append("  annotations:")
        lines += [f"    {k}: {q(v)}" for k, v in annotations]
    if tags:
        lines.append("  tags:")
        lines += [f"    - {t}" for t in tags]
    lines += ["spec:", f"  type: {type_}"]
    if lifecycle:
        lines.append(f"  lifecycle: {lifecycle}")
    lines.append(f"  owner: {q(owner)}")
    if system:
        lines.append(f"  system: {system}")
    if provides_api:
        lines += ["  providesApis:", f"    - {provides_api}"]
    return "\n".join(lines) + "\n"


def _api(name: str, owner: str, system: str | None) -> str:
    return (
        "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n"
        f"  name: {name}\n  description: {q('HTTP API of ' + name.removesuffix('-api'))}\n"
        f"spec:\n  type: openapi\n  lifecycle: production\n  owner: {q(owner)}\n"
        + (f"  system: {system}\n" if system else "")
        + "  definition:\n    $text: ./openapi.yaml\n"
    )


def _system(name: str, owner: str, description: str) -> str:
    return ("apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n"
            f"  name: {name}\n  description: {q(description)}\nspec:\n  owner: {q(owner)}\n")


def _service_component(svc: Service, repo: Repo, system: str | None) -> str:
    annotations = [("github.com/project-slug", repo.full_name)]
    if svc.source_template:
        annotations.append(("backstage.io/source-template", svc.source_template))
    if svc.template_version:
        annotations.append(("backstage.io/template-version", svc.template_version))
    if svc.kubernetes_id:
        annotations.append(("backstage.io/kubernetes-id", svc.name))
    spec = svc.spec
    if spec is not None and spec.escape is not None and spec.escape.declared:
        annotations.append(("pathlens.io/escape-hatch-reason", spec.escape.declared))
    if len(svc.name) % 3 == 0:
        annotations.append(("backstage.io/techdocs-ref", "dir:."))
    provides = f"{svc.name}-api" if len(svc.name) % 5 == 0 and svc.kind == "service" else None
    doc = _component(svc.name, svc.kind, svc.team.owner, lifecycle=svc.lifecycle,
                     annotations=annotations, description=svc.description,
                     tags=[svc.language] if len(svc.name) % 2 else [], system=system,
                     provides_api=provides)
    if provides:
        doc += "---\n" + _api(provides, svc.team.owner, system)
    return doc


def catalog_info(repo: Repo) -> str:
    """The repo's Backstage catalog file (one or more documents)."""
    owner = repo.team.owner if repo.team else PLATFORM_TEAM
    docs: list[str] = []
    if repo.kind == "monorepo":
        docs.append(_system(repo.name, owner, f"Everything in {repo.full_name}"))
        docs += [_service_component(s, repo, repo.name) for s in repo.services]
    elif repo.kind in ("service", "fork"):
        docs += [_service_component(s, repo, None) for s in repo.services]
    elif repo.kind == "docs":
        docs.append(_component(repo.name, "documentation", PLATFORM_TEAM, lifecycle="production",
                               annotations=[("backstage.io/techdocs-ref", "dir:.")],
                               description=f"The {repo.name.replace('-', ' ')}"))
    elif repo.kind == "template":
        docs.append(_template_entity(repo))
    elif repo.kind == "platform":
        docs.append(_system("platform", PLATFORM_TEAM, "The internal developer platform"))
        docs.append("apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n"
                    "  name: team-platform\nspec:\n  type: team\n  children: []\n")
    elif repo.kind == "platform-workflows":
        docs.append(_component("platform-workflows", "library", PLATFORM_TEAM,
                               lifecycle="production", system="platform",
                               description="Reusable GitHub Actions workflows of the platform"))
    if repo.library_component:
        docs.append(_component(repo.library_component, "library", owner, lifecycle="production",
                               annotations=[("github.com/project-slug", repo.full_name)],
                               description=f"Shared code of {repo.name}"))
    text = "---\n".join(docs)
    if len(repo.name) % 4 == 0:
        text = "---\n" + text
    if len(repo.name) % 7 == 0:
        text = "# Backstage catalog descriptor: https://backstage.io/docs/features/software-catalog/\n" + text
    return text


def _template_entity(repo: Repo) -> str:
    name = repo.name.removeprefix("template-")
    language = name.split("-")[0]
    return f"""apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: {name}
  title: {q(name.replace('-', ' ').title())}
  description: {q(f'Create a new {language} service on the golden path')}
  tags:
    - {language}
    - recommended
spec:
  owner: {PLATFORM_TEAM}
  type: service
  parameters:
    - title: Service
      required: [name, owner]
      properties:
        name:
          title: Name
          type: string
        owner:
          title: Owner
          type: string
          ui:field: OwnerPicker
  steps:
    - id: fetch
      name: Fetch skeleton
      action: fetch:template
      input:
        url: ./skeleton
        values:
          name: "${{{{ parameters.name }}}}"
          owner: "${{{{ parameters.owner }}}}"
    - id: publish
      name: Publish
      action: publish:github
      input:
        repoUrl: "github.com?owner=acme&repo=${{{{ parameters.name }}}}"
    - id: register
      name: Register
      action: catalog:register
      input:
        repoContentsUrl: "${{{{ steps.publish.output.repoContentsUrl }}}}"
        catalogInfoPath: /catalog-info.yaml
"""


# --- service.yaml ----------------------------------------------------------------------------

class _IndentedDumper(yaml.SafeDumper):
    """Dumps lists indented under their key, the way Kubernetes manifests are usually written."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> Any:
        return super().increase_indent(flow, False)


def to_yaml(obj: Any) -> str:
    return yaml.dump(obj, Dumper=_IndentedDumper, sort_keys=False, default_flow_style=False)


_OVERRIDE_TEXT: dict[int, tuple[object, str]] = {}


def _override_yaml(escape: Any) -> str:
    """`escape.override` as YAML, dumped once per escape hatch (the history renders it often)."""
    cached = _OVERRIDE_TEXT.get(id(escape))
    if cached is None or cached[0] is not escape:
        cached = _OVERRIDE_TEXT[id(escape)] = (escape, to_yaml(escape.override))
    return cached[1]


def service_spec(spec: Spec, repo: Repo) -> str:
    lines = []
    if spec.comment:
        lines.append("# Platform service spec: https://platform.acme.example/docs/service-spec")
    lines.append("service:")
    if spec.name:
        lines.append(f"  name: {spec.name}")
    if spec.language:
        lines.append(f"  language: {spec.language}")
    lines += [f"  port: {spec.port}", f"  replicas: {spec.replicas}", "  resources:",
              f"    preset: {spec.preset}"]
    if len(repo.name) % 3 == 1:
        lines += ["  env:", "    - name: LOG_LEVEL", "      value: info",
                  "    - name: OTEL_EXPORTER_OTLP_ENDPOINT",
                  '      value: "http://otel-collector.monitoring:4317"']
    if spec.escape is not None:
        lines.append("  kubernetes_override:")
        lines += ["    " + line for line in _override_yaml(spec.escape).splitlines()]
    elif spec.null_override:
        lines.append("  kubernetes_override: null")
    return "\n".join(lines) + "\n"


# --- template answers ------------------------------------------------------------------------

def _project(repo: Repo) -> tuple[str, str]:
    svc = repo.services[0] if repo.services else None
    return repo.name, (svc.team.name if svc else "team-platform")


def copier_answers(repo: Repo) -> str:
    answers = repo.answers
    assert answers is not None
    project, team = _project(repo)
    language = repo.services[0].language if repo.services else "go"
    lines = ["# Changes here will be overwritten by Copier; NEVER EDIT MANUALLY",
             f"_commit: {q(answers.commit)}", f"_src_path: {q(answers.source)}",
             f"owner: {team}", f"project_name: {project}"]
    if language == "python":
        lines.append("python_version: '3.12'")
    elif language == "go":
        lines.append("go_version: '1.22'")
    lines.append(f"with_database: {'true' if len(project) % 2 else 'false'}")
    return "\n".join(lines) + "\n"


def cruft_json(repo: Repo) -> str:
    answers = repo.answers
    assert answers is not None
    project, team = _project(repo)
    data = {
        "template": answers.source,
        "commit": answers.commit,
        "checkout": None,
        "context": {"cookiecutter": {"project_name": project, "project_slug": project.replace("-", "_"),
                                     "owner": team, "_template": answers.source}},
        "directory": None,
    }
    return json.dumps(data, indent=2) + "\n"


# --- workflows -------------------------------------------------------------------------------

_SETUP = {
    "go": ["      - uses: actions/setup-go@v5", "        with:", "          go-version: '1.22'",
           "      - run: go vet ./...", "      - run: go test ./..."],
    "python": ["      - uses: actions/setup-python@v5", "        with:",
               "          python-version: '3.12'", "      - run: pip install -e '.[test]'",
               "      - run: pytest -q"],
    "typescript": ["      - uses: actions/setup-node@v4", "        with:", "          node-version: 20",
                   "      - run: npm ci", "      - run: npm test"],
    "java": ["      - uses: actions/setup-java@v4", "        with:", "          distribution: temurin",
             "          java-version: '21'", "      - run: ./gradlew build"],
    "rust": ["      - uses: dtolnay/rust-toolchain@stable", "      - run: cargo test --locked"],
    None: ["      - run: make test"],
}
_SETUP["javascript"] = _SETUP["typescript"]
_SETUP["kotlin"] = _SETUP["java"]

PLATFORM_REFS = ("v3", "v3", "v3", "v3.2.0", "main", "6f1c2a9e4b7d8c0e1f2a3b4c5d6e7f8091a2b3c4")


def _language(repo: Repo) -> str | None:
    return repo.services[0].language if repo.services else None


def _platform_call(repo: Repo, file: str) -> str:
    return f"{PLATFORM_WORKFLOWS_REPO}/.github/workflows/{file}@{PLATFORM_REFS[len(repo.name) % len(PLATFORM_REFS)]}"


def _diy_ci(repo: Repo) -> tuple[str, dict[str, str]]:
    language = _language(repo)
    name = workflow_name(repo, CI)
    on = ("on: [push, pull_request]" if len(repo.name) % 2 else
          f"on:\n  push:\n    branches: [{repo.default_branch}]\n  pull_request:")
    steps = ["      - uses: actions/checkout@v4"]
    if repo.ci == "diy+action":  # a step-level action from the platform repo is not its CI
        steps.append(f"      - uses: {PLATFORM_WORKFLOWS_REPO}/.github/actions/setup-toolchain@v3")
    steps += _SETUP.get(language, _SETUP[None])
    text = f"name: {q(name)}\n{on}\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n" + "\n".join(steps) + "\n"
    extra: dict[str, str] = {}
    if repo.ci == "diy+other-reusable":
        if len(repo.name) % 2:
            call = "acme/ci-templates/.github/workflows/test.yml@v1"
        else:
            call = "./.github/workflows/_test.yml"
            extra[LOCAL_REUSABLE] = ("name: Reusable tests\non:\n  workflow_call:\njobs:\n  test:\n"
                                     "    runs-on: ubuntu-latest\n    steps:\n"
                                     "      - uses: actions/checkout@v4\n      - run: make test\n")
        text += f"  integration:\n    needs: test\n    uses: {call}\n    secrets: inherit\n"
    return text, extra


def _platform_ci(repo: Repo) -> str:
    language = _language(repo) or "go"
    head = (f"name: CI\non:\n  push:\n    branches: [{repo.default_branch}]\n  pull_request:\n"
            "concurrency:\n  group: ci-${{ github.ref }}\n  cancel-in-progress: true\njobs:\n")
    build = (f"  build:\n    uses: {_platform_call(repo, 'build.yml')}\n    with:\n"
             f"      language: {language}\n")
    if repo.ci == "platform+lint":
        lint = ("  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
                "      - name: Lint\n        run: make lint\n")
        build = build.replace("  build:\n", "  build:\n    needs: lint\n")
        build += "      deploy: ${{ github.ref == 'refs/heads/main' }}\n"
        return head + lint + build + "    secrets: inherit\n"
    return head + build + "    secrets: inherit\n"


def workflows(repo: Repo) -> dict[str, str]:
    if repo.ci is None:
        return {}
    if repo.kind == "platform-workflows":
        return _platform_workflows_repo()
    files: dict[str, str] = {}
    if repo.ci in ("platform", "platform+lint"):
        files[CI] = _platform_ci(repo)
    else:
        files[CI], extra = _diy_ci(repo)
        files.update(extra)
    if repo.release:
        if repo.platform_ci:
            files[RELEASE] = ("name: Release\non:\n  release:\n    types: [published]\njobs:\n"
                              f"  release:\n    uses: {_platform_call(repo, 'release.yml')}\n"
                              "    secrets: inherit\n")
        else:
            files[RELEASE] = ("name: Release\non:\n  push:\n    tags: ['v*']\njobs:\n  release:\n"
                              "    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
                              "      - run: make release\n")
    return files


def _platform_workflows_repo() -> dict[str, str]:
    build = """name: Build (reusable)
on:
  workflow_call:
    inputs:
      language:
        description: Toolchain to build with (go, python, node, java)
        required: true
        type: string
      deploy:
        required: false
        type: boolean
        default: false
jobs:
  build:
    runs-on: [self-hosted, platform]
    timeout-minutes: 30
    steps:
      - uses: actions/checkout@v4
      - uses: ./.github/actions/setup-toolchain
        with:
          language: ${{ inputs.language }}
      - run: make -f /opt/platform/Makefile build test image
  deploy:
    if: ${{ inputs.deploy }}
    needs: build
    runs-on: [self-hosted, platform]
    environment: production
    steps:
      - run: platformctl deploy --wait
"""
    release = """name: Release (reusable)
on:
  workflow_call:
jobs:
  release:
    runs-on: [self-hosted, platform]
    steps:
      - uses: actions/checkout@v4
      - run: platformctl release
"""
    selftest = """name: Self-test
on:
  push:
    branches: [main]
  pull_request:
jobs:
  go:
    uses: ./.github/workflows/build.yml
    with:
      language: go
  python:
    uses: ./.github/workflows/build.yml
    with:
      language: python
"""
    return {CI: selftest, ".github/workflows/build.yml": build, RELEASE: release}
