"""Fixtures for the dashboard tests: a published hand-built warehouse and AppTest helpers."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines import WAREHOUSE_ENV as ENV_VAR
from tests.dashboards.handbuilt import publish_handbuilt
from tests.dashboards.server import build_demo

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
PAGES = ("overview", "adoption", "escape_hatches", "exceptions", "friction", "maintenance", "services", "sql", "glossary")


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The hand-built warehouse published at tmp_path/pathlens.duckdb, and the app pointed at it."""
    published = publish_handbuilt(tmp_path / "pathlens.duckdb")
    monkeypatch.setenv(ENV_VAR, str(published))
    return published


@pytest.fixture
def friction_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The hand-built warehouse with the friction marts too."""
    published = publish_handbuilt(tmp_path / "pathlens.duckdb", friction=True)
    monkeypatch.setenv(ENV_VAR, str(published))
    return published


@pytest.fixture
def maintenance_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The hand-built warehouse with the template-drift marts too."""
    published = publish_handbuilt(tmp_path / "pathlens.duckdb", maintenance=True)
    monkeypatch.setenv(ENV_VAR, str(published))
    return published


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo organisation's warehouse: $PATHLENS_DEMO_WAREHOUSE, else `pathlens demo --scale tiny`."""
    given = os.environ.get("PATHLENS_DEMO_WAREHOUSE")
    if given:
        return Path(given)
    return build_demo(tmp_path_factory.mktemp("demo") / "pathlens.duckdb", scale="tiny")


def run_page(page: str, query_params: dict | None = None, timeout: float = 30) -> AppTest:
    """AppTest of app.py on `page` (a file name under views/, without .py), run once."""
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    if query_params:
        at.query_params.update(query_params)
    at.run()
    if page != "overview":
        at.switch_page(f"views/{page}.py").run()
    return at


@pytest.fixture
def open_page() -> Callable[..., AppTest]:
    return run_page
