"""Plotly's code imported by every page as soon as the page's own code has run.

Streamlit's frontend loads the module that draws charts (`PlotlyChart.<hash>.js`, plotly.js
inside, 4.7 MB) only when the first chart element arrives over the websocket. On a warm visit
the module comes from the browser's cache, yet fetching its dependencies, compiling and
evaluating it (~70-100 ms of the page's main thread) still stand between the first chart element
and its drawing, queued behind the rendering of the elements sent with it. Meanwhile, right after
the page's own code has run, the main thread sits idle for ~150 ms waiting for the websocket
and the server's first elements.

`PreloadModule` adds to every HTML page Streamlit serves a module script importing the URL the
frontend will import: the browser's module map then holds the module, evaluated, in that idle
time, and the frontend's own import resolves at once. Nothing else changes: where Streamlit names
its module otherwise (another version), nothing is added and charts load as before.
"""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC_JS = Path(streamlit.__file__).parent / "static" / "static" / "js"
PLOTLY_MODULE_GLOB = "PlotlyChart.*.js"

log = logging.getLogger(__name__)


def plotly_module(static_js: Path = STATIC_JS) -> str | None:
    """The URL of Streamlit's Plotly module as its pages name it (`./static/js/<file>`), or None
    (with a warning) when its static files hold no single such module."""
    found = sorted(path.name for path in static_js.glob(PLOTLY_MODULE_GLOB))
    if len(found) != 1:
        log.warning("no single %s in %s (found %s): charts load when first shown", PLOTLY_MODULE_GLOB,
                    static_js, found or "none")
        return None
    return f"./static/js/{found[0]}"


def import_tag(module: str) -> bytes:
    """An inline module script that imports `module` (module scripts run in document order,
    after Streamlit's own); a failed import is left to the frontend's own, which reports it."""
    return f'<script type="module">import("{module}").catch(() => {{}});</script>'.encode()


def with_tag(page: bytes, tag: bytes) -> bytes:
    """`page` with `tag` as the last element of its head; `page` unchanged when it has no head."""
    end = page.rfind(b"</head>")
    return page if end < 0 else page[:end] + tag + page[end:]


class PreloadModule:
    """ASGI middleware: every HTML page answered to a GET gets `import_tag(module)` in its head.

    Such a page (Streamlit's index.html, under any page's URL) is asked for uncompressed, so that
    its body can be read; Streamlit does not compress its other static files either."""

    def __init__(self, app: ASGIApp, module: str | None) -> None:
        self.app = app
        self.tag = import_tag(module) if module else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (self.tag is None or scope["type"] != "http" or scope["method"] != "GET"
                or "text/html" not in Headers(scope=scope).get("accept", "")):
            await self.app(scope, receive, send)
            return
        scope = {**scope,
                 "headers": [(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"],
                 "extensions": {k: v for k, v in scope.get("extensions", {}).items() if k != "http.response.pathsend"}}
        start: Message | None = None
        body: list[bytes] = []

        async def send_page(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if message["status"] == 200 and Headers(raw=message["headers"]).get(
                        "content-type", "").startswith("text/html"):
                    start = message  # held until the body is complete
                    return
            elif start is not None and message["type"] == "http.response.body":
                body.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                page = with_tag(b"".join(body), self.tag)
                headers = MutableHeaders(raw=list(start["headers"]))
                headers["content-length"] = str(len(page))
                for validator in ("etag", "last-modified"):  # they name the file, not this page
                    del headers[validator]
                await send({**start, "headers": headers.raw})
                await send({"type": "http.response.body", "body": page})
                return
            await send(message)

        await self.app(scope, receive, send_page)
