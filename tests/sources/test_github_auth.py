"""Credentials: token or GitHub App, checked before anything is written, never printed."""

from __future__ import annotations

import logging
import socket

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from pipelines.config import parse_settings
from pipelines.sources.github import CredentialError, GitHubSource, SourceError
from pipelines.warehouse import writer
from tests.sources.github_helpers import NOW, TOKEN, TOKEN_ENV, load, make_settings, query
from tests.sources.github_server import AppInstall, GitHubTestServer, sample_org

APP_ID = 4242
INSTALLATION = 77


@pytest.fixture
def server():
    with GitHubTestServer(sample_org(NOW, repos=3), tokens={TOKEN}) as srv:
        yield srv


def _rsa_pem() -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


def _app_settings(base_url: str, key_path, installation_id: int = INSTALLATION):
    return parse_settings({"github": {"org": "acme", "api_url": base_url, "app_id": APP_ID,
                                      "private_key_path": str(key_path), "installation_id": installation_id}})


def test_a_missing_token_names_the_variable_and_writes_nothing(server, tmp_path):
    db = tmp_path / "w.duckdb"
    with pytest.raises(CredentialError, match=f"environment variable {TOKEN_ENV} is not set or empty"):
        load(db, make_settings(server.base_url), environ={})
    assert server.log == []
    assert query(db, "SELECT count(*) FROM raw.repos") == [(0,)]
    assert query(db, "SELECT count(*) FROM raw.fetch_state") == [(0,)]


def test_a_rejected_token_is_named_but_never_printed(server, tmp_path, caplog):
    wrong = "ghp_WrongToken9876543210zyxwvuZYXWVU"
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="github")  # PyGithub's own debug log (it logs bodies) on too
    db = tmp_path / "w.duckdb"
    with pytest.raises(CredentialError) as info:
        load(db, make_settings(server.base_url), environ={TOKEN_ENV: wrong})
    message = str(info.value)
    assert message.startswith(f"GitHub rejected the token in ${TOKEN_ENV} (401: Bad credentials)")
    assert wrong not in message
    assert any(r.name == "github.Requester" for r in caplog.records), "PyGithub's debug log was captured"
    assert wrong not in caplog.text
    assert [(r.path, r.status) for r in server.log] == [("/rate_limit", 401)]
    assert query(db, "SELECT count(*) FROM raw.repos") == [(0,)]


def test_a_token_revoked_mid_load_stops_the_load(server, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="github")  # PyGithub's own debug log (it logs bodies) on too

    def revoke(stage, done, total):
        if stage == "GitHub: reading repositories":
            server.tokens.discard(TOKEN)

    with pytest.raises(CredentialError, match=r"GitHub rejected the token in \$\S+ \(401"):
        load(tmp_path / "w.duckdb", make_settings(server.base_url), progress=revoke)
    assert TOKEN not in caplog.text


def test_check_credentials_costs_one_free_request(server):
    source = GitHubSource(make_settings(server.base_url), environ={TOKEN_ENV: TOKEN})
    source.check_credentials()
    assert [(r.path, r.status, r.counted) for r in server.log] == [("/rate_limit", 200, False)]


def test_enterprise_server_without_rate_limiting_is_accepted(tmp_path):
    with GitHubTestServer(sample_org(NOW, repos=2), tokens={TOKEN}, rate_limiting=False) as srv:
        meta = load(tmp_path / "w.duckdb", make_settings(srv.base_url))
    assert meta["failed_repos"] == [] and meta["rows_repos"] == 8


