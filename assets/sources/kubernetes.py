"""Kubernetes raw tables: namespaces, workloads and every ReplicaSet (rollout) seen."""

import dagster as dg

from assets.sources.freshness import SOURCE_FRESHNESS
from pipelines.resources import PathlensResource
from pipelines.scrub import scrubbed_errors
from pipelines.sources.registry import KUBERNETES_TABLES, kubernetes_loader, plain_metadata


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["raw", name], kinds={"kubernetes", "duckdb"}, group_name="sources",
                     freshness_policy=SOURCE_FRESHNESS)
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
        with scrubbed_errors(), pathlens.build_connection() as con:
            metadata = loader.load_into(con, context.run.run_id)
    else:
        context.log.info("no kubernetes contexts configured: raw Kubernetes tables left as they are")
    for name in KUBERNETES_TABLES:
        yield dg.MaterializeResult(
            asset_key=["raw", name],
            metadata=plain_metadata(metadata),
        )
