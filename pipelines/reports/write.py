"""Write a report's files from the published warehouse, and deliver its summary once.

A report covers the last complete week or month before `now`, where `now` is never later than
the warehouse's own refresh time (`as_of`): a report never claims a period its data does not
reach. Its files go to `OUT_DIR/<week-YYYY-MM-DD | month-YYYY-MM>/`; each is written to a
temporary name and renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.config import Settings
from pipelines.reports.csvs import report_tables
from pipelines.reports.data import ReportData, build_report_data, refresh_info
from pipelines.reports.delivery import DeliveryResult, post_json, webhook_url
from pipelines.reports.period import Period, PeriodKind, last_complete, naive_utc
from pipelines.reports.render_html import render_html
from pipelines.reports.render_text import render_markdown, slack_payload, slack_text
from pipelines.reports.slack import block_kit_payload
from pipelines.scrub import scrub, scrub_value
from pipelines.warehouse import open_reader

if TYPE_CHECKING:
    import requests

DELIVERY_FILE = "delivery.json"


@dataclass(frozen=True)
class ReportFiles:
    folder: Path
    html: Path
    markdown: Path
    csvs: dict[str, Path]  # table name → file
    period: Period
    chat_text: str  # the summary as one mrkdwn text (for chats without Block Kit)
    chat_payload: dict | None = None  # the Block Kit message `deliver_report` posts

    @property
    def all(self) -> list[Path]:
        return [self.html, self.markdown, *self.csvs.values()]


def report_period(kind: PeriodKind, *, as_of: datetime, now: datetime | None = None) -> Period:
    """The last complete period before `now`, capped at the data's `as_of`."""
    as_of = naive_utc(as_of)
    effective = as_of if now is None else min(naive_utc(now), as_of)
    return last_complete(kind, effective)


def _write_atomic(path: Path, text: str) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_report_data(warehouse: Path, kind: PeriodKind, settings: Settings, *,
                     now: datetime | None = None) -> ReportData:
    """The report's numbers, read through a sandboxed read-only connection."""
    con = open_reader(warehouse)
    try:
        period = report_period(kind, as_of=refresh_info(con)["as_of"], now=now)
        return build_report_data(con, period, settings)
    finally:
        con.close()


def write_report_files(data: ReportData, out_dir: Path, *, dashboard_url: str | None = None) -> ReportFiles:
    """HTML, Markdown and CSVs of `data` under `out_dir/<period slug>/`; returns their paths
    and the chat message (linking `dashboard_url` when given)."""
    folder = Path(out_dir).expanduser() / data.period.slug
    folder.mkdir(parents=True, exist_ok=True)
    html = _write_atomic(folder / "report.html", render_html(data))
    # the text outputs pass through the one scrubber as a whole (the HTML's data already did)
    markdown = _write_atomic(folder / "report.md", scrub(render_markdown(data)))
    csvs = {name: _write_atomic(folder / f"{name}.csv", scrub(text)) for name, text in report_tables(data).items()}
    return ReportFiles(folder, html, markdown, csvs, data.period, scrub(slack_text(data, where=str(html))),
                       scrub_value(block_kit_payload(data, dashboard_url=dashboard_url)))


def write_report(warehouse: Path, out_dir: Path, period: PeriodKind, settings: Settings, *,
                 now: datetime | None = None) -> ReportFiles:
    """Write the report for the last complete `period` ("week" or "month") before `now`.

    `now` defaults to the warehouse's refresh time. Raises FileNotFoundError when there is no
    warehouse, ValueError for an unknown period.
    """
    if period not in ("week", "month"):
        raise ValueError(f"period must be 'week' or 'month', not {period!r}")
    data = load_report_data(Path(warehouse), period, settings, now=now)
    return write_report_files(data, Path(out_dir), dashboard_url=settings.reports.dashboard_url)


def previous_delivery(folder: Path) -> dict | None:
    """What `deliver_report` recorded for this report folder, or None."""
    try:
        return json.loads((folder / DELIVERY_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def deliver_report(files: ReportFiles, settings: Settings, *, environ: Mapping[str, str] = os.environ,
                   sleep: Callable[[float], None] | None = None, session: requests.Session | None = None,
                   force: bool = False) -> DeliveryResult:
    """POST the report's chat summary to the configured webhook, once per report.

    Skips (without a request) when no webhook is configured or this period's report was already
    delivered (unless `force`). The outcome is recorded in `delivery.json` beside the files, and
    returned; it never raises for a delivery problem, so the report files are never lost to one.
    """
    earlier = previous_delivery(files.folder)
    if earlier and earlier.get("status") == "delivered" and not force:
        return DeliveryResult("skipped", 0, earlier.get("http_status"), "already delivered")
    url = webhook_url(settings, environ)
    kwargs = {"sleep": sleep} if sleep is not None else {}
    result = post_json(url, files.chat_payload or slack_payload(files.chat_text), attempts=settings.reports.webhook_attempts,
                       timeout_s=settings.reports.webhook_timeout_s, session=session, **kwargs)
    record = {**result.as_dict(), "at": datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
              "period": files.period.slug}
    _write_atomic(files.folder / DELIVERY_FILE, json.dumps(record, indent=2) + "\n")
    return result
