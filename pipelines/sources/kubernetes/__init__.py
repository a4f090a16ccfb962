"""The Kubernetes source: kubeconfig contexts → `raw.k8s_namespaces`, `raw.k8s_workloads`, `raw.k8s_replicasets`.

`listing` reads one cluster through the official client, `rows` turns API objects into raw
rows, `source` writes them (see its docstring for what a refresh keeps and deletes).
"""

from pipelines.sources.kubernetes.source import KubernetesSource

__all__ = ["KubernetesSource"]
