"""Pure parsers for the repository files pathlens reads (SPEC §2): text in, typed facts or a
`ParseError` out. No Dagster, no HTTP, no DuckDB here; `frames.facts_frames` adapts them to
Polars frames for the assets.
"""

from pipelines.facts.catalog import CatalogComponent, CatalogResult, parse_catalog
from pipelines.facts.errors import ParseError
from pipelines.facts.service_spec import ServiceSpec, parse_service_spec
from pipelines.facts.template_answers import (
    TemplateAnswer,
    normalise_template_source,
    parse_copier_answers,
    parse_cruft,
)
from pipelines.facts.workflows import WorkflowCall, parse_workflow
from pipelines.facts.yaml_safety import YamlLimits, load_yaml_documents

__all__ = [
    "CatalogComponent",
    "CatalogResult",
    "ParseError",
    "ServiceSpec",
    "TemplateAnswer",
    "WorkflowCall",
    "YamlLimits",
    "load_yaml_documents",
    "normalise_template_source",
    "parse_catalog",
    "parse_copier_answers",
    "parse_cruft",
    "parse_service_spec",
    "parse_workflow",
]
