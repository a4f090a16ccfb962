"""`pathlens.yaml` → validated settings.

The configuration is validated with pydantic before anything is fetched. Every problem is
reported with the file, the key path (``golden_paths[2].source``) and what was expected, so a
typo never turns into a silent default. Secrets are never part of the file: it only names the
environment variables that hold them (``token_env``, ``webhook_url_env``).
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipelines import DEFAULT_CONFIG_FILE, DEFAULT_WAREHOUSE


class _Strict(BaseModel):
    """Base for every section: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


MAX_NESTING = 64  # no pathlens.yaml needs more than a handful of levels


def _http_url(value: str, key: str) -> str:
    """An http(s) URL with a host and without credentials; the value is never echoed back.

    A user or password in the URL would be printed by `check-config` and carried into error
    messages; credentials belong in the environment variable the configuration names.
    """
    parts = urlsplit(value.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{key} must be an http:// or https:// URL with a host"
                         + (f" (the scheme given was {parts.scheme!r})" if parts.scheme and parts.scheme.isalnum() else ""))
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValueError(f"{key} must not contain a user or password (it was not printed); put the credential "
                         "in the environment variable the configuration names instead")
    return value.strip()


class GitHubSettings(_Strict):
    org: str
    api_url: str = "https://api.github.com"

    @field_validator("api_url")
    @classmethod
    def _api_url_is_http(cls, value: str) -> str:
        return _http_url(value, "api_url")
    token_env: str | None = "GITHUB_TOKEN"
    app_id: int | None = None
    private_key_path: str | None = None
    installation_id: int | None = None
    exclude_repos: list[str] = Field(default_factory=list)
    max_concurrency: Annotated[int, Field(ge=1, le=16)] = 4
    graphql: bool = True  # files and history through GraphQL; false: REST only (old Enterprise Servers)
    requests_per_minute: Annotated[int, Field(ge=60, le=100_000)] = 900  # REST pace: GitHub's secondary limit

    @model_validator(mode="after")
    def _app_auth_is_complete(self) -> GitHubSettings:
        app_fields = {
            "app_id": self.app_id,
            "private_key_path": self.private_key_path,
            "installation_id": self.installation_id,
        }
        given = [k for k, v in app_fields.items() if v is not None]
        if given and len(given) != len(app_fields):
            missing = sorted(set(app_fields) - set(given))
            raise ValueError(
                f"GitHub App auth needs app_id, private_key_path and installation_id; missing {missing}"
            )
        return self

    @property
    def uses_app_auth(self) -> bool:
        return self.app_id is not None


class BackstageSettings(_Strict):
    url: str
    token_env: str | None = "BACKSTAGE_TOKEN"

    @field_validator("url")
    @classmethod
    def _url_is_http(cls, value: str) -> str:
        return _http_url(value, "url")


class ServicesSettings(_Strict):
    catalog_file: str = "catalog-info.yaml"
    spec_file: str = "service.yaml"
    types: list[str] = Field(default_factory=lambda: ["service", "website"])
    # workflow files read per repo at most (the first by path); more is a recorded error of the repo
    max_workflow_files: Annotated[int, Field(ge=1, le=10_000)] = 100


class GoldenPath(_Strict):
    name: str
    ref: str | None = None
    source: str | None = None
    # The languages it serves (compared lower-case); absent: covered by the languages of the
    # services created from it (SPEC §3 "Language coverage").
    languages: list[str] | None = None

    @field_validator("languages")
    @classmethod
    def _languages_named(cls, languages: list[str] | None) -> list[str] | None:
        if languages is not None and any(not lang.strip() for lang in languages):
            raise ValueError("a language must not be empty")
        return languages

    @model_validator(mode="after")
    def _needs_ref_or_source(self) -> GoldenPath:
        if not self.ref and not self.source:
            raise ValueError("a golden path needs a `ref` (Backstage template) or a `source` (copier/cruft template), or both")
        return self


