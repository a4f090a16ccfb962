"""Every example Dagster instance config passes Dagster's own validation.

`InstanceRef.from_dir` validates the file against the instance schema and resolves each part
(storage, run launcher, ...) to a configurable class, exactly as `DagsterInstance.get()` does;
each class's config is then processed against that class's schema (Postgres storage from
dagster-postgres, K8sRunLauncher from dagster-k8s) without connecting to anything.
"""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import pytest
from dagster._config import process_config, resolve_to_config_type
from dagster._core.errors import DagsterInvalidConfigError
from dagster._core.instance.ref import InstanceRef
from dagster._serdes.config_class import ConfigurableClassData

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "docs" / "production").glob("dagster*.yaml"))
ENV = {"DAGSTER_PG_HOST": "postgres.internal", "DAGSTER_PG_DB": "dagster", "DAGSTER_PG_USER": "dagster",
       "DAGSTER_PG_PASSWORD": "not-a-real-password", "DAGSTER_POSTGRES_URL": "postgresql://u:p@db:5432/dagster"}


def validate(config_file: Path, tmp_path: Path) -> dict[str, str]:
    """Validate like Dagster does; returns part → "module.Class" of every configured part."""
    folder = tmp_path / config_file.stem
    folder.mkdir()
    shutil.copy(config_file, folder / "dagster.yaml")
    ref = InstanceRef.from_dir(str(tmp_path), config_dir=str(folder))
    parts = {}
    for name, data in ref._asdict().items():
        if not isinstance(data, ConfigurableClassData):
            continue
        klass = getattr(importlib.import_module(data.module_name), data.class_name)
        result = process_config(resolve_to_config_type(klass.config_type()), data.config_dict)
        assert result.success, f"{config_file.name}: {name}: {[e.message for e in result.errors]}"
        parts[name] = f"{data.module_name}.{data.class_name}"
    return parts


def test_there_are_examples():
    assert {p.name for p in EXAMPLES} == {"dagster.yaml", "dagster.single-host.yaml"}


@pytest.mark.parametrize("config_file", EXAMPLES, ids=lambda p: p.name)
def test_example_instance_configs_validate(config_file, tmp_path, monkeypatch):
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    parts = validate(config_file, tmp_path)
    assert parts["storage_data"] == "dagster_postgres.DagsterPostgresStorage"
    assert parts["run_storage_data"] == "dagster_postgres.PostgresRunStorage"
    assert parts["event_storage_data"] == "dagster_postgres.PostgresEventLogStorage"
    if config_file.name == "dagster.yaml":
        assert parts["run_launcher_data"] == "dagster_k8s.K8sRunLauncher"
    assert parts["run_coordinator_data"] == "dagster._core.run_coordinator.QueuedRunCoordinator"


def test_the_repository_default_is_single_machine(tmp_path):
    parts = validate(ROOT / "dagster.yaml", tmp_path)
    assert parts["storage_data"] == "dagster._core.storage.sqlite_storage.DagsterSqliteStorage"


def test_validation_catches_a_mistake(tmp_path, monkeypatch):
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    broken = tmp_path / "dagster.broken.yaml"
    broken.write_text((ROOT / "docs/production/dagster.yaml").read_text().replace("job_namespace:", "job_namspace:"))
    with pytest.raises(AssertionError, match="job_namspace"):
        validate(broken, tmp_path)
    misplaced = tmp_path / "dagster.misplaced.yaml"
    misplaced.write_text("run_queue:\n  max_concurent_runs: 1\n")
    with pytest.raises(DagsterInvalidConfigError):
        validate(misplaced, tmp_path)
