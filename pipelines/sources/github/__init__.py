"""The live GitHub source (github.com or GitHub Enterprise Server) behind the raw tables.

`GitHubSource(settings).load_into(con, refresh_id)` reads what changed since the last refresh;
`render_summary(con, refresh_id)` shows what it spent. See docs/github-source.md.
"""

from pipelines.sources.github.auth import CredentialError
from pipelines.sources.github.client import FetchError
from pipelines.sources.github.source import GitHubSource, SourceError
from pipelines.sources.github.summary import render_summary

__all__ = ["CredentialError", "FetchError", "GitHubSource", "SourceError", "render_summary"]
