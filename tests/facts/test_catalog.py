"""Backstage catalog files → Component facts; per-document errors; the real corpus files."""

from __future__ import annotations

import pytest

from pipelines.facts.catalog import CatalogComponent, parse_catalog
from pipelines.facts.errors import ParseError
from tests.facts._corpus import names, read

GOOD = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  namespace: billing
  annotations:
    backstage.io/source-template: template:default/go-service
    backstage.io/kubernetes-id: payments-api
    pathlens.io/escape-hatch-reason: needs a GPU for fraud scoring
    github.com/project-slug: acme/payments
spec:
  type: service
  owner: group:default/team-a
  lifecycle: production
"""


def test_a_component_with_every_field() -> None:
    result = parse_catalog(GOOD, "catalog-info.yaml")
    assert result.errors == []
    assert result.components == [
        CatalogComponent(
            doc_index=0,
            kind="Component",
            namespace="billing",
            name="payments",
            type="service",
            owner="group:default/team-a",
            lifecycle="production",
            source_template="template:default/go-service",
            kubernetes_id="payments-api",
            escape_hatch_reason="needs a GPU for fraud scoring",
            annotations={
                "backstage.io/source-template": "template:default/go-service",
                "backstage.io/kubernetes-id": "payments-api",
                "pathlens.io/escape-hatch-reason": "needs a GPU for fraud scoring",
                "github.com/project-slug": "acme/payments",
            },
        )
    ]


def test_a_minimal_component_has_nones() -> None:
    [c] = parse_catalog("kind: Component\nmetadata:\n  name: tiny\n", "c.yaml").components
    assert (c.namespace, c.type, c.owner, c.lifecycle) == (None, None, None, None)
    assert (c.source_template, c.kubernetes_id, c.escape_hatch_reason) == (None, None, None)
    assert c.annotations == {}


MULTI = """\
# leading comment
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-a
spec:
  type: team
---
---
# a comment-only document
---
kind: component
metadata:
  name: web
spec:
  type: website
  owner: team-a
---
kind: COMPONENT
metadata:
  name: worker
spec:
  type: service
---
kind: API
metadata:
  name: web-api
