"""The platform service spec: fields, warnings, and the escape-hatch rules of SPEC §3."""

from __future__ import annotations

import re
import textwrap
from decimal import Decimal

import pytest

from pipelines.facts.errors import ParseError
from pipelines.facts.service_spec import ServiceSpec, parse_service_spec, quantity
from pipelines.facts.yaml_safety import load_yaml_documents
from tests.facts._corpus import names, read

BASE = """\
service:
  name: payments
  language: Go
  port: 8080
  replicas: 3
  resources:
    preset: medium
"""


def test_a_plain_spec() -> None:
    assert parse_service_spec(BASE, "service.yaml") == ServiceSpec(
        name="payments",
        language="go",
        port=8080,
        replicas=3,
        resources_preset="medium",
        has_override=False,
        override_gpu=False,
        override_sidecar=False,
        warnings=[],
    )


def test_missing_fields_are_none() -> None:
    spec = parse_service_spec("service: {}\n", "service.yaml")
    assert (spec.name, spec.language, spec.port, spec.replicas, spec.resources_preset) == (
        None,
        None,
        None,
        None,
        None,
    )
    assert spec.warnings == []


@pytest.mark.parametrize(
    ("line", "field", "expected"),
    [
        ("language: ' Python '", "language", "python"),
        ("language: TypeScript", "language", "typescript"),
        ("language: ''", "language", None),
        ('port: "8080"', "port", 8080),
        ("port: 1", "port", 1),
        ("port: 65535", "port", 65535),
        ("replicas: 0", "replicas", 0),
        ("replicas: !!int 4", "replicas", 4),
        ("name: 007", "name", "007"),
    ],
)
def test_field_values(line: str, field: str, expected: object) -> None:
    spec = parse_service_spec(f"service:\n  {line}\n", "service.yaml")
    assert getattr(spec, field) == expected
    assert spec.warnings == []


