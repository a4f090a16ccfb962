"""Run a refresh in this process: materialise the selected assets with their checks.

Used by `pathlens demo` and `pathlens refresh`; `dagster dev` runs the same definitions.
Progress is reported through a callback fed from the run's own Dagster events.
"""

from __future__ import annotations

import contextlib
import os
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from pipelines.dagster_storage import fewer_flushes
from pipelines.resources import PathlensResource
from pipelines.warehouse import (
    acquire_refresh_lock,
    check_warehouse_path,
    kept_open,
    release_refresh_lock,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REFRESH_JOB = "pathlens_refresh"

StepCallback = Callable[[str, str], None]  # (event type, step; the asset for a materialisation) → None


@dataclass
class RefreshOutcome:
    run_id: str
    success: bool
    failed_steps: list[str] = field(default_factory=list)  # steps, or the models that failed in a step
    failure_messages: dict[str, str] = field(default_factory=dict)  # by the same names: the root cause
    not_built: list[str] = field(default_factory=list)  # models not built because one they read failed
    failed_checks: list[str] = field(default_factory=list)
    warned_checks: list[str] = field(default_factory=list)  # data-quality warnings: published anyway
    published: bool = False
    metadata: dict[str, dict] = field(default_factory=dict)


def load_project_definitions() -> dg.Definitions:
    """Every asset and check of the project (the `assets/` defs folder)."""
    return dg.load_from_defs_folder(path_within_project=PROJECT_ROOT)


def selected_asset_keys(selection: str | None) -> set[str]:
    """The asset keys ("raw/repos", ...) a selection string picks, as `run_refresh` would."""
    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    project = load_project_definitions()
    graph = dg.Definitions(assets=project.assets, resources={"pathlens": PathlensResource()}).resolve_asset_graph()
    keys = dg.AssetSelection.from_string(selection or "*").resolve(graph)
    return {key.to_user_string() for key in keys}


def ensure_dagster_home(project_root: Path = PROJECT_ROOT) -> Path:
    """The Dagster home for this process, set in DAGSTER_HOME; returns it.

    An explicit DAGSTER_HOME wins. Otherwise it is the one the project's `.env` names, else the
    project folder (where dagster.yaml lives), which is then written to `.env`: `dagster dev`
    and `dg dev` read `.env` from the folder they start in, so in the project folder they open
    the same instance as the `pathlens` commands, and the UI shows their runs,
    materialisations, checks and metadata instead of a throwaway instance's nothing.
    """
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        env_file = project_root / ".env"
        home = _dotenv_value(env_file, "DAGSTER_HOME")
        if not home:
            home = str(project_root.resolve())
            _record_in_dotenv(env_file, "DAGSTER_HOME", home)
        os.environ["DAGSTER_HOME"] = home
    path = Path(home)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _dotenv_value(env_file: Path, name: str) -> str | None:
    """`name`'s value in a .env file, read as Dagster reads it (python-dotenv); None if absent."""
    if not env_file.is_file():
        return None
    from dotenv import dotenv_values

    return dotenv_values(env_file).get(name) or None


def _record_in_dotenv(env_file: Path, name: str, value: str) -> None:
    """Append `name=value` to a .env file (created if needed); a read-only checkout is left alone."""
    try:
        existing = env_file.read_text(encoding="utf-8") if env_file.is_file() else ""
        separator = "" if not existing or existing.endswith("\n") else "\n"
        comment = "# written by pathlens: the Dagster home its commands and `dagster dev` share\n"
        # single quotes: python-dotenv takes the text literally ($ is not expanded)
        quoted = f"'{value}'" if "'" not in value else '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        env_file.write_text(f"{existing}{separator}{comment}{name}={quoted}\n", encoding="utf-8")
    except OSError:
        pass


def run_refresh(
    resource: PathlensResource,
    *,
    selection: str | None = None,
    on_event: StepCallback | None = None,
    instance: dg.DagsterInstance | None = None,
    log_level: str = "WARNING",
    on_ready: Callable[[], None] | None = None,
) -> RefreshOutcome:
    """Materialise `selection` (a Dagster asset selection string; default: everything).

    Returns what happened; raises nothing for step failures (they are in the outcome), so the
    caller can report them. A failed blocking check skips the publish step: the published
    warehouse stays as it was. `on_ready` is called once the definitions and the Dagster
    instance are loaded, right before the run starts.
    """
    project = load_project_definitions()
    # Dagster marks parts of its selection syntax as beta; that is not the user's concern.
    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    # everything, without parsing "*" (Dagster's selection parser is an import of its own)
    job = dg.define_asset_job(REFRESH_JOB, selection=selection or dg.AssetSelection.all())
    defs = dg.Definitions(
        assets=project.assets,
        asset_checks=project.asset_checks,
        jobs=[job],
        resources={"pathlens": resource},
    )
    job_def = defs.resolve_job_def(REFRESH_JOB)
    home = None  # an instance given by the caller is left as it is
    if instance is None:
        home = ensure_dagster_home()
        instance = dg.DagsterInstance.get()
    run_id = str(uuid.uuid4())
    outcome = RefreshOutcome(run_id=run_id, success=False)
    paths = resource.paths()
    check_warehouse_path(paths)  # before anything is built: raises WarehousePathError

    def listen(record) -> None:
        event = record.dagster_event
        if event is None:
            return
        kind = event.event_type_value
        if kind == "STEP_FAILURE":
            error = getattr(event.event_specific_data, "error", None)
            models = ModelsFailed.parse(_innermost(error)) if error is not None else None
            if models is not None:  # the models' step: which models failed, and why
                failures, not_built = models
                outcome.failed_steps.extend(failures)
                outcome.failure_messages.update(failures)
                outcome.not_built.extend(not_built)
            else:
                outcome.failed_steps.append(event.step_key)
                if error is not None:
                    outcome.failure_messages[event.step_key] = _root_cause(error)
        elif kind == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN:
                outcome.warned_checks.append(evaluation.check_name)
            elif not evaluation.passed:
                outcome.failed_checks.append(evaluation.check_name)
        elif kind == "ASSET_MATERIALIZATION":
            key = event.asset_key.to_user_string()
            outcome.metadata[key] = {k: v.value for k, v in event.materialization.metadata.items()}
            if key == "published_warehouse":
                outcome.published = True
        if on_event is not None:
            on_event(kind, event.asset_key.to_user_string() if kind == "ASSET_MATERIALIZATION" else event.step_key or "")

    instance.add_event_listener(run_id, listen)
    run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    acquire_refresh_lock(paths)  # raises RefreshBusy, naming the other refresh, before any step
    if on_ready is not None:
        on_ready()
    try:
        # every step runs in this process: one open build file, and Dagster's SQLite storage
        # not flushed to disk for each event (pipelines.dagster_storage)
        with kept_open(paths.build), (fewer_flushes(home) if home else contextlib.nullcontext()):
            result = job_def.execute_in_process(
                run_config=run_config, instance=instance, run_id=run_id, raise_on_error=False
            )
    finally:
        release_refresh_lock(paths)  # also when a step after the publish took it again
    outcome.success = result.success and not outcome.failed_checks
    return outcome


def _innermost(error):
    """The error a step raised, inside the ones Dagster wrapped it in."""
    while getattr(error, "cause", None) is not None:
        error = error.cause
    return error


def _root_cause(error) -> str:
    """The innermost error's one-line message (Dagster wraps a step's exception)."""
    error = _innermost(error)
    lines = error.message.strip().splitlines()
    message = lines[0] if lines else ""
    return message if message.startswith(f"{error.cls_name}:") else f"{error.cls_name}: {message}"


def root_cause(exc: BaseException) -> str:
    """An exception's innermost cause as one line, `Class: message`, as `_root_cause` words a
    failed step's (a DuckDB error reads `BinderException: Binder Error: ...`)."""
    while exc.__cause__ is not None:
        exc = exc.__cause__
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")


class ModelsFailed(Exception):
    """Raised by the models' step (assets/metrics/sql.py) once it built everything it could:
    each failed model with its root cause, one a line, then the models not built because of
    them. `parse` reads them back from the failed step's error, for the refresh's outcome."""

    HEADER = "model(s) failed; the models reading them were not built"
    NOT_BUILT = "not built: "

    def __init__(self, failures: dict[str, str], not_built: list[str]) -> None:
        lines = [f"{len(failures)} {self.HEADER}"]
        lines += [f"{name}: {' '.join(cause.split())}" for name, cause in failures.items()]
        if not_built:
            lines.append(self.NOT_BUILT + ", ".join(not_built))
        super().__init__("\n".join(lines))
        self.failures, self.not_built = failures, not_built

    @classmethod
    def parse(cls, error) -> tuple[dict[str, str], list[str]] | None:
        """(failures, not built) from a step's innermost serialised error; None if it is not this."""
        if error is None or error.cls_name != cls.__name__:
            return None
        lines = error.message.strip().splitlines()
        start = next((i for i, line in enumerate(lines) if line.endswith(cls.HEADER)), None)
        if start is None:
            return None
        failures: dict[str, str] = {}
        not_built: list[str] = []
        for line in lines[start + 1:]:
            if line.startswith(cls.NOT_BUILT):
                not_built = line.removeprefix(cls.NOT_BUILT).split(", ")
            elif ": " in line:
                name, cause = line.split(": ", 1)
                failures[name] = cause
        return failures, not_built