"""


def test_multi_document_file_keeps_components_in_order_with_their_index() -> None:
    result = parse_catalog(MULTI, "catalog-info.yaml")
    assert result.errors == []
    # documents: 0 Group, 1 empty, 2 comment-only, 3 web, 4 worker, 5 API
    assert [(c.doc_index, c.kind, c.name, c.type) for c in result.components] == [
        (3, "component", "web", "website"),
        (4, "COMPONENT", "worker", "service"),
    ]


@pytest.mark.parametrize(
    ("spec_lines", "field", "expected"),
    [
        ("lifecycle: 1", "lifecycle", "1"),
        ("lifecycle: 3.10", "lifecycle", "3.10"),
        ("lifecycle: yes", "lifecycle", "yes"),
        ("lifecycle: ~", "lifecycle", None),
        ("lifecycle:", "lifecycle", None),
        ('owner: "user:default/jane"', "owner", "user:default/jane"),
        ("owner: group:default/team-a", "owner", "group:default/team-a"),
        ("owner: Team-A", "owner", "Team-A"),
        ("type: !!int 7", "type", "7"),
        ("type: !!bool true", "type", "true"),
    ],
)
def test_scalar_values_are_kept_as_written(
    spec_lines: str, field: str, expected: str | None
) -> None:
    text = f"kind: Component\nmetadata:\n  name: x\nspec:\n  {spec_lines}\n"
    [component] = parse_catalog(text, "c.yaml").components
    assert getattr(component, field) == expected


def test_annotation_values_are_kept_as_written() -> None:
    text = (
        "kind: Component\nmetadata:\n  name: x\n  annotations:\n"
        "    backstage.io/kubernetes-id: 0123\n    example.com/flag: on\n"
    )
    [component] = parse_catalog(text, "c.yaml").components
    assert component.kubernetes_id == "0123"
    assert component.annotations == {"backstage.io/kubernetes-id": "0123", "example.com/flag": "on"}


@pytest.mark.parametrize(("value", "expected"), [("v1.4.0", "v1.4.0"), ("1a2b3c4", "1a2b3c4"), ("0123", "0123"),
                                                 ("''", None)])
def test_template_version_annotation_is_read_as_written(value: str, expected: str | None) -> None:
    text = f"kind: Component\nmetadata:\n  name: x\n  annotations:\n    backstage.io/template-version: {value}\n"
    [component] = parse_catalog(text, "c.yaml").components
    assert component.template_version == expected


BAD_DOCUMENTS = [
    ("kind: Component\nspec:\n  type: service\n", "metadata: missing"),
    ("kind: Component\nmetadata:\n  namespace: x\n", "metadata.name: missing"),
    ("kind: Component\nmetadata:\n  name: ''\n", "metadata.name: missing"),
    (
        "kind: Component\nmetadata:\n  name: [a, b]\n",
        "metadata.name: expected a string, got a list",
    ),
    ("kind: Component\nmetadata: [name]\n", "metadata: expected a mapping, got a list"),
    (
        "kind: Component\nmetadata:\n  name: x\nspec: [service]\n",
        "spec: expected a mapping, got a list",
    ),
    (
        "kind: Component\nmetadata:\n  name: x\nspec: service\n",
        "spec: expected a mapping, got a string",
    ),
    (
        "kind: Component\nmetadata:\n  name: x\nspec:\n  owner: {group: a}\n",
        "spec.owner: expected a string, got a mapping",
    ),
    (
        "kind: Component\nmetadata:\n  name: x\n  annotations: [a]\n",
        "metadata.annotations: expected a mapping, got a list",
    ),
    (
        "kind: Component\nmetadata:\n  name: x\n  annotations:\n    a.io/b:\n",
        "metadata.annotations['a.io/b']: expected a string, got null",
    ),
    (
        "kind: Component\nmetadata:\n  name: x\n  annotations:\n    a.io/b: [1]\n",
        "metadata.annotations['a.io/b']: expected a string, got a list",
    ),
    ("metadata:\n  name: x\n", "kind: missing"),
    ("kind: [Component]\nmetadata:\n  name: x\n", "kind: expected a string, got a list"),
    ("- kind: Component\n", "expected an entity (a mapping), got a list"),
    ("just a string\n", "expected an entity (a mapping), got a string"),
]


@pytest.mark.parametrize(("bad", "message"), BAD_DOCUMENTS)
def test_a_bad_document_is_reported_and_the_others_still_count(bad: str, message: str) -> None:
    text = GOOD + "---\n" + bad + "---\nkind: Component\nmetadata:\n  name: after\n"
    result = parse_catalog(text, "catalog-info.yaml")
    assert [c.name for c in result.components] == ["payments", "after"]
    # GOOD is 14 lines, then `---` on line 15: the bad document starts on line 16
    assert result.errors == [f"document 1 (line 16): {message}"]


def test_a_file_that_is_not_yaml_fails_as_a_whole() -> None:
    with pytest.raises(ParseError) as caught:
        parse_catalog(GOOD + "---\nkind: Component\nmetadata: {name: x\n", "catalog-info.yaml")
    assert caught.value.path == "catalog-info.yaml"
    assert caught.value.line is not None


@pytest.mark.parametrize("text", ["", "# nothing here\n", "---\n---\n"])
def test_an_empty_file_has_no_components_and_no_errors(text: str) -> None:
    result = parse_catalog(text, "c.yaml")
    assert (result.components, result.errors) == ([], [])


# --- the corpus: real files nobody here wrote ---------------------------------------------

# file → (name, type, owner, lifecycle) of each Component, read by eye from the file
CORPUS_COMPONENTS = {
    "backstage-acme-corp-location-github-type.yaml": [],  # a Location
    "backstage-acme-org.yaml": [],  # Group + Location
    "backstage-all-components-location.yaml": [],  # a Location
    "backstage-artist-lookup-component.yaml": [
        ("artist-lookup", "service", "team-a", "experimental")
    ],
    "backstage-invalid-component.yaml": [
        ("invalid component", "service", "user:guest", "production")
    ],
    "backstage-petstore-api-inline-openapi.yaml": [],  # an API
    "backstage-podcast-system.yaml": [],  # a System
    "backstage-root-catalog-info.yaml": [("backstage-existing", "library", "CNCF", "production")],
    "backstage-team-a-group-and-users.yaml": [],  # Group + 5 Users
    "openedx-events-catalog-info.yaml": [
        ("openedx-events", "source-code", "group:hooks-extension-framework", "production")
    ],
}

# file → (line, words of the reason) for the files that are templates, not YAML, until rendered
CORPUS_REFUSED = {
    "backstage-cookiecutter-docs-catalog-info-broken.yaml": (6, "did not find expected key"),
    "backstage-cookiecutter-pull-request-catalog-info.yaml": (4, "found unhashable key"),
    "software-templates-skeleton-catalog-info-nunjucks.yaml": (5, "cannot start any token"),
}


def test_the_corpus_tables_cover_every_backstage_fixture() -> None:
    assert sorted([*CORPUS_COMPONENTS, *CORPUS_REFUSED]) == names("backstage")


@pytest.mark.parametrize("name", sorted(CORPUS_COMPONENTS))
def test_corpus_catalog_files(name: str) -> None:
    result = parse_catalog(read("backstage", name), name)
    assert result.errors == []
    assert [(c.name, c.type, c.owner, c.lifecycle) for c in result.components] == (
        CORPUS_COMPONENTS[name]
    )


@pytest.mark.parametrize("name", sorted(CORPUS_REFUSED))
def test_corpus_unrendered_templates_are_refused_with_the_line(name: str) -> None:
    line, reason = CORPUS_REFUSED[name]
    with pytest.raises(ParseError) as caught:
        parse_catalog(read("backstage", name), name)
    assert caught.value.line == line
    assert reason in caught.value.reason
    assert "unrendered template placeholder" in caught.value.reason


def test_corpus_annotations_are_read() -> None:
    [root] = parse_catalog(read("backstage", "backstage-root-catalog-info.yaml"), "x").components
    assert root.annotations == {
        "github.com/project-slug": "backstage/backstage",
        "backstage.io/techdocs-ref": "dir:.",
        "lighthouse.com/website-url": "https://backstage.io",
    }
    [openedx] = parse_catalog(read("backstage", "openedx-events-catalog-info.yaml"), "x").components
    assert openedx.annotations == {
        "openedx.org/arch-interest-groups": "mariajgrimaldi,felipemontoya"
    }
    assert openedx.source_template is None


@pytest.mark.parametrize(
    "name",
    [
        "software-templates-create-react-app-template.yaml",
        "software-templates-springboot-grpc-template.yaml",
        "software-templates-gitlab-merge-request-template.yaml",
        "backstage-scaffolder-v1beta2-demo-template.yaml",
        "backstage-legacy-v1alpha1-cra-template.yaml",
    ],
)
def test_corpus_scaffolder_templates_are_not_components(name: str) -> None:
    result = parse_catalog(read("templates", name), name)
    assert (result.components, result.errors) == ([], [])