class EscapeHatchSettings(_Strict):
    path: str = "service.kubernetes_override"
    gpu_resources: list[str] = Field(default_factory=lambda: ["nvidia.com/gpu", "amd.com/gpu"])


class ExceptionsSettings(_Strict):
    repos: list[str] = Field(default_factory=list)
    label: str = "golden-path-exception"

    @field_validator("repos")
    @classmethod
    def _owner_slash_name(cls, repos: list[str]) -> list[str]:
        for repo in repos:
            if repo.count("/") != 1 or not all(repo.split("/")):
                raise ValueError(f"expected OWNER/REPO, got {repo!r}")
        return repos


class CISettings(_Strict):
    platform_workflow_repos: list[str] = Field(default_factory=list)
    backfill_days: Annotated[int, Field(ge=1, le=3650)] = 365
    # Raw runs of months entirely older than this are compacted into frozen monthly aggregates
    # (docs/operations.md, "Data retention"); None keeps every run.
    retention_days: Annotated[int, Field(ge=31, le=36500)] | None = None

    @model_validator(mode="after")
    def _retention_covers_backfill(self) -> CISettings:
        if self.retention_days is not None and self.retention_days < self.backfill_days:
            raise ValueError(
                f"retention_days ({self.retention_days}) must be at least backfill_days "
                f"({self.backfill_days}), or a re-read would bring back compacted runs"
            )
        return self


class KubernetesSettings(_Strict):
    kubeconfig: str = "~/.kube/config"
    contexts: list[str] = Field(default_factory=list)
    production_contexts: list[str] = Field(default_factory=list)
    service_label: str = "backstage.io/kubernetes-id"
    fallback_label: str = "app.kubernetes.io/name"
    pr_namespace_pattern: str = "pr-*"

    @model_validator(mode="after")
    def _production_contexts_are_contexts(self) -> KubernetesSettings:
        unknown = [name for name in self.production_contexts if self.contexts and name not in self.contexts]
        if unknown:
            raise ValueError(f"production_contexts {unknown} are not among contexts {self.contexts}")
        return self


class DeploysSettings(_Strict):
    production_environments: list[str] = Field(default_factory=lambda: ["production"])


class AdoptionSettings(_Strict):
    threshold: Annotated[float, Field(ge=0, le=1)] = 0.5


class TeamsSettings(_Strict):
    """Other spellings of a team (an exception label's `team:X` suffix, a legacy owner name),
    each mapped to the owner it means, as a Backstage entity reference (SPEC §3 "Team")."""

    aliases: dict[str, str] = Field(default_factory=dict)

    @field_validator("aliases")
    @classmethod
    def _non_empty(cls, aliases: dict[str, str]) -> dict[str, str]:
        for alias, owner in aliases.items():
            if not alias.strip() or not owner.strip():
                raise ValueError(f"an alias and its owner must not be empty (got {alias!r}: {owner!r})")
        folded: dict[str, str] = {}
        for alias in aliases:
            if alias.strip().lower() in folded:
                raise ValueError(f"aliases {folded[alias.strip().lower()]!r} and {alias!r} differ only in case")
            folded[alias.strip().lower()] = alias
        return aliases


class ComparisonsSettings(_Strict):
    min_n: Annotated[int, Field(ge=1)] = 20  # a side with fewer services shows NULL values


