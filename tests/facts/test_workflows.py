"""GitHub Actions workflows → job-level reusable-workflow calls."""

from __future__ import annotations

import pytest

from pipelines.facts.errors import ParseError
from pipelines.facts.workflows import WorkflowCall, parse_workflow, workflow_call
from pipelines.facts.yaml_safety import load_yaml_documents
from tests.facts._corpus import names, read

WORKFLOW = """\
name: ci
on:
  push:
    branches: [main, 3.10]
jobs:
  platform:
    uses: Acme/Platform-Workflows/.github/workflows/go.yml@v2
    secrets: inherit
  local:
    uses: ./.github/workflows/lint.yml
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: acme/platform-workflows/.github/actions/setup@v1
      - run: echo "${{ github.sha }}"
  deploy:
    needs: [platform]
    if: ${{ github.ref == 'refs/heads/main' }}
    uses: "acme/deploy/.github/workflows/deploy.yaml@${{ inputs.ref }}"
    with:
      environment: ${{ inputs.env }}
"""


def test_job_level_calls_only_in_file_order() -> None:
    assert parse_workflow(WORKFLOW, ".github/workflows/ci.yml") == [
        WorkflowCall(
            job="platform",
            uses="Acme/Platform-Workflows/.github/workflows/go.yml@v2",
            called_repo="acme/platform-workflows",
            called_file=".github/workflows/go.yml",
            ref="v2",
            is_local=False,
        ),
        WorkflowCall(
            "local", "./.github/workflows/lint.yml", None, ".github/workflows/lint.yml", None, True
        ),
        # step-level `uses:` in `build` are actions, not calls; `${{ }}` does not break parsing
        WorkflowCall(
            "deploy",
            "acme/deploy/.github/workflows/deploy.yaml@${{ inputs.ref }}",
            "acme/deploy",
            ".github/workflows/deploy.yaml",
            "${{ inputs.ref }}",
            False,
        ),
    ]