@pytest.mark.parametrize(
    ("line", "field", "warning"),
    [
        ('port: "abc"', "port", "service.port: expected a whole number, got 'abc' (left empty)"),
        ("port: 80.5", "port", "service.port: expected a whole number, got '80.5' (left empty)"),
        ("port: 70000", "port", "service.port: 70000 is outside 1..65535 (left empty)"),
        ("port: 0", "port", "service.port: 0 is outside 1..65535 (left empty)"),
        ("port: true", "port", "service.port: expected a whole number, got 'true' (left empty)"),
        ("port: [80]", "port", "service.port: expected a whole number, got ['80'] (left empty)"),
        ("replicas: -1", "replicas", "service.replicas: -1 is outside 0..1000000 (left empty)"),
        (
            "replicas: 99999999999999999999999",
            "replicas",
            "service.replicas: expected a whole number, got '99999999999999999999999' (left empty)",
        ),
        ("name: {first: a}", "name", "service.name: expected a string, got a mapping (left empty)"),
        (
            "language: [go]",
            "language",
            "service.language: expected a string, got a list (left empty)",
        ),
        (
            "resources: [small]",
            "resources_preset",
            "service.resources: expected a mapping, got a list (left empty)",
        ),
        (
            "resources: {preset: [s]}",
            "resources_preset",
            "service.resources.preset: expected a string, got a list (left empty)",
        ),
    ],
)
def test_a_bad_field_becomes_none_with_a_warning(line: str, field: str, warning: str) -> None:
    text = f"service:\n  name: ok\n  {line}\n  kubernetes_override:\n    containers: [{{name: a}}, {{name: b}}]\n"
    if line.startswith("name:"):
        text = text.replace("  name: ok\n", "")
    spec = parse_service_spec(text, "service.yaml")
    assert getattr(spec, field) is None
    assert spec.warnings == [warning]
    # one typo does not lose the escape-hatch facts
    assert (spec.has_override, spec.override_sidecar) == (True, True)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "no YAML document (the file is empty, only comments, or null)"),
        ("# service: {name: x}\n", "no YAML document"),
        ("- service\n", "expected a mapping at the top level, got a list"),
        ("just text\n", "expected a mapping at the top level, got a string"),
        ("name: x\n", "`service` is missing"),
        ("service:\n", "`service` is missing"),
        ("service: payments\n", "`service` is a string, not a mapping"),
        ("service: [a]\n", "`service` is a list, not a mapping"),
        ("service: {name: a}\n---\nservice: {name: b}\n", "expected one YAML document, found 2"),
        ("service:\n  name: [unclosed\n", "YAML syntax error"),
    ],
)
def test_an_unusable_file_is_a_parse_error(text: str, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_service_spec(text, "acme/x:service.yaml")
    assert reason in caught.value.reason
    assert str(caught.value).startswith("acme/x:service.yaml: ")


# --- the escape hatch ----------------------------------------------------------------------


def with_override(override_yaml: str, path: str = "service.kubernetes_override") -> str:
    """A spec whose `service.kubernetes_override` holds `override_yaml` (indented under it)."""
    assert path == "service.kubernetes_override"
    body = textwrap.indent(override_yaml, "    ")
    return (
        "service:\n  name: embedded\n  kubernetes_override:\n"
        + body
        + ("" if body.endswith("\n") else "\n")
    )


def facts(text: str, **kwargs: object) -> tuple[bool, bool, bool]:
    spec = parse_service_spec(text, "service.yaml", **kwargs)  # type: ignore[arg-type]
    return spec.has_override, spec.override_gpu, spec.override_sidecar


@pytest.mark.parametrize(
    ("override_line", "has_override"),
    [
        ("", False),  # absent
        ("  kubernetes_override:\n", False),  # empty value: null
        ("  kubernetes_override: ~\n", False),
        ("  kubernetes_override: null\n", False),
        ("  kubernetes_override: {}\n", True),  # an empty mapping is a value
        ("  kubernetes_override: []\n", True),
        ("  kubernetes_override: 'false'\n", True),
        ("  kubernetes_override: false\n", True),
        ("  kubernetes_override: {replicas: 2}\n", True),
    ],
)
def test_has_override_is_a_non_null_value(override_line: str, has_override: bool) -> None:
    assert facts(BASE + override_line) == (has_override, False, False)


def test_a_configured_escape_hatch_path() -> None:
    text = BASE + "platform:\n  k8s:\n    patch:\n      containers: [{name: a}, {name: b}]\n"
    assert facts(text) == (False, False, False)
    assert facts(text, escape_hatch_path="platform.k8s.patch") == (True, False, True)
    assert facts(text, escape_hatch_path="platform.k8s.missing") == (False, False, False)
    assert facts(text, escape_hatch_path="service.name.deeper") == (False, False, False)


POD_SPEC_ONE_CONTAINER = "containers:\n  - name: app\n    image: app:1\n"


@pytest.mark.parametrize(
    ("shape", "override"),
    [
        ("PodSpec", "containers:\n  - name: app\n  - name: proxy\n"),
        (
            "DeploymentSpec",
            "replicas: 2\ntemplate:\n  spec:\n    containers: [{name: app}, {name: proxy}]\n",
        ),
        (
            "Deployment",
            "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n"
            "      containers: [{name: app}, {name: proxy}]\n",
        ),
        (
            "List of Deployments",
            "kind: List\nitems:\n  - kind: Deployment\n    spec: {template: {spec: {containers: [{name: a}]}}}\n"
            "  - kind: Deployment\n    spec: {template: {spec: {containers: [{name: a}, {name: b}]}}}\n",
        ),
    ],
)
def test_pod_specs_are_found_in_any_shape_of_override(shape: str, override: str) -> None:
    assert facts(with_override(override)) == (True, False, True), shape


@pytest.mark.parametrize(
    ("override", "sidecar"),
    [
        (POD_SPEC_ONE_CONTAINER, False),
        ("containers: [{name: a}, {name: b}]\n", True),
        ("containers: [{name: a}, {name: b}, {name: c}]\n", True),
        # an init container is a sidecar only with restartPolicy: Always
        ("initContainers: [{name: init}]\ncontainers: [{name: a}]\n", False),
        (
            "initContainers: [{name: init, restartPolicy: OnFailure}]\ncontainers: [{name: a}]\n",
            False,
        ),
        ("initContainers: [{name: log, restartPolicy: Always}]\ncontainers: [{name: a}]\n", True),
        (
            "initContainers:\n  - name: migrate\n  - name: log\n    restartPolicy: Always\ncontainers: [{name: a}]\n",
            True,
        ),
        # the pod's restartPolicy is not a container's
        ("restartPolicy: Always\ninitContainers: [{name: init}]\ncontainers: [{name: a}]\n", False),
        # two init containers are not two containers
        ("initContainers: [{name: i1}, {name: i2}]\ncontainers: [{name: a}]\n", False),
        # `containers` must be a list to make a pod spec
        ("containers: {a: 1, b: 2}\n", False),
        ("containers:\n", False),
        ("sidecars: {create: true}\n", False),
    ],
)
def test_sidecar_rule(override: str, sidecar: bool) -> None:
    assert facts(with_override(override))[2] is sidecar


def gpu_override(section: str, resource: str, amount: str, key: str = "containers") -> str:
    return (
        f"{key}:\n  - name: model\n    resources:\n      {section}:\n"
        f"        {resource}: {amount}\n"
        + ("containers: [{name: main}]\n" if key == "initContainers" else "")
    )


@pytest.mark.parametrize(
    ("amount", "gpu"),
    [
        ("1", True),
        ('"1"', True),
        ('"2"', True),
        ("500m", True),  # half a GPU: odd, but more than 0
        ("1e0", True),
        ("0", False),
        ('"0"', False),
        ("0m", False),
        ("0.0", False),
        ("-1", False),
    ],
)
def test_gpu_quantities(amount: str, gpu: bool) -> None:
    for section in ("limits", "requests"):
        text = with_override(gpu_override(section, "nvidia.com/gpu", amount))
        assert facts(text)[1] is gpu, (section, amount)


def test_gpu_in_an_init_container_counts() -> None:
    text = with_override(gpu_override("limits", "amd.com/gpu", "1", key="initContainers"))
    assert facts(text) == (True, True, False)


@pytest.mark.parametrize(
    ("resource", "gpu_resources", "gpu"),
    [
        ("nvidia.com/gpu", ("nvidia.com/gpu", "amd.com/gpu"), True),
        ("amd.com/gpu", ("nvidia.com/gpu", "amd.com/gpu"), True),
        ("intel.com/gpu", ("nvidia.com/gpu", "amd.com/gpu"), False),
        ("intel.com/gpu", ("intel.com/gpu",), True),
        ("nvidia.com/gpu", ("intel.com/gpu",), False),
        ("NVIDIA.com/gpu", ("nvidia.com/gpu",), False),  # resource names are case-sensitive
        ("cpu", ("nvidia.com/gpu",), False),
    ],
)
def test_gpu_resource_names_come_from_the_configuration(
    resource: str, gpu_resources: tuple[str, ...], gpu: bool
) -> None:
    text = with_override(gpu_override("limits", resource, "1"))
    assert facts(text, gpu_resources=gpu_resources)[1] is gpu


def test_a_gpu_name_outside_resources_does_not_count() -> None:
    override = (
        "nodeSelector:\n  nvidia.com/gpu: 'true'\n"
        "containers:\n  - name: app\n    env: [{name: nvidia.com/gpu, value: '1'}]\n"
    )
    assert facts(with_override(override)) == (True, False, False)


def test_a_malformed_gpu_quantity_is_a_warning_not_a_gpu() -> None:
    spec = parse_service_spec(
        with_override(gpu_override("limits", "nvidia.com/gpu", "lots")), "service.yaml"
    )
    assert (spec.has_override, spec.override_gpu) == (True, False)
    assert spec.warnings == [
        "service.kubernetes_override: container 'model' limits['nvidia.com/gpu'] = 'lots' "
        "is not a Kubernetes quantity (ignored)"
    ]


def test_an_override_shared_through_aliases_is_walked_once() -> None:
    text = (
        "pod: &pod {containers: [{name: a, resources: {limits: {nvidia.com/gpu: 1}}}]}\n"
        "service:\n  kubernetes_override: {a: *pod, b: *pod, c: [*pod, *pod]}\n"
    )
    assert facts(text) == (True, True, False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", Decimal(1)),
        ("2", Decimal(2)),
        ("500m", Decimal("0.5")),
        ("0", Decimal(0)),
        ("1Ki", Decimal(1024)),
        ("1Gi", Decimal(1024**3)),
        ("1k", Decimal(1000)),
        ("1e3", Decimal(1000)),
        ("1E", Decimal(10**18)),
        ("+2", Decimal(2)),
        (".5", Decimal("0.5")),
        (" 1 ", Decimal(1)),
        ("abc", None),
        ("", None),
        ("1.5.5", None),
        ("1_000", None),
        ("NaN", None),
        ("Infinity", None),
        ("1ki", None),
        ("1 Gi", None),
    ],
)
def test_kubernetes_quantities(text: str, expected: Decimal | None) -> None:
    assert quantity(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(3, Decimal(3)), (0.5, Decimal("0.5")), (True, None), (None, None)]
)
def test_typed_quantities(value: object, expected: Decimal | None) -> None:
    assert quantity(value) == expected


