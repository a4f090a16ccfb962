"""`facts_frames`: raw.repo_files rows → the fact frames and the file_errors frame."""

from __future__ import annotations

import polars as pl
import pytest

from pipelines.facts import frames
from pipelines.facts.frames import SCHEMAS, facts_frames, file_kind

CATALOG = """\
kind: Component
metadata:
  name: pay
  annotations:
    backstage.io/kubernetes-id: pay
spec:
  type: service
  owner: team-a
---
kind: Component
metadata:
  annotations: {}
"""

SPEC = """\
service:
  name: pay
  language: Java
  port: eighty
  kubernetes_override:
    containers:
      - name: app
        resources: {limits: {nvidia.com/gpu: "1"}}
"""

WORKFLOW = """\
on: push
jobs:
  ci:
    uses: acme/platform-workflows/.github/workflows/java.yml@v3
  lint:
    uses: ./.github/workflows/lint.yml
"""


def repo_files(rows: list[tuple[str, str, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema={"repo": pl.String, "path": pl.String, "content": pl.String}, orient="row"
    )


FILES = repo_files(
    [
        ("acme/pay", "catalog-info.yaml", CATALOG),
        ("acme/pay", "service.yaml", SPEC),
        ("acme/pay", ".copier-answers.yml", "_src_path: gh:Acme/Java-Service\n_commit: v1.0\n"),
        ("acme/pay", ".github/workflows/ci.yml", WORKFLOW),
        ("acme/pay", ".github/workflows/release.yaml", "on: push\njobs:\n  r:\n    runs-on: x\n"),
        ("acme/pay", ".github/workflows/nested/x.yml", WORKFLOW),  # not directly in the folder
        ("acme/pay", ".github/workflows/README.md", "# docs"),
        ("acme/pay", "README.md", "# pay"),
        (
            "acme/old",
            ".cruft.json",
            '{"template": "https://github.com/acme/py.git", "commit": "c0ffee"}',
        ),
        ("acme/old", "catalog-info.yaml", None),  # could not be fetched
        ("acme/old", "service.yaml", "service: [broken\n"),
        ("acme/old", ".github/workflows/bad.yml", "on: push\n"),
    ]
)


@pytest.fixture(scope="module")
def out() -> dict[str, pl.DataFrame]:
    return facts_frames(
        FILES,
        catalog_file="catalog-info.yaml",
        spec_file="service.yaml",
        escape_hatch_path="service.kubernetes_override",
        gpu_resources=["nvidia.com/gpu"],
    )


def test_frames_have_exactly_the_agreed_columns(out: dict[str, pl.DataFrame]) -> None:
    assert {name: list(frame.columns) for name, frame in out.items()} == {
        "catalog_components": [
            "repo", "path", "doc_index", "kind", "namespace", "name", "type", "owner",
            "lifecycle", "source_template", "kubernetes_id", "escape_hatch_reason", "template_version", "annotations",
        ],
        "service_specs": [
            "repo", "path", "name", "language", "port", "replicas", "resources_preset",
            "has_override", "override_gpu", "override_sidecar",
        ],
        "template_answers": ["repo", "path", "tool", "source", "source_norm", "commit"],
        "workflow_calls": [
            "repo", "path", "job", "uses", "called_repo", "called_file", "ref", "is_local",
        ],
        "file_errors": ["repo", "path", "file_kind", "severity", "error"],
    }  # fmt: skip


def test_catalog_components(out: dict[str, pl.DataFrame]) -> None:
    assert out["catalog_components"].rows() == [
        ("acme/pay", "catalog-info.yaml", 0, "Component", None, "pay", "service", "team-a",
         None, None, "pay", None, None, '{"backstage.io/kubernetes-id": "pay"}'),
    ]  # fmt: skip


def test_service_specs(out: dict[str, pl.DataFrame]) -> None:
    assert out["service_specs"].rows() == [
        ("acme/pay", "service.yaml", "pay", "java", None, None, None, True, True, False),
    ]


def test_template_answers(out: dict[str, pl.DataFrame]) -> None:
    assert out["template_answers"].rows() == [
        ("acme/pay", ".copier-answers.yml", "copier", "gh:Acme/Java-Service", "acme/java-service", "v1.0"),
        ("acme/old", ".cruft.json", "cruft", "https://github.com/acme/py.git", "acme/py", "c0ffee"),
    ]  # fmt: skip


def test_workflow_calls(out: dict[str, pl.DataFrame]) -> None:
    assert out["workflow_calls"].rows() == [
        ("acme/pay", ".github/workflows/ci.yml", "ci",
         "acme/platform-workflows/.github/workflows/java.yml@v3", "acme/platform-workflows",
         ".github/workflows/java.yml", "v3", False),
        ("acme/pay", ".github/workflows/ci.yml", "lint", "./.github/workflows/lint.yml", None,
         ".github/workflows/lint.yml", None, True),
    ]  # fmt: skip


def test_file_errors(out: dict[str, pl.DataFrame]) -> None:
    assert out["file_errors"].rows() == [
        # a refused document is dropped: an error; a field left empty keeps the spec: a warning
        ("acme/pay", "catalog-info.yaml", "catalog", "error", "document 1 (line 10): metadata.name: missing"),
        ("acme/pay", "service.yaml", "service_spec", "warning",
         "service.port: expected a whole number, got 'eighty' (left empty)"),
        ("acme/old", "catalog-info.yaml", "catalog", "error", "the file could not be read (no content)"),
        ("acme/old", "service.yaml", "service_spec", "error",
         "line 2, column 1: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence)"),
        ("acme/old", ".github/workflows/bad.yml", "workflow", "error",
         "`jobs` is missing: not a GitHub Actions workflow"),
    ]  # fmt: skip


def test_empty_input_gives_empty_frames_with_their_schema() -> None:
    out = facts_frames(repo_files([]))
    for name, frame in out.items():
        assert frame.height == 0
        assert dict(frame.schema) == SCHEMAS[name]
    assert out["service_specs"].schema["has_override"] == pl.Boolean()
    assert out["catalog_components"].schema["doc_index"] == pl.Int64()


def test_configured_paths_and_escape_hatch() -> None:
    files = repo_files(
        [
            ("acme/a", "backstage/catalog.yaml", "kind: Component\nmetadata: {name: a}\n"),
            ("acme/a", "catalog-info.yaml", "kind: Component\nmetadata: {name: ignored}\n"),
            ("acme/a", "deploy/platform.yaml", "service:\n  name: a\nk8s:\n  containers: [{name: x}, {name: y}]\n"),
            ("acme/a", "service.yaml", "service: {name: ignored}\n"),
        ]
    )  # fmt: skip
    out = facts_frames(
        files,
        catalog_file="./backstage/catalog.yaml",
        spec_file="deploy/platform.yaml",
        escape_hatch_path="k8s",
        gpu_resources=("nvidia.com/gpu",),
    )
    assert out["catalog_components"].select("path", "name").rows() == [
        ("backstage/catalog.yaml", "a")
    ]
    assert out["service_specs"].select("path", "has_override", "override_sidecar").rows() == [
        ("deploy/platform.yaml", True, True)
    ]


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("catalog-info.yaml", "catalog"),
        ("service.yaml", "service_spec"),
        (".copier-answers.yml", "copier"),
        (".cruft.json", "cruft"),
        (".github/workflows/ci.yml", "workflow"),
        (".github/workflows/ci.yaml", "workflow"),
        (".github/workflows/.hidden.yml", "workflow"),
        (".github/workflows/a/b.yml", None),
        (".github/workflows/ci.yml.bak", None),
        (".github/workflows/ci.json", None),
        ("sub/.github/workflows/ci.yml", None),
        ("sub/catalog-info.yaml", None),
        (".copier-answers.yaml", None),
        ("cruft.json", None),
    ],
)
def test_file_kind(path: str, kind: str | None) -> None:
    assert file_kind(path, catalog_file="catalog-info.yaml", spec_file="service.yaml") == kind


