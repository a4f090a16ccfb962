"""The Dagster code location: every asset under `assets/`, one resource, in-process runs.

DuckDB allows one writing process, so steps run in-process, one after another.
"""

from pathlib import Path

import dagster as dg

from pipelines.resources import resource_from_environment

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=PROJECT_ROOT),
        dg.Definitions(
            resources={"pathlens": resource_from_environment()},
            executor=dg.in_process_executor,
        ),
    )
