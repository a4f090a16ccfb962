"""Python work that builds warehouse tables among the SQL models, run inside the models' one
Dagster step (assets/metrics/sql.py) in dependency order, each table still its own asset.

The snapshot, the comparisons, the retention compaction and the alerts read tables SQL models
build, and some SQL models read theirs: as steps of their own they would cut the models' step
in pieces, and a failure in one piece would stop every model after it, related or not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import dagster as dg

# (context, resource) -> metadata by asset key ("raw/service_snapshots": {"rows": 12}); every
# key of the step's specs is materialised with its metadata when the function returns.
StepFunction = Callable[[dg.AssetExecutionContext, Any], Mapping[str, Mapping[str, Any]]]


@dataclass(frozen=True)
class PythonStep:
    """Assets built by one Python function that takes no connection of the caller's: the
    function opens its own (`pathlens.build_connection()`), and may replace the build file."""

    name: str
    specs: tuple[dg.AssetSpec, ...]
    run: StepFunction
