"""The optional Backstage catalog source against a local catalog API (real sockets)."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from pipelines.config import parse_settings
from pipelines.sources.backstage import BackstageSource
from pipelines.sources.github import CredentialError, SourceError
from pipelines.warehouse import writer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "corpus" / "backstage"
TOKEN = "bs-token-7f3a9c"
ENV = "PATHLENS_TEST_BACKSTAGE_TOKEN"
NOW = datetime(2025, 6, 1, 12)


def _corpus(*names: str) -> list[dict]:
    return [doc for name in names for doc in yaml.safe_load_all((FIXTURES / name).read_text()) if doc]


class Catalog:
    """A Backstage catalog API: `filter=kind=…`, `limit`/`offset`, `order`, bearer auth, faults."""

    def __init__(self, entities: list, *, fail_first: int = 0, always_fail: bool = False):
        self.entities = entities
        self.fail_first = fail_first
        self.always_fail = always_fail
        self.requests: list[dict[str, str]] = []
        catalog = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802
                split = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(split.query).items()}
                catalog.requests.append(query)
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    return self._send(401, {"error": {"name": "AuthenticationError"}})
                if catalog.always_fail or len(catalog.requests) <= catalog.fail_first:
                    return self._send(503, {"error": {"name": "ServiceUnavailable"}})
                if split.path != "/api/catalog/entities":
                    return self._send(404, {"error": {"name": "NotFoundError"}})
                items = catalog.entities
                if "filter" in query:
                    key, _, value = query["filter"].partition("=")
                    assert key == "kind"
                    items = [e for e in items if isinstance(e, dict) and str(e.get("kind", "")).lower() == value.lower()
                             or not (isinstance(e, dict) and "kind" in e)]
                if query.get("order") == "asc:metadata.name":
                    items = sorted(items, key=lambda e: str(((e or {}).get("metadata") or {}).get("name", "")))
                offset, limit = int(query.get("offset", 0)), int(query.get("limit", 10**9))
                self._send(200, items[offset:offset + limit])

            def _send(self, status, body):
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _generated(n: int) -> list[dict]:
    return [{"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
             "metadata": {"name": f"gen-{i:04d}", "namespace": "payments" if i % 2 else "default"},
             "spec": {"type": "service", "owner": "team-x", "lifecycle": "production"}} for i in range(n)]


@pytest.fixture
def catalog():
    entities = _corpus("backstage-root-catalog-info.yaml", "openedx-events-catalog-info.yaml",
                       "backstage-podcast-system.yaml", "backstage-artist-lookup-component.yaml")
    entities += _generated(600) + [{"kind": "Component", "spec": {}}]  # the last one has no metadata
    cat = Catalog(entities)
    yield cat
    cat.close()


def _settings(url: str):
    return parse_settings({"github": {"org": "acme"}, "backstage": {"url": url, "token_env": ENV}})


def _load(db, url, *, environ=None, slept=None, refresh_id="r1"):
    source = BackstageSource(_settings(url), environ={ENV: TOKEN} if environ is None else environ,
                             sleep=(slept if slept is not None else []).append, now=lambda: NOW)
    with writer(db) as con:
        return source.load_into(con, refresh_id)


def _rows(db, sql):
    with writer(db) as con:
        return con.execute(sql).fetchall()


def test_components_are_loaded_across_pages_and_keyed_by_lower_case_ref(catalog, tmp_path):
    db = tmp_path / "w.duckdb"
    meta = _load(db, catalog.url)
    # 3 corpus Components + 600 generated; the System is filtered out, the malformed one skipped.
    assert meta["rows_backstage_entities"] == 603 and meta["failed"] is False
    assert _rows(db, "SELECT count(*) FROM raw.backstage_entities") == [(603,)]
    assert _rows(db, "SELECT entity_ref, kind, namespace, name FROM raw.backstage_entities "
                     "WHERE name IN ('backstage-existing', 'openedx-events', 'artist-lookup', 'gen-0001') ORDER BY name") == [
        ("component:default/artist-lookup", "Component", "default", "artist-lookup"),
        ("component:default/backstage-existing", "Component", "default", "backstage-existing"),
        ("component:payments/gen-0001", "Component", "payments", "gen-0001"),
        ("component:default/openedx-events", "Component", "default", "openedx-events"),
    ]
    entity = json.loads(_rows(db, "SELECT entity FROM raw.backstage_entities WHERE name = 'openedx-events'")[0][0])
    assert entity["metadata"]["annotations"] == {"openedx.org/arch-interest-groups": "mariajgrimaldi,felipemontoya"}
    pages = [(q.get("offset"), q.get("limit")) for q in catalog.requests if "offset" in q]
    assert pages == [("0", "500"), ("500", "500")]
    # Ordered by metadata.name, the nameless entity comes first.
    assert _rows(db, "SELECT source, endpoint, message FROM raw.fetch_errors") == [
        ("backstage", "GET /api/catalog/entities", "entity #0: missing kind or metadata.name; skipped")]


def test_a_second_load_replaces_the_catalog(catalog, tmp_path):
    db = tmp_path / "w.duckdb"
    _load(db, catalog.url)
    catalog.entities = [e for e in catalog.entities if (e.get("metadata") or {}).get("name") != "openedx-events"]
    _load(db, catalog.url, refresh_id="r2")
    assert _rows(db, "SELECT count(*) FROM raw.backstage_entities WHERE name = 'openedx-events'") == [(0,)]
    assert _rows(db, "SELECT count(*) FROM raw.backstage_entities") == [(602,)]


def test_transient_failures_are_retried_with_injected_waits(tmp_path):
    cat = Catalog(_generated(3), fail_first=2)
    try:
        slept: list[float] = []
        meta = _load(tmp_path / "w.duckdb", cat.url, slept=slept)
    finally:
        cat.close()
    assert meta["rows_backstage_entities"] == 3 and meta["retries"] == 2
    assert len(slept) == 2 and 0.5 <= slept[0] <= 1 and 1 <= slept[1] <= 2


def test_an_outage_is_recorded_and_the_previous_catalog_stays(catalog, tmp_path):
    db = tmp_path / "w.duckdb"
    _load(db, catalog.url)
    catalog.always_fail = True
    meta = _load(db, catalog.url, refresh_id="r2")
    assert meta["failed"] is True
    assert _rows(db, "SELECT count(*) FROM raw.backstage_entities") == [(603,)]
    errors = _rows(db, "SELECT status, message FROM raw.fetch_errors WHERE refresh_id = 'r2'")
    assert errors == [(None, f"{catalog.url}/api/catalog/entities: gave up after 4 attempts: HTTP 503")]


def test_token_problems_name_the_variable_and_never_print_the_token(catalog, tmp_path):
    with pytest.raises(CredentialError, match=f"environment variable {ENV} is not set or empty"):
        _load(tmp_path / "w.duckdb", catalog.url, environ={})
    wrong = "bs-wrong-token-123"
    with pytest.raises(CredentialError) as info:
        BackstageSource(_settings(catalog.url), environ={ENV: wrong}).check_credentials()
    assert f"rejected the token in ${ENV} (401)" in str(info.value) and wrong not in str(info.value)


def test_an_unreachable_catalog_fails_the_check_with_the_setting_to_fix(tmp_path):
    source = BackstageSource(_settings("http://127.0.0.1:9"), environ={ENV: TOKEN}, sleep=lambda s: None)
    with pytest.raises(SourceError, match=r"cannot reach the Backstage catalog \(backstage.url\)"):
        source.check_credentials()
