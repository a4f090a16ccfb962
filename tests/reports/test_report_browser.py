"""The HTML report opened from disk in a real headless Chromium with the network cut off:
its three charts render, nothing is fetched, nothing errors, and the hostile strings show as text."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.reports import write_report
from tests.reports.conftest import HOSTILE_TEAM, HOSTILE_TITLES, settings

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]

pytestmark = pytest.mark.browser


def test_report_renders_offline(org, tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    files = write_report(org, tmp_path, "week", settings())
    requested, errors, dialogs = [], [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 2400})

            def block(route):  # everything but the file itself is cut off
                if route.request.url != files.html.as_uri():
                    requested.append(route.request.url)
                    return route.abort()
                return route.continue_()

            page.route("**/*", block)
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(files.html.as_uri())
            page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 3",
                                   timeout=20_000)
            assert page.locator(".js-plotly-plot").count() == 3
            text = page.inner_text("body")
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
            team_label = page.locator(".js-plotly-plot").nth(1).inner_text()
        finally:
            browser.close()
    assert requested == [] and errors == [] and dialogs == []  # no script of a title ran
    for shown in (HOSTILE_TITLES[2], HOSTILE_TITLES[3], HOSTILE_TEAM):
        assert shown in text
    assert HOSTILE_TEAM in team_label  # the chart's axis shows the team name as typed
