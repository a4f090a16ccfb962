"""The public schema is described once (sql/marts/schema.yml): the warehouse's own comments,
docs/schema.md's table sections and the dashboard's schema browser all show that text."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines import descriptions
from pipelines.descriptions import (
    SCHEMA_DOCS,
    DescriptionError,
    apply_comments,
    build_empty_warehouse,
    column_description,
    parse_descriptions,
    render_schema_docs,
    table_description,
    undescribed,
)
from pipelines.warehouse import WarehousePaths, open_reader, publish


@pytest.fixture(scope="module")
def empty_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every model, the comparisons and the alerts built on empty sources (the build file)."""
    return build_empty_warehouse(tmp_path_factory.mktemp("schema") / "pathlens.build.duckdb")


@pytest.fixture(scope="module")
def published(empty_build: Path) -> Path:
    return publish(WarehousePaths(empty_build.with_name("pathlens.duckdb")))


def test_every_public_table_column_and_macro_is_described(empty_build: Path):
    with duckdb.connect(str(empty_build), read_only=True) as con:
        assert con.sql("select count(*) from duckdb_columns() where schema_name = 'marts'").fetchall()[0][0] > 300
        assert undescribed(con) == []


def test_docs_schema_md_is_what_the_source_generates(empty_build: Path):
    current = SCHEMA_DOCS.read_text(encoding="utf-8")
    with duckdb.connect(str(empty_build), read_only=True) as con:
        rendered = render_schema_docs(con, current)
    assert rendered == current, "docs/schema.md differs from sql/marts/schema.yml: run `make schema-docs`"


def test_the_published_warehouse_carries_every_description(published: Path):
    con = open_reader(published)
    try:
        columns = con.sql("select table_name, column_name, comment from duckdb_columns() "
                          "where schema_name = 'marts'").fetchall()
        tables = con.sql("select table_name, comment from duckdb_tables() where schema_name = 'marts' "
                         "union all select view_name, comment from duckdb_views() where schema_name = 'marts'").fetchall()
    finally:
        con.close()
    assert {(t, c, comment) for t, c, comment in columns} == {(t, c, column_description(t, c)) for t, c, _ in columns}
    assert all(comment for _, _, comment in columns)
    assert {(t, comment) for t, comment in tables} == {(t, table_description(t)) for t, _ in tables}
    # a view (rebuilt as a view) carries them as well as a table
    assert ("ci_runs", table_description("marts.ci_runs")) in tables
    assert table_description("marts.services").startswith("One row per service.")
    assert column_description("marts.services", "owner_ref") == "the full reference, lower case (`group:default/team-x`)"


def test_the_schema_browser_shows_the_warehouse_comments(published: Path):
    from dashboards.lib.schema import load_schema

    con = open_reader(published)
    try:
        schema = load_schema(con)
    finally:
        con.close()
    row = schema.filter(table_name="teams", column_name="has_services").row(0, named=True)
    assert row["description"] == column_description("marts.teams", "has_services")
    assert row["table_description"] == "One row per team. Every owner of a service and every team an exception label names (SPEC §3 \"Team\")."


def test_an_undescribed_column_table_or_macro_is_reported(monkeypatch: pytest.MonkeyPatch):
    source = parse_descriptions({"tables": {
        "services": {"grain": "one row per service", "columns": {"service": "its name", "gone": "was here"}},
        "vanished": {"grain": "one row", "columns": {"x": "y"}},
    }, "macros": {}})
    monkeypatch.setattr(descriptions, "load_descriptions", lambda: source)
    with duckdb.connect() as con:
        con.execute("create schema marts")
        con.execute("create table marts.services (service varchar, owner varchar)")
        con.execute("create view marts.extra as select 1 as n")
        con.execute("create macro marts.no_such_model(x := 1) as table select x")
        problems = undescribed(con)
    assert problems == [
        "marts.extra: no entry under `tables:` in sql/marts/schema.yml",
        "sql/marts/schema.yml describes marts.vanished, which the warehouse does not have",
        "marts.services.owner: no description under `tables.services.columns`",
        "tables.services.columns.gone describes a column marts.services does not have",
        "marts.no_such_model (macro): no `macros.no_such_model` entry and no leading comment in its .sql",
    ]


