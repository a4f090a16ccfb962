"""pathlens figures as Prometheus metrics, in the OpenMetrics text format.

A custom `prometheus_client` collector reads `marts.current_figures` (and the refresh time
from `marts.refresh_info`) from the published warehouse at every collection (scrape, or `pathlens metrics --out`) and turns each row into a
sample of the family this module declares for its `figure`; the numbers themselves are the
mart's. Names follow Prometheus conventions: `pathlens_` prefix, base units in the name
(`_seconds`, `_ratio` for 0..1), `_total` only on counters. Labels are low-cardinality:
`scope` (organisation, team, language, golden_path, reason) on families that mix the whole
organisation with its groups, then the group's own label (`team`, `language`, `golden_path`,
`reason`, or `path` = golden_path | diy); never a repository or a service.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest as generate_text
from prometheus_client.openmetrics.exposition import CONTENT_TYPE_LATEST as OPENMETRICS_CONTENT_TYPE
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics
from prometheus_client.registry import Collector, CollectorRegistry

from pipelines.exports.read import select_rows

log = logging.getLogger(__name__)

PREFIX = "pathlens_"
ORGANISATION = "organisation"
# The refresh time lives in marts.refresh_info alone, so that marts.current_figures is the same
# table when the same data is refreshed twice.
FIGURES_SQL = """
    select figure, dimension, group_value, value from marts.current_figures
    union all
    select 'last_refresh_timestamp_seconds', null, null, epoch(refreshed_at) from marts.refresh_info
    where refreshed_at is not null
"""
Scope = str | None  # a marts.current_figures dimension; None = the whole organisation

ADOPTION_SCOPES: tuple[Scope, ...] = (None, "team", "language", "golden_path")
GROUP_SCOPES: tuple[Scope, ...] = (None, "team", "language")
REASON_SCOPES: tuple[Scope, ...] = (None, "reason")


@dataclass(frozen=True)
class Family:
    """One exported metric family: its figure in marts.current_figures and how it is shown."""

    figure: str  # marts.current_figures.figure (the metric name without `pathlens_`)
    kind: Literal["gauge", "counter"]
    help: str
    scopes: tuple[Scope, ...] = (None,)
    unit: str = ""

    @property
    def name(self) -> str:
        """The family's name as prometheus_client takes it (a counter's without `_total`)."""
        base = PREFIX + self.figure
        return base.removesuffix("_total") if self.kind == "counter" else base

    @property
    def sample_name(self) -> str:
        """The name its samples carry in the exposition."""
        return PREFIX + self.figure

    @property
    def has_scope_label(self) -> bool:
        return len(self.scopes) > 1

    def labels(self, dimension: Scope, group: str | None) -> dict[str, str]:
        """The label set of one row's sample."""
        labels = {"scope": dimension or ORGANISATION} if self.has_scope_label else {}
        if dimension is not None:
            labels[dimension] = group if group is not None else ""
        return labels


