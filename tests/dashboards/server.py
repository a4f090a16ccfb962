"""Run the real dashboard (`streamlit run dashboards/serve.py`, as `pathlens dashboard` does) on
a free local port, and a demo warehouse to point it at. Used by the browser test and the screenshot/benchmark scripts."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from pipelines.cli import dashboard_command

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def dashboard(warehouse: Path, *, log: Path, timeout_s: float = 60) -> Iterator[str]:
    """Serve the dashboard for `warehouse`; yields its base URL, stops the server on exit.

    The server's output goes to `log` (quoted when it fails to start).
    """
    port = free_port()
    env = {**os.environ, "PATHLENS_WAREHOUSE": str(warehouse)}
    command = dashboard_command(port)
    with open(log, "wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                                   start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, process, log, timeout_s)
        yield base
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _wait_healthy(base: str, process: subprocess.Popen, log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{log.read_text()}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        time.sleep(0.2)
    raise RuntimeError(f"streamlit did not answer on {base} within {timeout_s} s:\n{log.read_text()}")


def build_demo(warehouse: Path, *, scale: str = "tiny", timeout_s: float = 600) -> Path:
    """Build the demo organisation's warehouse at `warehouse` with the `pathlens demo` command."""
    command = [sys.executable, "-m", "pipelines.cli", "demo", "--scale", scale, "--no-dashboard",
               "--warehouse", str(warehouse)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout_s,
                          check=False)
    if done.returncode != 0 or not warehouse.is_file():
        raise RuntimeError(f"`pathlens demo --scale {scale}` failed ({done.returncode}):\n"
                           f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return warehouse
