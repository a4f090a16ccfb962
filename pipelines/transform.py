"""The steps from raw tables to marts, as plain functions on a DuckDB connection.

The Dagster assets are thin wrappers around these; tests and benchmarks call `build_all` to
run the same steps in dependency order without a Dagster instance.
"""

from __future__ import annotations

import graphlib
from datetime import UTC, datetime

import duckdb
import polars as pl

from pipelines.comparisons import build_comparisons
from pipelines.config import Settings
from pipelines.raw_schema import RAW_TABLES
from pipelines.settings_tables import (
    golden_paths_frame,
    gpu_resources_frame,
    settings_frame,
    team_aliases_frame,
)
from pipelines.sql_models import (
    SqlModel,
    SqlTest,
    build_statement,
    config_functions,
    load_models,
    load_tests,
)
from pipelines.warehouse import replace_table, transaction, upsert

FACT_TABLES = ("catalog_components", "service_specs", "template_answers", "workflow_calls", "file_errors")
# The same facts for every version of every file (raw.repo_files and raw.repo_file_versions),
# keyed by (repo, path, blob): what service history is rebuilt from.
VERSION_TABLES = tuple(f"{name}_by_version" for name in FACT_TABLES)
# Every distinct version of every file read: the current ones and their past. `blob` is the
# git blob sha (the md5 of the text where a source gave none); sql/staging/file_versions.sql
# keys versions the same way.
_FILE_VERSIONS = """
select repo, path, blob, any_value(content) as content, max(size) as size, bool_or(is_current) as is_current
from (
    select repo, path, coalesce(sha, md5(content)) as blob, content, size, true as is_current
    from raw.repo_files
    union all
    select repo, path, coalesce(blob_sha, md5(content)) as blob, content, size, false as is_current
    from raw.repo_file_versions
    where not coalesce(deleted, false)
)
group by repo, path, blob
order by repo, path, blob
"""
SNAPSHOT_TABLE = ("raw", "service_snapshots")
# marts tables an older pathlens built and nothing builds any more: dropped, not left stale
RETIRED_MODELS = (("marts", "service_snapshots"),)
# built in Python from marts.comparison_services (with marts.golden_path_vs_diy_by_language)
COMPARISONS_TABLE = ("marts", "golden_path_vs_diy")


def write_settings(con: duckdb.DuckDBPyConnection, settings: Settings, *, as_of: datetime, refresh_id: str) -> None:
    """The configuration as tables (`config.settings`, `config.golden_paths`,
    `config.gpu_resources`, `config.team_aliases`), the functions under sql/config that read
    it, and this refresh's row of raw.refreshes."""
    replace_table(con, "config.settings", settings_frame(settings, as_of=as_of, refresh_id=refresh_id))
    replace_table(con, "config.golden_paths", golden_paths_frame(settings))
    replace_table(con, "config.gpu_resources", gpu_resources_frame(settings))
    replace_table(con, "config.team_aliases", team_aliases_frame(settings))
    for statement in config_functions():
        con.execute(statement)
    upsert(
        con,
        RAW_TABLES["refreshes"],
        pl.DataFrame(
            {
                "refresh_id": [refresh_id],
                "source": ["demo" if settings.is_demo else "github"],
                "as_of": [as_of],
                "started_at": [datetime.now(UTC).replace(tzinfo=None)],
            }
        ),
    )


