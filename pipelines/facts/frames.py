"""`raw.repo_files` (repo, path, content) → Polars frames of parsed facts, one per fact kind.

`facts_frames` picks the files pathlens reads by path, runs the pure parsers of this package
on each and returns:

- `catalog_components`  one row per Component document of a catalog file
- `service_specs`       one row per service spec file that could be read
- `template_answers`    one row per copier / cruft answers file that could be read
- `workflow_calls`      one row per job-level reusable-workflow call
- `file_errors`         one row per problem: a file that could not be read or parsed, a
                        refused catalog document, a service-spec field left empty. `error` is
                        one line, with the YAML/JSON line and column when known.

Which files, and how large: `pipelines.repo_files`, the one definition the fetchers and the SQL
use too (the catalog file and the service spec at their configured paths, `.copier-answers.yml`,
`.cruft.json`, `*.yml` / `*.yaml` directly in `.github/workflows/`). A file over its kind's size
limit (its `size` column when there is one, else its text's UTF-8 length) is a file error naming
the limit, never parsed. Every frame carries its schema even when empty, so downstream SQL never
meets a missing column.

When `files` has a `blob` column (which version of the file a row holds: its git blob sha),
every frame carries it too, so one call parses every version of every file (service history).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import polars as pl

from pipelines.facts.catalog import parse_catalog
from pipelines.facts.errors import ParseError, one_line
from pipelines.facts.service_spec import (
    DEFAULT_ESCAPE_HATCH_PATH,
    DEFAULT_GPU_RESOURCES,
    parse_service_spec,
)
from pipelines.facts.template_answers import parse_copier_answers, parse_cruft
from pipelines.facts.workflows import parse_workflow
from pipelines.facts.yaml_safety import YamlLimits
from pipelines.repo_files import COPIER_ANSWERS, CRUFT_FILE, MAX_BYTES, RepoFiles

__all__ = ["CATALOG_LIMITS", "COPIER_ANSWERS", "CRUFT_FILE", "SCHEMAS", "facts_frames", "file_kind"]

# A catalog may be up to 10 MiB (inline OpenAPI definitions); its text spells at most ~5M nodes.
CATALOG_LIMITS = YamlLimits(max_bytes=MAX_BYTES["catalog"], max_nodes=5_000_000)

SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "catalog_components": {
        "repo": pl.String(),
        "path": pl.String(),
        "doc_index": pl.Int64(),
        "kind": pl.String(),
        "namespace": pl.String(),
        "name": pl.String(),
        "type": pl.String(),
        "owner": pl.String(),
        "lifecycle": pl.String(),
        "source_template": pl.String(),
        "kubernetes_id": pl.String(),
        "escape_hatch_reason": pl.String(),
        "template_version": pl.String(),  # backstage.io/template-version
        "annotations": pl.String(),  # JSON object text
    },
    "service_specs": {
        "repo": pl.String(),
        "path": pl.String(),
        "name": pl.String(),
        "language": pl.String(),
        "port": pl.Int64(),
        "replicas": pl.Int64(),
        "resources_preset": pl.String(),
        "has_override": pl.Boolean(),
        "override_gpu": pl.Boolean(),
        "override_sidecar": pl.Boolean(),
    },
    "template_answers": {
        "repo": pl.String(),
        "path": pl.String(),
        "tool": pl.String(),
        "source": pl.String(),
        "source_norm": pl.String(),
        "commit": pl.String(),
    },
    "workflow_calls": {
        "repo": pl.String(),
        "path": pl.String(),
        "job": pl.String(),
        "uses": pl.String(),
        "called_repo": pl.String(),
        "called_file": pl.String(),
        "ref": pl.String(),
        "is_local": pl.Boolean(),
    },
    "file_errors": {
        "repo": pl.String(),
        "path": pl.String(),
        "file_kind": pl.String(),  # catalog | service_spec | copier | cruft | workflow
        "severity": pl.String(),  # error: the file or document was not used | warning: a field left empty
        "error": pl.String(),
    },
}


def file_kind(path: str, *, catalog_file: str, spec_file: str) -> str | None:
    """Which parser reads the repo file at `path`, or None when pathlens does not read it."""
    return RepoFiles(catalog_file, spec_file).kind(path)


def facts_frames(
    files: pl.DataFrame,
    *,
    catalog_file: str = "catalog-info.yaml",
    spec_file: str = "service.yaml",
    escape_hatch_path: str = DEFAULT_ESCAPE_HATCH_PATH,
    gpu_resources: Sequence[str] = DEFAULT_GPU_RESOURCES,
) -> dict[str, pl.DataFrame]:
    """Parse every relevant file of `files` (columns repo, path, content, optionally size and
    blob); see the module doc."""
    rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in SCHEMAS}
    gpu = tuple(gpu_resources)
    versioned = "blob" in files.columns
    blobs: dict[str, list[str | None]] = {name: [] for name in SCHEMAS}

    def catalog(repo: str, path: str, text: str) -> None:
        result = parse_catalog(text, path, CATALOG_LIMITS)
        for c in result.components:
            rows["catalog_components"].append(
                (repo, path, c.doc_index, c.kind, c.namespace, c.name, c.type, c.owner,
                 c.lifecycle, c.source_template, c.kubernetes_id, c.escape_hatch_reason,
                 c.template_version, json.dumps(c.annotations, ensure_ascii=False))
            )  # fmt: skip
        for error in result.errors:
            rows["file_errors"].append((repo, path, "catalog", "error", one_line(error)))

    def service_spec(repo: str, path: str, text: str) -> None:
        s = parse_service_spec(text, path, escape_hatch_path, gpu)
        rows["service_specs"].append(
            (repo, path, s.name, s.language, s.port, s.replicas, s.resources_preset,
             s.has_override, s.override_gpu, s.override_sidecar)
        )  # fmt: skip
        for warning in s.warnings:
            rows["file_errors"].append((repo, path, "service_spec", "warning", one_line(warning)))

    def answers(parse: Callable[[str, str], Any]) -> Callable[[str, str, str], None]:
        def read(repo: str, path: str, text: str) -> None:
            a = parse(text, path)
            rows["template_answers"].append((repo, path, a.tool, a.source, a.source_norm, a.commit))

        return read

    def workflow(repo: str, path: str, text: str) -> None:
        for c in parse_workflow(text, path):
            rows["workflow_calls"].append(
                (repo, path, c.job, c.uses, c.called_repo, c.called_file, c.ref, c.is_local)
            )

    readers: dict[str, Callable[[str, str, str], None]] = {
        "catalog": catalog,
        "service_spec": service_spec,
        "copier": answers(parse_copier_answers),
        "cruft": answers(parse_cruft),
        "workflow": workflow,
    }
    wanted = RepoFiles(catalog_file, spec_file)
    if "size" not in files.columns:
        files = files.with_columns(size=pl.lit(None, dtype=pl.Int64()))
    columns = ["repo", "path", "content", "size"] + (["blob"] if versioned else [])
    for repo, path, content, size, *blob in files.select(columns).iter_rows():
        kind = wanted.kind(path)
        if kind is None:
            continue
        counts = {name: len(r) for name, r in rows.items()}
        if size is None and content is not None:
            size = len(content.encode("utf-8"))
        too_big = wanted.too_big(path, size)
        if too_big is not None:
            rows["file_errors"].append((repo, path, kind, "error", too_big))
        elif content is None:
            rows["file_errors"].append(
                (repo, path, kind, "error", "the file could not be read (no content)")
            )
        else:
            _read(readers[kind], rows, repo, path, kind, content)
        if versioned:
            for name, r in rows.items():
                blobs[name] += blob * (len(r) - counts[name])
    frames = {
        name: pl.DataFrame(rows[name], schema=schema, orient="row")
        for name, schema in SCHEMAS.items()
    }
    if versioned:
        frames = {name: f.with_columns(blob=pl.Series(blobs[name], dtype=pl.String())) for name, f in frames.items()}
    return frames


def _read(reader: Callable[[str, str, str], None], rows: dict[str, list[tuple[Any, ...]]],
          repo: str, path: str, kind: str, content: str) -> None:
    """Run one parser; a problem becomes a file_errors row, never an exception."""
    try:
        reader(repo, path, content)
    except ParseError as exc:
        rows["file_errors"].append((repo, path, kind, "error", exc.detail))
    except Exception as exc:  # a parser bug must not stop the other 50,000 files
        rows["file_errors"].append(
            (repo, path, kind, "error", one_line(f"internal error {type(exc).__name__}: {exc}"))
        )
