"""Where the dashboard links to: each repository's web page (marts.repos.html_url)."""

from __future__ import annotations

import duckdb

from dashboards.lib.snapshot import fetch
from dashboards.lib.text import web_url


def load_repo_links(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """repo → its http(s) web page; empty when the warehouse predates marts.repos.html_url."""
    has_url = fetch(con, "select exists (select 1 from duckdb_columns() where schema_name = 'marts' "
                         "and table_name = 'repos' and column_name = 'html_url') as has_url").item()
    if not has_url:
        return {}
    rows = fetch(con, "select repo, html_url from marts.repos where html_url is not null")
    return {repo: url for repo, url in rows.iter_rows() if web_url(url)}
