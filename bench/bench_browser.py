"""The dashboard as a lead meets it: in a real headless Chromium, on a warehouse. Prints JSON.

For every page, from the moment of navigation (the browser's own clock, `performance.now()`):
- `first_chart_s`: the first Plotly chart drawn (the first table on pages without charts);
- `settled_s`: the last change to the page before it stays still for `--quiet` seconds (every
  chart and table drawn, every rerun finished);
each for a cold visit (the first, with the server's caches empty for the page) and warm ones
(the median of `--runs` further visits). Then, on each page with the team filter, the time from
picking a team (the one with the most services) to the page settling (`filter_settled_s`, the
first time that team is chosen on that page, and `filter_settled_repeat_s` when it is chosen
again). And `in_app_first_chart_s` / `in_app_settled_s`: from a click on the page's link in the
sidebar (coming from the Glossary) to its first chart and to settling, the document not
reloaded, as a lead moves between pages. Last, the dashboard's resident memory (the server and any child process) after every
page was visited. The machine's load average is recorded before and after. Per page, also what a
warm visit received over the websocket (`websocket_kb`: the page's elements, figures included)
and what it drew, counted in the settled page: charts, the SVG elements inside them, data grids
and all DOM elements (exact, where the clock moves with the machine's load).

    uv run python bench/bench_browser.py --warehouse data/large/pathlens.duckdb
    uv run python bench/bench_browser.py --warehouse W --project /tmp/old-checkout   # before

Targets (issue 14): first chart within 1 s of navigation when warm, a filter change settled
within 1 s, memory under 600 MB after every page.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from pipelines.cli import dashboard_command

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run"]
# url path, what counts as its first chart, whether the team filter applies
PAGES = [
    ("", ".js-plotly-plot .main-svg", True),
    ("adoption", ".js-plotly-plot .main-svg", True),
    ("escape-hatches", ".js-plotly-plot .main-svg", True),
    ("exceptions", ".js-plotly-plot .main-svg", True),
    ("friction", ".js-plotly-plot .main-svg", True),
    ("maintenance", ".js-plotly-plot .main-svg", True),
    ("services", '[data-testid="stDataFrame"]', True),
    ("glossary", '[data-testid="stExpander"], [data-testid="stCode"]', False),
    ("sql", '[data-testid="stTextArea"]', False),
]
TARGETS = {"warm_first_chart_s": 1.0, "filter_settled_s": 1.0, "memory_mb": 600}
TIMEOUT_MS = 120_000

# Recorded in the page from the first byte: when the first chart appeared and when the app's
# DOM last changed (Streamlit's own reruns and Plotly's drawing both change it).
_OBSERVER = """
(() => {
  const selectors = SELECTORS;
  window.__bench = {first: {}, lastChange: 0, watch: null, watchAt: null};
  new MutationObserver(() => {
    const b = window.__bench;
    b.lastChange = performance.now();
    for (const s of selectors) {
      if (!(s in b.first) && document.querySelector(s)) b.first[s] = b.lastChange;
    }
    if (b.watch && b.watchAt === null && document.querySelector(b.watch)) b.watchAt = b.lastChange;
  }).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
})();
""".replace("SELECTORS", json.dumps(sorted({p[1] for p in PAGES})))
_RUNNING = ('document.querySelector(\'[data-testid="stStatusWidget"] '
            '[data-testid="stStatusWidgetRunningIcon"]\') || document.querySelector(\'[data-testid="stSkeleton"]\')')


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def _dashboard(project: Path, warehouse: Path, log: Path) -> Iterator[tuple[str, int]]:
    """`streamlit run` the project's dashboard on `warehouse`; yields (base URL, server pid)."""
    port = _free_port()
    # PYTHONPATH first: an older checkout's dashboard must import its own `dashboards` package
    env = {**os.environ, "PATHLENS_WAREHOUSE": str(warehouse.resolve()), "PYTHONPATH": str(project)}
    # the server `pathlens dashboard` runs (an older checkout's: its app.py, with the settings
    # it then gave on the command line)
    server = project / "dashboards" / "serve.py"
    command = (dashboard_command(port, server) if server.exists() else
               [*dashboard_command(port, project / "dashboards" / "app.py"), "--server.headless", "true",
                "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"])
    with open(log, "wb") as out:
        process = subprocess.Popen(command, env=env, cwd=project, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"streamlit exited:\n{log.read_text()}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            time.sleep(0.2)
        yield base, process.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _rss_mb(pid: int) -> dict[str, float]:
    """Resident memory of `pid` and of its descendants, in MB (from /proc)."""
    def rss(p: int) -> int:
        with contextlib.suppress(OSError), open(f"/proc/{p}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    children: list[int] = []
    frontier = [pid]
    while frontier:
        p = frontier.pop()
        with contextlib.suppress(OSError), open(f"/proc/{p}/task/{p}/children") as f:
            kids = [int(k) for k in f.read().split()]
            children += kids
            frontier += kids
    server = rss(pid)
    return {"server_mb": round(server / 2**20), "children_mb": round(sum(rss(c) for c in children) / 2**20),
            "total_mb": round((server + sum(rss(c) for c in children)) / 2**20)}


def _wait_settled(page, quiet_s: float, since: float = 0.0) -> float:
    """Wait until nothing runs and the DOM has not changed for `quiet_s`; the last change's time."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        state = page.evaluate(f"() => ({{now: performance.now(), last: window.__bench.lastChange, "
                              f"running: !!({_RUNNING})}})")
        if not state["running"] and state["last"] > since and state["now"] - state["last"] >= quiet_s * 1000:
            return state["last"]
        page.wait_for_timeout(50)
    raise TimeoutError("the page did not settle")


_RECEIVED: list[int] = []  # sizes of the websocket messages the page received (from the server)


def _listen(page) -> None:
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: _RECEIVED.append(len(payload or b""))))


def _visit(page, base: str, path: str, ready: str, quiet_s: float) -> dict[str, float]:
    page.goto("about:blank")
    _RECEIVED.clear()
    page.goto(f"{base}/{path}", wait_until="commit")
    page.wait_for_function(f"() => window.__bench && window.__bench.first[{json.dumps(ready)}] !== undefined",
                           timeout=TIMEOUT_MS)
    first = page.evaluate(f"() => window.__bench.first[{json.dumps(ready)}]")
    settled = _wait_settled(page, quiet_s)
    # what was drawn, counted exactly (the clock moves with the machine's load, these do not)
    drawn = page.evaluate("""() => ({charts: document.querySelectorAll('.js-plotly-plot').length,
        plot_svg_elements: document.querySelectorAll('.js-plotly-plot svg *').length,
        data_grids: document.querySelectorAll('[data-testid="stDataFrame"]').length,
        dom_elements: document.querySelectorAll('*').length})""")
    return {"first_chart_s": round(first / 1000, 3), "settled_s": round(settled / 1000, 3),
            "websocket_kb": round(sum(_RECEIVED) / 1024, 1), **drawn}


TITLES = {"": "Overview", "adoption": "Adoption", "escape-hatches": "Escape hatches", "exceptions": "Exception requests",
          "friction": "Friction", "maintenance": "Maintenance", "services": "Services", "sql": "SQL"}


def _navigate(page, base: str, path: str, ready: str, quiet_s: float) -> dict[str, float]:
    """From the Glossary (no chart, table or editor), click `path`'s link in the sidebar: seconds
    from the click to its first chart and to the page settling. The document is not reloaded:
    this is moving between pages as a lead does, with Streamlit's and Plotly's code loaded."""
    glossary = next(p for p in PAGES if p[0] == "glossary")
    _visit(page, base, glossary[0], glossary[1], quiet_s)
    link = page.locator('[data-testid="stSidebarNavLink"]').filter(has_text=TITLES[path]).first
    page.evaluate("(s) => { window.__bench.watch = s; window.__bench.watchAt = null; }", ready)
    start = page.evaluate("() => performance.now()")
    link.click()
    page.wait_for_function("() => window.__bench.watchAt !== null", timeout=TIMEOUT_MS)
    first = page.evaluate("() => window.__bench.watchAt")
    settled = _wait_settled(page, quiet_s, since=start)
    return {"first_chart_s": round((first - start) / 1000, 3), "settled_s": round((settled - start) / 1000, 3)}


def _pick_team(page, team: str, quiet_s: float) -> float:
    """Choose `team` in the sidebar's Teams filter; seconds from the choice to the page settling."""
    box = page.locator('[data-testid="stMultiSelect"]').first
    box.click()
    page.keyboard.type(team)
    option = page.locator('[role="option"]').filter(has_text=team).first
    option.wait_for(timeout=TIMEOUT_MS)
    start = page.evaluate("() => performance.now()")
    option.click()
    page.keyboard.press("Escape")
    page.wait_for_url(lambda url: "team=" in url, timeout=TIMEOUT_MS)
    return round((_wait_settled(page, quiet_s, since=start) - start) / 1000, 3)


def _largest_team(warehouse: Path) -> str:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("select owner from marts.services where owner is not null group by owner "
                           "order by count(*) desc, owner limit 1").fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--project", type=Path, default=ROOT, help="the checkout whose dashboard to serve")
    parser.add_argument("--runs", type=int, default=3, help="warm visits per page")
    parser.add_argument("--quiet", type=float, default=0.5, help="seconds without change that count as settled")
    parser.add_argument("--pages", nargs="*", help="url paths to measure (default: all)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    pages = [p for p in PAGES if args.pages is None or p[0] in args.pages]
    team = _largest_team(args.warehouse)
    result: dict = {"warehouse": str(args.warehouse), "project": str(args.project), "team": team,
                    "load_before": _load(), "cpus": os.cpu_count(), "quiet_s": args.quiet, "pages": {}}
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-browser-{os.getpid()}.log"
    with _dashboard(args.project, args.warehouse, log) as (base, pid), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        context.add_init_script(_OBSERVER)
        page = context.new_page()
        _listen(page)
        for path, ready, _ in pages:
            try:
                cold = _visit(page, base, path, ready, args.quiet)
                warm = [_visit(page, base, path, ready, args.quiet) for _ in range(args.runs)]
            except Exception as exc:  # noqa: BLE001 - a page that does not exist (older checkout) is reported
                result["pages"][path or "overview"] = {"error": str(exc).splitlines()[0]}
                continue
            result["pages"][path or "overview"] = {
                "cold_first_chart_s": cold["first_chart_s"], "cold_settled_s": cold["settled_s"],
                "warm_first_chart_s": statistics.median(w["first_chart_s"] for w in warm),
                "warm_settled_s": statistics.median(w["settled_s"] for w in warm),
                **{k: warm[-1][k] for k in ("websocket_kb", "charts", "plot_svg_elements", "data_grids",
                                            "dom_elements")},
            }
        result["memory_after_pages"] = _rss_mb(pid)
        for path, ready, _ in pages:
            entry = result["pages"].get(path or "overview", {})
            if path not in TITLES or "error" in entry:
                continue
            try:
                clicks = [_navigate(page, base, path, ready, args.quiet) for _ in range(args.runs)]
                entry["in_app_first_chart_s"] = statistics.median(c["first_chart_s"] for c in clicks)
                entry["in_app_settled_s"] = statistics.median(c["settled_s"] for c in clicks)
            except Exception as exc:  # noqa: BLE001
                entry["in_app_error"] = str(exc).splitlines()[0]
        for path, ready, filtered in pages:
            entry = result["pages"].get(path or "overview", {})
            if not filtered or "error" in entry:
                continue
            try:
                _visit(page, base, path, ready, args.quiet)
                entry["filter_settled_s"] = _pick_team(page, team, args.quiet)
                _visit(page, base, path, ready, args.quiet)
                entry["filter_settled_repeat_s"] = _pick_team(page, team, args.quiet)
            except Exception as exc:  # noqa: BLE001
                entry["filter_error"] = str(exc).splitlines()[0]
        result["memory_after_filters"] = _rss_mb(pid)
        browser.close()
    result["load_after"] = _load()
    measured = [v for v in result["pages"].values() if "error" not in v]
    result["summary"] = {
        "max_warm_first_chart_s": max((v["warm_first_chart_s"] for v in measured), default=None),
        "max_filter_settled_s": max((v.get("filter_settled_s", 0) for v in measured), default=None),
        "max_in_app_first_chart_s": max((v.get("in_app_first_chart_s", 0) for v in measured), default=None),
        "memory_mb": result["memory_after_pages"]["total_mb"],
        "targets": TARGETS,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
