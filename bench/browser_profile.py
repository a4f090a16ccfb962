"""Where a warm page load's browser time goes, in headless Chromium on a warehouse. Prints JSON.

`bench_browser.py` times a page from navigation to its first chart; on a shared machine those
seconds move with the load. This counts what the browser's main thread did during warm visits,
with Chromium's sampling profiler (CDP `Profiler`, every 250 µs) and its long-task timing:
- `plotly_cpu_ms`: CPU time in Plotly's code (the PlotlyChart bundle), drawing included;
- `script_cpu_ms`: CPU time in any script (React, Streamlit, Plotly, the browser's DOM calls);
- `long_tasks_ms`: every task over 50 ms, in order (the first chart shows after the one that
  draws it); and `first_chart_s` from navigation, as bench_browser.py defines it.
Medians over `--runs` warm visits per page (after one visit that warms the server's caches).

    uv run python bench/browser_profile.py --warehouse W --pages adoption exceptions friction
    uv run python bench/browser_profile.py --warehouse W --project /tmp/old-checkout   # before
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
from pathlib import Path

from bench.bench_browser import (
    _OBSERVER,
    CHROMIUM,
    CHROMIUM_ARGS,
    PAGES,
    ROOT,
    _dashboard,
    _load,
    _wait_settled,
)

_LONG_TASKS = """
window.__longTasks = [];
new PerformanceObserver(list => { for (const e of list.getEntries()) window.__longTasks.push([e.startTime, e.duration]); })
  .observe({type: 'longtask', buffered: true});
"""
PLOTLY_BUNDLE = "PlotlyChart."  # Streamlit's lazily loaded chunk holding plotly.js
IDLE = {"(idle)", "(program)", "(garbage collector)", "(root)"}


def _cpu(profile: dict) -> dict[str, float]:
    """CPU ms of a CDP profile: in scripts, and in Plotly's bundle (self time of its frames and
    of the DOM calls they make)."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    parent = {c: n["id"] for n in profile["nodes"] for c in n.get("children", [])}

    def in_plotly(node_id: int | None) -> bool:
        while node_id is not None:
            if PLOTLY_BUNDLE in nodes[node_id]["callFrame"]["url"]:
                return True
            node_id = parent.get(node_id)
        return False

    script = plotly = 0.0
    for sample, delta in zip(profile["samples"], profile["timeDeltas"], strict=True):
        if nodes[sample]["callFrame"]["functionName"] in IDLE:
            continue
        script += delta / 1000
        if in_plotly(sample):
            plotly += delta / 1000
    return {"script_cpu_ms": round(script), "plotly_cpu_ms": round(plotly)}


def _profiled_visit(context, page, base: str, path: str, ready: str, quiet_s: float) -> dict:
    cdp = context.new_cdp_session(page)
    cdp.send("Profiler.enable")
    cdp.send("Profiler.setSamplingInterval", {"interval": 250})
    page.goto("about:blank")
    cdp.send("Profiler.start")
    page.goto(f"{base}/{path}", wait_until="commit")
    page.wait_for_function(f"() => window.__bench && window.__bench.first[{json.dumps(ready)}] !== undefined",
                           timeout=120_000)
    _wait_settled(page, quiet_s)
    first = page.evaluate(f"() => window.__bench.first[{json.dumps(ready)}]")
    tasks = page.evaluate("() => window.__longTasks")
    profile = cdp.send("Profiler.stop")["profile"]
    cdp.detach()
    return {"first_chart_s": round(first / 1000, 3), **_cpu(profile),
            "long_tasks_ms": [round(d) for _, d in sorted(tasks)]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--project", type=Path, default=ROOT, help="the checkout whose dashboard to serve")
    parser.add_argument("--runs", type=int, default=3, help="profiled warm visits per page")
    parser.add_argument("--quiet", type=float, default=0.5, help="seconds without change that count as settled")
    parser.add_argument("--pages", nargs="*", help="url paths to profile (default: all with charts)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    pages = [p for p in PAGES if (args.pages is None and p[1].startswith(".js-plotly"))
             or (args.pages is not None and p[0] in args.pages)]
    result: dict = {"project": str(args.project), "load_before": _load(), "pages": {}}
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"browser-profile-{os.getpid()}.log"
    with _dashboard(args.project, args.warehouse, log) as (base, _), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        context.add_init_script(_OBSERVER)
        context.add_init_script(_LONG_TASKS)
        page = context.new_page()
        for path, ready, _ in pages:
            _profiled_visit(context, page, base, path, ready, args.quiet)  # the server's caches warm
            visits = [_profiled_visit(context, page, base, path, ready, args.quiet) for _ in range(args.runs)]
            middle = sorted(visits, key=lambda v: v["script_cpu_ms"])[len(visits) // 2]
            result["pages"][path or "overview"] = {
                **{k: statistics.median(v[k] for v in visits)
                   for k in ("first_chart_s", "script_cpu_ms", "plotly_cpu_ms")},
                "long_tasks_ms": middle["long_tasks_ms"],  # of the visit with the median script CPU
            }
        browser.close()
    result["load_after"] = _load()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
