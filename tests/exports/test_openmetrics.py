"""`pathlens metrics`: the hand-built organisation's figures (worked out in handbuilt.py), read
back with prometheus_client's own parsers, and the Grafana dashboard's queries against them."""

from __future__ import annotations

import json
import re
from datetime import UTC
from pathlib import Path

import duckdb
import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_prometheus
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.exports.openmetrics import BY_FIGURE, FAMILIES, families, render
from pipelines.exports.read import ExportError, select_rows

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana" / "pathlens.json"
ALLOWED_LABELS = {"scope", "team", "language", "golden_path", "reason", "path"}


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in parse_openmetrics(text) for s in family.samples}


def value(found: dict, name: str, **labels: str) -> float:
    return found[(name, frozenset(labels.items()))]


@pytest.fixture(scope="module")
def exposition(exports_warehouse: Path) -> str:
    return render(exports_warehouse).decode("utf-8")


@pytest.fixture(scope="module")
def found(exposition: str) -> dict:
    return samples(exposition)


def test_adoption_figures_are_the_hand_worked_ones(found):
    org = {"scope": "organisation"}
    assert value(found, "pathlens_new_service_adoption_ratio", **org) == 0.25  # April: 1 of 4
    assert value(found, "pathlens_adoption_ratio", **org) == 0.5  # 3 of 6
    assert value(found, "pathlens_services", **org) == 6
    assert value(found, "pathlens_golden_path_services", **org) == 3
    assert value(found, "pathlens_new_services", **org) == 4
    assert value(found, "pathlens_new_golden_path_services", **org) == 1
    assert value(found, "pathlens_new_service_adoption_ratio", scope="team", team="team-pay") == 0.5
    assert value(found, "pathlens_adoption_ratio", scope="team", team="team-pay") == pytest.approx(2 / 3)
    assert value(found, "pathlens_adoption_ratio", scope="team", team="team-ml") == 1.0
    assert value(found, "pathlens_adoption_ratio", scope="team", team="(no owner)") == 0.0
    # team-ml created nothing in April: no new-service figure rather than a made-up one
    assert ("pathlens_new_service_adoption_ratio", frozenset({"scope": "team", "team": "team-ml"}.items())) not in found
    assert value(found, "pathlens_new_services", scope="team", team="team-ml") == 0
    assert value(found, "pathlens_adoption_ratio", scope="language", language="python") == 0.5
    assert value(found, "pathlens_new_service_adoption_ratio", scope="language", language="go") == 1.0
    assert value(found, "pathlens_adoption_ratio", scope="golden_path", golden_path="go-service") == pytest.approx(1 / 3)
    assert value(found, "pathlens_adoption_ratio", scope="golden_path", golden_path="python-service") == pytest.approx(1 / 6)
    assert value(found, "pathlens_new_service_adoption_ratio", scope="golden_path", golden_path="go-service") == 0.25
    assert value(found, "pathlens_new_service_adoption_ratio", scope="golden_path", golden_path="python-service") == 0.0


def test_escape_hatch_and_exception_request_figures(found):
    assert value(found, "pathlens_service_spec_services") == 5
    assert value(found, "pathlens_escape_hatch_services", scope="organisation") == 3
    assert value(found, "pathlens_escape_hatch_ratio", scope="organisation") == 0.6
    assert value(found, "pathlens_escape_hatch_services", scope="reason", reason="gpu") == 2
    assert value(found, "pathlens_escape_hatch_ratio", scope="reason", reason="gpu") == 0.4
    assert value(found, "pathlens_escape_hatch_ratio", scope="reason", reason="sidecar") == 0.4
    assert value(found, "pathlens_escape_hatch_ratio", scope="reason", reason="declared") == 0.2
    assert value(found, "pathlens_escape_hatch_ratio", scope="reason", reason="other") == 0.0
    assert value(found, "pathlens_exception_requests_opened_total") == 4
    assert value(found, "pathlens_exception_requests_closed_total") == 2
    assert value(found, "pathlens_exception_requests_open") == 2
    assert value(found, "pathlens_exception_requests_opened_last_month") == 2
    assert value(found, "pathlens_exception_requests_closed_last_month") == 0


