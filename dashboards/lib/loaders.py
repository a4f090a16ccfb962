"""Every page loader by name, for the cached loading in `ui` (`ui.load("overview", ...)`).

A loader takes an open connection (one snapshot of the warehouse) and the page's arguments, and
returns Polars frames and numbers; a page only lays them out. All queries of one page run on one
connection, so they see one refresh.
"""

from __future__ import annotations

from dashboards.lib.adoption import load_adoption
from dashboards.lib.escape_hatches import load_escape_hatches
from dashboards.lib.exception_requests import load_exceptions
from dashboards.lib.friction import load_friction
from dashboards.lib.links import load_repo_links
from dashboards.lib.maintenance import load_maintenance
from dashboards.lib.meta import load_meta
from dashboards.lib.overview import load_overview
from dashboards.lib.schema import load_macros, load_schema
from dashboards.lib.services import load_service_record, load_services

LOADERS = {
    "schema": load_schema,
    "macros": load_macros,
    "meta": load_meta,
    "repo_links": load_repo_links,
    "overview": load_overview,
    "adoption": load_adoption,
    "escape_hatches": load_escape_hatches,
    "exceptions": load_exceptions,
    "friction": load_friction,
    "maintenance": load_maintenance,
    "services": load_services,
    "service_record": load_service_record,
}
