"""The configuration knows no source: what a source's world adds (the demo's clusters and
excluded repos) comes from the source registry, and the warehouse path has one variable and
one default."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from pipelines import DEFAULT_WAREHOUSE, WAREHOUSE_ENV
from pipelines.config import parse_settings
from pipelines.settings_tables import settings_frame
from pipelines.sources.demo_conventions import demo_settings
from pipelines.sources.registry import source_scope
from pipelines.warehouse import warehouse_path

ROOT = Path(__file__).resolve().parents[2]


def test_reading_the_configuration_imports_no_source():
    code = ("import sys, pipelines.config; "
            "print(sorted(m for m in sys.modules if m.startswith(('pipelines.sources', 'duckdb', 'polars'))))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def _row(settings) -> dict:
    return settings_frame(settings, as_of=datetime(2026, 1, 1), refresh_id="r").row(0, named=True)


def test_the_demo_brings_the_conventions_its_clusters_and_repos_follow():
    row = _row(demo_settings(scale="tiny"))
    assert (row["kubernetes_contexts"], row["production_contexts"]) == (["prod-eu", "staging"], ["prod-eu"])
    assert (row["service_label"], row["fallback_label"], row["pr_namespace_pattern"]) == (
        "backstage.io/kubernetes-id", "app.kubernetes.io/name", "pr-*")
    assert row["exclude_repos"] == ["sandbox-*"]


def test_a_live_configuration_uses_its_own_sections_or_their_defaults():
    bare = _row(parse_settings({"github": {"org": "acme"}}))
    assert (bare["kubernetes_contexts"], bare["production_contexts"], bare["exclude_repos"]) == ([], [], [])
    assert (bare["service_label"], bare["fallback_label"], bare["pr_namespace_pattern"]) == (
        "backstage.io/kubernetes-id", "app.kubernetes.io/name", "pr-*")
    full = parse_settings({"github": {"org": "acme", "exclude_repos": ["tmp-*"]},
                           "kubernetes": {"contexts": ["eu", "us"], "production_contexts": ["us"],
                                          "service_label": "team.io/service", "pr_namespace_pattern": "preview-*"}})
    scope = source_scope(full)
    assert scope.exclude_repos == ("tmp-*",) and scope.kubernetes is full.kubernetes
    row = _row(full)
    assert (row["kubernetes_contexts"], row["production_contexts"], row["service_label"],
            row["pr_namespace_pattern"], row["exclude_repos"]) == (
        ["eu", "us"], ["us"], "team.io/service", "preview-*", ["tmp-*"])


def test_the_warehouse_path_is_the_variable_else_the_configured_else_the_default(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(WAREHOUSE_ENV, raising=False)
    assert warehouse_path() == Path(DEFAULT_WAREHOUSE)
    assert parse_settings({"github": {"org": "acme"}}).warehouse == DEFAULT_WAREHOUSE
    assert demo_settings().warehouse == DEFAULT_WAREHOUSE
    assert warehouse_path("~/w/p.duckdb") == Path.home() / "w" / "p.duckdb"
    monkeypatch.setenv(WAREHOUSE_ENV, "/srv/pathlens/p.duckdb")
    assert warehouse_path("~/w/p.duckdb") == Path("/srv/pathlens/p.duckdb")


def test_dagster_runs_read_the_same_variable(monkeypatch: pytest.MonkeyPatch):
    from pipelines.resources import resource_from_environment

    monkeypatch.setenv(WAREHOUSE_ENV, "/srv/pathlens/p.duckdb")
    assert resource_from_environment().warehouse == "/srv/pathlens/p.duckdb"
