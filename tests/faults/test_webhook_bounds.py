"""Issue 13, item 4: a webhook receiver cannot hold pathlens.

Before: a 2 GiB response body was read whole (4.47 GB peak for `pathlens report --deliver`);
a receiver trickling one header byte every 3 s kept one attempt busy for 378 s despite a
10 s timeout, and was recorded as delivered. Here the receivers are local sockets that do
exactly that, scaled down so each test takes a few seconds.
"""

from __future__ import annotations

import resource
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from pipelines.reports.delivery import post_json


class RawServer:
    """A TCP server that answers each connection with `handler(conn)`; stops by itself."""

    def __init__(self, handler) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.handler = handler
        self.stop = threading.Event()
        self.connections = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook/SECRETpath"

    def _serve(self) -> None:
        deadline = time.monotonic() + 60  # bounded whatever the test does
        while not self.stop.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(5)
            conn.recv(65536)  # the request (small)
            self.handler(conn, self.stop)
        except OSError:
            pass
        finally:
            conn.close()


@pytest.fixture
def serve() -> Iterator:
    servers: list[RawServer] = []

    def start(handler) -> RawServer:
        servers.append(RawServer(handler))
        return servers[-1]

    yield start
    for server in servers:
        server.stop.set()
        server.thread.join(2)
        server.sock.close()


def trickle_headers(conn: socket.socket, stop: threading.Event) -> None:
    """A 200, one byte every 0.3 s: no single read ever waits the 0.5 s timeout."""
    for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Padding: " + b"x" * 200 + b"\r\n\r\nok":
        if stop.wait(0.3):
            return
        conn.sendall(bytes([byte]))


def huge_body(conn: socket.socket, stop: threading.Event) -> None:
    """A 200 whose body claims 2 GiB and keeps coming while the client reads."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2147483648\r\n\r\n")
    chunk = b"x" * 65536
    sent = 0
    while not stop.is_set() and sent < 2 << 30:
        conn.sendall(chunk)
        sent += len(chunk)


def test_a_trickling_receiver_is_cut_at_the_attempt_deadline(serve):
    server = serve(trickle_headers)
    started = time.monotonic()
    result = post_json(server.url, {"text": "x"}, attempts=2, timeout_s=0.5, backoff_s=0.1, sleep=lambda s: None)
    elapsed = time.monotonic() - started
    assert result.status == "failed" and result.attempts == 2
    assert result.error == "no complete answer within 1.5 s"
    assert elapsed < 2 * 1.5 + 1.5  # two attempts, each cut at its deadline
    assert "SECRETpath" not in (result.error or "")


def test_a_huge_response_body_is_never_read(serve):
    server = serve(huge_body)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    result = post_json(server.url, {"text": "x"}, attempts=1, timeout_s=5)
    assert result.delivered and result.http_status == 200
    assert time.monotonic() - started < 5
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < 50, grown_mib
