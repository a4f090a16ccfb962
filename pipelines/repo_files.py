"""Which repository files pathlens reads — one definition for the fetcher, the parsers and the SQL.

A file is read when its path (relative to the repo root, on the default branch) is

- the catalog file (`services.catalog_file`, default `catalog-info.yaml`)  → kind `catalog`
- the platform service spec (`services.spec_file`, default `service.yaml`)  → `service_spec`
- `.copier-answers.yml` / `.cruft.json` at the root                           → `copier` / `cruft`
- a `*.yml` / `*.yaml` directly in `.github/workflows/`                       → `workflow`

Configured paths are compared normalised (`./catalog-info.yaml` is `catalog-info.yaml`). Each
kind has a size limit; the fetcher decides from the tree's sizes, before downloading, and a
file over its limit is stored without content and becomes a file error naming the limit. At
most `services.max_workflow_files` workflow files are read per repo (by path); the rest are a
recorded error of that repo. The GitHub fetcher (`wanted_file`), the parsers
(`facts.frames.file_kind`) and the SQL (the normalised paths in `staging.settings`) all use
this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

MIB = 1 << 20
COPIER_ANSWERS = ".copier-answers.yml"
CRUFT_FILE = ".cruft.json"
WORKFLOWS_DIR = ".github/workflows"
_WORKFLOW = re.compile(r"\.github/workflows/[^/]+\.ya?ml")

# Real catalogs with inline OpenAPI definitions run to a few MB; nothing else comes close to 1 MiB.
MAX_BYTES = {"catalog": 10 * MIB, "service_spec": MIB, "copier": MIB, "cruft": MIB, "workflow": MIB}
DEFAULT_MAX_WORKFLOW_FILES = 100
KINDS = tuple(MAX_BYTES)


def normalise_path(path: str) -> str:
    """A configured repo path as the tree spells it: no leading `./` or `/`."""
    path = path.strip()
    while path.startswith("./"):
        path = path[2:]
    return path.lstrip("/")


@dataclass(frozen=True)
class RepoFiles:
    """The files one configuration reads (see the module doc)."""

    catalog_file: str = "catalog-info.yaml"
    spec_file: str = "service.yaml"
    max_workflow_files: int = DEFAULT_MAX_WORKFLOW_FILES

    def __post_init__(self) -> None:
        object.__setattr__(self, "catalog_file", normalise_path(self.catalog_file))
        object.__setattr__(self, "spec_file", normalise_path(self.spec_file))

    @classmethod
    def from_settings(cls, settings: Any) -> RepoFiles:
        services = settings.services
        return cls(services.catalog_file, services.spec_file,
                   getattr(services, "max_workflow_files", DEFAULT_MAX_WORKFLOW_FILES))

    def kind(self, path: str) -> str | None:
        """Which parser reads the repo file at `path`, or None when pathlens does not read it."""
        if path == self.catalog_file:
            return "catalog"
        if path == self.spec_file:
            return "service_spec"
        if path == COPIER_ANSWERS:
            return "copier"
        if path == CRUFT_FILE:
            return "cruft"
        if _WORKFLOW.fullmatch(path):
            return "workflow"
        return None

    def wanted(self, path: str) -> bool:
        return self.kind(path) is not None

    @staticmethod
    def max_bytes(kind: str) -> int:
        return MAX_BYTES[kind]

    def too_big(self, path: str, size: int | None) -> str | None:
        """Why a file of `size` bytes at `path` is not read, or None when it is within its limit."""
        kind = self.kind(path)
        if kind is None or size is None or size <= MAX_BYTES[kind]:
            return None
        return (f"{size:,} bytes, over the {MAX_BYTES[kind] // MIB} MiB limit for {kind.replace('_', ' ')} "
                "files: not downloaded or parsed")

    @property
    def root_files(self) -> tuple[str, ...]:
        """The wanted files at fixed paths (looked up one by one when a tree is truncated)."""
        return (self.catalog_file, self.spec_file, COPIER_ANSWERS, CRUFT_FILE)

    @property
    def signature(self) -> str:
        """Changes whenever what is read changes (a fetcher re-reads every repo's files then)."""
        limits = ",".join(f"{k}={v}" for k, v in MAX_BYTES.items())
        return f"{self.catalog_file}\n{self.spec_file}\n{self.max_workflow_files}\n{limits}"

    def describe(self) -> str:
        """One line for `check-config`: the files read and their limits."""
        return (f"{self.catalog_file} (≤ {MAX_BYTES['catalog'] // MIB} MiB), {self.spec_file}, {COPIER_ANSWERS}, "
                f"{CRUFT_FILE}, {WORKFLOWS_DIR}/*.yml (≤ {self.max_workflow_files} per repo; others ≤ 1 MiB)")
