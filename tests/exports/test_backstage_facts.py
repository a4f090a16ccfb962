"""`pathlens export backstage-facts`: Tech Insights facts of the hand-built organisation (the
expected values are worked out in handbuilt.py), looked up by entity reference."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.exports.backstage_facts import (
    FACT_SCHEMA,
    BadEntityRef,
    all_facts,
    entity_facts,
    parse_entity_ref,
)
from tests.exports.handbuilt import HOSTILE_REASON

TECH_INSIGHTS_TYPES = {"integer", "float", "string", "boolean", "datetime", "set", "object"}


@pytest.fixture(scope="module")
def document(exports_warehouse):
    return all_facts(exports_warehouse)


def by_ref(document):
    return {f"{f['entity']['kind']}:{f['entity']['namespace']}/{f['entity']['name']}": f for f in document["facts"]}


def test_one_fact_per_catalogued_component_in_the_tech_insights_shape(document):
    facts = by_ref(document)
    # legacy has no catalog entry: no Backstage entity, no fact
    assert sorted(facts) == ["component:default/ml", "component:default/new-go", "component:default/pay-api",
                             "component:default/web", "component:payments/pay-worker"]
    for fact in document["facts"]:
        assert set(fact) == {"entity", "timestamp", "facts"}
        assert set(fact["entity"]) == {"namespace", "kind", "name"}
        assert fact["timestamp"] == "2024-05-15T10:00:00Z"
        assert list(fact["facts"]) == list(FACT_SCHEMA)
    schema = document["retriever"]["schema"]
    assert {spec["type"] for spec in schema.values()} <= TECH_INSIGHTS_TYPES
    assert set(schema) >= {"on_golden_path", "golden_path", "template_commits_behind", "escape_hatch",
                           "escape_hatch_reasons", "uses_platform_ci", "ci_failure_rate_30d", "days_to_first_deploy"}


def test_fact_values_are_the_hand_worked_ones(document):
    facts = {ref: f["facts"] for ref, f in by_ref(document).items()}
    api = facts["component:default/pay-api"]
    assert api["on_golden_path"] is True and api["golden_path"] == "go-service"
    assert api["uses_platform_ci"] is True
    assert api["ci_failure_rate_30d"] == pytest.approx(1 / 3)  # runs 2, 3, 4 decided; 3 failed
    assert api["ci_runs_30d"] == 3
    assert api["days_to_first_deploy"] == 2.125
    assert api["escape_hatch"] is False and api["escape_hatch_reasons"] == []
    assert api["template_commits_behind"] == 2  # copier v1 = T2; T3 and T4 since (handbuilt)
    assert facts["component:default/new-go"]["template_commits_behind"] == 0  # template-version T4 = head
    assert facts["component:default/ml"]["template_commits_behind"] is None  # python-service: no source
    worker = facts["component:payments/pay-worker"]
    assert worker["on_golden_path"] is False and worker["golden_path"] is None
    assert worker["escape_hatch"] is True and worker["escape_hatch_reasons"] == ["gpu"]
    assert worker["ci_failure_rate_30d"] == 0.5 and worker["ci_runs_30d"] == 2
    assert worker["days_to_first_deploy"] is None
    assert worker["template_commits_behind"] is None  # not on a golden path
    web = facts["component:default/web"]
    assert web["escape_hatch_reasons"] == [f"declared:{HOSTILE_REASON}", "sidecar"]  # data, as written
    assert web["ci_failure_rate_30d"] is None and web["ci_runs_30d"] == 0  # its only run is older than 30 days


@pytest.mark.parametrize("ref", ["component:default/pay-api", "Component:Default/PAY-API", "pay-api", "default/pay-api"])
def test_lookup_by_reference_is_case_insensitive_with_backstage_defaults(exports_warehouse, ref):
    found = entity_facts(exports_warehouse, ref)
    assert found is not None and found["entity"] == {"namespace": "default", "kind": "component", "name": "pay-api"}


def test_unknown_entities_are_none(exports_warehouse):
    assert entity_facts(exports_warehouse, "component:default/nope") is None
    assert entity_facts(exports_warehouse, "component:other/pay-api") is None
    assert entity_facts(exports_warehouse, "group:default/pay-api") is None
    assert entity_facts(exports_warehouse, "legacy") is None  # uncatalogued


@pytest.mark.parametrize("text", ["", "../../etc/passwd", "component:default/a/b", "component:de fault/x",
                                  "component:default/" + "x" * 64, "x" * 500, "component:default/a%2f..",
                                  "component:default/<script>", "component:default/ok\x00"])
def test_bad_references_are_refused(text):
    with pytest.raises(BadEntityRef):
        parse_entity_ref(text)


def test_cli_writes_the_document(exports_warehouse, tmp_path):
    out = tmp_path / "facts.json"
    result = CliRunner().invoke(app, ["export", "backstage-facts", "--warehouse", str(exports_warehouse),
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written == all_facts(exports_warehouse)
