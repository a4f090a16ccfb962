"""The one scrubber: every message that can reach storage, logs, reports, chat or Dagster.

`scrub(text)` removes

- the configured secrets: the values of the environment variables the configuration names
  (`github.token_env`, `backstage.token_env`, `reports.webhook_url_env`), registered by
  `register_from_settings` when a command or a Dagster step loads its settings, and any other
  value a source registers with `register` (a GitHub App's installation token, say);
- anything shaped like a GitHub token (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`);
- the credential of an HTTP `Authorization` value (`Bearer …`, `Basic …`, `token …`), and
  JSON `"token"` / `"authorization"` fields;
- the user and password of a URL (`https://user:pass@host/` → `https://***@host/`).

Error pages that echo the request's headers (a proxy's, or GitHub's own) are the way a
credential usually travels into a message; hence the patterns, and not only the known values.
Writers call `scrub` on what they write; `ScrubbingFilter` does the same for log records.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

MASK = "***"
_MIN_SECRET = 4  # shorter values would mask ordinary words

_lock = threading.Lock()
_secrets: set[str] = set()

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9_]{8,}|github_pat_[A-Za-z0-9_]{8,})"), MASK),
    # an Authorization header as an error page echoes it, whatever its scheme
    (re.compile(r"""(?i)(\bauthorization["']?\s*[:=]\s*["']?)(?!\*\*\*)[^"'\s,;]+(?:\s+(?!\*\*\*)[^"'\s,;]+)?"""),
     rf"\1{MASK}"),
    (re.compile(r"\b(Bearer|bearer|BEARER|Basic|BASIC)(\s+|%20)(?!\*\*\*)[A-Za-z0-9._~+/=-]{8,}"), rf"\1\2{MASK}"),
    (re.compile(r"\b(token)(\s+|%20)[A-Za-z0-9_.-]{20,}"), rf"\1\2{MASK}"),
    (re.compile(r"""(?i)(["'](?:token|password|secret|access_token)["']\s*:\s*["'])[^"']*(["'])"""),
     rf"\1{MASK}\2"),
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@:]*(?::[^/\s@]*)?@"), rf"\1{MASK}@"),
)


def register(*secrets: str | None) -> None:
    """Add values that must never appear in any message (empty and very short ones are ignored)."""
    with _lock:
        for secret in secrets:
            if secret and len(secret.strip()) >= _MIN_SECRET:
                _secrets.add(secret.strip())


def secret_env_names(settings: Any) -> list[str]:
    """The environment variables the configuration names as holding a secret."""
    names = [getattr(settings.reports, "webhook_url_env", None)]
    if getattr(settings, "github", None) is not None:
        names.append(settings.github.token_env)
    if getattr(settings, "backstage", None) is not None:
        names.append(settings.backstage.token_env)
    return [n for n in names if n]


def register_from_settings(settings: Any, environ: Mapping[str, str] = os.environ) -> list[str]:
    """Register the values of the configuration's secret variables; returns them, longest first."""
    values = [environ.get(name) for name in secret_env_names(settings)]
    register(*values)
    return sorted({v.strip() for v in values if v and len(v.strip()) >= _MIN_SECRET}, key=len, reverse=True)


def scrub(text: str, extra: Iterable[str] = ()) -> str:
    """`text` without secrets (registered values, `extra`, and the patterns above)."""
    if not text:
        return text
    with _lock:
        known = sorted(_secrets | {s for s in extra if s and len(s) >= _MIN_SECRET}, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def scrub_value(value: Any) -> Any:
    """`scrub` applied to every string inside a value (lists, tuples, dict values)."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: scrub_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(scrub_value(v) for v in value)
    return value


class ScrubbingFilter(logging.Filter):
    """A logging filter that scrubs each record's message (install it on handlers or loggers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logged as it is
            return True
        clean = scrub(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and record.exc_info[1] is not None:
            # the traceback text is built later from the exception: scrub it now
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


_FILTER = ScrubbingFilter()


def install_logging_filter(*loggers: logging.Logger) -> None:
    """Scrub everything the given loggers (default: the root logger's handlers) emit; idempotent."""
    targets: list[Any] = list(loggers) or list(logging.getLogger().handlers) or [logging.getLogger()]
    for target in targets:
        if _FILTER not in target.filters:
            target.addFilter(_FILTER)


class ScrubbedError(Exception):
    """An error whose text held a secret; its message is the scrubbed text, naming the original type."""


@contextlib.contextmanager
def scrubbed_errors() -> Iterator[None]:
    """Re-raise an exception whose text holds a secret as a `ScrubbedError` without it.

    Dagster stores a step's exception text (and its chain) in run storage; wrapping a step's
    body keeps a credential echoed by some library's error out of it. Exceptions with nothing
    to scrub pass through unchanged.
    """
    try:
        yield
    except Exception as exc:
        text = str(exc)
        clean = scrub(text)
        if clean == text:
            raise
        raise ScrubbedError(f"{type(exc).__name__}: {clean}") from None
