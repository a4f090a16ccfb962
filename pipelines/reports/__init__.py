"""Reports, alerts and their delivery.

`write_report` is the entry point for `pathlens report`; the rest is split by job: `period`
(which week or month), `data` (the numbers, from the marts), `render_html` / `render_text` /
`csvs` (the files), `alerts` (the rules behind marts.alerts), `delivery` (the webhook) and
`failures` (failed runs recorded by the sensor). Imports are lazy so that reading an alert rule
does not load Plotly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipelines.reports.write import ReportFiles, deliver_report, write_report

__all__ = ["ReportFiles", "deliver_report", "write_report"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from pipelines.reports import write

        return getattr(write, name)
    raise AttributeError(f"module 'pipelines.reports' has no attribute {name!r}")