def test_ci_deploy_and_refresh_figures(found, exports_warehouse):
    assert value(found, "pathlens_ci_failure_ratio", path="golden_path") == 0.5
    assert value(found, "pathlens_ci_failure_ratio", path="diy") == pytest.approx(1 / 3)
    assert value(found, "pathlens_ci_decided_runs", path="golden_path") == 4
    # median over services of each service's median monthly duration (docs/schema.md):
    # pay-api April median(100, 200) = 150, May median(300, 400, 500) = 400 -> median 275;
    # DIY: pay-worker May median(600, 700) = 650, web March 800 -> median(650, 800) = 725
    assert value(found, "pathlens_ci_duration_median_seconds", path="golden_path") == 275
    assert value(found, "pathlens_ci_duration_median_seconds", path="diy") == 725
    assert value(found, "pathlens_time_to_first_deploy_median_seconds", path="golden_path") == 2.125 * 86400
    assert ("pathlens_time_to_first_deploy_median_seconds", frozenset({"path": "diy"}.items())) not in found
    assert value(found, "pathlens_refresh_fetch_errors") == 1
    assert value(found, "pathlens_refresh_unparsed_files") == 0
    # 2024-05-15T10:00:00Z, by hand: 19858 days * 86400 + 36000
    assert value(found, "pathlens_data_as_of_timestamp_seconds") == 19858 * 86400 + 36000
    with duckdb.connect(str(exports_warehouse), read_only=True) as con:
        started = con.sql("select started_at from raw.refreshes").fetchall()[0][0]
    assert value(found, "pathlens_last_refresh_timestamp_seconds") == pytest.approx(
        started.replace(tzinfo=UTC).timestamp(), abs=1e-3)


def test_template_drift_figures_per_golden_path(found):
    go = {"golden_path": "go-service"}  # handbuilt: pay-api 2 behind, new-go current
    assert value(found, "pathlens_template_last_change_timestamp_seconds", **go) == 1_711_929_600  # 2024-04-01
    assert value(found, "pathlens_template_services", **go) == 2
    assert value(found, "pathlens_template_services_current", **go) == 1
    assert value(found, "pathlens_template_services_unresolved", **go) == 0
    assert value(found, "pathlens_template_commits_behind_median", **go) == 1.0
    assert value(found, "pathlens_template_commits_behind_p90", **go) == pytest.approx(1.8)
    # python-service's template is no GitHub repository: no drift figure at all
    assert not any(name.startswith("pathlens_template_") and ("golden_path", "python-service") in labels
                   for name, labels in found)


def test_names_types_units_and_labels_follow_prometheus_conventions(exposition):
    parsed = {f.name: f for f in parse_openmetrics(exposition)}
    assert set(parsed) == {f.name for f in FAMILIES}
    assert parsed["pathlens_exception_requests_opened"].type == "counter"
    assert [s.name for s in parsed["pathlens_exception_requests_opened"].samples] == [
        "pathlens_exception_requests_opened_total"]
    assert parsed["pathlens_ci_duration_median_seconds"].unit == "seconds"
    assert parsed["pathlens_adoption_ratio"].unit == "ratio"
    for family in parsed.values():
        assert family.name.startswith("pathlens_")
        if family.type != "counter":
            assert not family.name.endswith("_total"), family.name
        for sample in family.samples:
            assert set(sample.labels) <= ALLOWED_LABELS, sample
    assert exposition.rstrip().endswith("# EOF")


def test_every_sql_figure_is_exported_and_every_family_has_a_figure(exports_warehouse):
    figures = {r["figure"] for r in select_rows(exports_warehouse, "select distinct figure from marts.current_figures")}
    assert figures | {"last_refresh_timestamp_seconds"} == set(BY_FIGURE)


