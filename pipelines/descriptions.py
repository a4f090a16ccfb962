"""What each public table, column and table macro of the warehouse means, from one source.

The source is `sql/marts/schema.yml` (beside the models it describes). From it come:

- the warehouse's own comments (`COMMENT ON TABLE / VIEW / COLUMN / MACRO TABLE`), applied by
  `apply_comments` at every publish, so `duckdb_columns()`, the dashboard's schema browser and
  `pathlens sql` show the text;
- the table sections of docs/schema.md, rewritten by `python -m pipelines.descriptions`
  (`make schema-docs`); `--check` fails when the committed file differs;
- `table_description`, `column_description` and `macro_description`, for code that shows what a
  public name means without opening a warehouse.

A table macro's description is the leading comment of its `sql/marts/<name>.sql` unless the
file's `macros:` section gives one. `undescribed` lists what has no description.
"""

from __future__ import annotations

import argparse
import functools
import re
import sys
import tempfile
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import yaml

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "sql" / "marts" / "schema.yml"
SCHEMA_DOCS = ROOT / "docs" / "schema.md"
SCHEMA = "marts"
MACROS_BLOCK = "table macros"
# where a public table that has no section in docs/schema.md yet gets one
END_OF_TABLES = "<!-- end of the generated marts sections -->"
_BEGIN = "<!-- generated from sql/marts/schema.yml by `make schema-docs`: {} -->"
_END = "<!-- end generated: {} -->"
_BLOCK = re.compile(r"<!-- generated from sql/marts/schema\.yml by `make schema-docs`: (.+?) -->\n"
                    r"(?:.*\n)*?<!-- end generated: \1 -->\n")


class DescriptionError(ValueError):
    """sql/marts/schema.yml is malformed (the message names the key and what was expected)."""


@dataclass(frozen=True)
class TableDescription:
    """One public table's (or view's) entry: its grain, an optional paragraph, its columns."""

    name: str
    grain: str
    description: str
    columns: Mapping[str, str]

    @property
    def comment(self) -> str:
        """The table's comment in the warehouse: the grain as a sentence, then the paragraph."""
        grain = self.grain[:1].upper() + self.grain[1:] + "."
        return f"{grain} {self.description}" if self.description else grain


@dataclass(frozen=True)
class Descriptions:
    tables: Mapping[str, TableDescription]
    macros: Mapping[str, str]  # only those the file describes; see `macro_description`


def _text(value: Any, key: str, path: Path) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DescriptionError(f"{path}: {key}: expected a non-empty text, found {value!r}")
    return " ".join(value.split())


def _mapping(value: Any, key: str, path: Path) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DescriptionError(f"{path}: {key}: expected a mapping of names, found {type(value).__name__}")
    return value


def parse_descriptions(data: Any, path: Path = SOURCE) -> Descriptions:
    """The validated content of a schema.yml already read as YAML."""
    data = _mapping(data, "(top level)", path)
    unknown = set(data) - {"tables", "macros"}
    if unknown:
        raise DescriptionError(f"{path}: unknown key(s) {sorted(unknown)}; expected `tables` and `macros`")
    tables = {}
    for name, entry in _mapping(data.get("tables") or {}, "tables", path).items():
        entry = _mapping(entry, f"tables.{name}", path)
        extra = set(entry) - {"grain", "description", "columns"}
        if extra:
            raise DescriptionError(f"{path}: tables.{name}: unknown key(s) {sorted(extra)}; "
                                   "expected grain, description, columns")
        columns = {str(column): _text(text, f"tables.{name}.columns.{column}", path)
                   for column, text in _mapping(entry.get("columns"), f"tables.{name}.columns", path).items()}
        description = entry.get("description")
        tables[name] = TableDescription(
            name=name,
            grain=_text(entry.get("grain"), f"tables.{name}.grain", path),
            description="" if description is None else _text(description, f"tables.{name}.description", path),
            columns=columns,
        )
    macros = {name: _text(text, f"macros.{name}", path)
              for name, text in _mapping(data.get("macros") or {}, "macros", path).items()}
    return Descriptions(tables, macros)


