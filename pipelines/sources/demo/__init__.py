"""The demo organisation: a realistic synthetic GitHub organisation and two Kubernetes
clusters, emitted in exactly the raw shapes the real sources write (`pipelines.raw_schema`).

`generate(scale, seed, as_of)` returns a `DemoOrg`: the raw tables (repos with real file texts,
workflow runs, deployments, issues, namespaces, workloads, ReplicaSets) and the *intent* — one
row per service the generator meant to create — which the end-to-end test compares the marts
against. The organisation follows `demo_conventions.demo_config_mapping()`.

Modules: `scales` (sizes), `plan` (teams, repos, services), `escapes` (escape-hatch overrides),
`files` (file texts), `runs` (CI runs, vectorised), `deploys` (GitHub deployments, Kubernetes),
`issues` (exception requests), `build` (assembles the tables and the intent).
"""

from pipelines.sources.demo.build import TABLES, DemoOrg, forget_generated, generate
from pipelines.sources.demo.scales import SCALES

__all__ = ["SCALES", "TABLES", "DemoOrg", "forget_generated", "generate"]
