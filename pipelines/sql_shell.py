"""The interactive `pathlens sql` prompt: multi-line statements ending in `;`, history, dot-commands.

What runs a statement is passed in (`Shell(run=...)`), so this module knows nothing of DuckDB or
of how queries are fenced: it reads input, decides when a statement is complete, turns
`.tables` / `.schema TABLE` into catalog queries, and hands each statement to `run`.
Input comes from prompt_toolkit when it is installed (editing, multi-line buffer, history
search), else from `input()` with readline's history, else (not a terminal) from lines read as
they come, so `pathlens sql < queries.sql` runs a file.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

PROMPT = "sql> "
CONTINUATION = "...> "
HISTORY_LENGTH = 2000

HELP = """\
Statements end with `;` and may span lines; Ctrl+C clears the statement being typed.
  .tables           tables, views and table macros, with their descriptions
  .schema TABLE     the columns of TABLE (schema.table or table), with types and descriptions
  .help             this text
  .quit             leave (or Ctrl+D)
Queries are read-only; every public table is described in docs/schema.md."""

TABLES_SQL = """\
SELECT schema_name AS "schema", table_name AS "name", 'table' AS kind, comment AS description
FROM duckdb_tables() WHERE database_name = current_database() AND NOT internal
UNION ALL
SELECT schema_name, view_name, 'view', comment
FROM duckdb_views() WHERE database_name = current_database() AND NOT internal
UNION ALL
SELECT DISTINCT schema_name, function_name || '(…)', 'table macro', coalesce(comment, description)
FROM duckdb_functions()
WHERE database_name = current_database() AND NOT internal AND function_type = 'table_macro'
ORDER BY 1, 2"""

# The columns of one table or view; '{schema}' is '' when the name was not qualified.
SCHEMA_SQL = """\
SELECT schema_name || '.' || table_name AS "table", column_name AS "column", data_type AS "type",
       comment AS description
FROM duckdb_columns()
WHERE database_name = current_database() AND table_name = '{table}'
  AND ('{schema}' = '' OR schema_name = '{schema}')
