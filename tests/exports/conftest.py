"""The hand-built organisation's warehouse, built once for the exports tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.exports.handbuilt import build_warehouse


@pytest.fixture(scope="session")
def exports_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_warehouse(tmp_path_factory.mktemp("exports"))
