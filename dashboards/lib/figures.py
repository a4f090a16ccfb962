"""The chart builders of `pipelines.charts`, each figure built once per distinct input.

Building a Plotly figure validates every property it sets, 30-300 ms a chart on this
machine; a page of eight charts spent most of a warm rerun there, rebuilding figures from the
same cached data. Pages call `charts.<builder>(...)` from here exactly as from
`pipelines.charts`; the figure comes from a cache keyed by the builder and its arguments (a
frame by the exact bytes of its contents, so equal data is the same figure, different data
never is). The cached figure is shared, so nothing may change it after it is built: pages
only hand it to `ui.chart`, which copies it (`st.plotly_chart` serialises a copy).
"""

from __future__ import annotations

import hashlib
from typing import Any

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from pipelines import chart_template
from pipelines import charts as _builders

CACHE_TTL_S = 3600


def _frame_digest(frame: pl.DataFrame) -> bytes:
    """A frame's exact identity: its schema and values, written as Arrow IPC and hashed."""
    return hashlib.blake2b(frame.write_ipc(None).getvalue(), digest_size=32).digest()


# at most ~1 MB a figure (Friction's time to first deploy, every service's value): bounded to
# ~20 page and filter combinations, well inside the dashboard's 600 MB
@st.cache_resource(ttl=CACHE_TTL_S, max_entries=128, show_spinner=False,
                   hash_funcs={pl.DataFrame: _frame_digest})
def _figure(name: str, args: tuple, kwargs: tuple) -> Any:
    # the template written into the figure (`chart_template.bake`): Streamlit hands Plotly.react
    # a copy of each mounted chart, and a copied template is a change that redraws it whole
    return with_data_revision(chart_template.bake(getattr(_builders, name)(*args, **dict(kwargs))))


def with_data_revision(fig: go.Figure) -> go.Figure:
    """`fig` with `layout.datarevision` naming its contents (a digest of its JSON). Returns `fig`.

    Streamlit draws a chart, then hands Plotly.react a copy of it once mounted. Without a data
    revision Plotly.react takes every data array of a copy for new data (it compares arrays by
    identity) and draws the whole chart again; with one, the same revision means the same data.
    A figure with other contents (another filter) has another revision, so Plotly redraws it."""
    digest = hashlib.blake2b(fig.to_json().encode(), digest_size=16).hexdigest()
    return fig.update_layout(datarevision=digest)


class _CachedBuilders:
    """`pipelines.charts` with each public builder going through the figure cache; every
    other name (constants, helpers) is the module's own."""

    def __getattr__(self, name: str) -> Any:
        value = getattr(_builders, name)
        returns = getattr(value, "__annotations__", {}).get("return") if callable(value) else None
        if name.startswith("_") or returns not in ("go.Figure", go.Figure):
            return value  # constants and helpers (`plain`, `month_spine`) as they are

        def cached(*args: Any, **kwargs: Any) -> Any:
            return _figure(name, args, tuple(sorted(kwargs.items())))

        cached.__doc__ = value.__doc__
        return cached


charts: Any = _CachedBuilders()