def write_facts(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict[str, pl.DataFrame]:
    """Parse every version of every file read (each distinct text once) into the staging fact
    tables: `staging.<fact>_by_version` for all of them, `staging.<fact>` for the current ones
    (raw.repo_files). Returns the current frames, then the versioned ones, by table name."""
    from pipelines.facts.frames import facts_frames

    files = con.sql(_FILE_VERSIONS).pl()
    versions = facts_frames(
        files,
        catalog_file=settings.services.catalog_file,
        spec_file=settings.services.spec_file,
        escape_hatch_path=settings.escape_hatch.path,
        gpu_resources=tuple(settings.escape_hatch.gpu_resources),
    )
    current = files.filter("is_current").select("repo", "path", "blob")
    frames = {}
    for name in FACT_TABLES:
        frames[name] = versions[name].join(current, on=["repo", "path", "blob"], how="semi", maintain_order="left").drop("blob")
        frames[f"{name}_by_version"] = versions[name]
    for name, frame in frames.items():
        replace_table(con, f"staging.{name}", frame)
    return frames


def snapshot_services(con: duckdb.DuckDBPyConnection) -> int:
    """Append today's per-service snapshot (replacing an earlier one of the same date); returns
    its row count.

    Each row is the state the refresh saw at its as_of (`observed_at`) with the inputs that come
    from no git file — the Backstage API component the service was read from, the repo's GitHub
    language — so later refreshes' service history takes them as observed (intermediate.repo_instants).
    """
    frame = con.sql(
        """
        select
            s.as_of::date as snapshot_date, s.refresh_id, v.service, v.repo, v.owner, v.language,
            v.golden_path, v.on_golden_path, v.has_service_spec, v.escape_hatch,
            v.escape_hatch_reasons, v.uses_platform_ci, s.as_of as observed_at, v.catalogued,
            v.template_commit, v.catalog_source, v.catalog_type, v.catalog_owner, v.lifecycle,
            v.source_template, v.kubernetes_id, v.declared_escape_hatch_reason, v.template_version,
            v.repo_language
        from intermediate.services as v cross join config.settings as s
        """
    ).pl()
    with transaction(con):
        # a service gone since an earlier refresh of the same date must not linger in it
        con.execute("DELETE FROM raw.service_snapshots WHERE snapshot_date = (SELECT as_of::date FROM config.settings)")
        rows = upsert(con, RAW_TABLES["service_snapshots"], frame)
        drop_retired_models(con)
    return rows


def drop_retired_models(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the RETIRED_MODELS an older pathlens left in the warehouse (table or view)."""
    for schema, name in RETIRED_MODELS:
        kind = con.execute(
            "SELECT table_type FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", [schema, name]
        ).fetchall()
        if kind:
            con.execute(f"DROP {'VIEW' if kind[0][0] == 'VIEW' else 'TABLE'} {schema}.{name}")


def model_deps(model: SqlModel) -> set[tuple[str, str]]:
    """The tables a model waits for: what it reads, except the dated snapshot — models read
    only earlier refreshes' snapshots, and this refresh's is taken after intermediate.services."""
    return {d for d in model.deps if d != SNAPSHOT_TABLE}


def build_model(con: duckdb.DuckDBPyConnection, model: SqlModel) -> int | None:
    """(Re)build one SQL model's table, view or table macro; returns a table's row count,
    None for a view or macro.

    (Counting a view's rows would run its whole query, for a number nobody reads.)
    """
    if model.materialized == "macro":
        con.execute(build_statement(model))
        return None
    existing = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [model.schema, model.name],
    ).fetchall()
    wanted = "VIEW" if model.materialized == "view" else "BASE TABLE"
    if existing and existing[0][0] != wanted:  # the model switched between table and view
        con.execute(f"DROP {'VIEW' if existing[0][0] == 'VIEW' else 'TABLE'} {model.qualified}")
    con.execute(build_statement(model))
    if model.materialized == "view":
        return None
    return con.execute(f"SELECT count(*) FROM {model.qualified}").fetchall()[0][0]


def failing_rows(con: duckdb.DuckDBPyConnection, test: SqlTest) -> int:
    """How many rows a data test returns (0 = it passes)."""
    body = test.sql.strip().rstrip(";")
    return con.execute(f"SELECT count(*) FROM ({body})").fetchall()[0][0]


def model_order() -> list[tuple[str, str]]:
    """Every table built after raw loading, in dependency order (models and the snapshot)."""
    models = {(m.schema, m.name): m for m in load_models()}
    graph: dict[tuple[str, str], set[tuple[str, str]]] = {k: model_deps(m) for k, m in models.items()}
    graph[SNAPSHOT_TABLE] = {("intermediate", "services")}
    graph[COMPARISONS_TABLE] = {("marts", "comparison_services")}
    order = graphlib.TopologicalSorter(graph).static_order()
    return [k for k in order if k in graph]


def build_step(con: duckdb.DuckDBPyConnection, key: tuple[str, str], settings: Settings) -> None:
    """Build one entry of `model_order()`: a SQL model, the snapshot or the comparisons."""
    if key == SNAPSHOT_TABLE:
        snapshot_services(con)
    elif key == COMPARISONS_TABLE:
        build_comparisons(con, settings.comparisons.min_n)
    else:
        build_model(con, {(m.schema, m.name): m for m in load_models()}[key])


def build_all(con: duckdb.DuckDBPyConnection, settings: Settings, *, as_of: datetime, refresh_id: str) -> dict[str, int]:
    """Settings, facts, every SQL model and the snapshot; returns the blocking data tests'
    failing rows (data-quality warnings, `-- severity: warn`, are not among them)."""
    write_settings(con, settings, as_of=as_of, refresh_id=refresh_id)
    write_facts(con, settings)
    for key in model_order():
        build_step(con, key, settings)
    return {t.name: failing_rows(con, t) for t in load_tests() if t.severity == "error"}