def test_the_prometheus_text_format_parses_too(exports_warehouse):
    text = render(exports_warehouse, openmetrics=False).decode("utf-8")
    parsed = {s.name: s.value for f in parse_prometheus(text) for s in f.samples if not s.labels}
    assert parsed["pathlens_exception_requests_opened_total"] == 4
    assert "# EOF" not in text


def test_hostile_label_values_round_trip_escaped():
    hostile = 'web" } evil{x="1"}\n\\ <script>'
    rows = [{"figure": "adoption_ratio", "dimension": "team", "group_value": hostile, "value": 0.5},
            {"figure": "not_a_figure", "dimension": None, "group_value": None, "value": 1.0}]
    from prometheus_client.core import CollectorRegistry
    from prometheus_client.openmetrics.exposition import generate_latest

    class Fixed:
        def collect(self):
            return families(rows)

    registry = CollectorRegistry(auto_describe=False)
    registry.register(Fixed())
    found = samples(generate_latest(registry).decode("utf-8"))
    assert value(found, "pathlens_adoption_ratio", scope="team", team=hostile) == 0.5
    assert not any(name == "pathlens_not_a_figure" for name, _ in found)


def test_the_reader_is_the_sandboxed_one(exports_warehouse):
    # pipelines.query's child: files unreachable, only one read-only query, a deadline
    with pytest.raises(ExportError, match="files is disabled"):
        select_rows(exports_warehouse, "select * from read_csv('/etc/passwd')")
    with pytest.raises(ExportError, match="CREATE refused"):
        select_rows(exports_warehouse, "create table marts.x as select 1")
    with pytest.raises(ExportError, match="time limit of 1 s"):
        select_rows(exports_warehouse, "select count(*) from range(100000000000) as a", timeout_s=1)
    with pytest.raises(ExportError, match="run `pathlens refresh`"):
        select_rows(exports_warehouse, "select * from marts.no_such_table")
    # values are bound, never spliced into the text
    rows = select_rows(exports_warehouse, "select count(*) as n from marts.services where service = $s",
                       {"s": "pay-api' or '1'='1"})
    assert rows == [{"n": 0}]
    assert select_rows(exports_warehouse, "select count(*) as n from marts.services where service = $s",
                       {"s": "pay-api"}) == [{"n": 1}]


def test_cli_writes_the_file_atomically_and_fails_in_one_line(exports_warehouse, tmp_path):
    out = tmp_path / "textfile" / "pathlens.prom"
    result = CliRunner().invoke(app, ["metrics", "--warehouse", str(exports_warehouse), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert value(samples(out.read_text()), "pathlens_services", scope="organisation") == 6
    assert [p.name for p in out.parent.iterdir()] == ["pathlens.prom"]  # no temporary file left
    missing = CliRunner().invoke(app, ["metrics", "--warehouse", str(tmp_path / "none.duckdb")])
    assert missing.exit_code == 1
    assert "no warehouse at" in missing.output
    assert not (tmp_path / "none.duckdb").exists()


def test_grafana_dashboard_queries_only_exported_metrics(found):
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert len(exprs) >= 15
    exported = {name for name, _ in found}
    labels_of: dict[str, set[str]] = {}
    for name, labels in found:
        labels_of.setdefault(name, set()).update(k for k, _ in labels)
    for expr in exprs:
        names = re.findall(r"\bpathlens_[a-z0-9_]+\b", expr)
        assert names, expr
        for name in names:
            assert name in exported, f"{expr!r} queries {name}, which pathlens metrics does not export"
        for name, selector in re.findall(r"\b(pathlens_[a-z0-9_]+)\{([^}]*)\}", expr):
            for label, wanted in re.findall(r'(\w+)\s*=~?\s*"([^"]*)"', selector):
                assert label in labels_of[name], f"{expr!r}: {name} has no label {label}"
                assert any(n == name and (label, wanted) in lab for n, lab in found), expr
        for legend_label in re.findall(r"\{\{(\w+)\}\}", json.dumps(dashboard)):
            assert legend_label in ALLOWED_LABELS