def test_a_parser_bug_becomes_an_error_row_and_the_rest_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(text: str, path: str) -> list:
        raise RuntimeError("boom")

    monkeypatch.setattr(frames, "parse_workflow", broken)
    out = facts_frames(FILES)
    assert (
        "acme/pay",
        ".github/workflows/ci.yml",
        "workflow",
        "error",
        "internal error RuntimeError: boom",
    ) in (out["file_errors"].rows())
    assert out["catalog_components"].height == 1


def test_every_file_of_many_repos_is_parsed_once() -> None:
    # 300 repos × 5 files; per repo CATALOG gives 1 component (its second document is refused),
    # SPEC 1 spec, copier + cruft 2 answers, WORKFLOW 2 calls. How long 10,000 files
    # take is measured by bench/bench_facts.py, not here.
    rows = []
    for i in range(300):
        repo = f"acme/svc-{i}"
        rows += [
            (repo, "catalog-info.yaml", CATALOG.replace("name: pay", f"name: svc-{i}")),
            (repo, "service.yaml", SPEC),
            (repo, ".copier-answers.yml", f"_src_path: gh:acme/t\n_commit: v{i}\n"),
            (repo, ".cruft.json", '{"template": "gh:acme/t", "commit": "x"}'),
            (repo, ".github/workflows/ci.yml", WORKFLOW),
        ]
    out = facts_frames(repo_files(rows))
    assert out["catalog_components"]["name"].to_list() == [f"svc-{i}" for i in range(300)]
    assert out["service_specs"].height == 300
    assert out["template_answers"].height == 600
    assert out["workflow_calls"].height == 600
    assert sorted(out["template_answers"].filter(pl.col("tool") == "copier")["commit"].to_list()) == \
        sorted(f"v{i}" for i in range(300))
