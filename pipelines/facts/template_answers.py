"""Template answer files → which template a repo was generated from, and at which commit.

- copier's `.copier-answers.yml`: `_src_path` and `_commit` (YAML).
- cruft's `.cruft.json`: `template` and `commit` (JSON).

Either key may be absent (→ None). These two facts are the file's whole purpose, so a
wrongly typed one (a list, a mapping) fails the file with `ParseError` rather than quietly
yielding None. Values are kept as written (`_commit: 1.10` stays "1.10"; an empty string is
None). A JSON number is written back as JSON spells it.

`normalise_template_source` is the comparison form of SPEC §3 used to match a repo's
template against the configured golden paths.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from pipelines.facts.errors import ParseError
from pipelines.facts.values import FieldError, kind_of, opt_text
from pipelines.facts.yaml_safety import DEFAULT_LIMITS, YamlLimits, check_size, one_document

_SOURCE_PREFIXES = ("gh:", "https://github.com/", "git@github.com:")
_REPO_NAME = re.compile(r"[a-z0-9_-][a-z0-9_.-]*/[a-z0-9_.-]+")


@dataclass(frozen=True)
class TemplateAnswer:
    """The template a repo was generated from, according to one answers file."""

    tool: Literal["copier", "cruft"]
    source: str | None
    source_norm: str | None
    commit: str | None


def normalise_template_source(source: str) -> str:
    """`source` lower-cased, without a leading `gh:` / `https://github.com/` /
    `git@github.com:`, and without any trailing `.git` and `/` (in whatever order they come:
    `https://github.com/Acme/Tpl.git/` → `acme/tpl`). Surrounding whitespace is dropped.

    Only those three prefixes are removed (SPEC §3), so sources on other hosts keep their
    scheme and host: `https://gitlab.com/acme/tpl.git` → `https://gitlab.com/acme/tpl`.
    """
    text = source.strip().lower()
    for prefix in _SOURCE_PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    while True:
        if text.endswith("/"):
            text = text[:-1]
        elif text.endswith(".git"):
            text = text[: -len(".git")]
        else:
            return text


def parse_copier_answers(
    text: str, path: str, limits: YamlLimits = DEFAULT_LIMITS
) -> TemplateAnswer:
    """copier's answers file → `TemplateAnswer(tool='copier', ...)`; `ParseError` if unusable."""
    answers = one_document(text, path, limits)
    return _answer("copier", answers, path, source_key="_src_path", commit_key="_commit")


def parse_cruft(text: str, path: str, max_bytes: int = DEFAULT_LIMITS.max_bytes) -> TemplateAnswer:
    """cruft's `.cruft.json` → `TemplateAnswer(tool='cruft', ...)`; `ParseError` if unusable."""
    check_size(text, path, max_bytes)
    if not text.strip():
        raise ParseError(path, "file is empty")
    try:
        answers = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(
            path, f"invalid JSON: {exc.msg}", line=exc.lineno, column=exc.colno
        ) from None
    except RecursionError:
        raise ParseError(path, "invalid JSON: nested too deeply") from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise ParseError(path, f"invalid JSON value: {exc}") from None
    return _answer("cruft", answers, path, source_key="template", commit_key="commit")


def _answer(
    tool: Literal["copier", "cruft"], answers: Any, path: str, *, source_key: str, commit_key: str
) -> TemplateAnswer:
    if not isinstance(answers, dict):
        raise ParseError(path, f"expected a mapping at the top level, got {kind_of(answers)}")
    try:
        source = opt_text(answers.get(source_key), source_key) or None
        commit = opt_text(answers.get(commit_key), commit_key) or None
    except FieldError as exc:
        raise ParseError(path, str(exc)) from None
    norm = normalise_template_source(source) if source is not None else None
    return TemplateAnswer(tool, source, norm or None, commit)


def github_web_host(api_url: str) -> str:
    """The web host of a GitHub API base URL: `https://api.github.com` → `github.com`,
    `https://ghe.example.com/api/v3` → `ghe.example.com` (lower case, without a port)."""
    host = api_url.strip().lower().split("://", 1)[-1].split("/", 1)[0].split("@")[-1].split(":")[0]
    return "github.com" if host in ("api.github.com", "github.com") else host


def github_repo(source: str, web_host: str = "github.com") -> str | None:
    """The GitHub repository (`owner/name`, lower case) a template source names, or None when it
    names something else: a local path, another host (`gl:`, `https://gitlab.com/…`).

    Accepted spellings, for `HOST` github.com or `web_host` (an Enterprise Server): `gh:O/N`,
    `https://HOST/O/N`, `git@HOST:O/N`, `ssh://git@HOST/O/N`, and a bare `O/N` (the form SPEC §3
    compares sources in); each with an optional trailing `.git` or `/`. A source starting with
    `/`, `.` or `~`, or with any other scheme, is not a GitHub repository.
    """
    text = source.strip().lower()
    hosts = dict.fromkeys(["github.com", web_host.lower()])
    prefixes = ["gh:"]
    for host in hosts:
        prefixes += [f"https://{host}/", f"http://{host}/", f"git+https://{host}/", f"git@{host}:",
                     f"ssh://git@{host}/"]
    rest = next((text[len(p):] for p in prefixes if text.startswith(p)), None)
    if rest is None:
        if ":" in text or text.startswith(("/", ".", "~")):
            return None
        rest = text
    while rest.endswith(("/", ".git")):
        rest = rest[:-1] if rest.endswith("/") else rest[: -len(".git")]
    return rest if _REPO_NAME.fullmatch(rest) else None
