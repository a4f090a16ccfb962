"""GitHub credentials from settings and the environment → a PyGithub `Auth`, checked early.

Two ways in, both PyGithub's own: a token read from the environment variable the config names
(`Auth.Token`), or a GitHub App (`Auth.AppAuth(app_id, key).get_installation_auth(id)`) whose
private key is read from the file the config names. Every failure raises `CredentialError` whose
message says which variable, file or setting to fix — never the secret itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.serialization import load_pem_private_key
from github import Auth

from pipelines.config import GitHubSettings
from pipelines.scrub import register, scrub


class CredentialError(Exception):
    """A GitHub credential is missing, unreadable or rejected; nothing has been written."""


@dataclass(frozen=True)
class Credentials:
    """A ready PyGithub auth, what it is (for messages) and the secrets to keep out of text."""

    auth: Auth.Auth
    describe: str  # e.g. "the token in $GITHUB_TOKEN"; never contains the secret
    fix: str  # what the user should fix when GitHub rejects it
    secrets: tuple[str, ...]

    def scrub(self, text: str) -> str:
        """`text` with every known secret and anything shaped like a credential masked."""
        return scrub(text, self.secrets)

    def __post_init__(self) -> None:
        register(*self.secrets)  # from now on every scrubbed message masks them


def redact_tokens(text: str) -> str:
    """Mask GitHub-shaped tokens and other credential shapes (see `pipelines.scrub`)."""
    return scrub(text)


def credentials_from(settings: GitHubSettings, environ: Mapping[str, str]) -> Credentials:
    """Build the PyGithub auth the settings ask for; raises CredentialError naming what to fix."""
    if settings.uses_app_auth:
        return _app_credentials(settings)
    if not settings.token_env:
        raise CredentialError(
            "no GitHub credential configured: set github.token_env (an environment variable holding "
            "a token) or github.app_id/private_key_path/installation_id in pathlens.yaml"
        )
    token = (environ.get(settings.token_env) or "").strip()
    if not token:
        raise CredentialError(
            f"GitHub token missing: the environment variable {settings.token_env} is not set or empty "
            f"(github.token_env in pathlens.yaml names it)"
        )
    return Credentials(
        auth=Auth.Token(token),
        describe=f"the token in ${settings.token_env}",
        fix=f"put a valid token with read access to the organisation in ${settings.token_env}",
        secrets=(token,),
    )


def _app_credentials(settings: GitHubSettings) -> Credentials:
    path = Path(str(settings.private_key_path)).expanduser()
    where = f"github.private_key_path ({path})"
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        raise CredentialError(f"GitHub App private key not found: {where} does not exist") from None
    except OSError as exc:
        raise CredentialError(f"GitHub App private key unreadable: {where}: {exc.strerror}") from None
    try:
        load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise CredentialError(
            f"GitHub App private key invalid: {where} is not an unencrypted PEM private key "
            f"(download a new one from the app's settings page)"
        ) from None
    key_text = pem.decode("ascii", errors="replace")
    app = Auth.AppAuth(settings.app_id, key_text)
    auth = app.get_installation_auth(int(settings.installation_id))  # type: ignore[arg-type]
    return Credentials(
        auth=auth,
        describe=f"GitHub App {settings.app_id} (installation {settings.installation_id}, key {path})",
        fix=(f"check github.app_id, github.installation_id and the key in {where}: the app must be "
             f"installed on the organisation"),
        secrets=(key_text,),
    )


class SharedAuth(Auth.Auth):
    """One credential shared by the per-thread PyGithub requesters, refreshed under a lock.

    PyGithub's requester is not safe to share between threads, so each worker gets its own; they
    all authenticate through this object, so a GitHub App's installation token is exchanged once
    (and again only when it is about to expire), not once per thread.
    """

    def __init__(self, inner: Auth.Auth):
        self._inner = inner
        self._lock = threading.Lock()

    @property
    def token_type(self) -> str:
        return self._inner.token_type

    @property
    def token(self) -> str:
        with self._lock:
            return self._inner.token

    @property
    def _masked_token(self) -> str:
        return "(pathlens credential removed)"


class RedactingFilter(logging.Filter):
    """Masks secrets in PyGithub's debug log (it logs response bodies, token exchanges included)."""

    def __init__(self, credentials: Credentials):
        super().__init__()
        self._credentials = credentials

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self._credentials.scrub(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True