@functools.cache
def load_descriptions(path: Path = SOURCE) -> Descriptions:
    """sql/marts/schema.yml, validated (DescriptionError names the file and key otherwise)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DescriptionError(f"{path}: not valid YAML: {exc}") from None
    return parse_descriptions(data, path)


def _local(name: str) -> str:
    schema, dot, local = name.rpartition(".")
    if dot and schema != SCHEMA:
        raise ValueError(f"{name}: only `{SCHEMA}` objects are public and described")
    return local


def table_description(table: str) -> str | None:
    """The description of a public table or view (`marts.services` or `services`), as its
    warehouse comment reads: grain, then detail. None when it is not described."""
    entry = load_descriptions().tables.get(_local(table))
    return entry.comment if entry else None


def column_description(table: str, column: str) -> str | None:
    """What `column` of the public table `table` means; None when it is not described."""
    entry = load_descriptions().tables.get(_local(table))
    return entry.columns.get(column) if entry else None


def macro_description(macro: str) -> str | None:
    """What a public table macro (`marts.adoption`) returns: the `macros:` entry, else the
    leading comment of sql/marts/<name>.sql; None when neither exists."""
    name = _local(macro)
    given = load_descriptions().macros.get(name)
    if given:
        return given
    from pipelines.sql_models import load_models  # parsing: only when a macro is asked for

    model = next((m for m in load_models() if m.schema == SCHEMA and m.name == name), None)
    return (model.description or None) if model else None


# ----------------------------------------------------------------------------- the warehouse

def _relations(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(name, TABLE | VIEW) of every public table and view, by name."""
    return con.execute(
        """
        select table_name, 'TABLE' from duckdb_tables()
        where schema_name = ? and database_name = current_database()
        union all
        select view_name, 'VIEW' from duckdb_views()
        where schema_name = ? and database_name = current_database() and not internal
        order by 1
        """, [SCHEMA, SCHEMA]).fetchall()


def _columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """(table, column, type) of every public column, in table then column order."""
    return con.execute(
        "select table_name, column_name, data_type from duckdb_columns() "
        "where schema_name = ? and database_name = current_database() order by table_name, column_index",
        [SCHEMA]).fetchall()