def test_comments_reach_tables_views_columns_and_macros(monkeypatch: pytest.MonkeyPatch):
    source = parse_descriptions({"tables": {
        "t": {"grain": "one row per thing", "description": "It's quoted.", "columns": {"a": "the 'a' column"}},
        "v": {"grain": "one row", "columns": {"b": "b"}},
    }, "macros": {"m": "the things, filtered"}})
    monkeypatch.setattr(descriptions, "load_descriptions", lambda: source)
    with duckdb.connect() as con:
        con.execute("create schema marts")
        con.execute("create table marts.t (a int)")
        con.execute("create view marts.v as select 1 as b")
        con.execute("create macro marts.m(x := 1) as table select a from marts.t where a = x")
        assert apply_comments(con) == 5
        assert con.sql("select comment from duckdb_tables() where table_name = 't'").fetchall() == [
            ("One row per thing. It's quoted.",)]
        assert con.sql("select comment from duckdb_views() where view_name = 'v'").fetchall() == [("One row.",)]
        assert con.sql("select column_name, comment from duckdb_columns() where schema_name = 'marts' "
                       "order by 1").fetchall() == [("a", "the 'a' column"), ("b", "b")]
        assert con.sql("select comment from duckdb_functions() where function_name = 'm'").fetchall() == [
            ("the things, filtered",)]


def test_a_new_table_gets_a_section_and_a_gone_one_loses_it(monkeypatch: pytest.MonkeyPatch):
    source = parse_descriptions({"tables": {
        "t": {"grain": "one row per thing", "columns": {"a": "a | b"}},
    }})
    monkeypatch.setattr(descriptions, "load_descriptions", lambda: source)
    begin = "<!-- generated from sql/marts/schema.yml by `make schema-docs`: {} -->"
    text = (f"# Schema\n\n{begin.format('gone')}\n## old\n<!-- end generated: gone -->\n\nprose kept\n\n"
            f"{descriptions.END_OF_TABLES}\n")
    with duckdb.connect() as con:
        con.execute("create schema marts")
        con.execute("create table marts.t (a int)")
        rendered = render_schema_docs(con, text)
    assert rendered == (
        "# Schema\n\n\nprose kept\n\n"
        f"{begin.format('t')}\n## marts.t — one row per thing\n\n| column | type | meaning |\n|---|---|---|\n"
        "| `a` | INTEGER | a \\| b |\n<!-- end generated: t -->\n\n"
        f"{begin.format('table macros')}\n## Table macros\n\nNone yet.\n<!-- end generated: table macros -->\n\n"
        f"{descriptions.END_OF_TABLES}\n")


@pytest.mark.parametrize(("data", "message"), [
    ({"tables": {"t": {"grain": "", "columns": {}}}}, "tables.t.grain: expected a non-empty text"),
    ({"tables": {"t": {"grain": "g", "columns": {"a": None}}}}, "tables.t.columns.a: expected a non-empty text"),
    ({"tables": {"t": {"grain": "g"}}}, "tables.t.columns: expected a mapping"),
    ({"tables": {"t": {"grain": "g", "columns": {}, "colums": {}}}}, "tables.t: unknown key(s) ['colums']"),
    ({"table": {}}, "unknown key(s) ['table']"),
])
def test_a_malformed_source_names_the_key(data: dict, message: str):
    with pytest.raises(DescriptionError, match="schema.yml: ") as caught:
        parse_descriptions(data)
    assert message in str(caught.value)


def test_pathlens_sql_lists_a_table_macro_with_its_comment():
    from pipelines.sql_shell import TABLES_SQL

    with duckdb.connect() as con:
        con.execute("create schema marts")
        con.execute("create macro marts.m(x := 1) as table select x")
        con.execute("comment on macro table marts.m is 'the things, filtered'")
        assert ("marts", "m(…)", "table macro", "the things, filtered") in con.sql(TABLES_SQL).fetchall()


def test_the_sql_page_lists_table_macros_with_their_comments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from pipelines import WAREHOUSE_ENV
    from tests.dashboards.conftest import run_page
    from tests.dashboards.handbuilt import publish_handbuilt

    published = publish_handbuilt(tmp_path / "pathlens.duckdb")
    paths = WarehousePaths.for_(published)
    with duckdb.connect(str(paths.build)) as con:
        con.execute("create macro marts.owned_by(teams := null) as table "
                    "select * from marts.services where list_contains(teams, owner)")
        con.execute("comment on macro table marts.owned_by is 'The services of the given teams.'")
    publish(paths)
    monkeypatch.setenv(WAREHOUSE_ENV, str(published))
    at = run_page("sql")
    assert not at.exception
    assert not [d for d in at.dataframe if "call" in d.value.columns]  # drawn only when opened
    at.session_state["schema_macros"] = True  # the lead opens the 'table macros' expander
    at.run()
    macros = next(d.value for d in at.dataframe if "call" in d.value.columns)
    records = macros.to_dict("records")
    assert {"call": "marts.owned_by(teams)", "description": "The services of the given teams."} in records
    # the hand-built warehouse also carries the real metric macros, each with its comment
    adoption = next(r for r in records if r["call"].startswith("marts.adoption("))
    assert adoption["call"] == "marts.adoption(teams, languages, start, stop)"
    assert adoption["description"].startswith("marts.adoption_monthly for the selected teams")
    assert all(r["description"] for r in records)
