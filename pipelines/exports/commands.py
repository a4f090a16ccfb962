"""What `pathlens metrics` and `pathlens export backstage-facts` do (the CLI only parses options)."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from pipelines.exports.read import ExportError

Fail = Callable[[str], BaseException]


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, then rename it over `path`.

    node_exporter's textfile collector (and any other reader) sees the old file or the new one,
    never a partial one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _emit(data: bytes, out: Path | None) -> None:
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        write_atomic(out, data)


def write_metrics(warehouse: Path, out: Path | None, *, openmetrics: bool, fail: Fail) -> None:
    """The current figures to `out` (or stdout); a one-line failure when the warehouse cannot be read."""
    from pipelines.exports.openmetrics import render

    try:
        data = render(warehouse, openmetrics=openmetrics)
    except ExportError as exc:
        raise fail(str(exc)) from None
    _emit(data, out)


def write_backstage_facts(warehouse: Path, out: Path | None, *, fail: Fail) -> None:
    """The Tech Insights facts document to `out` (or stdout)."""
    from pipelines.exports.backstage_facts import all_facts, to_json

    try:
        document = all_facts(warehouse)
    except ExportError as exc:
        raise fail(str(exc)) from None
    _emit(to_json(document).encode("utf-8"), out)


def serve_exports(warehouse: Path, *, host: str, port: int, console, fail: Fail) -> None:
    """Serve /metrics and /facts until interrupted; refuses to start without a warehouse."""
    from pipelines.exports.server import serve

    if not warehouse.is_file():
        raise fail(f"no warehouse at {warehouse}: run `pathlens demo` or `pathlens refresh` first")
    if host not in ("127.0.0.1", "localhost", "::1"):
        console.print(f"warning: serving on {host}, reachable from other machines; the figures are not secret "
                      "but put a proxy with authentication in front if they should be", markup=False)
    console.print(f"pathlens exports on http://{host}:{port}/metrics and /facts (Ctrl+C to stop)", markup=False,
                  highlight=False)
    try:
        serve(warehouse, host=host, port=port)
    except KeyboardInterrupt:
        pass
