"""Escape hatches: the raw Kubernetes a service spec carries in `service.kubernetes_override`.

Each variant builds the override exactly as a team would write it (a whole Deployment, a
DeploymentSpec, or a PodSpec), the pod spec the cluster ends up running, and the reasons SPEC §3
assigns to it — worked out here by hand for each variant, not by running the parser.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

PRESETS: dict[str, dict[str, Any]] = {
    "small": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
    "medium": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}},
    "large": {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"memory": "4Gi"}},
}

DECLARED_TEXTS = (
    "needs host networking for multicast discovery",
    "legacy JVM agent needs a privileged init step",
    "vendor appliance image pinned by contract",
    "model serving on A100 nodes",
)


@dataclass(frozen=True)
class Escape:
    variant: str
    override: dict[str, Any]  # what `service.kubernetes_override` holds
    pod_spec: dict[str, Any]  # what the cluster runs
    declared: str | None  # the component's `pathlens.io/escape-hatch-reason`, if any
    reasons: tuple[str, ...]  # SPEC §3 reasons, sorted


def app_container(name: str, image: str, port: int, preset: str) -> dict[str, Any]:
    """The single container the platform renders for a service without an escape hatch."""
    return {
        "name": name,
        "image": image,
        "ports": [{"containerPort": port, "name": "http"}],
        "resources": copy.deepcopy(PRESETS[preset]),
    }


def default_pod_spec(name: str, image: str, port: int, preset: str) -> dict[str, Any]:
    return {"serviceAccountName": name, "containers": [app_container(name, image, port, preset)]}


def _deployment(name: str, replicas: int, pod: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": _deployment_spec(name, replicas, pod),
    }


def _deployment_spec(name: str, replicas: int, pod: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "replicas": replicas,
        **extra,
        "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
        "template": {"metadata": {"labels": {"app.kubernetes.io/name": name}}, "spec": pod},
    }


def _with_gpu(container: dict[str, Any], resource: str, count: int | str, requests: bool) -> None:
    container["resources"].setdefault("limits", {})[resource] = count
    if requests:
        container["resources"].setdefault("requests", {})[resource] = count


GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}


def build(variant: str, name: str, image: str, port: int, replicas: int, preset: str,
          declared: str | None = None) -> Escape:
    """The escape hatch `variant` for one service; raises KeyError for an unknown variant."""
    app = app_container(name, image, port, preset)
    if variant == "gpu_nvidia_deployment":
        _with_gpu(app, "nvidia.com/gpu", 1, requests=False)
        pod = {"containers": [app], "nodeSelector": {"accelerator": "nvidia-l4"},
               "tolerations": [GPU_TOLERATION]}
        return Escape(variant, _deployment(name, replicas, pod), pod, None, ("gpu",))
    if variant == "gpu_amd_deployment":
        _with_gpu(app, "amd.com/gpu", "2", requests=True)  # a quantity written as a string
        pod = {"containers": [app], "nodeSelector": {"accelerator": "amd-mi300"}}
        return Escape(variant, _deployment(name, replicas, pod), pod, None, ("gpu",))
    if variant == "sidecar_deploymentspec":
        proxy = {"name": "cloud-sql-proxy",
                 "image": "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.1",
                 "args": ["--structured-logs", "--port=5432", f"acme-prod:europe-west1:{name}"],
                 "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}}}
        pod = {"containers": [app, proxy]}
        return Escape(variant, _deployment_spec(name, replicas, pod), pod, None, ("sidecar",))
    if variant == "native_sidecar_podspec":
        shipper = {"name": "log-shipper", "image": "fluent/fluent-bit:3.2.2",
                   "restartPolicy": "Always",
                   "volumeMounts": [{"name": "logs", "mountPath": "/var/log/app"}]}
        app["volumeMounts"] = [{"name": "logs", "mountPath": "/var/log/app"}]
        pod = {"initContainers": [shipper], "containers": [app],
               "volumes": [{"name": "logs", "emptyDir": {}}]}
        return Escape(variant, pod, pod, None, ("sidecar",))
    if variant == "gpu_sidecar_deploymentspec":
        _with_gpu(app, "nvidia.com/gpu", 1, requests=True)
        exporter = {"name": "dcgm-exporter", "image": "nvcr.io/nvidia/k8s/dcgm-exporter:3.3.9",
                    "ports": [{"containerPort": 9400, "name": "metrics"}]}
        pod = {"containers": [app, exporter], "tolerations": [GPU_TOLERATION]}
        return Escape(variant, _deployment_spec(name, replicas, pod), pod, None, ("gpu", "sidecar"))
    if variant == "other_podspec":
        app["securityContext"] = {"runAsUser": 1000, "runAsGroup": 3000,
                                  "readOnlyRootFilesystem": True}
        pod = {"securityContext": {"fsGroup": 2000, "seccompProfile": {"type": "RuntimeDefault"}},
               "containers": [app]}
        return Escape(variant, pod, pod, None, ("other",))
    if variant == "other_deploymentspec":
        pod = {"containers": [app], "terminationGracePeriodSeconds": 120,
               "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "batch",
                                "effect": "NoSchedule"}]}
        spec = _deployment_spec(name, replicas, pod, strategy={"type": "Recreate"})
        return Escape(variant, spec, pod, None, ("other",))
    if variant == "gpu_zero_podspec":
        _with_gpu(app, "nvidia.com/gpu", 0, requests=False)  # asks for none: not a GPU reason
        pod = {"containers": [app], "priorityClassName": "low-priority"}
        return Escape(variant, pod, pod, None, ("other",))
    if variant == "declared_podspec":
        text = declared or DECLARED_TEXTS[0]
        pod = {"hostNetwork": True, "dnsPolicy": "ClusterFirstWithHostNet", "containers": [app]}
        return Escape(variant, pod, pod, text, (f"declared:{text}",))
    if variant == "declared_gpu_deployment":
        text = declared or DECLARED_TEXTS[3]
        _with_gpu(app, "nvidia.com/gpu", 4, requests=True)
        pod = {"containers": [app], "nodeSelector": {"accelerator": "nvidia-a100"},
               "tolerations": [GPU_TOLERATION]}
        return Escape(variant, _deployment(name, replicas, pod), pod, text,
                      (f"declared:{text}", "gpu"))
    raise KeyError(variant)


# The first escape hatches of every organisation, in this order: the first four already cover
# every reason (gpu, sidecar, declared, other); default scale and up get all ten.
CORE_VARIANTS = (
    "gpu_nvidia_deployment",
    "sidecar_deploymentspec",
    "declared_podspec",
    "other_podspec",
    "native_sidecar_podspec",
    "gpu_amd_deployment",
    "other_deploymentspec",
    "gpu_sidecar_deploymentspec",
    "gpu_zero_podspec",
    "declared_gpu_deployment",
)
# How the rest are drawn.
VARIANT_WEIGHTS = {
    "gpu_nvidia_deployment": 0.20, "sidecar_deploymentspec": 0.20, "native_sidecar_podspec": 0.10,
    "other_podspec": 0.15, "other_deploymentspec": 0.10, "gpu_amd_deployment": 0.05,
    "declared_podspec": 0.10, "gpu_sidecar_deploymentspec": 0.05, "declared_gpu_deployment": 0.05,
}
NEEDS_CATALOG = frozenset({"declared_podspec", "declared_gpu_deployment"})
