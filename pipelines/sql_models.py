"""`sql/` → Dagster assets and asset checks.

The path is the table: `sql/marts/services.sql` builds `marts.services`. Dependencies are read
from the SQL itself with DuckDB's own parser (every `schema.table` it selects from), never
declared twice.

The layers look one step down (`LAYER_READS`): `staging` models read `raw` (one model per raw
table, where the per-row rules live); `intermediate` models (components, services, ...) read
staging; `marts`, the public tables, read staging and intermediate, never raw. Every layer may
read `config` (the configuration as tables) and its own layer.
A marts file with a `-- materialized: macro` line and a `-- parameters: a := NULL, ...` line
is a DuckDB table macro stored in the warehouse (`marts.adoption(teams := ['team-x'])`): the
one definition of a metric family, with its filters (teams, languages) and its period
(`start`, `stop`) as parameters. Readers and analysts call it; the public marts of that family
select its unfiltered result.
A data test `sql/tests/<table>__<what>.sql` is a query returning the offending rows; it becomes
a blocking asset check on the table it is named after, and passes when it returns nothing. A
test with a `-- severity: warn` line is a data-quality warning instead: reported, non-blocking.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
MODEL_SCHEMAS = ("staging", "intermediate", "marts")
# which schemas a model of each layer may read (besides tables built in Python into the same
# schemas: the parsed repository files in staging, marts.alerts)
LAYER_READS: dict[str, frozenset[str]] = {
    "staging": frozenset({"raw", "config"}),
    "intermediate": frozenset({"config", "staging", "intermediate"}),
    "marts": frozenset({"config", "staging", "intermediate", "marts"}),
}


@dataclass(frozen=True)
class SqlModel:
    schema: str
    name: str
    path: Path
    sql: str
    deps: tuple[tuple[str, str], ...]  # (schema, table) it reads
    description: str
    materialized: str = "table"  # or "view" / "macro": a `-- materialized: ...` line in the file
    parameters: str = ""  # a macro's, from its `-- parameters: ...` line

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class SqlTest:
    name: str
    table: tuple[str, str]
    path: Path
    sql: str
    description: str
    severity: str = "error"  # "warn": a `-- severity: warn` line; reported, never stops a publish


def referenced_tables(sql: str, con: duckdb.DuckDBPyConnection | None = None) -> tuple[tuple[str, str], ...]:
    """Every schema-qualified table (or table macro) a query reads, sorted. Its own CTEs are never
    schema-qualified, so a CTE named like a table it reads (`with deploys as (... marts.deploys)`)
    does not hide that table.

    Read from DuckDB's own parse tree (`json_serialize_sql`), the parser that will run the
    query; raises ValueError when the text does not parse.
    """
    if con is None:
        with duckdb.connect() as own:
            return referenced_tables(sql, own)
    tree = json.loads(con.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0])
    if tree.get("error"):
        raise ValueError(f"the query does not parse: {tree.get('error_message', '')}")
    found: set[tuple[str, str]] = set()
    _collect(tree, found)
    return tuple(sorted(found))


def _collect(node: Any, found: set[tuple[str, str]]) -> None:
    if isinstance(node, list):
        for item in node:
            _collect(item, found)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind == "BASE_TABLE" and node.get("schema_name"):
        found.add((node["schema_name"], node["table_name"]))
    elif kind == "TABLE_FUNCTION" and isinstance(node.get("function"), dict) and node["function"].get("schema"):
        # a table macro call (`marts.adoption(teams := [...])`) reads the macro
        found.add((node["function"]["schema"], node["function"]["function_name"]))
    for value in node.values():
        _collect(value, found)


def _leading_comment(sql: str) -> str:
    lines = []
    for line in sql.splitlines():
        stripped = line.strip()
        if not stripped.startswith("--"):
            break
        lines.append(stripped.removeprefix("--").strip())
    return " ".join(lines).strip()


def load_models(sql_dir: Path = SQL_DIR) -> tuple[SqlModel, ...]:
    """All models under sql/staging, sql/intermediate and sql/marts, in layer then file order.

    Read and parsed once per folder and process, whether the folder is given or not.
    """
    return _load_models(Path(sql_dir))


@functools.cache
def _load_models(sql_dir: Path) -> tuple[SqlModel, ...]:
    with duckdb.connect() as con:  # one parser for every file
        return _read_models(sql_dir, con)


def _read_models(sql_dir: Path, con: duckdb.DuckDBPyConnection) -> tuple[SqlModel, ...]:
    models = []
    for schema in MODEL_SCHEMAS:
        for path in sorted((sql_dir / schema).glob("*.sql")):
            sql = path.read_text(encoding="utf-8")
            deps = tuple(d for d in referenced_tables(sql, con) if d != (schema, path.stem))
            kind = re.search(r"^--\s*materialized:\s*(view|macro)\s*$", sql, re.M)
            parameters = re.search(r"^--\s*parameters:(.*)$", sql, re.M)
            description = _leading_comment(
                re.sub(r"^--\s*(materialized|parameters):.*$", "", sql, flags=re.M).lstrip())
            models.append(SqlModel(schema, path.stem, path, sql, deps, description,
                                   kind.group(1) if kind else "table",
                                   parameters.group(1).strip() if parameters else ""))
    return tuple(models)


@functools.cache
def load_tests(sql_dir: Path = SQL_DIR) -> tuple[SqlTest, ...]:
    """All data tests under sql/tests; `<table>__<what>.sql` checks the model named `<table>`."""
    model_tables = {m.name: (m.schema, m.name) for m in load_models(sql_dir)}
    tests = []
    for path in sorted((sql_dir / "tests").glob("*.sql")):
        table_name, sep, _ = path.stem.partition("__")
        if not sep or table_name not in model_tables:
            raise ValueError(f"{path}: name it <table>__<what>.sql after a model under sql/")
        sql = path.read_text(encoding="utf-8")
        severity = "warn" if re.search(r"^--\s*severity:\s*warn\s*$", sql, re.M) else "error"
        description = _leading_comment(re.sub(r"^--\s*severity:.*$", "", sql, flags=re.M).lstrip())
        tests.append(SqlTest(path.stem, model_tables[table_name], path, sql, description, severity))
    return tuple(tests)


def layer_violations(models: tuple[SqlModel, ...] | None = None) -> list[str]:
    """Every read that skips a layer or goes up one (`LAYER_READS`), as `file reads table`."""
    found = []
    for model in load_models() if models is None else models:
        allowed = LAYER_READS[model.schema]
        for schema, table in model.deps:
            if schema not in allowed:
                found.append(f"{model.schema}/{model.path.name} reads {schema}.{table}")
    return found


@functools.cache
def config_functions(sql_dir: Path = SQL_DIR) -> tuple[str, ...]:
    """The text of each sql/config/*.sql (macros over the configuration tables, several
    statements a file), in file order."""
    return tuple(p.read_text(encoding="utf-8") for p in sorted((sql_dir / "config").glob("*.sql")))


def build_statement(model: SqlModel) -> str:
    """The DDL that (re)builds a model's table, view or table macro from its query."""
    body = model.sql.strip().rstrip(";")
    if model.materialized == "macro":
        return f"CREATE OR REPLACE MACRO {model.qualified}({model.parameters}) AS TABLE\n{body}"
    kind = "VIEW" if model.materialized == "view" else "TABLE"
    return f"CREATE OR REPLACE {kind} {model.qualified} AS\n{body}"
