"""The project loads as one Dagster code location, with `assets` being this repo's defs folder."""

from pathlib import Path

import dagster as dg

import assets
from pipelines.sql_models import (
    SqlModel,
    layer_violations,
    load_models,
    load_tests,
    referenced_tables,
)

ROOT = Path(__file__).resolve().parent.parent


def test_imported_assets_package_is_this_repos():
    assert Path(assets.__file__).resolve().parent == ROOT / "assets"


def test_definitions_load_with_every_sql_model_and_check():
    defs = dg.load_from_defs_folder(path_within_project=ROOT)
    keys = {key.to_user_string() for a in defs.assets for key in a.keys}
    for model in load_models():
        assert f"{model.schema}/{model.name}" in keys
    for name in ("raw/repos", "raw/repo_files", "raw/k8s_replicasets", "staging/service_specs", "published_warehouse"):
        assert name in keys
    # the data tests are checks of the models' step (assets/metrics/sql.py), each on its table
    checks = {(key.asset_key.to_user_string(), key.name) for a in [*defs.assets, *defs.asset_checks] for key in a.check_keys}
    assert checks == {("/".join(t.table), t.name) for t in load_tests()}

    from pipelines.definitions import defs as location  # the code location, with its resources

    dg.Definitions.validate_loadable(location())


def test_every_table_a_model_reads_is_built_by_something():
    from assets.metrics.sql import ALL_SOURCES, SOURCE_SIDE_TABLES

    defs = dg.load_from_defs_folder(path_within_project=ROOT)
    keys = {tuple(key.path) for a in defs.assets for key in a.keys}
    assert set(ALL_SOURCES) <= keys
    for model in load_models():
        for dep in model.deps:
            assert dep in keys or dep in SOURCE_SIDE_TABLES, f"{model.path.name} reads {dep}, which no asset builds"


def test_a_model_reading_what_sources_record_waits_for_every_source():
    defs = dg.load_from_defs_folder(path_within_project=ROOT)
    fetch_errors = dg.AssetKey(["staging", "fetch_errors"])  # the staging view over raw.fetch_errors
    model = next(a for a in defs.assets if fetch_errors in a.keys)
    parents = {tuple(k.path) for k in model.asset_deps[fetch_errors]}
    assert {("raw", "repos"), ("raw", "k8s_replicasets"), ("raw", "backstage_entities")} <= parents
    assert ("raw", "fetch_errors") not in parents


def test_dependencies_are_read_from_the_sql():
    sql = "with x as (select * from raw.repos) select * from x join intermediate.services s using (repo)"
    assert referenced_tables(sql) == (("intermediate", "services"), ("raw", "repos"))
    macro_call = "select * from marts.adoption(teams := ['x']) as a join config.settings on true"
    assert referenced_tables(macro_call) == (("config", "settings"), ("marts", "adoption"))
    # a CTE named like the table it reads (marts.comparison_services' `deploys`) keeps the dependency
    assert referenced_tables("with deploys as (select * from marts.deploys) select * from deploys") == (
        ("marts", "deploys"),)


def test_every_layer_reads_only_the_layer_below_it():
    # derived from the SQL itself: no mart reads raw, no intermediate model reads raw, and
    # staging reads nothing but raw and the configuration
    assert layer_violations() == []
    models = load_models()
    assert {m.schema for m in models} == {"staging", "intermediate", "marts"}
    assert not any(schema == "raw" for m in models if m.schema != "staging" for schema, _ in m.deps)


def _model(schema: str, sql: str) -> SqlModel:
    return SqlModel(schema, "x", ROOT / "sql" / schema / "x.sql", sql, referenced_tables(sql), "")


def test_a_mart_reading_raw_or_staging_reading_upwards_is_reported():
    mart = _model("marts", "select * from raw.workflow_runs join intermediate.services using (repo)")
    assert layer_violations((mart,)) == ["marts/x.sql reads raw.workflow_runs"]
    staging = _model("staging", "with s as (select * from intermediate.services) select * from raw.repos, s")
    assert layer_violations((staging,)) == ["staging/x.sql reads intermediate.services"]
    intermediate = _model("intermediate", "select * from marts.services union all select * from raw.repos")
    assert sorted(layer_violations((intermediate,))) == [
        "intermediate/x.sql reads marts.services", "intermediate/x.sql reads raw.repos"]
    assert layer_violations((_model("marts", "select * from staging.repos, config.settings"),)) == []