# --- the corpus: real Kubernetes manifests as escape-hatch overrides -----------------------

# file → (has_override, gpu, sidecar) for each document embedded as the override, by eye.
# javaweb-tomcat-sidecar is a "sidecar" in name only: its init container copies a WAR and
# has no restartPolicy: Always, and the pod has one container. loadgenerator's
# `restartPolicy: Always` is the pod's, not an init container's.
PLAIN = (True, False, False)
CORPUS_OVERRIDES: dict[str, list[tuple[bool, bool, bool]]] = {
    "k8s-examples-guestbook-all-in-one-2017-extensions-v1beta1.yaml": [PLAIN] * 6,
    "k8s-examples-javaweb-tomcat-sidecar.yaml": [PLAIN],
    "k8s-examples-newrelic-config-comment-only.yaml": [(False, False, False)],
    "k8s-examples-newrelic-daemonset-2017.yaml": [PLAIN],
    "k8s-examples-openshift-secret-empty.json": [(False, False, False)],
    "k8s-examples-psp-policies-2017-extensions-v1beta1.yaml": [PLAIN] * 2,
    "k8s-examples-redis-master-2-containers.yaml": [(True, False, True)],
    "k8s-examples-vitess-vttablet-pod-template.yaml": [(True, False, True)],
    "k8s-examples-vllm-gpu-deployment.yaml": [(True, True, False)],
    "k8s-examples-vllm-gpu-hpa.yaml": [PLAIN],
    "k8s-examples-vllm-hpa-custom-metric.yaml": [PLAIN],
    "microservices-demo-frontend.yaml": [PLAIN] * 4,
    "microservices-demo-helm-values.yaml": [PLAIN],  # `sidecars: {create: false}` is no pod
    "microservices-demo-loadgenerator.yaml": [PLAIN] * 2,
    "microservices-demo-release-all.yaml": [PLAIN] * 35,
    "microservices-demo-shoppingassistant.yaml": [PLAIN] * 3,
    "pathlens-shape-of-k8s-website-deployment-native-sidecar.yaml": [(True, False, True)],
    "pathlens-shape-of-k8s-website-deployment-sidecar-legacy.yaml": [(True, False, True)],
    "pathlens-shape-of-k8s-website-hpa-php-apache-flow-style.yaml": [PLAIN],
}

