"""The exports server: what it answers, what it refuses, and that it reads only the published
warehouse. In-process through Starlette's TestClient, and over real sockets against uvicorn
for the limits a client can only hit on the wire."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from pipelines.exports.server import MAX_URL_BYTES, create_app, server_config
from pipelines.warehouse import WarehousePaths


def org_services(text: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "pathlens_services" and sample.labels == {"scope": "organisation"}:
                return sample.value
    raise AssertionError("no pathlens_services sample")


@pytest.fixture
def published(exports_warehouse: Path, tmp_path: Path) -> Path:
    """A copy of the hand-built warehouse at a published path of its own."""
    path = tmp_path / "pathlens.duckdb"
    shutil.copyfile(exports_warehouse, path)
    return path


@pytest.fixture
def client(published: Path) -> TestClient:
    return TestClient(create_app(published))


def test_metrics_and_facts_are_served(client):
    response = client.get("/metrics", headers={"accept": "application/openmetrics-text; version=1.0.0"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert org_services(response.text) == 6
    plain = client.get("/metrics")  # a client that does not ask for OpenMetrics gets the 0.0.4 text format
    assert plain.headers["content-type"].startswith("text/plain")
    facts = client.get("/facts").json()
    assert len(facts["facts"]) == 5
    one = client.get("/facts/component:payments/pay-worker")
    assert one.status_code == 200 and one.json()["facts"]["escape_hatch_reasons"] == ["gpu"]
    assert client.get("/facts/component%3Adefault%2Fpay-api").json()["entity"]["name"] == "pay-api"
    head = client.head("/metrics")
    assert head.status_code == 200 and head.content == b""
    assert client.get("/metrics").headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"])
def test_only_get_and_head(client, method):
    response = client.request(method, "/metrics")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


def test_unknown_references_and_paths(client):
    assert client.get("/facts/component:default/nope").status_code == 404
    assert client.get("/facts/legacy").status_code == 404  # uncatalogued: no entity
    assert client.get("/nothing-here").status_code == 404
    assert client.get("/facts/component:default/<script>").status_code == 400


def test_bodies_long_urls_and_big_headers_are_refused(client):
    assert client.request("GET", "/metrics", content=b"x" * 10).status_code == 413
    assert client.get("/facts/" + "a" * (MAX_URL_BYTES + 1)).status_code == 414
    assert client.get("/metrics", headers={f"x-h{i}": "v" * 100 for i in range(100)}).status_code == 431


def test_only_the_published_warehouse_is_read(published):
    client = TestClient(create_app(published))
    # A refresh building the next warehouse beside it (and holding its write lock) changes nothing served.
    build = WarehousePaths.for_(published).build
    shutil.copyfile(published, build)
    with duckdb.connect(str(build)) as writer:
        writer.execute("delete from marts.current_figures")
        assert org_services(client.get("/metrics", headers={"accept": "application/openmetrics-text"}).text) == 6
    before = {p.name: p.stat().st_mtime_ns for p in published.parent.iterdir()}
    for _ in range(3):
        client.get("/metrics")
        client.get("/facts")
    assert {p.name: p.stat().st_mtime_ns for p in published.parent.iterdir()} == before  # nothing written


def test_a_new_publish_is_served_by_the_next_request(published, tmp_path):
    client = TestClient(create_app(published))
    accept = {"accept": "application/openmetrics-text"}
    assert org_services(client.get("/metrics", headers=accept).text) == 6
    newer = tmp_path / "newer.duckdb"
    shutil.copyfile(published, newer)
    with duckdb.connect(str(newer)) as con:
        con.execute("update marts.current_figures set value = 7 where figure = 'services' and dimension is null")
    newer.replace(published)
    assert org_services(client.get("/metrics", headers=accept).text) == 7


def test_no_warehouse_is_a_503_that_creates_nothing(tmp_path):
    client = TestClient(create_app(tmp_path / "pathlens.duckdb"))
    for path in ("/metrics", "/facts", "/facts/component:default/x"):
        response = client.get(path)
        assert response.status_code == 503
        assert str(tmp_path) not in response.text  # no local paths to the network
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def live_server(exports_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """uvicorn on 127.0.0.1 (the default host) and a free port, in a thread."""
    import uvicorn

    published = tmp_path_factory.mktemp("live") / "pathlens.duckdb"
    shutil.copyfile(exports_warehouse, published)
    config = server_config(published, port=0)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    host, port = server.servers[0].sockets[0].getsockname()[:2]
    try:
        yield host, port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def raw_request(address: tuple[str, int], data: bytes) -> bytes:
    """Send bytes as they are; return what comes back before the server closes or 5 s pass."""
    with socket.create_connection(address, timeout=5) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except (TimeoutError, ConnectionResetError):
            pass
    return b"".join(chunks)


def test_live_server_binds_loopback_and_refuses_on_the_wire(live_server):
    host, port = live_server
    assert host == "127.0.0.1"
    ok = raw_request(live_server, b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert ok.startswith(b"HTTP/1.1 200") and b"pathlens_services" in ok
    assert b"server:" not in ok.lower().split(b"\r\n\r\n")[0]
    traversal = raw_request(live_server, b"GET /facts/../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert traversal.split(b"\r\n")[0] in (b"HTTP/1.1 400 Bad Request", b"HTTP/1.1 404 Not Found")
    assert b"root:" not in traversal
    post = raw_request(live_server, b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc")
    assert post.startswith(b"HTTP/1.1 405")
    # A request head larger than uvicorn's bound is cut off before the app sees it.
    huge_header = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n"
    answer = raw_request(live_server, huge_header)
    assert not answer.startswith(b"HTTP/1.1 200")
    huge_url = b"GET /facts/" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    answer = raw_request(live_server, huge_url)
    assert not answer.startswith(b"HTTP/1.1 200")
    long_url = b"GET /facts/" + b"a" * 4000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    assert raw_request(live_server, long_url).startswith(b"HTTP/1.1 414")


@pytest.mark.parametrize("path", [
    "/facts/../../../etc/passwd", "/facts/..%2f..%2f..%2fetc%2fpasswd", "/facts/%2e%2e/%2e%2e/etc/passwd",
    "/metrics/../../etc/passwd", "/facts/..\\..\\etc\\passwd", "/facts/component:default/x%00",
    "/%2e%2e/pathlens.duckdb", "/facts/component:default/..", "/pathlens.duckdb", "/../pathlens.duckdb",
    "/facts/%252e%252e%252fetc%252fpasswd", "/facts/component:default/%2e%2e%2f%2e%2e%2fpathlens.duckdb",
])
def test_path_traversal_reaches_nothing(live_server, path):
    # Sent as written over a socket: an HTTP client library would normalise the dots away.
    answer = raw_request(live_server, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    assert answer.split(b"\r\n")[0] in (b"HTTP/1.1 400 Bad Request", b"HTTP/1.1 404 Not Found"), answer[:200]
    assert b"root:" not in answer and b"DUCK" not in answer
