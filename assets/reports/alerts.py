"""marts.alerts: the alert rules evaluated on this refresh's marts, before the publish."""

import inspect

import dagster as dg

from assets.metrics.steps import PythonStep
from pipelines.reports.alerts import build_alerts
from pipelines.reports.failures import ingest_failures, outbox_path
from pipelines.resources import PathlensResource


def alerts(context: dg.AssetExecutionContext, pathlens: PathlensResource) -> dict:
    """One row per alert this refresh raised (rules in the `alerts:` settings; docs/reports.md).

    First reads the failed runs the run-failure sensor recorded into raw.run_failures. Rebuilt
    whole every refresh; an alert still standing keeps its `first_raised_at`.
    """
    with pathlens.build_connection() as con:
        for problem in ingest_failures(con, outbox_path(pathlens.paths())):
            context.log.warning(problem)
        frame = build_alerts(con, pathlens.settings())
    for row in frame.head(20).iter_rows(named=True):
        context.log.warning(f"alert ({row['rule']}): {row['message']}")
    return {"marts/alerts": {
        "alerts": frame.height,
        "errors": frame.filter(frame["severity"] == "error").height,
        "rules": ", ".join(sorted(set(frame["rule"].to_list()))) or "none",
    }}


ALERTS_STEP = PythonStep(
    name="alerts",
    specs=(dg.AssetSpec(
        ["marts", "alerts"],
        deps=[
            ["marts", "adoption_monthly"],
            ["marts", "exception_requests_monthly"],
            ["marts", "escape_hatch_services"],
            ["marts", "refresh_info"],
            ["marts", "template_health"],
            ["config", "settings"],
            ["raw", "repos"],  # the GitHub source ran (it writes raw.fetch_errors) ...
            ["raw", "k8s_namespaces"],  # ... and so did the Kubernetes one
        ],
        kinds={"python", "duckdb"}, group_name="marts", description=inspect.cleandoc(alerts.__doc__),
    ),),
    run=alerts,
)
