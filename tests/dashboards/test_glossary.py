"""The Glossary page: every metric defined once, with SPEC's rule and the SQL read from sql/."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

from dashboards.lib.glossary import SOURCE, load_glossary
from pipelines.sql_models import SQL_DIR
from tests.dashboards.conftest import run_page

SPEC = Path(os.environ.get("PATHLENS_SPEC", "/work/shared/SPEC.md"))


def _words(text: str) -> str:
    return " ".join(text.split())


def test_every_metric_names_a_described_column_and_sql_that_computes_it():
    entries = yaml.safe_load(SOURCE.read_text())["metrics"]
    metrics = load_glossary()
    assert [m.name for m in metrics] == [e["name"] for e in entries]
    for entry, metric in zip(entries, metrics, strict=True):
        assert metric.description, f"{metric.name}: marts.{metric.table}.{metric.column} has no description"
        for path in entry.get("sql", []):
            assert (SQL_DIR / path).is_file(), f"{metric.name}: sql/{path} does not exist"
        assert len(metric.sql) >= len(entry.get("sql", [])) + len(entry.get("code", [])), metric.name
        # the column is named by the mart's SQL, or (the comparisons) by the statistics code
        assert any(re.search(rf"\b{metric.column}\b", f.text) for f in metric.sql), metric.name
        # one sentence
        assert metric.sentence.endswith(".") and metric.sentence.count(". ") == 0, metric.name


@pytest.mark.skipif(not SPEC.is_file(), reason="SPEC.md is not at hand")
def test_every_rule_is_the_specification_s_own_text():
    spec = _words(SPEC.read_text())
    for metric in load_glossary():
        assert _words(metric.rule) in spec, metric.name


def test_the_page_shows_each_metric_with_its_rule_and_its_sql_as_the_files_hold_it(warehouse):
    at = run_page("glossary")
    assert not at.exception
    metrics = load_glossary()
    assert [h.value for h in at.subheader] == [m.name for m in metrics]
    assert not at.code and len(at.expander) == sum(len(m.sql) for m in metrics)  # built when opened
    for metric in metrics:  # open every SQL expander
        for i, _ in enumerate(metric.sql):
            at.session_state[f"sql_{metric.column}_{i}"] = True
    at.run()
    codes = [c.value.strip() for c in at.code]
    adoption = (SQL_DIR / "marts" / "adoption_monthly.sql").read_text().strip()
    assert adoption in codes  # read from the file, not copied
    assert len(codes) == sum(len(m.sql) for m in metrics)
    quotes = "\n".join(m.value for m in at.markdown)
    assert "> **New-service adoption** for a month = golden-path services created that month ÷ services" in quotes
    at.text_input(key="metric").set_value("drift").run()
    assert [h.value for h in at.subheader] == ["Template drift"]