@pytest.mark.parametrize(
    ("uses", "expected"),
    [
        (
            "octo-org/example-repo/.github/workflows/reusable.yml@main",
            ("octo-org/example-repo", ".github/workflows/reusable.yml", "main", False),
        ),
        (
            "OpenAstronomy/github-actions-workflows/.github/workflows/tox.yml@8c0fde6f",
            (
                "openastronomy/github-actions-workflows",
                ".github/workflows/tox.yml",
                "8c0fde6f",
                False,
            ),
        ),
        (
            "acme/ci/.github/workflows/a.yml@refs/tags/v1.2",
            ("acme/ci", ".github/workflows/a.yml", "refs/tags/v1.2", False),
        ),
        (
            "acme/.github/.github/workflows/a.yml@v1",
            ("acme/.github", ".github/workflows/a.yml", "v1", False),
        ),
        ("./.github/workflows/x.yml", (None, ".github/workflows/x.yml", None, True)),
        ("  ./.github/workflows/x.yml  ", (None, ".github/workflows/x.yml", None, True)),
        ("$/.github/workflows/plan.yml", (None, ".github/workflows/plan.yml", None, True)),
        ("./", (None, None, None, True)),
        # no @ref: GitHub would refuse it; kept, with nothing parsed
        ("acme/ci/.github/workflows/a.yml", (None, None, None, False)),
        ("${{ inputs.workflow }}", (None, None, None, False)),
        ("docker://alpine:3", (None, None, None, False)),
        ("", (None, None, None, False)),
    ],
)
def test_workflow_call_parts(uses: str, expected: tuple) -> None:
    call = workflow_call("job", uses)
    assert call.uses == uses
    assert (call.called_repo, call.called_file, call.ref, call.is_local) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "no YAML document"),
        ("- jobs\n", "expected a mapping at the top level, got a list"),
        ("name: x\non: push\n", "`jobs` is missing: not a GitHub Actions workflow"),
        ("on: push\njobs: [a, b]\n", "`jobs` is a list, not a mapping"),
        ("on: push\njobs:\n  a: just-a-string\n", "jobs.a: expected a mapping, got a string"),
        ("on: push\njobs:\n  a:\n    uses: [x]\n", "jobs.a.uses: expected a string, got a list"),
        (
            "on: push\njobs:\n  a:\n    uses: {x: 1}\n",
            "jobs.a.uses: expected a string, got a mapping",
        ),
        ("on: push\njobs:\n  a:\n    steps:\n    - run: x\n   - run: y\n", "YAML syntax error"),
        (
            "on: push\njobs: {}\n---\non: pull_request\njobs: {}\n",
            "expected one YAML document, found 2",
        ),
    ],
)
def test_unusable_workflows_are_refused(text: str, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_workflow(text, ".github/workflows/x.yml")
    assert reason in caught.value.reason


def test_a_job_without_uses_and_an_empty_jobs_mapping() -> None:
    assert parse_workflow("on: push\njobs: {}\n", "w.yml") == []
    assert parse_workflow("on: push\njobs:\n  a:\n    uses:\n", "w.yml") == []  # null uses


def test_job_ids_that_look_like_numbers_stay_as_written() -> None:
    [call] = parse_workflow("on: push\njobs:\n  3.10:\n    uses: ./x.yml\n", "w.yml")
    assert call.job == "3.10"


def test_anchors_in_workflows() -> None:
    text = (
        "on: push\njobs:\n  a: &call\n    uses: acme/ci/.github/workflows/go.yml@v1\n"
        "    secrets: inherit\n  b: *call\n"
    )
    assert [(c.job, c.called_repo) for c in parse_workflow(text, "w.yml")] == [
        ("a", "acme/ci"),
        ("b", "acme/ci"),
    ]


# --- the corpus -----------------------------------------------------------------------------

ASTROPY_REF = "8c0fde6f7e926df6ed7057255d29afa9c1ad5320"
UV_CI_JOBS = [
    ("plan", "plan"),
    ("check-fmt", "check-fmt"),
    ("review", "pull-request-security-review"),
    ("check-lint", "check-lint"),
    ("check-docs", "check-docs"),
    ("check-zizmor", "check-zizmor"),
    ("check-publish", "check-publish"),
    ("check-release", "check-release"),
    ("check-lock", "check-lock"),
    ("check-generated-files", "check-generated-files"),
    ("test", "test"),
    ("test-windows-trampolines", "test-windows-trampolines"),
    ("build-dev-binaries", "build-dev-binaries"),
    ("test-smoke", "test-smoke"),
    ("test-integration", "test-integration"),
    ("test-system", "test-system"),
    ("test-ecosystem", "test-ecosystem"),
    ("build-release-binaries", "build-release-binaries"),
    ("build-docker", "build-docker"),
    ("bench", "bench"),
]
UV_RELEASE_JOBS = [
    "build-release-binaries",
    "build-docker",
    "publish-pypi",
    "publish-crates",
    "publish-docs",
    "publish-versions",
    "publish-mirror",
]


def _local(job: str, file: str, prefix: str = "./") -> tuple:
    return (job, None, f".github/workflows/{file}", None, True, f"{prefix}.github/workflows/{file}")


# file → (job, called_repo, called_file, ref, is_local, uses) per call, read by eye
CORPUS_CALLS: dict[str, list[tuple]] = {
    "astropy-ci-crossrepo-reusable.yml": [
        (
            job,
            "openastronomy/github-actions-workflows",
            f".github/workflows/{f}.yml",
            ASTROPY_REF,
            False,
            f"OpenAstronomy/github-actions-workflows/.github/workflows/{f}.yml@{ASTROPY_REF}",
        )
        for job, f in [
            ("tests", "tox"),
            ("allowed_failures", "tox"),
            ("test_wheel_building", "publish"),
        ]
    ],
    "sigstore-python-release-local-reusable.yml": [
        _local("pin-requirements", "pin-requirements.yml")
    ],
    "uv-ci-many-reusable-calls.yml": [_local(job, f"{f}.yml", "$/") for job, f in UV_CI_JOBS],
    "uv-release.yml": [_local(job, f"{job}.yml", "$/") for job in UV_RELEASE_JOBS],
    "uv-build-release-binaries-55kb-callee.yml": [],  # steps' `uses:` only
    "microservices-demo-ci-main.yaml": [],
    "software-templates-skeleton-gradle-mixed-placeholders.yml": [],
    "pathlens-shape-of-pygithub-ci-calls-local-reusable.yml": [_local("build", "_package.yml")],
    "pathlens-shape-of-pygithub-_build-pkg-reusable-callee.yml": [],
    "pathlens-shape-of-pygithub-pypi-release.yml": [_local("build", "_package.yml")],
    "pathlens-shape-of-cpython-2022-build-branch-3.10-float.yml": [],
}


def test_the_corpus_table_covers_every_workflow_fixture() -> None:
    assert sorted(CORPUS_CALLS) == names("workflows")


@pytest.mark.parametrize("name", sorted(CORPUS_CALLS))
def test_corpus_workflows(name: str) -> None:
    calls = parse_workflow(read("workflows", name), name)
    got = [(c.job, c.called_repo, c.called_file, c.ref, c.is_local, c.uses) for c in calls]
    assert got == CORPUS_CALLS[name]


def test_corpus_yaml_11_traps_do_not_apply() -> None:
    [doc] = load_yaml_documents(
        read("workflows", "pathlens-shape-of-cpython-2022-build-branch-3.10-float.yml"), "x"
    )
    assert doc["on"]["push"]["branches"] == ["main", "3.10", "3.9"]
    assert True not in doc
