"""The platform's service spec (`service.yaml`) → a `ServiceSpec`, escape-hatch facts included.

Choices (SPEC §2, §3 "Escape hatch"):

- **Whole-file errors** (`ParseError`): not loadable YAML, no document, more than one
  non-empty document, a top level that is not a mapping, or `service` missing / not a mapping.
  Such a file says nothing reliable about the service.
- **Field warnings**: a single badly typed field (`port: "abc"`, `replicas: -1`,
  `resources: [small]`, `name: {x: 1}`) becomes `None` and a message in `warnings`, so one
  typo does not lose the rest of the spec, in particular the escape-hatch facts.
- `language` is lower-cased (and stripped); the other strings are kept as written.
- `port` must be a whole number in 1..65535, `replicas` one in 0..1,000,000, written as digits
  (`"8080"` quoted is accepted: the spec is hand-written and both spellings mean the same).
- **The escape hatch** is the value at the dotted `escape_hatch_path` (default
  `service.kubernetes_override`). `has_override` is true when that value is not null; an empty
  mapping `{}`, a string or `false` are all non-null. The override may be a Deployment, a
  DeploymentSpec, a PodSpec or anything that nests one: every mapping in it that has a
  `containers` list is a pod spec.
  - `override_gpu`: some entry of `containers` or `initContainers` has, in `resources.limits`
    or `resources.requests`, a quantity above 0 of a resource named in `gpu_resources`
    (exact, case-sensitive names, as Kubernetes compares them). Quantities are Kubernetes
    quantities (`1`, `"2"`, `500m`, `1e3`); a malformed one counts as no request and is
    reported in `warnings`.
  - `override_sidecar`: some pod spec has 2 or more `containers`, or an `initContainers`
    entry with `restartPolicy: Always` (a native sidecar). An init container without it is a
    plain init step, not a sidecar.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pipelines.facts.errors import ParseError, quote
from pipelines.facts.values import FieldError, at_path, kind_of, opt_int, opt_mapping, opt_text
from pipelines.facts.yaml_safety import DEFAULT_LIMITS, YamlLimits, one_document

DEFAULT_ESCAPE_HATCH_PATH = "service.kubernetes_override"
DEFAULT_GPU_RESOURCES = ("nvidia.com/gpu", "amd.com/gpu")


@dataclass(frozen=True)
class ServiceSpec:
    """The facts of one service spec file; `warnings` lists fields that were set to None."""

    name: str | None
    language: str | None
    port: int | None
    replicas: int | None
    resources_preset: str | None
    has_override: bool
    override_gpu: bool
    override_sidecar: bool
    warnings: list[str] = field(default_factory=list)


def parse_service_spec(
    text: str,
    path: str,
    escape_hatch_path: str = DEFAULT_ESCAPE_HATCH_PATH,
    gpu_resources: Sequence[str] = DEFAULT_GPU_RESOURCES,
    limits: YamlLimits = DEFAULT_LIMITS,
) -> ServiceSpec:
    """Read a service spec. Raises `ParseError` when the file is unusable (see module doc)."""
    root = one_document(text, path, limits)
    if not isinstance(root, dict):
        raise ParseError(path, f"expected a mapping at the top level, got {kind_of(root)}")
    service = root.get("service")
    if not isinstance(service, dict):
        found = "missing" if service is None else f"{kind_of(service)}, not a mapping"
        raise ParseError(path, f"`service` is {found}")

    warnings: list[str] = []

    def lenient(read: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return read(*args, **kwargs)
        except FieldError as exc:
            warnings.append(f"{exc} (left empty)")
            return None

    language = lenient(opt_text, service.get("language"), "service.language")
    resources = lenient(opt_mapping, service.get("resources"), "service.resources") or {}
    override = at_path(root, escape_hatch_path)
    pod_specs = list(_pod_specs(override))
    return ServiceSpec(
        name=lenient(opt_text, service.get("name"), "service.name"),
        language=(language.strip().lower() or None) if language is not None else None,
        port=lenient(opt_int, service.get("port"), "service.port", minimum=1, maximum=65535),
        replicas=lenient(
            opt_int, service.get("replicas"), "service.replicas", minimum=0, maximum=1_000_000
        ),
        resources_preset=lenient(opt_text, resources.get("preset"), "service.resources.preset"),
        has_override=override is not None,
        override_gpu=_asks_for_gpu(pod_specs, tuple(gpu_resources), escape_hatch_path, warnings),
        override_sidecar=any(_has_sidecar(spec) for spec in pod_specs),
        warnings=warnings,
    )


def _pod_specs(override: Any) -> Iterator[dict[str, Any]]:
    """Every mapping inside `override` (itself included) that has a `containers` list."""
    seen: set[int] = set()  # aliases share objects; visit each once
    stack = [override]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, dict):
            if isinstance(node.get("containers"), list):
                yield node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _containers(pod_spec: dict[str, Any], key: str) -> list[dict[str, Any]]:
    entries = pod_spec.get(key)
    return [c for c in entries if isinstance(c, dict)] if isinstance(entries, list) else []


def _has_sidecar(pod_spec: dict[str, Any]) -> bool:
    if len(pod_spec["containers"]) >= 2:
        return True
    return any(c.get("restartPolicy") == "Always" for c in _containers(pod_spec, "initContainers"))


def _asks_for_gpu(
    pod_specs: list[dict[str, Any]],
    gpu_resources: tuple[str, ...],
    where: str,
    warnings: list[str],
) -> bool:
    found = False
    for pod_spec in pod_specs:
        for key in ("containers", "initContainers"):
            for container in _containers(pod_spec, key):
                resources = container.get("resources")
                if not isinstance(resources, dict):
                    continue
                for section in ("limits", "requests"):
                    amounts = resources.get(section)
                    if not isinstance(amounts, dict):
                        continue
                    for resource in gpu_resources:
                        if resource not in amounts:
                            continue
                        amount = quantity(amounts[resource])
                        if amount is None:
                            name = container.get("name", "?")
                            warnings.append(
                                f"{where}: container {quote(name)} {section}[{resource!r}] = "
                                f"{quote(amounts[resource])} is not a Kubernetes quantity (ignored)"
                            )
                        elif amount > 0:
                            found = True
    return found


# Kubernetes' quantity grammar: a signed decimal number, then a binary-SI suffix (Ki..Ei), a
# decimal-SI suffix (n, u, m, k, M, G, T, P, E) or a decimal exponent (e3, E-2).
_QUANTITY = re.compile(
    r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?"
)


def quantity(value: Any) -> Decimal | None:
    """A Kubernetes resource quantity as a number (`"500m"` → 0.5, `2` → 2); None if invalid."""
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip()
    if not _QUANTITY.fullmatch(text):
        return None
    try:
        amount = _parse_quantity()(text)
    except (ValueError, InvalidOperation):
        return None
    return amount if amount.is_finite() else None


@functools.cache
def _parse_quantity() -> Callable[[str], Decimal]:
    """The Kubernetes client's own `parse_quantity`, loaded as the one file it is.

    Importing it the usual way imports the `kubernetes` package, whose `__init__` loads the whole
    API client and its auth libraries (~0.5-1 s of CPU) for a function that needs only `decimal`.
    When the client is loaded anyway (a live refresh), or the file cannot be loaded alone, the
    usual import is used.
    """
    loaded = sys.modules.get("kubernetes.utils.quantity")
    if loaded is None and "kubernetes" not in sys.modules:
        package = importlib.util.find_spec("kubernetes")  # finds the package without running it
        folder = next(iter(package.submodule_search_locations or ()), None) if package else None
        if folder is not None:
            spec = importlib.util.spec_from_file_location("pipelines.facts._k8s_quantity",
                                                          Path(folder) / "utils" / "quantity.py")
            if spec is not None and spec.loader is not None:
                module = importlib.util.module_from_spec(spec)
                try:
                    spec.loader.exec_module(module)
                    return module.parse_quantity
                except ImportError:
                    pass
    from kubernetes.utils.quantity import parse_quantity

    return parse_quantity