FAMILIES: tuple[Family, ...] = (
    Family("adoption_ratio", "gauge",
           "Overall adoption at the refresh: golden-path services / services "
           "(per golden path: that path's services / all services).", ADOPTION_SCOPES, "ratio"),
    Family("new_service_adoption_ratio", "gauge",
           "New-service adoption in the last complete month: golden-path services created / services "
           "created (per golden path: created from that path / all created).", ADOPTION_SCOPES, "ratio"),
    Family("services", "gauge", "Services at the refresh.", ADOPTION_SCOPES),
    Family("golden_path_services", "gauge", "Services on a golden path at the refresh.", GROUP_SCOPES),
    Family("new_services", "gauge", "Services created in the last complete month.", ADOPTION_SCOPES),
    Family("new_golden_path_services", "gauge",
           "Golden-path services created in the last complete month.", GROUP_SCOPES),
    Family("service_spec_services", "gauge", "Services with a platform service spec."),
    Family("escape_hatch_services", "gauge",
           "Services using the escape hatch (per reason: those carrying it; declared = any declared:<text>).",
           REASON_SCOPES),
    Family("escape_hatch_ratio", "gauge",
           "Escape-hatch services / services with a service spec (per reason: those carrying it / "
           "services with a spec).", REASON_SCOPES, "ratio"),
    Family("exception_requests_opened_total", "counter", "Exception requests opened, ever."),
    Family("exception_requests_closed_total", "counter", "Exception requests closed, ever."),
    Family("exception_requests_open", "gauge", "Exception requests open at the refresh."),
    Family("exception_requests_opened_last_month", "gauge",
           "Exception requests opened in the last complete month."),
    Family("exception_requests_closed_last_month", "gauge",
           "Exception requests closed in the last complete month."),
    Family("ci_failure_ratio", "gauge",
           "CI workflow runs failed / (failed + succeeded), golden-path services against DIY.", ("path",), "ratio"),
    Family("ci_decided_runs", "gauge",
           "CI workflow runs that failed or succeeded (the failure ratio's denominator).", ("path",)),
    Family("ci_duration_median_seconds", "gauge",
           "Median duration of completed CI workflow runs, golden path against DIY.", ("path",), "seconds"),
    Family("time_to_first_deploy_median_seconds", "gauge",
           "Median time from a service's creation to its first production deploy, golden path against DIY.",
           ("path",), "seconds"),
    Family("template_last_change_timestamp_seconds", "gauge",
           "When the golden path's template last changed (its default-branch head's committer date), "
           "Unix time.", ("golden_path",), "seconds"),
    Family("template_services", "gauge",
           "Services created from the golden path whose template commit was looked up.", ("golden_path",)),
    Family("template_services_current", "gauge",
           "Of those, services whose template commit is the template's head (0 commits behind).",
           ("golden_path",)),
    Family("template_services_unresolved", "gauge",
           "Of those, services whose template commit is missing or not found in the template repository.",
           ("golden_path",)),
    Family("template_commits_behind_median", "gauge",
           "Median commits the services' template commits are behind the template's head "
           "(over resolved services).", ("golden_path",)),
    Family("template_commits_behind_p90", "gauge",
           "90th percentile of commits behind the template's head (over resolved services).",
           ("golden_path",)),
    Family("last_refresh_timestamp_seconds", "gauge",
           "When the published (last successful) refresh started, Unix time.", unit="seconds"),
    Family("data_as_of_timestamp_seconds", "gauge",
           "The published refresh's 'now' (as_of): the instant its figures describe, Unix time.", unit="seconds"),
    Family("refresh_fetch_errors", "gauge", "Fetches that failed during the published refresh."),
    Family("refresh_unparsed_files", "gauge", "Repository files the published refresh could not parse."),
)
BY_FIGURE = {f.figure: f for f in FAMILIES}


def families(rows: Iterable[dict[str, Any]]) -> list[Metric]:
    """Metric families for marts.current_figures rows, in FAMILIES order, every family present.

    A row whose figure this version does not know, or whose dimension its family does not
    take, is logged and left out (a newer warehouse under an older exporter).
    """
    built: dict[str, Metric] = {}
    for family in FAMILIES:
        cls = CounterMetricFamily if family.kind == "counter" else GaugeMetricFamily
        built[family.figure] = cls(family.name, family.help, unit=family.unit)
    for row in rows:
        family = BY_FIGURE.get(row["figure"])
        if family is None or row["dimension"] not in family.scopes:
            log.warning("marts.current_figures: %s by %s is not exported by this version",
                        row["figure"], row["dimension"])
            continue
        labels = family.labels(row["dimension"], row["group_value"])
        built[family.figure].add_sample(family.sample_name, labels, float(row["value"]))
    return list(built.values())


class WarehouseCollector(Collector):
    """Reads marts.current_figures from the published warehouse at every collect()."""

    def __init__(self, warehouse: str | os.PathLike[str]) -> None:
        self.warehouse = warehouse

    def collect(self) -> Iterator[Metric]:
        yield from families(select_rows(self.warehouse, FIGURES_SQL))


def registry_for(warehouse: str | os.PathLike[str]) -> CollectorRegistry:
    """A registry holding only the warehouse collector (no process or platform metrics)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(WarehouseCollector(warehouse))
    return registry


def render(warehouse: str | os.PathLike[str], *, openmetrics: bool = True) -> bytes:
    """The current figures in the OpenMetrics text format (or Prometheus' 0.0.4 text format).

    Raises ExportError when the warehouse cannot be read.
    """
    registry = registry_for(warehouse)
    return generate_openmetrics(registry) if openmetrics else generate_text(registry)


__all__ = ["FAMILIES", "OPENMETRICS_CONTENT_TYPE", "Family", "WarehouseCollector", "families", "registry_for",
           "render"]
