"""GitHub Actions workflow files → the reusable workflows their jobs call.

A job calls a reusable workflow with a job-level `uses:` (step-level `uses:` runs an action
and is ignored). `parse_workflow` returns one `WorkflowCall` per such job, in file order:

- `OWNER/REPO/PATH@REF` → `called_repo` = `owner/repo` lower-cased (GitHub names are
  case-insensitive), `called_file` = `PATH` as written (e.g. `.github/workflows/ci.yml`, the
  path in the called repo, comparable with a run's `workflow_path`), `ref` = `REF` as written.
- `./PATH` (a workflow of the same repository, same commit) → `is_local=True`,
  `called_repo=None`, `called_file=PATH`, `ref=None`. `$/PATH`, which astral-sh/uv uses
  for its own workflows, names no other repository either and is treated the same way.
- anything else (a `${{ }}` expression where GitHub expects a literal, a malformed value) is
  returned with `uses` as written and the parsed parts `None`, so nothing is silently lost.

A file is refused (`ParseError`) when it is not loadable YAML, is not a single mapping, has no
`jobs` mapping, or has a job that is not a mapping or a `uses:` that is not a string: GitHub
refuses such a workflow as a whole, so no call in it runs. The YAML 1.1 trap `on:` → `True`
does not arise here: `yaml_safety` keeps plain scalars as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipelines.facts.errors import ParseError
from pipelines.facts.values import kind_of
from pipelines.facts.yaml_safety import DEFAULT_LIMITS, YamlLimits, one_document

_REMOTE = re.compile(r"(?P<owner>[^/@\s]+)/(?P<repo>[^/@\s]+)/(?P<file>[^@\s]+)@(?P<ref>.+)")
_LOCAL_PREFIXES = ("./", "$/")


@dataclass(frozen=True)
class WorkflowCall:
    """One job of a workflow file that calls a reusable workflow."""

    job: str
    uses: str
    called_repo: str | None
    called_file: str | None
    ref: str | None
    is_local: bool


def parse_workflow(text: str, path: str, limits: YamlLimits = DEFAULT_LIMITS) -> list[WorkflowCall]:
    """Every job-level reusable-workflow call in a workflow file (see module doc)."""
    workflow = one_document(text, path, limits)
    if not isinstance(workflow, dict):
        raise ParseError(path, f"expected a mapping at the top level, got {kind_of(workflow)}")
    jobs = workflow.get("jobs")
    if not isinstance(jobs, dict):
        found = "missing" if jobs is None else f"{kind_of(jobs)}, not a mapping"
        raise ParseError(path, f"`jobs` is {found}: not a GitHub Actions workflow")
    calls: list[WorkflowCall] = []
    for job_id, job in jobs.items():
        job_name = str(job_id)
        if not isinstance(job, dict):
            raise ParseError(path, f"jobs.{job_name}: expected a mapping, got {kind_of(job)}")
        uses = job.get("uses")
        if uses is None:
            continue
        if not isinstance(uses, str):
            raise ParseError(path, f"jobs.{job_name}.uses: expected a string, got {kind_of(uses)}")
        calls.append(workflow_call(job_name, uses))
    return calls


def workflow_call(job: str, uses: str) -> WorkflowCall:
    """Split a job-level `uses:` value into its parts (see module doc)."""
    target = uses.strip()
    for prefix in _LOCAL_PREFIXES:
        if target.startswith(prefix):
            return WorkflowCall(job, uses, None, target[len(prefix) :] or None, None, True)
    match = _REMOTE.fullmatch(target)
    if match is None:
        return WorkflowCall(job, uses, None, None, None, False)
    called_repo = f"{match['owner']}/{match['repo']}".lower()
    return WorkflowCall(job, uses, called_repo, match["file"], match["ref"], False)
