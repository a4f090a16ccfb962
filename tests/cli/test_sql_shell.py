"""The interactive `pathlens sql` prompt: statements over lines, dot-commands, history."""

from __future__ import annotations

import io

import pytest

from pipelines.sql_shell import (
    Shell,
    is_complete,
    lines_from,
    prompt_toolkit_inputs,
    split_statements,
)


@pytest.mark.parametrize(("text", "statements", "rest"), [
    ("select 1;", ["select 1"], ""),
    ("select 1", [], "select 1"),
    ("select 1;\nselect 2;;", ["select 1", "select 2"], ""),
    ("select ';' as semi", [], "select ';' as semi"),
    ("select 'it''s; fine';", ["select 'it''s; fine'"], ""),
    ("select E'a\\'; b';", ["select E'a\\'; b'"], ""),
    ('select "a;b" from t;', ['select "a;b" from t'], ""),
    ("select $$a;b$$;", ["select $$a;b$$"], ""),
    ("select 1 -- not the end;", [], "select 1 -- not the end;"),
    ("/* ; */ select 1;", ["/* ; */ select 1"], ""),
    ("select 1; -- a note", ["select 1"], ""),
    ("-- only a comment\n", [], ""),
])
def test_split_statements(text, statements, rest):
    assert split_statements(text) == (statements, rest)


def test_a_statement_is_complete_at_its_semicolon():
    assert not is_complete("select *\nfrom marts.services")
    assert is_complete("select *\nfrom marts.services;")
    assert is_complete(".tables") and is_complete("   ")


class Recorder:
    def __init__(self):
        self.ran: list[str] = []
        self.written: list[str] = []

    def run(self, sql: str) -> bool:
        self.ran.append(sql)
        return True


def shell() -> tuple[Shell, Recorder]:
    rec = Recorder()
    return Shell(run=rec.run, write=rec.written.append), rec


def test_piped_input_runs_a_statement_spread_over_lines():
    sh, rec = shell()
    sh.loop(lines_from(io.StringIO("select service\n  from marts.services\n where escape_hatch;\nselect 2;\nselect 3\n")))
    assert rec.ran == ["select service\n  from marts.services\n where escape_hatch", "select 2", "select 3"]


def test_dot_commands():
    sh, rec = shell()
    sh.loop(lines_from(io.StringIO(".help\n.tables\n.schema marts.services\n.schema \"odd\"\"name\"\n.nope\n.quit\nselect 1;\n")))
    assert "Statements end with `;`" in rec.written[0]
    assert "duckdb_tables()" in rec.ran[0] and "duckdb_views()" in rec.ran[0]
    assert "table_name = 'services'" in rec.ran[1] and "schema_name = 'marts'" in rec.ran[1]
    assert "table_name = 'odd\"name'" in rec.ran[2]
    assert rec.written[1].startswith("unknown command .nope")
    assert len(rec.ran) == 3  # .quit stopped before `select 1`


def test_schema_names_cannot_break_out_of_the_catalog_query():
    sh, rec = shell()
    sh.feed(".schema x' or 1=1 --")
    assert "table_name = 'x'' or 1=1 --'" in rec.ran[0]


def test_prompt_toolkit_prompt_takes_multi_line_statements_and_keeps_history(tmp_path):
    pytest.importorskip("prompt_toolkit")
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    history = tmp_path / "history"
    with create_pipe_input() as pipe:
        pipe.send_text("select 1\r")          # Enter without `;`: a new line, not a run
        pipe.send_text("  + 1;\r")            # the statement ends: one input
        pipe.send_text(".tables\r")           # a dot-command runs at once
        pipe.send_text("\x04")                # Ctrl+D leaves
        inputs = list(prompt_toolkit_inputs(history, input=pipe, output=DummyOutput()))
    assert inputs == ["select 1\n  + 1;", ".tables"]
    from prompt_toolkit.history import FileHistory

    # the next session finds both, the two-line statement as one entry
    assert list(FileHistory(str(history)).load_history_strings()) == [".tables", "select 1\n  + 1;"]