def _macros(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, list[str]]]:
    """(name, macro | table_macro, parameters) of every public macro, by name."""
    return con.execute(
        "select function_name, any_value(function_type), any_value(parameters) from duckdb_functions() "
        "where schema_name = ? and database_name = current_database() "
        "and function_type in ('macro', 'table_macro') group by function_name order by function_name",
        [SCHEMA]).fetchall()


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def comment_statements(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The COMMENT ON statements that describe every public object the connection holds."""
    tables = load_descriptions().tables
    statements = []
    for name, kind in _relations(con):
        if name in tables:
            statements.append(f"COMMENT ON {kind} {SCHEMA}.{_ident(name)} IS {_literal(tables[name].comment)}")
    for table, column, _ in _columns(con):
        text = tables[table].columns.get(column) if table in tables else None
        if text:
            statements.append(f"COMMENT ON COLUMN {SCHEMA}.{_ident(table)}.{_ident(column)} IS {_literal(text)}")
    for name, kind, _ in _macros(con):
        text = macro_description(name)
        if text:
            target = "MACRO TABLE" if kind == "table_macro" else "MACRO"
            statements.append(f"COMMENT ON {target} {SCHEMA}.{_ident(name)} IS {_literal(text)}")
    return statements


def apply_comments(con: duckdb.DuckDBPyConnection) -> int:
    """Describe every public table, view, column and macro in the warehouse itself; returns
    how many comments were set. (Rebuilding a table drops its comments: run it last.)"""
    from pipelines.warehouse import transaction

    statements = comment_statements(con)
    if statements:
        with transaction(con):  # one commit, not one per comment: ~5x faster
            con.execute(";\n".join(statements))
    return len(statements)


def undescribed(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every public table, view, column or macro without a description, and every description
    of something the warehouse does not have; empty when the two agree."""
    tables = load_descriptions().tables
    problems = []
    relations = {name for name, _ in _relations(con)}
    for name in sorted(relations - set(tables)):
        problems.append(f"{SCHEMA}.{name}: no entry under `tables:` in {SOURCE.relative_to(ROOT)}")
    for name in sorted(set(tables) - relations):
        problems.append(f"{SOURCE.relative_to(ROOT)} describes {SCHEMA}.{name}, which the warehouse does not have")
    present: dict[str, set[str]] = {}
    for table, column, _ in _columns(con):
        present.setdefault(table, set()).add(column)
        if table in tables and column not in tables[table].columns:
            problems.append(f"{SCHEMA}.{table}.{column}: no description under `tables.{table}.columns`")
    for name, entry in sorted(tables.items()):
        for column in sorted(set(entry.columns) - present.get(name, set())):
            if name in relations:
                problems.append(f"tables.{name}.columns.{column} describes a column {SCHEMA}.{name} does not have")
    for name, _, _ in _macros(con):
        if not macro_description(name):
            problems.append(f"{SCHEMA}.{name} (macro): no `macros.{name}` entry and no leading comment in its .sql")
    return problems


# ----------------------------------------------------------------------------- docs/schema.md

def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _table_section(entry: TableDescription, columns: list[tuple[str, str]]) -> str:
    lines = [f"## {SCHEMA}.{entry.name} — {entry.grain}", ""]
    if entry.description:
        lines += [textwrap.fill(entry.description, width=96, break_on_hyphens=False), ""]
    lines += ["| column | type | meaning |", "|---|---|---|"]
    lines += [f"| `{column}` | {_cell(data_type)} | {_cell(entry.columns.get(column, ''))} |"
              for column, data_type in columns]
    return "\n".join(lines) + "\n"


def _macros_section(macros: list[tuple[str, str, list[str]]]) -> str:
    lines = ["## Table macros", ""]
    if not macros:
        return "\n".join([*lines, "None yet.", ""])
    lines += ["| macro | meaning |", "|---|---|"]
    for name, _, parameters in macros:
        signature = f"{SCHEMA}.{name}({', '.join(parameters)})"
        lines.append(f"| `{signature}` | {_cell(macro_description(name) or '')} |")
    return "\n".join(lines) + "\n"


def _block(name: str, body: str) -> str:
    return f"{_BEGIN.format(name)}\n{body}{_END.format(name)}\n"


def render_schema_docs(con: duckdb.DuckDBPyConnection, text: str) -> str:
    """docs/schema.md's text with every generated section rewritten from the source and the
    warehouse's column types: each public table's section in place (a new table's before the
    END_OF_TABLES marker, a gone table's removed), and the table-macro list. Prose outside the
    generated sections is kept as written."""
    tables = load_descriptions().tables
    columns: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in _columns(con):
        columns.setdefault(table, []).append((column, data_type))
    wanted = {name: _block(name, _table_section(tables[name], columns.get(name, [])))
              for name, _ in _relations(con) if name in tables}
    wanted[MACROS_BLOCK] = _block(MACROS_BLOCK, _macros_section(_macros(con)))
    seen = set()

    def replace(match: re.Match[str]) -> str:
        seen.add(match.group(1))
        return wanted.get(match.group(1), "")

    text = _BLOCK.sub(replace, text)
    missing = [block for name, block in wanted.items() if name not in seen]
    if missing:
        if END_OF_TABLES not in text:
            raise DescriptionError(f"{SCHEMA_DOCS}: no `{END_OF_TABLES}` line to put new sections before")
        text = text.replace(END_OF_TABLES, "\n".join(missing) + "\n" + END_OF_TABLES)
    return text


def build_empty_warehouse(path: Path) -> Path:
    """Every model, the comparisons and the alerts built on empty sources at `path`: the
    public schema with no rows (for its column types), in seconds."""
    from pipelines.reports.alerts import build_alerts
    from pipelines.sources.demo_conventions import demo_settings
    from pipelines.transform import build_all
    from pipelines.warehouse import writer

    settings = demo_settings()
    with writer(path) as con:
        build_all(con, settings, as_of=datetime(2026, 1, 1), refresh_id="schema-docs")
        build_alerts(con, settings)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.descriptions",
        description="Rewrite docs/schema.md's generated sections from sql/marts/schema.yml.")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 when docs/schema.md is not up to date or a "
                             "public column has no description")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        warehouse = build_empty_warehouse(Path(tmp) / "schema.duckdb")
        with duckdb.connect(str(warehouse), read_only=True) as con:
            problems = undescribed(con)
            current = SCHEMA_DOCS.read_text(encoding="utf-8")
            rendered = render_schema_docs(con, current)
    for problem in problems:
        print(problem, file=sys.stderr)
    if args.check:
        if rendered != current:
            print(f"{SCHEMA_DOCS.relative_to(ROOT)} is not up to date: run `make schema-docs`", file=sys.stderr)
        return 1 if problems or rendered != current else 0
    if rendered != current:
        SCHEMA_DOCS.write_text(rendered, encoding="utf-8")
        print(f"rewrote {SCHEMA_DOCS.relative_to(ROOT)}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
