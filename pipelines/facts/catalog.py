"""Backstage `catalog-info.yaml` → the `Component` entities it declares.

`parse_catalog(text, path)` returns a `CatalogResult`: the components that could be read and
one error message per document that could not. Choices:

- **One bad document does not fail the file.** A catalog file often holds several entities;
  a Component with a missing name or a wrongly typed field is reported (`errors`) and the
  other documents still count. Only a file that is not YAML at all (syntax error, hostile
  or over the limits — see `yaml_safety`) raises `ParseError`, because the parser cannot say
  which documents it would have read.
- **Only `kind: Component`** (case-insensitive) is returned. Other kinds (Group, User, API,
  Location, System, ...) are skipped silently; empty documents (`---` separators, comment-only
  documents) too. A document that is not a mapping, or has no `kind`, is an error: it cannot
  be told apart from a broken Component.
- **Values as written.** Plain scalars keep their text (`lifecycle: 1` → "1", `owner:
  group:default/team-a` stays so); a mapping or a list where a string belongs makes the
  document an error, as Backstage itself would refuse the entity. Annotation values must be
  strings too (null included: Backstage requires a string).
- **Names are not validated** against Backstage's naming rules (`invalid component`, with a
  space, is returned as is): the repo still holds a component, and pathlens counts services,
  not valid catalog entries.
- `doc_index` is the 0-based position of the document in the stream, counting empty ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipelines.facts.values import FieldError, kind_of, opt_mapping, opt_text
from pipelines.facts.yaml_safety import DEFAULT_LIMITS, YamlLimits, load_yaml_stream

SOURCE_TEMPLATE = "backstage.io/source-template"
KUBERNETES_ID = "backstage.io/kubernetes-id"
ESCAPE_HATCH_REASON = "pathlens.io/escape-hatch-reason"
TEMPLATE_VERSION = "backstage.io/template-version"


@dataclass(frozen=True)
class CatalogComponent:
    """One `kind: Component` document of a catalog file."""

    doc_index: int
    kind: str
    namespace: str | None
    name: str
    type: str | None
    owner: str | None
    lifecycle: str | None
    source_template: str | None
    kubernetes_id: str | None
    escape_hatch_reason: str | None
    template_version: str | None = None  # the scaffolder template's version (tag or sha)
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CatalogResult:
    """The components read from one file, and one message per document that was refused."""

    components: list[CatalogComponent]
    errors: list[str]


def parse_catalog(text: str, path: str, limits: YamlLimits = DEFAULT_LIMITS) -> CatalogResult:
    """Read every Component of a (multi-document) Backstage catalog file.

    Raises `ParseError` only when the text is not loadable YAML; per-document problems are
    in `.errors` as `"document N (line L): <field>: <what was wrong>"`.
    """
    components: list[CatalogComponent] = []
    errors: list[str] = []
    for index, doc in enumerate(load_yaml_stream(text, path, limits)):
        if doc.value is None:
            continue
        try:
            component = _component(index, doc.value)
        except FieldError as exc:
            errors.append(f"document {index} (line {doc.line}): {exc}")
            continue
        if component is not None:
            components.append(component)
    return CatalogResult(components, errors)


def _component(index: int, doc: Any) -> CatalogComponent | None:
    """The Component in `doc`, `None` for another kind; `FieldError` when it is malformed."""
    if not isinstance(doc, dict):
        raise FieldError(f"expected an entity (a mapping), got {kind_of(doc)}")
    kind = opt_text(doc.get("kind"), "kind")
    if not kind:
        raise FieldError("kind: missing")
    if kind.strip().lower() != "component":
        return None
    if "metadata" not in doc:
        raise FieldError("metadata: missing")
    metadata = opt_mapping(doc["metadata"], "metadata")
    name = opt_text(metadata.get("name"), "metadata.name")
    if not name:
        raise FieldError("metadata.name: missing")
    spec = opt_mapping(doc.get("spec"), "spec")
    annotations = _annotations(metadata.get("annotations"))
    return CatalogComponent(
        doc_index=index,
        kind=kind,
        namespace=opt_text(metadata.get("namespace"), "metadata.namespace"),
        name=name,
        type=opt_text(spec.get("type"), "spec.type"),
        owner=opt_text(spec.get("owner"), "spec.owner"),
        lifecycle=opt_text(spec.get("lifecycle"), "spec.lifecycle"),
        source_template=annotations.get(SOURCE_TEMPLATE),
        kubernetes_id=annotations.get(KUBERNETES_ID),
        escape_hatch_reason=annotations.get(ESCAPE_HATCH_REASON),
        template_version=annotations.get(TEMPLATE_VERSION) or None,
        annotations=annotations,
    )


def _annotations(value: Any) -> dict[str, str]:
    annotations: dict[str, str] = {}
    for key, raw in opt_mapping(value, "metadata.annotations").items():
        name = opt_text(key, "metadata.annotations key")
        if not name:
            raise FieldError("metadata.annotations: a key is empty")
        text = opt_text(raw, f"metadata.annotations[{name!r}]")
        if text is None:
            raise FieldError(f"metadata.annotations[{name!r}]: expected a string, got null")
        annotations[name] = text
    return annotations
