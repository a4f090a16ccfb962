"""The SQL models, their checks and the Python steps among them are ONE Dagster step
(assets/metrics/sql.py): each model still fails, is skipped, is checked and is materialised on
its own, as when each was a step of its own."""

from __future__ import annotations

import dagster as dg
import duckdb
import polars as pl
from typer.testing import CliRunner

import assets.metrics.sql as models_step
from pipelines.cli import app
from pipelines.raw_schema import RAW_TABLES
from pipelines.runner import run_refresh
from pipelines.warehouse import upsert, writer
from tests.pipeline.test_publish import issue, refresh, setup_org

FAILING = "intermediate.ci_repo_monthly"
ROOT_CAUSE = 'Binder Error: Referenced column "conclusion" not found in FROM clause!'
# what reads it, directly or not (from the SQL: grep -l intermediate.ci_repo_monthly sql/, then
# what reads those): the monthly CI mart, the compaction and its staging table, the comparisons'
# inputs, the comparisons, and the current figures that quote them
READERS = {"marts.ci_friction_monthly", "ci_runs_monthly_compacted", "staging.ci_runs_monthly_compacted",
           "marts.comparison_services", "golden_path_vs_diy", "marts.current_figures"}


def _fail_one_model(monkeypatch) -> None:
    real = models_step.build_model

    def build(con, model):
        if model.qualified == FAILING:
            raise duckdb.BinderException(ROOT_CAUSE)
        return real(con, model)

    monkeypatch.setattr(models_step, "build_model", build)


def _add_request(paths) -> None:
    # a new exception request: the models reading issues have something new to build
    with writer(paths.build) as con:
        upsert(con, RAW_TABLES["issues"], pl.DataFrame([issue(2, "2026-03-10T00:00:00", "2026-03-12T00:00:00")]))


def test_a_failing_model_is_named_with_its_cause_its_readers_wait_and_the_rest_is_built(tmp_path, monkeypatch):
    resource, paths = setup_org(tmp_path)
    assert refresh(resource).published
    before = paths.published.read_bytes()
    _add_request(paths)
    _fail_one_model(monkeypatch)

    outcome = refresh(resource)

    assert not outcome.success and not outcome.published
    assert outcome.failed_steps == [FAILING]
    assert outcome.failure_messages == {FAILING: f"BinderException: {ROOT_CAUSE}"}
    assert READERS <= set(outcome.not_built)
    assert not {"marts.exception_requests", "marts.services"} & set(outcome.not_built)
    built = set(outcome.metadata)
    assert {"marts/exception_requests", "marts/services", "raw/service_snapshots", "marts/alerts"} <= built
    assert not {"marts/ci_friction_monthly", "marts/golden_path_vs_diy", "raw/ci_runs_monthly_compacted"} & built
    assert outcome.metadata["marts/exception_requests"]["rows"] == 2  # rebuilt with the new request
    assert paths.published.read_bytes() == before  # nothing published


def test_the_command_line_names_the_failed_model_its_cause_and_what_was_not_built(tmp_path, monkeypatch):
    resource, paths = setup_org(tmp_path)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    _fail_one_model(monkeypatch)
    result = CliRunner().invoke(app, ["refresh", "--config", resource.config_path,
                                      "--select", "not group:sources and not group:reports"])
    assert result.exit_code == 1
    output = " ".join(result.output.split())  # the terminal wraps long lines
    assert f"{FAILING}: BinderException: {ROOT_CAUSE}" in output
    assert "not built, as what they read failed:" in output and "marts.ci_friction_monthly" in output
    assert f"failed: {FAILING}" in output
    assert f"published {paths.published}" not in output


def test_a_failed_blocking_check_holds_back_the_readers_of_its_table_only(tmp_path):
    resource, paths = setup_org(tmp_path)
    # closed before it was opened: exception_requests__unique_request returns it
    with writer(paths.build) as con:
        upsert(con, RAW_TABLES["issues"], pl.DataFrame([issue(2, "2026-03-10T00:00:00", "2026-03-01T00:00:00")]))
    outcome = refresh(resource)
    assert not outcome.success and not outcome.published
    assert outcome.failed_checks == ["exception_requests__unique_request"]
    built = set(outcome.metadata)
    assert "marts/exception_requests" in built  # checked after it is built
    # marts.exception_requests_by_month reads it; marts.services does not
    assert "marts/exception_requests_by_month" not in built
    assert "marts/services" in built


def test_a_failed_warning_check_is_reported_and_the_refresh_publishes(tmp_path):
    resource, paths = setup_org(tmp_path)
    with writer(paths.build) as con:  # a request labelled for a team that owns no service
        upsert(con, RAW_TABLES["issues"], pl.DataFrame([
            {**issue(3, "2026-03-10T00:00:00", None), "labels": ["golden-path-exception", "team:nobody"]}]))
    outcome = refresh(resource)
    assert outcome.success and outcome.published, outcome
    assert outcome.warned_checks == ["teams__label_names_an_owner"]
    assert outcome.failed_checks == []


def test_a_selection_builds_the_selected_models_only_and_runs_their_checks(tmp_path):
    resource, paths = setup_org(tmp_path)
    assert refresh(resource).published
    _add_request(paths)
    events: list[tuple[str, str]] = []
    selected = {"staging/issues", "intermediate/exception_requests", "marts/exception_requests"}
    outcome = run_refresh(resource, selection=" or ".join(f'key:"{k}"' for k in selected),
                          instance=dg.DagsterInstance.ephemeral(),
                          on_event=lambda kind, name: events.append((kind, name)))
    assert outcome.success and not outcome.published  # the publish was not selected
    assert set(outcome.metadata) == selected
    assert outcome.metadata["marts/exception_requests"]["rows"] == 2  # built after what it reads
    assert [kind for kind, _ in events].count("ASSET_CHECK_EVALUATION") == 1  # exception_requests' one test
    with duckdb.connect(str(paths.build), read_only=True) as con:
        # the monthly table reading it was not selected: still the first refresh's one request
        assert con.sql("select sum(opened) from marts.exception_requests_monthly").fetchall() == [(1,)]