def test_an_unreachable_api_stops_before_anything_is_written(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again on exit: nothing listens there
    url = f"http://127.0.0.1:{port}/api/v3"
    slept: list[float] = []
    with pytest.raises(SourceError, match=rf"cannot reach the GitHub API at {url} \(github.api_url\): gave up after 5 attempts: ConnectionError"):
        load(tmp_path / "w.duckdb", make_settings(url), sleep=slept.append)
    assert len(slept) == 4


def test_github_app_exchanges_one_installation_token_for_all_workers(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="github")  # PyGithub's own debug log (it logs bodies) on too
    private, public = _rsa_pem()
    key = tmp_path / "app.pem"
    key.write_bytes(private)
    app = AppInstall(APP_ID, public, INSTALLATION)
    with GitHubTestServer(sample_org(NOW, repos=6), app=app) as srv:
        settings = _app_settings(srv.base_url, key)
        meta = load(tmp_path / "w.duckdb", settings.model_copy(
            update={"github": settings.github.model_copy(update={"max_concurrency": 4})}))
        exchanges = [r for r in srv.log if r.method == "POST" and r.path.startswith("/app/")]
        assert [(r.path, r.status) for r in exchanges] == [(f"/app/installations/{INSTALLATION}/access_tokens", 201)]
        graphql = [r.status for r in srv.log if r.path == "/graphql"]
        assert graphql and set(graphql) == {200}, "GraphQL queries go out with the same installation token"
        issued = srv.issued_tokens
    assert meta["failed_repos"] == [] and meta["rows_repos"] == 12
    assert len(issued) == 1
    assert issued[0] not in caplog.text, "the installation token from the exchange is masked in debug logs"
    assert "PRIVATE KEY" not in caplog.text


@pytest.mark.parametrize("installation_id, expected", [
    (INSTALLATION + 1, r"\(404: Not Found\)"),
])
def test_github_app_rejected_names_the_settings_to_check(tmp_path, installation_id, expected):
    private, public = _rsa_pem()
    key = tmp_path / "app.pem"
    key.write_bytes(private)
    with GitHubTestServer(sample_org(NOW, repos=1), app=AppInstall(APP_ID, public, INSTALLATION)) as srv:
        with pytest.raises(CredentialError, match=expected) as info:
            GitHubSource(_app_settings(srv.base_url, key, installation_id)).check_credentials()
    message = str(info.value)
    assert f"GitHub App {APP_ID} (installation {installation_id}, key {key})" in message
    assert "github.app_id, github.installation_id" in message
    assert private.decode() not in message and "PRIVATE KEY" not in message


def test_github_app_signed_with_another_key_is_rejected(tmp_path):
    private, _ = _rsa_pem()
    _, other_public = _rsa_pem()
    key = tmp_path / "app.pem"
    key.write_bytes(private)
    with GitHubTestServer(sample_org(NOW, repos=1), app=AppInstall(APP_ID, other_public, INSTALLATION)) as srv:
        with pytest.raises(CredentialError, match=r"\(401: A JSON web token could not be decoded\)"):
            GitHubSource(_app_settings(srv.base_url, key)).check_credentials()


def test_github_app_key_file_missing_or_invalid_is_named(tmp_path):
    missing = tmp_path / "nope.pem"
    with pytest.raises(CredentialError, match=rf"github.private_key_path \({missing}\) does not exist"):
        GitHubSource(_app_settings("http://127.0.0.1:9/api/v3", missing)).check_credentials()
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN RSA PRIVATE KEY-----\nnot a key\n-----END RSA PRIVATE KEY-----\n")
    with pytest.raises(CredentialError, match=rf"github.private_key_path \({garbage}\) is not an unencrypted PEM private key") as info:
        GitHubSource(_app_settings("http://127.0.0.1:9/api/v3", garbage)).check_credentials()
    assert "not a key" not in str(info.value)


def test_nothing_is_written_when_the_credential_fails(tmp_path, server):
    db = tmp_path / "w.duckdb"
    with writer(db) as con:
        with pytest.raises(CredentialError):
            GitHubSource(make_settings(server.base_url), environ={TOKEN_ENV: "ghp_nope_nope_nope"}).load_into(con, "r1")
        counts = [con.execute(f"SELECT count(*) FROM raw.{t}").fetchone()[0]
                  for t in ("repos", "repo_files", "workflow_runs", "fetch_state", "fetch_log", "fetch_errors")]
    assert counts == [0, 0, 0, 0, 0, 0]
