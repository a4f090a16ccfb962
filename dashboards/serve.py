"""The dashboard's web server: Streamlit serving `app.py`, with Plotly's code loaded up front.

`pathlens dashboard` runs `streamlit run dashboards/serve.py`; Streamlit finds the `st.App`
below and serves `app.py` exactly as `streamlit run dashboards/app.py` would, with one
middleware (`dashboards.lib.preload`) that makes each page start loading Plotly while it
waits for the server's first elements, instead of after its first chart element arrives.
"""

from __future__ import annotations

import streamlit as st
from starlette.middleware import Middleware

from dashboards.lib.preload import PreloadModule, plotly_module

app = st.App("app.py", middleware=[Middleware(PreloadModule, module=plotly_module())])
