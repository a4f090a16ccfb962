"""The Glossary page's content: every metric in one sentence, SPEC's rule, and its SQL.

The entries come from `sql/marts/glossary.yml`; the description of where each figure lives
from `sql/marts/schema.yml` (the warehouse's own column comments); the SQL from the model
files under `sql/` as they are — the mart holding the figure, the files the entry names, and
every model upstream of the mart that mentions the column. Nothing here opens the warehouse.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from pipelines.descriptions import column_description
from pipelines.sql_models import SQL_DIR, load_models

SOURCE = SQL_DIR / "marts" / "glossary.yml"


ROOT = SQL_DIR.parent


@dataclass(frozen=True)
class SqlFile:
    path: str  # relative to the project, e.g. sql/marts/adoption_monthly.sql
    text: str
    language: str = "sql"


@dataclass(frozen=True)
class Metric:
    name: str
    sentence: str  # the definition in plain words
    rule: str  # SPEC.md's rule, Markdown as SPEC writes it
    table: str  # the marts table that holds the figure
    column: str
    description: str | None  # the column's description in schema.yml
    sql: tuple[SqlFile, ...]  # the files that compute it, the mart's first (then any Python)


def _relative(path: Path) -> str:
    return path.resolve().relative_to(ROOT.resolve()).as_posix()


def _mentions(sql: str, column: str) -> bool:
    return re.search(rf"\b{re.escape(column)}\b", sql) is not None


def _upstream(table: str, column: str) -> list[Path]:
    """Models the mart `table` reads, directly or not, whose SQL names `column` (nearest first)."""
    models = {(m.schema, m.name): m for m in load_models()}
    start = models.get(("marts", table))
    if start is None:
        return []
    seen, queue, found = {("marts", table)}, list(start.deps), []
    while queue:
        key = queue.pop(0)
        if key in seen or key not in models:
            continue
        seen.add(key)
        model = models[key]
        if _mentions(model.sql, column):
            found.append(model.path)
        queue.extend(model.deps)
    return found


@functools.cache
def load_glossary(source: Path = SOURCE) -> tuple[Metric, ...]:
    """Every metric of the glossary, with its SQL read from sql/ (cached: the files ship with
    the code, they do not change while it runs)."""
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    metrics = []
    for entry in data["metrics"]:
        table, column = entry["where"].split(".")
        paths = [SQL_DIR / "marts" / f"{table}.sql"] + [SQL_DIR / p for p in entry.get("sql", [])]
        paths += _upstream(table, column)
        unique = list(dict.fromkeys(p.resolve() for p in paths if p.is_file()))
        metrics.append(Metric(
            name=entry["name"], sentence=" ".join(entry["sentence"].split()), rule=entry["rule"].strip(),
            table=table, column=column, description=column_description(table, column),
            sql=tuple(SqlFile(_relative(p), p.read_text(encoding="utf-8")) for p in unique)
            + tuple(SqlFile(path, (ROOT / path).read_text(encoding="utf-8"), "python")
                    for path in entry.get("code", [])),
        ))
    return tuple(metrics)
