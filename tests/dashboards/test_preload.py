"""dashboards/lib/preload.py: every HTML page the dashboard serves imports Plotly's module up front.

The middleware is exercised on a small Starlette app (an HTML page, a file served with
validators, a streamed page, a script, and gzip inside it, as Streamlit's own stack has), through
Starlette's test client; the real dashboard's pages are checked in test_browser.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, StreamingResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from dashboards.lib.preload import STATIC_JS, PreloadModule, import_tag, plotly_module, with_tag

PAGE = "<!DOCTYPE html><html><head><title>pathlens</title></head><body>" + "x" * 2000 + "</body></html>"
MODULE = "./static/js/PlotlyChart.abc123.js"
TAG = f'<script type="module">import("{MODULE}").catch(() => {{}});</script>'
HTML = "text/html,application/xhtml+xml,*/*;q=0.8"  # what Chromium asks for when it navigates


def test_streamlits_own_plotly_module_is_found_where_its_pages_load_it():
    module = plotly_module()
    assert module is not None and module.startswith("./static/js/PlotlyChart.")
    assert (STATIC_JS / module.removeprefix("./static/js/")).is_file()
    # the frontend imports it lazily by that very name (so the page's import is the same module)
    assert any(module.removeprefix("./static/js/") in path.read_text(errors="replace")
               for path in STATIC_JS.glob("index.*.js"))


@pytest.mark.parametrize("files", [[], ["PlotlyChart.a.js", "PlotlyChart.b.js"]], ids=["none", "two"])
def test_no_module_is_named_unless_exactly_one_is_there(tmp_path: Path, files: list[str], caplog):
    for name in files:
        (tmp_path / name).write_text("export default 1")
    (tmp_path / "index.x.js").write_text("")
    assert plotly_module(tmp_path) is None
    assert "charts load when first shown" in caplog.text


def test_the_tag_goes_last_in_the_head_and_a_page_without_one_is_left_alone():
    tag = import_tag(MODULE)
    assert tag.decode() == TAG
    assert with_tag(b"<html><head><title>t</title></head><body></body></html>", tag) == (
        b"<html><head><title>t</title>" + tag + b"</head><body></body></html>")
    assert with_tag(b"<p>no head</p>", tag) == b"<p>no head</p>"


async def _stream(request):
    async def parts():
        for part in ("<html><head>", "<title>s</title>", "</head><body>streamed</body></html>"):
            yield part
    return StreamingResponse(parts(), media_type="text/html")


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    index = tmp_path / "index.html"
    index.write_text(PAGE)
    routes = [
        Route("/", lambda request: HTMLResponse(PAGE)),
        Route("/adoption", lambda request: FileResponse(index)),
        Route("/streamed", _stream),
        Route("/static/js/app.js", lambda request: PlainTextResponse("x" * 2000, media_type="text/javascript")),
        Route("/form", lambda request: HTMLResponse(PAGE), methods=["POST"]),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(PreloadModule, module=MODULE),
                                               Middleware(GZipMiddleware, minimum_size=100)])
    return TestClient(app)


def test_a_page_gets_the_import_uncompressed_with_its_length(client: TestClient):
    response = client.get("/", headers={"Accept": HTML, "Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert response.text == PAGE.replace("</head>", TAG + "</head>")
    assert int(response.headers["content-length"]) == len(response.content)


def test_a_page_served_from_a_file_loses_the_validators_of_that_file(client: TestClient):
    response = client.get("/adoption", headers={"Accept": HTML})
    assert response.text.count(TAG) == 1
    assert "etag" not in response.headers and "last-modified" not in response.headers
    assert int(response.headers["content-length"]) == len(response.content)


def test_a_page_sent_in_parts_gets_the_import_once(client: TestClient):
    response = client.get("/streamed", headers={"Accept": HTML})
    assert response.text == "<html><head><title>s</title>" + TAG + "</head><body>streamed</body></html>"


def test_scripts_and_other_requests_pass_unchanged(client: TestClient):
    script = client.get("/static/js/app.js", headers={"Accept": "*/*", "Accept-Encoding": "gzip"})
    assert script.headers["content-encoding"] == "gzip"  # the inner gzip still answers them
    assert script.text == "x" * 2000
    posted = client.post("/form", headers={"Accept": HTML})
    assert posted.text == PAGE
    fetched = client.get("/", headers={"Accept": "application/json"})  # not a navigation
    assert fetched.text == PAGE


def test_without_a_module_nothing_is_added():
    app = Starlette(routes=[Route("/", lambda request: HTMLResponse(PAGE))],
                    middleware=[Middleware(PreloadModule, module=None)])
    response = TestClient(app).get("/", headers={"Accept": HTML, "Accept-Encoding": "gzip"})
    assert response.text == PAGE


def test_gzip_is_what_the_inner_stack_would_have_sent_otherwise():
    # a control: without the middleware, the same request comes back compressed (so the first
    # test's uncompressed page is the middleware's doing, not the client's)
    plain = Starlette(routes=[Route("/", lambda request: HTMLResponse(PAGE))],
                      middleware=[Middleware(GZipMiddleware, minimum_size=100)])
    response = TestClient(plain).get("/", headers={"Accept": HTML, "Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
