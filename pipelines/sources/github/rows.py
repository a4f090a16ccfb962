"""GitHub REST JSON → raw table rows (pure functions, no HTTP).

Timestamps become naive UTC datetimes (GitHub sends `Z` or an offset), as every raw table
stores them. Each function returns one dict with exactly the raw table's columns.
"""

from __future__ import annotations

import fnmatch
from datetime import UTC, datetime, timedelta
from typing import Any

from pipelines.repo_files import RepoFiles

# Nothing pathlens reads predates git (2005); a few days ahead allows for clock skew. A date
# outside would stretch every monthly mart over centuries (year 0001: 24,311 rows each).
EARLIEST = datetime(2005, 1, 1)
FUTURE_SLACK = timedelta(days=7)


class ImplausibleDate(ValueError):
    """A timestamp that cannot be read, or lies outside what a repository can hold."""


def ts(value: str | None) -> datetime | None:
    """An ISO 8601 timestamp (`2024-05-01T12:00:00Z`, `…+10:00`) → naive UTC; None stays None.

    Raises ImplausibleDate for text that is not a timestamp, or a date before 2005 or more than
    a week ahead of the clock; the caller records the record (or repo) as an error and goes on.
    """
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ImplausibleDate(f"{str(value)[:40]!r} is not a timestamp") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    if not EARLIEST <= parsed <= datetime.now(UTC).replace(tzinfo=None) + FUTURE_SLACK:
        raise ImplausibleDate(f"{str(value)[:40]!r} is not a plausible date (before 2005 or in the future)")
    return parsed


def ts_or_none(value: str | None) -> datetime | None:
    """`ts`, with an unreadable or implausible value read as None (for cursors and page summaries)."""
    try:
        return ts(value)
    except ImplausibleDate:
        return None


def iso(value: datetime) -> str:
    """Naive UTC → the `YYYY-MM-DDTHH:MM:SSZ` form GitHub's filters accept."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def repo_row(item: dict[str, Any], tree_sha: str | None, fetched_at: datetime) -> dict[str, Any]:
    return {
        "repo": item["full_name"],
        "name": item["name"],
        "created_at": ts(item.get("created_at")),
        "pushed_at": ts(item.get("pushed_at")),
        "language": item.get("language"),
        "archived": bool(item.get("archived")),
        "fork": bool(item.get("fork")),
        "default_branch": item.get("default_branch"),
        "tree_sha": tree_sha,
        "html_url": item.get("html_url"),
        "fetched_at": fetched_at,
    }


def run_row(repo: str, item: dict[str, Any], fetched_at: datetime) -> dict[str, Any]:
    return {
        "repo": repo,
        "run_id": item["id"],
        "run_attempt": item.get("run_attempt") or 1,
        "workflow_id": item.get("workflow_id"),
        "workflow_name": item.get("name"),
        "workflow_path": item.get("path"),
        "event": item.get("event"),
        "status": item.get("status"),
        "conclusion": item.get("conclusion"),
        "head_branch": item.get("head_branch"),
        "created_at": ts(item.get("created_at")),
        "run_started_at": ts(item.get("run_started_at")),
        "updated_at": ts(item.get("updated_at")),
        "fetched_at": fetched_at,
    }


def deployment_row(repo: str, item: dict[str, Any], latest_status: dict[str, Any] | None,
                   fetched_at: datetime) -> dict[str, Any]:
    return {
        "repo": repo,
        "deployment_id": item["id"],
        "environment": item.get("environment"),
        "ref": item.get("ref"),
        "sha": item.get("sha"),
        "created_at": ts(item.get("created_at")),
        "status_state": latest_status.get("state") if latest_status else None,
        "status_at": ts(latest_status.get("created_at")) if latest_status else None,
        "fetched_at": fetched_at,
    }


def issue_row(repo: str, item: dict[str, Any], fetched_at: datetime) -> dict[str, Any]:
    labels = [label["name"] if isinstance(label, dict) else str(label) for label in item.get("labels") or []]
    return {
        "repo": repo,
        "number": item["number"],
        "title": item.get("title"),
        "state": item.get("state"),
        "created_at": ts(item.get("created_at")),
        "closed_at": ts(item.get("closed_at")),
        "updated_at": ts(item.get("updated_at")),
        "labels": labels,
        "is_pull_request": "pull_request" in item,
        "html_url": item.get("html_url"),
        "author": (item.get("user") or {}).get("login"),
        "fetched_at": fetched_at,
    }


def is_excluded(full_name: str, patterns: list[str]) -> bool:
    """Whether a repo matches an `exclude_repos` glob, by name (`sandbox-*`) or `OWNER/NAME`."""
    name = full_name.split("/", 1)[-1]
    return any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(full_name, p) for p in patterns)


def in_scope(repo: dict[str, Any], patterns: list[str]) -> bool:
    """Repos whose files, runs and deployments are read: not archived, not a fork, not excluded."""
    return not repo["archived"] and not repo["fork"] and not is_excluded(repo["repo"], patterns)


def wanted_file(path: str, catalog_file: str, spec_file: str) -> bool:
    """Whether pathlens reads the file at `path` (`pipelines.repo_files`, the one definition)."""
    return RepoFiles(catalog_file, spec_file).wanted(path)