class ReportsSettings(_Strict):
    out_dir: str = "reports/"
    webhook_url_env: str | None = "PATHLENS_WEBHOOK_URL"
    webhook_attempts: Annotated[int, Field(ge=1, le=10)] = 4
    webhook_timeout_s: Annotated[float, Field(gt=0, le=120)] = 10.0
    worst_teams: Annotated[int, Field(ge=1, le=50)] = 5  # teams listed as adopting least
    team_window_days: Annotated[int, Field(ge=7, le=730)] = 90  # ... over the days before the period's end
    team_min_services: Annotated[int, Field(ge=1)] = 2  # ... among teams that created at least this many
    dashboard_url: str | None = None  # linked from chat messages: where the team opens the dashboard

    @field_validator("dashboard_url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is None:
            return None
        parts = urlsplit(url)
        if (parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 2000
                or any(c.isspace() or c in '<>|"' for c in url)):
            raise ValueError("expected an http(s) URL without spaces, quotes, <, > or |, at most 2000 characters")
        return url


class AlertsSettings(_Strict):
    """The alert rules every refresh evaluates into `marts.alerts` (docs/reports.md)."""

    lookback_days: Annotated[int, Field(ge=1, le=90)] = 7  # how long a new escape hatch or a failure stays alerted
    adoption_below_threshold: bool = True  # last complete month's new-service adoption < adoption.threshold
    exception_requests_above: Annotated[int, Field(ge=0)] | None = None  # opened in the last complete month
    exception_requests_rising_months: Annotated[int, Field(ge=1, le=24)] | None = 3  # consecutive rises
    new_escape_hatch: bool = True
    source_failed: bool = True  # fetch errors in this refresh
    refresh_failed: bool = True  # runs the failure sensor recorded
    # A golden path's template unchanged for this many days while services still use it
    # (None: never alerted).
    template_stale_days: Annotated[int, Field(ge=1, le=3650)] | None = 180
    drift_commits: Annotated[int, Field(ge=0)] = 20  # a service more than this many commits behind ...
    drift_share: Annotated[float, Field(ge=0, le=1)] | None = 0.25  # ... in a share above this: alert


class HistorySettings(_Strict):
    """How far back the git history of the files pathlens reads is fetched (docs/github-source.md)."""

    backfill_days: Annotated[int, Field(ge=0, le=3650)] = 730  # 0: no backfill, only what refreshes see


class DemoSettings(_Strict):
    scale: Literal["tiny", "small", "default", "large"] = "default"
    seed: int = 7
    as_of: str | None = None  # ISO date/time the demo organisation is "now"; default: today


class Settings(_Strict):
    warehouse: str = DEFAULT_WAREHOUSE
    github: GitHubSettings | None = None
    backstage: BackstageSettings | None = None
    demo: DemoSettings | None = None
    services: ServicesSettings = ServicesSettings()
    golden_paths: list[GoldenPath] = Field(default_factory=list)
    escape_hatch: EscapeHatchSettings = EscapeHatchSettings()
    exceptions: ExceptionsSettings = ExceptionsSettings()
    ci: CISettings = CISettings()
    kubernetes: KubernetesSettings | None = None
    deploys: DeploysSettings = DeploysSettings()
    adoption: AdoptionSettings = AdoptionSettings()
    teams: TeamsSettings = TeamsSettings()
    comparisons: ComparisonsSettings = ComparisonsSettings()
    reports: ReportsSettings = ReportsSettings()
    alerts: AlertsSettings = AlertsSettings()
    history: HistorySettings = HistorySettings()

    @model_validator(mode="after")
    def _has_a_source(self) -> Settings:
        if self.demo is None and self.github is None:
            raise ValueError("name a source: `github:` (with `org`) or `demo:`")
        if self.demo is not None and (self.github is not None or self.kubernetes is not None):
            raise ValueError("`demo:` replaces `github:`/`kubernetes:`; give one or the other")
        return self

    @property
    def is_demo(self) -> bool:
        return self.demo is not None


class ConfigError(Exception):
    """A configuration file that cannot be used; `errors` holds one line per problem."""

    def __init__(self, path: str | os.PathLike[str], errors: list[str]):
        self.path = str(path)
        self.errors = errors
        super().__init__(f"{self.path}: " + "; ".join(errors))


def _key_path(loc: tuple[Any, ...]) -> str:
    """`('golden_paths', 2, 'source')` → `golden_paths[2].source`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


# Errors about the kind of value given, where showing it helps and cannot reveal a secret
# (custom rules, such as credentials in a URL, say what is wrong without echoing it).
_SHOW_FOUND = {
    "bool_parsing", "bool_type", "int_parsing", "int_type", "int_from_float", "float_parsing", "float_type",
    "string_type", "list_type", "dict_type", "model_type", "model_attributes_type", "literal_error",
    "greater_than", "greater_than_equal", "less_than", "less_than_equal", "too_short", "too_long",
}


# GitHub token prefixes, PEM blocks, and long unbroken runs of letters and digits
_SECRET_LIKE = re.compile(r"gh[pousr]_|github_pat_|-----BEGIN|(?=[A-Za-z0-9_\-+/=]*\d)(?=[A-Za-z0-9_\-+/=]*[A-Za-z])[A-Za-z0-9_\-+/=]{24,}")


def _found(value: Any) -> str:
    """A short, safe description of the value found in the file."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return f"a mapping ({len(value)} key(s))"
    if isinstance(value, list):
        return f"a list of {len(value)} item(s)"
    text = repr(value)
    if "://" in text and "@" in text:
        return "a URL with credentials, not shown"
    if isinstance(value, str) and _SECRET_LIKE.search(value):
        return "a value that looks like a secret, not shown"
    return text if len(text) <= 60 else text[:57] + "…'"


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The settings model that holds the key at `loc` (None when the path leaves the models)."""
    model: Any = Settings
    for part in loc[:-1]:
        if isinstance(part, int):
            continue  # a list item: the element type was taken when the list's field was
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return None
        model = _model_in(field.annotation)
        if model is None:
            return None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model inside `X`, `X | None` or `list[X]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _unknown_key(loc: tuple[Any, ...]) -> str:
    """"unknown key", with the nearest known key at that place or else the keys known there."""
    model = _model_at(loc)
    if model is None or not isinstance(loc[-1], str):
        return "unknown key"
    known = list(model.model_fields)
    near = difflib.get_close_matches(loc[-1], known, n=1, cutoff=0.6)
    if near:
        return f"unknown key (did you mean `{near[0]}`?)"
    return f"unknown key; known here: {', '.join(known)}"


def _describe(error: dict[str, Any]) -> str:
    loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    message = error["msg"]
    if error["type"] == "missing":
        message = "field required"
    elif error["type"] == "extra_forbidden":
        message = _unknown_key(loc)
    elif error["type"] in ("model_type", "model_attributes_type", "dict_type"):
        message = "expected a mapping of settings"
    elif message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    if error["type"] in _SHOW_FOUND and "input" in error:
        message += f" (found {_found(error['input'])})"
    return f"{_key_path(loc)}: {message}"


def parse_settings(data: Any, path: str | os.PathLike[str] = DEFAULT_CONFIG_FILE) -> Settings:
    """Validate an already-loaded mapping; raises ConfigError listing every problem."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(path, [f"(top level): expected a mapping, got {type(data).__name__}"])
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(path, [_describe(e) for e in exc.errors()]) from None


def load_settings(path: str | os.PathLike[str] = DEFAULT_CONFIG_FILE) -> Settings:
    """Read and validate a `pathlens.yaml`; raises ConfigError naming the file and each key path."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, ["file not found"]) from None
    except OSError as exc:
        raise ConfigError(path, [f"cannot read: {exc.strerror}"]) from None
    depth = _nesting(text)
    if depth > MAX_NESTING:
        raise ConfigError(path, [f"(top level): nested {depth} levels deep or more; a configuration needs "
                                 f"at most {MAX_NESTING}"])
    try:
        data = yaml.safe_load(text)
    except RecursionError:
        raise ConfigError(path, ["(top level): nested too deeply to read"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ConfigError(path, [f"{where}not valid YAML ({getattr(exc, 'problem', None) or exc})"]) from None
    return parse_settings(data, path)


def _nesting(text: str) -> int:
    """How deep the YAML's mappings and sequences nest (a flat scan of parser events, stopping
    past MAX_NESTING, so no text can reach a recursion limit); 0 when it is not valid YAML."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    depth = deepest = 0
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                depth += 1
                deepest = max(deepest, depth)
                if deepest > MAX_NESTING:
                    return deepest
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return 0  # reported with its line and column by the real load
    return deepest