ORDER BY schema_name, column_index"""


def _literal(text: str) -> str:
    """Text safe inside a single-quoted SQL literal."""
    return text.replace("'", "''")


def split_statements(text: str) -> tuple[list[str], str]:
    """(complete statements, the unfinished rest): `;` ends a statement outside quotes and comments.

    Understands '…' strings ('' inside), E'…' strings (backslash escapes), "…" identifiers,
    $tag$…$tag$ strings, -- line comments and /* */ comments. Statements come without their
    `;`; statements of nothing but blanks and comments are dropped, and so is such a rest
    (it is returned as "").
    """
    statements: list[str] = []
    start = i = 0
    content = False  # the statement being read has more than blanks and comments
    n = len(text)

    def rest() -> str:
        return text[start:] if content else ""

    while i < n:
        ch = text[i]
        if ch == "-" and text.startswith("--", i):
            end = text.find("\n", i)
            if end < 0:
                break
            i = end + 1
            continue
        if ch == "/" and text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                return statements, rest()
            i = end + 2
            continue
        if ch == ";":
            if content:
                statements.append(text[start:i].strip())
            start, content = i + 1, False
            i += 1
            continue
        if not ch.isspace():
            content = True
        if ch == "'":
            backslash = i > 0 and text[i - 1] in "eE" and (i < 2 or not (text[i - 2].isalnum() or text[i - 2] == "_"))
            i += 1
            while i < n:
                if backslash and text[i] == "\\":
                    i += 2
                    continue
                if text[i] == "'":
                    if i + 1 < n and text[i + 1] == "'":
                        i += 2
                        continue
                    break
                i += 1
            else:
                return statements, rest()
        elif ch == '"':
            end = text.find('"', i + 1)
            if end < 0:
                return statements, rest()
            i = end
        elif ch == "$":
            tag_end = text.find("$", i + 1)
            tag = text[i:tag_end + 1] if tag_end > 0 else ""
            if tag == "$$" or (len(tag) > 2 and tag[1:-1].replace("_", "a").isalnum() and not tag[1].isdigit()):
                end = text.find(tag, tag_end + 1)
                if end < 0:
                    return statements, rest()
                i = end + len(tag) - 1
        i += 1
    return statements, rest()


def is_complete(text: str) -> bool:
    """Whether `text` is ready to run: empty, a dot-command, or ends with a finished statement."""
    stripped = text.strip()
    if not stripped or stripped.startswith("."):
        return True
    return not split_statements(text)[1]


class Shell:
    """Runs what is typed: statements through `run`, dot-commands here; text goes to `write`."""

    def __init__(self, run: Callable[[str], bool], write: Callable[[str], None]):
        self.run = run
        self.write = write

    def dot_command(self, line: str) -> bool:
        """Handle `.tables`, `.schema`, `.help`; returns False for `.quit` / `.exit`."""
        name, _, argument = line.strip().partition(" ")
        argument = argument.strip().rstrip(";").strip()
        if name in (".quit", ".exit", ".q"):
            return False
        if name == ".help":
            self.write(HELP)
        elif name == ".tables":
            self.run(TABLES_SQL)
        elif name == ".schema":
            if not argument:
                self.write("usage: .schema TABLE   (for example .schema marts.services)")
            else:
                schema, _, table = argument.rpartition(".")
                self.run(SCHEMA_SQL.format(table=_literal(_unquote(table)), schema=_literal(_unquote(schema))))
        else:
            self.write(f"unknown command {_printable(name)}: .tables, .schema TABLE, .help and .quit are known")
        return True

    def feed(self, text: str) -> bool:
        """Run one complete input (dot-command or statements); returns False when asked to quit."""
        if text.strip().startswith("."):
            return self.dot_command(text)
        statements, rest = split_statements(text)
        if rest:
            statements.append(rest.strip())  # end of input without `;`: run what was typed
        for statement in statements:
            self.run(statement)
        return True

    def loop(self, inputs: Iterable[str]) -> None:
        """Feed every complete input from `inputs` until it ends or `.quit`."""
        for text in inputs:
            if not self.feed(text):
                return


def _unquote(name: str) -> str:
    name = name.strip()
    if len(name) >= 2 and name[0] == name[-1] == '"':
        return name[1:-1].replace('""', '"')
    return name


def _printable(text: str) -> str:
    from pipelines.table_format import visible

    return visible(text)


def history_file() -> Path:
    """Where the prompt keeps its history: $XDG_STATE_HOME/pathlens/sql_history."""
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(state) / "pathlens" / "sql_history"


def lines_from(stream) -> Iterator[str]:
    """Complete inputs from a non-interactive stream: lines gathered until a statement ends."""
    buffer = ""
    for line in stream:
        if not buffer and line.strip().startswith("."):
            yield line
            continue
        buffer += line
        if is_complete(buffer):
            if buffer.strip():
                yield buffer
            buffer = ""
    if buffer.strip():
        yield buffer


def prompt_toolkit_inputs(history: Path | None, *, input=None, output=None) -> Iterator[str]:
    """Complete inputs from a prompt_toolkit session: Enter runs a finished statement, else adds a line.

    Raises ImportError when prompt_toolkit is not installed.
    """
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory, InMemoryHistory
    from prompt_toolkit.key_binding import KeyBindings

    bindings = KeyBindings()

    @bindings.add("enter")
    def _enter(event) -> None:
        buffer = event.current_buffer
        if is_complete(buffer.text):
            buffer.validate_and_handle()
        else:
            buffer.insert_text("\n")

    session = PromptSession(
        history=FileHistory(str(history)) if history else InMemoryHistory(),
        multiline=True,
        key_bindings=bindings,
        prompt_continuation=lambda width, line_number, wrap_count: CONTINUATION.rjust(width),
        input=input,
        output=output,
    )
    while True:
        try:
            text = session.prompt(PROMPT)
        except KeyboardInterrupt:
            continue  # Ctrl+C drops the statement being typed
        except EOFError:
            return
        if text.strip():
            yield text


def readline_inputs(history: Path | None) -> Iterator[str]:
    """Complete inputs from `input()`, with readline's line editing and history when available."""
    try:
        import readline
    except ImportError:  # pragma: no cover - Python without readline (Windows)
        readline = None
    if readline is not None and history is not None:
        readline.set_history_length(HISTORY_LENGTH)
        try:
            readline.read_history_file(history)
        except OSError:
            pass
    try:
        buffer = ""
        while True:
            try:
                line = input(CONTINUATION if buffer else PROMPT)
            except KeyboardInterrupt:
                print()
                buffer = ""
                continue
            except EOFError:
                print()
                if buffer.strip():
                    yield buffer
                return
            buffer = f"{buffer}\n{line}" if buffer else line
            if is_complete(buffer):
                if buffer.strip():
                    yield buffer
                buffer = ""
    finally:
        if readline is not None and history is not None:
            try:
                readline.write_history_file(history)
            except OSError:
                pass


def interactive_inputs() -> Iterator[str]:
    """The best input source this terminal offers (see the module docstring)."""
    if not sys.stdin.isatty():
        yield from lines_from(sys.stdin)
        return
    history: Path | None = history_file()
    try:
        history.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        history = None
    try:
        source = prompt_toolkit_inputs(history)
        yield from source
    except ImportError:
        yield from readline_inputs(history)
