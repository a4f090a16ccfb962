"""One Dagster home: the `pathlens` commands and `dagster dev` in the project folder share it."""

from __future__ import annotations

import logging
import os

import pytest
from dagster._cli.utils import get_possibly_temporary_instance_for_cli

from pipelines.runner import ensure_dagster_home


@pytest.fixture
def no_dagster_home(monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    yield
    os.environ.pop("DAGSTER_HOME", None)


def test_the_project_folder_is_recorded_and_dagster_dev_opens_it(tmp_path, monkeypatch, no_dagster_home):
    project = tmp_path / "my $project"  # a `$` must not be expanded by .env interpolation
    project.mkdir()
    (project / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    (project / ".env").write_text("GITHUB_TOKEN_ENV_NAME=kept")  # the user's own lines stay
    assert ensure_dagster_home(project) == project.resolve()
    assert os.environ["DAGSTER_HOME"] == str(project.resolve())
    assert (project / ".env").read_text().startswith("GITHUB_TOKEN_ENV_NAME=kept\n")

    # what `dagster dev` does in that folder with DAGSTER_HOME unset in its shell
    monkeypatch.delenv("DAGSTER_HOME")
    monkeypatch.chdir(project)
    with get_possibly_temporary_instance_for_cli("dagster dev", logger=logging.getLogger("test")) as instance:
        assert instance.root_directory == str(project.resolve())
        assert not instance.is_ephemeral


def test_an_explicit_dagster_home_wins_and_nothing_is_written(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    assert ensure_dagster_home(tmp_path) == home and home.is_dir()
    assert not (tmp_path / ".env").exists()


def test_a_home_named_in_dotenv_is_used(tmp_path, no_dagster_home):
    elsewhere = tmp_path / "elsewhere"
    (tmp_path / ".env").write_text(f"DAGSTER_HOME='{elsewhere}'\n")
    assert ensure_dagster_home(tmp_path) == elsewhere
    assert (tmp_path / ".env").read_text() == f"DAGSTER_HOME='{elsewhere}'\n"
