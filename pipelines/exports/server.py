"""A small read-only HTTP server for Prometheus and Backstage: /metrics, /facts, /facts/{ref}.

It binds 127.0.0.1 unless told otherwise, answers GET and HEAD only (405 with `Allow`
otherwise), and refuses before routing what a scraper or a fact retriever never sends: a
request body (413), a URL longer than MAX_URL_BYTES (414), headers larger than
MAX_HEADER_BYTES (431), and a path with `..`, a backslash or a control character (400).
uvicorn's own limit on an incomplete request head bounds what is read before any of this runs.
Every answer is read from the published warehouse at request time through the sandboxed
reader connection, so a publish is served by the next request and nothing here can write.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from prometheus_client.exposition import choose_encoder
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from pipelines.exports.backstage_facts import BadEntityRef, all_facts, entity_facts
from pipelines.exports.openmetrics import registry_for
from pipelines.exports.read import ExportError

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9477
ALLOWED_METHODS = ("GET", "HEAD")
MAX_URL_BYTES = 2048
MAX_HEADER_BYTES = 8 * 1024
MAX_REQUEST_HEAD_BYTES = 16 * 1024  # uvicorn/h11: an unfinished request head larger than this is refused
SECURITY_HEADERS = {
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'none'",
}


class RequestGuard:
    """ASGI middleware: refuses, before routing, every request the server has no use for."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            status, message, extra = refusal
            response = PlainTextResponse(message + "\n", status_code=status,
                                         headers={**SECURITY_HEADERS, **extra, "connection": "close"})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _refusal(scope: Scope) -> tuple[int, str, dict[str, str]] | None:
        """(status, reason, extra headers) for a request to refuse, or None."""
        if scope["method"] not in ALLOWED_METHODS:
            return 405, "only GET and HEAD are answered here", {"allow": ", ".join(ALLOWED_METHODS)}
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
        if len(raw_path) + len(scope.get("query_string", b"")) > MAX_URL_BYTES:
            return 414, f"the URL is longer than {MAX_URL_BYTES} bytes", {}
        headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
        if sum(len(k) + len(v) + 4 for k, v in headers) > MAX_HEADER_BYTES:
            return 431, f"the request headers are larger than {MAX_HEADER_BYTES} bytes", {}
        for key, value in headers:
            if key == b"content-length" and value.strip() not in (b"", b"0"):
                return 413, "requests here have no body", {}
            if key == b"transfer-encoding":
                return 413, "requests here have no body", {}
        path: str = scope["path"]
        segments = path.split("/")
        if ".." in segments or "\\" in path or any(ord(c) < 0x20 or ord(c) == 0x7F for c in path):
            return 400, "the path is not one this server answers", {}
        return None


def _unavailable(exc: ExportError) -> Response:
    log.warning("exports server: %s", exc)
    return PlainTextResponse("the warehouse cannot be read right now; see the server's log\n", status_code=503,
                             headers=SECURITY_HEADERS)


def create_app(warehouse: str | os.PathLike[str]) -> Starlette:
    """The ASGI app serving the published warehouse at `warehouse`."""
    published = Path(warehouse)

    def metrics(request: Request) -> Response:
        encoder, content_type = choose_encoder(request.headers.get("accept", ""))
        try:
            body = encoder(registry_for(published))
        except ExportError as exc:
            return _unavailable(exc)
        return Response(body, media_type=content_type, headers=SECURITY_HEADERS)

    def facts(request: Request) -> Response:
        try:
            return _json(all_facts(published))
        except ExportError as exc:
            return _unavailable(exc)

    def one_entity(request: Request) -> Response:
        ref = request.path_params["entity_ref"]
        try:
            found = entity_facts(published, ref)
        except BadEntityRef as exc:
            return PlainTextResponse(f"{exc}\n", status_code=400, headers=SECURITY_HEADERS)
        except ExportError as exc:
            return _unavailable(exc)
        if found is None:
            return PlainTextResponse("no such entity in the warehouse\n", status_code=404, headers=SECURITY_HEADERS)
        return _json(found)

    def index(request: Request) -> Response:
        return PlainTextResponse("pathlens exports: /metrics (OpenMetrics), /facts, /facts/{entity_ref}\n",
                                 headers=SECURITY_HEADERS)

    async def not_found(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("not found\n", status_code=404, headers=SECURITY_HEADERS)

    routes = [
        Route("/", index, methods=list(ALLOWED_METHODS)),
        Route("/metrics", metrics, methods=list(ALLOWED_METHODS)),
        Route("/facts", facts, methods=list(ALLOWED_METHODS)),
        Route("/facts/{entity_ref:path}", one_entity, methods=list(ALLOWED_METHODS)),
    ]
    app = Starlette(routes=routes, exception_handlers={404: not_found})
    app.add_middleware(RequestGuard)
    return app


def _json(document: Any) -> Response:
    return JSONResponse(document, headers=SECURITY_HEADERS)


def server_config(warehouse: str | os.PathLike[str], *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT):
    """The uvicorn configuration: h11 with a bounded request head, few connections, no server banner."""
    import uvicorn

    return uvicorn.Config(
        create_app(warehouse), host=host, port=port, http="h11", ws="none", lifespan="off",
        h11_max_incomplete_event_size=MAX_REQUEST_HEAD_BYTES, limit_concurrency=64, timeout_keep_alive=5,
        server_header=False, access_log=False, log_level="warning",
    )


def serve(warehouse: str | os.PathLike[str], *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Serve until interrupted."""
    import uvicorn

    uvicorn.Server(server_config(warehouse, host=host, port=port)).run()
