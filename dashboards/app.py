"""pathlens dashboard: `pathlens dashboard` (`streamlit run dashboards/serve.py`, which serves this).

The router. The pages live in `views/`, not `pages/`: Streamlit treats a `pages/` folder beside
the entrypoint as a legacy multipage app, and a first visit to e.g. /adoption would then run
that page file without this router.

Every rerun reads the published warehouse's version once, the shared filters from
the sidebar (kept in the URL), shows how fresh the data is, and runs the selected page. A
refresh that publishes mid-rerun makes the loaders raise WarehouseChanged; the rerun then
starts over on the new warehouse, so a page never shows numbers from two refreshes.
"""

from __future__ import annotations

import duckdb
import streamlit as st

from dashboards.lib import ui
from dashboards.lib.snapshot import WarehouseChanged, current_version, warehouse_path
from dashboards.lib.text import md_escape
from pipelines.sandbox import WarehouseUnreadable

MAX_RESTARTS = 3
_RESTARTS_KEY = "_pathlens_restarts"

st.set_page_config(page_title="pathlens", page_icon="🧭", layout="wide")

PAGES = [
    st.Page("views/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("views/adoption.py", title="Adoption", icon=":material/trending_up:", url_path="adoption"),
    st.Page("views/escape_hatches.py", title="Escape hatches", icon=":material/alt_route:",
            url_path="escape-hatches"),
    st.Page("views/exceptions.py", title="Exception requests", icon=":material/assignment_late:",
            url_path="exceptions"),
    st.Page("views/friction.py", title="Friction", icon=":material/speed:", url_path="friction"),
    st.Page("views/maintenance.py", title="Maintenance", icon=":material/build:", url_path="maintenance"),
    st.Page("views/services.py", title="Services", icon=":material/apps:", url_path="services"),
    st.Page("views/sql.py", title="SQL", icon=":material/terminal:", url_path="sql"),
    st.Page("views/glossary.py", title="Glossary", icon=":material/menu_book:", url_path="glossary"),
]


def _restart(reason: str) -> None:
    """Rerun from the top on the new warehouse (a few times at most, then say why)."""
    restarts = st.session_state.get(_RESTARTS_KEY, 0)
    if restarts >= MAX_RESTARTS:
        st.session_state[_RESTARTS_KEY] = 0
        st.warning(f"The warehouse is being replaced by a refresh ({reason}); reload in a moment.")
        st.stop()
    st.session_state[_RESTARTS_KEY] = restarts + 1
    st.rerun()


path = warehouse_path()
version = current_version(path)
if version == "missing":
    st.title("pathlens")
    st.error(f"No warehouse at {md_escape(path)}. Build one with `pathlens demo` "
             "(the demo organisation) or `pathlens refresh`, then reload this page.")
    st.stop()

try:
    meta = ui.load_meta(str(path), version)
except WarehouseChanged as exc:
    _restart(str(exc))
except FileNotFoundError:
    st.rerun()
except WarehouseUnreadable as exc:
    st.title("pathlens")
    st.error(f"{md_escape(str(exc))}. Rebuild it with `pathlens refresh`, or point the dashboard at "
             "another file.")
    st.stop()
except (duckdb.CatalogException, LookupError) as exc:
    st.title("pathlens")
    st.error(f"The warehouse at {md_escape(path)} has no usable `marts` schema yet "
             f"({md_escape(str(exc).splitlines()[0])}). Run `pathlens refresh`.")
    st.stop()

filters = ui.sidebar_filters(meta)
st.session_state[ui.CONTEXT_KEY] = ui.PageContext(path=str(path), version=version, meta=meta,
                                                  filters=filters)
page = st.navigation(PAGES)
ui.freshness_banner(meta)
try:
    page.run()
except WarehouseChanged as exc:
    _restart(str(exc))
else:
    st.session_state[_RESTARTS_KEY] = 0
