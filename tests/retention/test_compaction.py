"""Retention: compacting old workflow runs leaves marts.ci_friction_monthly exactly as it was.

as_of is 2024-05-15 10:00; with retention_days = 60 the horizon is 2024-03-16 10:00, so the
months wholly before it (January, February) are compacted and March onwards stays run by run.
Expected figures are worked out by hand in the comments.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import dagster as dg
import duckdb
import polars as pl
import pytest
import yaml

from assets.metrics.sql import warehouse_models
from pipelines.config import parse_settings
from pipelines.raw_schema import RAW_TABLES
from pipelines.resources import PathlensResource
from pipelines.retention import compact_ci_runs, compaction_cutoff, rewrite_database
from pipelines.transform import build_all
from pipelines.warehouse import upsert, writer
from tests.metrics.conftest import build, repo

T = datetime.fromisoformat
AS_OF = T("2024-05-15T10:00:00")
SETTINGS = {"github": {"org": "acme"}, "golden_paths": [{"name": "go", "ref": "template:default/go"}],
            "ci": {"backfill_days": 30, "retention_days": 60}}
COMPACTED_AT = T("2024-05-15T10:05:00")


def run(repo_, run_id, created, queue_s, duration_s, conclusion, attempt=1):
    created_at = T(created)
    started = created_at + timedelta(seconds=queue_s)
    return {"repo": repo_, "run_id": run_id, "run_attempt": attempt, "workflow_name": "ci", "event": "push",
            "status": "completed", "conclusion": conclusion, "created_at": created_at, "run_started_at": started,
            "updated_at": started + timedelta(seconds=duration_s)}


RUNS = [
    # January, gp: durations 100..400, queues 10..40; 1 failure, 2 successes, 1 cancelled; one re-run
    run("acme/gp", 1, "2024-01-03T00:00:00", 10, 100, "success"),
    run("acme/gp", 2, "2024-01-10T00:00:00", 20, 200, "failure", attempt=2),
    run("acme/gp", 3, "2024-01-20T00:00:00", 30, 300, "success"),
    run("acme/gp", 4, "2024-01-31T23:59:59", 40, 400, "cancelled"),
    # February, diy: 600 success (queue 60), 900 timed out (queue 0)
    run("acme/diy", 5, "2024-02-05T00:00:00", 60, 600, "success"),
    run("acme/diy", 6, "2024-02-29T12:00:00", 0, 900, "timed_out"),
    # March: kept run by run (March ends after the horizon)
    run("acme/gp", 7, "2024-03-01T00:00:00", 5, 500, "success"),
    # a repo that is no service: its runs count nowhere and are simply deleted
    run("acme/tooling", 8, "2024-01-15T00:00:00", 0, 50, "success"),
]


def catalog(name, template=None):
    ann = f"\n  annotations:\n    backstage.io/source-template: {template}" if template else ""
    return (f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}{ann}\n"
            "spec:\n  type: service\n  owner: team-a\n")


FRICTION = ("select month, service, runs, failed, failure_rate, median_duration_s, p90_duration_s,"
            " median_queue_s, rerun_rate from marts.ci_friction_monthly order by service, month")


@pytest.fixture
def warehouse(tmp_path):
    con = build(
        tmp_path,
        repos=[repo("gp", "2023-12-01T00:00:00"), repo("diy", "2023-12-01T00:00:00"),
               repo("tooling", "2023-12-01T00:00:00")],
        files={("acme/gp", "catalog-info.yaml"): catalog("gp", "template:default/go"),
               ("acme/diy", "catalog-info.yaml"): catalog("diy")},
        settings=SETTINGS, as_of=AS_OF, extra={"workflow_runs": pl.DataFrame(RUNS)},
    )
    con.close()
    return tmp_path / "wh.duckdb"


def rebuild(path) -> None:
    with writer(path) as con:
        failures = build_all(con, parse_settings(SETTINGS), as_of=AS_OF, refresh_id="again")
    assert not any(failures.values())


def query(path, sql):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.sql(sql).fetchall()


@pytest.mark.parametrize(("days", "cutoff"), [(60, "2024-03-01"), (45, "2024-03-01"), (44, "2024-04-01"),
                                              (365, "2023-05-01")])
def test_cutoff_is_the_first_month_not_wholly_past_the_horizon(days, cutoff):
    # 45 days before 15 May 10:00 is 31 March 10:00 (March not wholly past); 44 days: 1 April 10:00
    assert compaction_cutoff(AS_OF, days) == date.fromisoformat(cutoff)


def test_compaction_keeps_the_monthly_mart_exact(warehouse):
    before = query(warehouse, FRICTION)
    assert before[0] == (
        # diy, February: runs 5, 6; 1 failed of 2 decided; median(600, 900) = 750;
        # p90 = 600 + 0.9 × 300 = 870; median queue (60, 0) = 30; no re-runs
        date(2024, 2, 1), "diy", 2, 1, 0.5, 750.0, pytest.approx(870.0), 30.0, 0.0)
    assert before[4] == (
        # gp, January: 1 failed of 3 decided (the cancelled run is neither); median(100..400) = 250;
        # p90 at position 0.9 × 3 = 2.7 → 300 + 0.7 × 100 = 370; median queue 25; 1 re-run of 4
        date(2024, 1, 1), "gp", 4, 1, pytest.approx(1 / 3), 250.0, pytest.approx(370.0), 25.0, 0.25)

    with writer(warehouse) as con:
        result = compact_ci_runs(con, as_of=AS_OF, retention_days=60, compacted_at=COMPACTED_AT)
    # gp January (4 runs) and diy February (2 runs); deleted: those 6 and tooling's run
    assert (result.cutoff, result.months_compacted, result.runs_compacted, result.runs_deleted) == (
        date(2024, 3, 1), 2, 6, 7)
    assert query(warehouse, "select run_id from raw.workflow_runs") == [(7,)]
    assert query(warehouse, "select month, repo, runs, failed, succeeded, reruns, median_duration_s,"
                            " p90_duration_s, median_queue_s, compacted_at from raw.ci_runs_monthly_compacted"
                            " order by month") == [
        (date(2024, 1, 1), "acme/gp", 4, 1, 2, 1, 250.0, pytest.approx(370.0), 25.0, COMPACTED_AT),
        (date(2024, 2, 1), "acme/diy", 2, 1, 1, 0, 750.0, pytest.approx(870.0), 30.0, COMPACTED_AT),
    ]

    rebuild(warehouse)
    assert query(warehouse, FRICTION) == before  # every month, compacted or not, unchanged
    assert query(warehouse, "select run_id from marts.ci_runs") == [(7,)]  # only March's run is left


def test_late_runs_of_a_compacted_month_are_dropped(warehouse):
    with writer(warehouse) as con:
        compact_ci_runs(con, as_of=AS_OF, retention_days=60, compacted_at=COMPACTED_AT)
    rebuild(warehouse)
    frozen = query(warehouse, FRICTION)

    # a reset cursor re-reads a January run and a new one: January is frozen, they change nothing
    with writer(warehouse) as con:
        upsert(con, RAW_TABLES["workflow_runs"], pl.DataFrame([
            run("acme/gp", 2, "2024-01-10T00:00:00", 20, 200, "failure", attempt=2),
            run("acme/gp", 99, "2024-01-11T00:00:00", 0, 5000, "failure")]))
    rebuild(warehouse)
    assert query(warehouse, FRICTION) == frozen  # the monthly mart ignores them ...
    # ... and so does marts.ci_by_month (read from intermediate.ci_repo_month_runs): March's run 7
    # alone, golden path: 1 run, 0 failed of 1 decided, median 500
    assert query(warehouse, "select month, on_golden_path, n, failure_rate, median_duration_s"
                            " from marts.ci_by_month()") == [(date(2024, 3, 1), True, 1, 0.0, 500.0)]

    with writer(warehouse) as con:  # ... and the next refresh's compaction deletes them
        again = compact_ci_runs(con, as_of=AS_OF, retention_days=60, compacted_at=COMPACTED_AT)
    assert (again.months_compacted, again.runs_compacted, again.runs_deleted) == (0, 0, 2)
    assert query(warehouse, "select sum(runs) from raw.ci_runs_monthly_compacted") == [(6,)]


def test_retention_off_changes_nothing(warehouse):
    with writer(warehouse) as con:
        result = compact_ci_runs(con, as_of=AS_OF, retention_days=None, compacted_at=COMPACTED_AT)
    assert result.cutoff is None and result.runs_deleted == 0
    assert query(warehouse, "select count(*) from raw.workflow_runs") == [(8,)]


def test_retention_must_cover_the_backfill():
    from pipelines.config import ConfigError

    with pytest.raises(ConfigError, match="retention_days .* must be at least backfill_days"):
        parse_settings({"github": {"org": "acme"}, "ci": {"backfill_days": 365, "retention_days": 100}})


def everything(path) -> dict[str, list]:
    """Every table's and view's rows, by qualified name."""
    with duckdb.connect(str(path), read_only=True) as con:
        names = con.sql("select table_schema || '.' || table_name from information_schema.tables"
                        " order by 1").fetchall()
        return {n: con.sql(f"select * from {n} order by all").fetchall() for (n,) in names}


def test_rewrite_gives_space_back_and_keeps_every_table_and_view(warehouse):
    with writer(warehouse) as con:
        compact_ci_runs(con, as_of=AS_OF, retention_days=60, compacted_at=COMPACTED_AT)
    rebuild(warehouse)
    contents = everything(warehouse)
    before, after = rewrite_database(warehouse)
    assert after <= before and warehouse.stat().st_size == after
    assert everything(warehouse) == contents
    assert "marts.ci_runs" in contents and contents["marts.ci_runs"] != []  # the view still resolves
    rebuild(warehouse)  # and the next refresh builds on it as before
    assert everything(warehouse)["marts.ci_friction_monthly"] == contents["marts.ci_friction_monthly"]


def test_the_compaction_asset(tmp_path):
    warehouse = tmp_path / "data" / "pathlens.duckdb"
    build_file = tmp_path / "data" / "pathlens.build.duckdb"
    built = build(tmp_path, repos=[repo("gp", "2023-12-01T00:00:00"), repo("diy", "2023-12-01T00:00:00")],
                  files={("acme/gp", "catalog-info.yaml"): catalog("gp", "template:default/go"),
                         ("acme/diy", "catalog-info.yaml"): catalog("diy")},
                  settings=SETTINGS, as_of=AS_OF, extra={"workflow_runs": pl.DataFrame(RUNS)})
    built.close()
    build_file.parent.mkdir()
    (tmp_path / "wh.duckdb").rename(build_file)
    config = tmp_path / "pathlens.yaml"
    config.write_text(yaml.safe_dump({"warehouse": str(warehouse), **SETTINGS}))

    # the compaction alone, out of the models' step (the selection subsets it)
    result = dg.materialize([warehouse_models], selection="raw/ci_runs_monthly_compacted",
                            resources={"pathlens": PathlensResource(config_path=str(config))},
                            instance=dg.DagsterInstance.ephemeral())
    assert result.success
    [materialization] = result.asset_materializations_for_node(warehouse_models.op.name)
    assert materialization.asset_key == dg.AssetKey(["raw", "ci_runs_monthly_compacted"])
    metadata = {k: v.value for k, v in materialization.metadata.items()}
    assert (metadata["cutoff"], metadata["months_compacted"], metadata["runs_compacted"], metadata["runs_deleted"]) == (
        "2024-03-01", 2, 6, 7)
    assert metadata["bytes_after_rewrite"] == build_file.stat().st_size
    assert query(build_file, "select run_id from raw.workflow_runs") == [(7,)]