# file → (line, words of the reason): templates that are not YAML until rendered
CORPUS_REFUSED = {
    "k8s-examples-vitess-etcd-controller-template.yaml": (6, "found unhashable key"),
    "microservices-demo-helm-template-frontend.yaml": (15, "did not find expected node content"),
}


def test_the_corpus_tables_cover_every_kubernetes_fixture() -> None:
    assert sorted([*CORPUS_OVERRIDES, *CORPUS_REFUSED]) == names("kubernetes")


def documents_of(text: str) -> list[str]:
    """The text of each document of a manifest (comment-only pieces dropped); the whole text
    when it has no document at all."""
    chunks = re.split(r"(?m)^---[ \t]*\n?", text)
    docs = [
        c
        for c in chunks
        if any(line.strip() and not line.lstrip().startswith("#") for line in c.splitlines())
    ]
    return docs or [text]


@pytest.mark.parametrize("name", sorted(CORPUS_OVERRIDES))
def test_corpus_manifests_as_overrides(name: str) -> None:
    text = read("kubernetes", name)
    docs = documents_of(text)
    assert [facts(with_override(doc)) for doc in docs] == CORPUS_OVERRIDES[name]
    # the split above agrees with the YAML loader on how many documents there are
    assert len([d for d in load_yaml_documents(text, name) if d is not None]) == len(
        [d for d in CORPUS_OVERRIDES[name] if d[0]]
    )


@pytest.mark.parametrize("name", sorted(CORPUS_REFUSED))
def test_corpus_unrendered_manifests_are_refused(name: str) -> None:
    line, reason = CORPUS_REFUSED[name]
    with pytest.raises(ParseError) as caught:
        load_yaml_documents(read("kubernetes", name), name)
    assert caught.value.line == line
    assert reason in caught.value.reason
    assert "unrendered template placeholder" in caught.value.reason
    # embedded as an override, the spec is refused as a whole too
    with pytest.raises(ParseError):
        parse_service_spec(with_override(read("kubernetes", name)), "service.yaml")


def test_the_vllm_deployment_requests_and_limits_one_gpu() -> None:
    spec = parse_service_spec(
        with_override(read("kubernetes", "k8s-examples-vllm-gpu-deployment.yaml")), "service.yaml"
    )
    assert (spec.override_gpu, spec.override_sidecar, spec.warnings) == (True, False, [])
    # the same deployment, asked about AMD GPUs only, has none
    spec = parse_service_spec(
        with_override(read("kubernetes", "k8s-examples-vllm-gpu-deployment.yaml")),
        "service.yaml",
        gpu_resources=("amd.com/gpu",),
    )
    assert spec.override_gpu is False
