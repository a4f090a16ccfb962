"""Per-component facts for Backstage Tech Insights, read from marts.backstage_facts.

Each fact is in the shape a Tech Insights FactRetriever's handler returns (`TechInsightFact`
in `@backstage-community/plugin-tech-insights-node`): `{entity: {namespace, kind, name},
timestamp, facts: {...}}`, with `facts` typed by FACT_SCHEMA (a Tech Insights `FactSchema`).
The whole document adds the retriever's id, version and schema, so a FactRetriever can be
written against it without reading this code (docs/backstage.md).
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from typing import Any

from pipelines.exports.read import select_rows

RETRIEVER_ID = "pathlens-facts"
RETRIEVER_VERSION = "1.0.0"

FACT_SCHEMA: dict[str, dict[str, str]] = {
    "on_golden_path": {"type": "boolean", "description": "Created from (and still matching) a configured golden path"},
    "golden_path": {"type": "string", "description": "The golden path it matches; null when none"},
    "template_commits_behind": {
        "type": "integer",
        "description": "Commits its template has gained since the service's template commit; null when unknown",
    },
    "escape_hatch": {"type": "boolean", "description": "Its service spec sets the escape hatch (a raw Kubernetes override)"},
    "escape_hatch_reasons": {"type": "set", "description": "gpu, sidecar, declared:<text>, other (empty without an escape hatch)"},
    "uses_platform_ci": {"type": "boolean", "description": "A workflow of its repo calls the platform's reusable CI"},
    "ci_failure_rate_30d": {
        "type": "float",
        "description": "CI runs failed / (failed + succeeded) over the 30 days before the refresh; null without runs",
    },
    "ci_runs_30d": {"type": "integer", "description": "CI runs that failed or succeeded in those 30 days"},
    "days_to_first_deploy": {
        "type": "float",
        "description": "Days from the service's creation to its first production deploy; null when not deployed yet",
    },
}

FACTS_SQL = f"""
    select entity_ref, kind, namespace, name, as_of, {", ".join(FACT_SCHEMA)}
    from marts.backstage_facts
"""

# Backstage's own rules for entity names and namespaces (catalog-model's KubernetesValidatorFunctions)
_NAME = re.compile(r"^[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*$")
_NAMESPACE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_KIND = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
MAX_REF_CHARS = 63 + 1 + 63 + 1 + 63


class BadEntityRef(ValueError):
    """Text that is not a Backstage entity reference."""


def parse_entity_ref(text: str) -> tuple[str, str, str]:
    """(kind, namespace, name) of `[kind:][namespace/]name`, kind and namespace in lower case.

    Kind defaults to `component` and namespace to `default`, as Backstage's `parseEntityRef`
    with those defaults does. Raises BadEntityRef for anything else.
    """
    if not text or len(text) > MAX_REF_CHARS:
        raise BadEntityRef("an entity reference is kind:namespace/name, at most 63 characters each")
    kind, sep, rest = text.partition(":")
    if not sep:
        kind, rest = "component", text
    namespace, sep, name = rest.partition("/")
    if not sep:
        namespace, name = "default", rest
    if not (_KIND.match(kind) and _NAMESPACE.match(namespace.lower()) and _NAME.match(name)
            and len(kind) <= 63 and len(namespace) <= 63 and len(name) <= 63):
        raise BadEntityRef("an entity reference is kind:namespace/name with Backstage's allowed characters")
    return kind.lower(), namespace.lower(), name


def _timestamp(value: datetime) -> str:
    """An ISO 8601 UTC instant (the warehouse stores UTC without a zone)."""
    return value.replace(microsecond=0).isoformat() + "Z"


def fact_of(row: dict[str, Any]) -> dict[str, Any]:
    """One marts.backstage_facts row as a TechInsightFact."""
    facts = {name: row[name] for name in FACT_SCHEMA}
    facts["escape_hatch_reasons"] = list(facts["escape_hatch_reasons"] or [])
    return {
        "entity": {"namespace": row["namespace"], "kind": row["kind"], "name": row["name"]},
        "timestamp": _timestamp(row["as_of"]),
        "facts": facts,
    }


def all_facts(warehouse: str | os.PathLike[str]) -> dict[str, Any]:
    """The document `pathlens export backstage-facts` writes and /facts serves.

    Raises ExportError when the warehouse cannot be read.
    """
    rows = select_rows(warehouse, FACTS_SQL + " order by entity_ref")
    return {
        "retriever": {"id": RETRIEVER_ID, "version": RETRIEVER_VERSION, "entityFilter": [{"kind": "component"}],
                      "schema": FACT_SCHEMA},
        "facts": [fact_of(row) for row in rows],
    }


def entity_facts(warehouse: str | os.PathLike[str], entity_ref: str) -> dict[str, Any] | None:
    """The TechInsightFact of one component, or None when the warehouse has no such entity.

    References compare case-insensitively, as Backstage's do. Raises BadEntityRef for text
    that is not an entity reference, ExportError when the warehouse cannot be read.
    """
    kind, namespace, name = parse_entity_ref(entity_ref)
    if kind != "component":
        return None
    rows = select_rows(warehouse, FACTS_SQL + " where lower(entity_ref) = lower($ref)",
                       {"ref": f"component:{namespace}/{name}"})
    return fact_of(rows[0]) if rows else None


def to_json(document: Any) -> str:
    """Stable, readable JSON (sorted keys are not used: the fact order is the schema's)."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
