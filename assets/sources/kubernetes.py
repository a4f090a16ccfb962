"""Kubernetes raw tables: namespaces, workloads and every ReplicaSet (rollout) seen."""

import dagster as dg

from pipelines.resources import PathlensResource
from pipelines.sources.registry import KUBERNETES_TABLES, kubernetes_loader


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["raw", name], kinds={"kubernetes", "duckdb"}, group_name="sources")
        for name in KUBERNETES_TABLES
    ],
    name="kubernetes_raw",
)
def kubernetes_raw(context: dg.AssetExecutionContext, pathlens: PathlensResource):
    """Rollout history accumulates: ReplicaSets the cluster has pruned are kept."""
    settings = pathlens.settings()
    loader = kubernetes_loader(settings, pathlens.refresh_as_of())
    metadata: dict = {"clusters": 0}
    if loader is not None:
        with pathlens.build_connection() as con:
            metadata = loader.load_into(con, context.run.run_id)
    else:
        context.log.info("no kubernetes contexts configured: raw Kubernetes tables left as they are")
    for name in KUBERNETES_TABLES:
        yield dg.MaterializeResult(
            asset_key=["raw", name],
            metadata={k: v if isinstance(v, int | float | str) else str(v) for k, v in metadata.items()},
        )
