"""Issue 13, items 7 and 8: hostile configuration values get a one-line reason, never a secret.

Before: a configuration nested 100,000 deep raised RecursionError; `api_url: file:///etc/passwd`
an AttributeError; `https://user:pass@host/api/v3` was accepted and printed by check-config.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.config import ConfigError, load_settings, parse_settings


@pytest.mark.parametrize("text", [
    "github: " + "[" * 100_000 + "]" * 100_000 + "\n",
    "github:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 3000)),
    "a: &a [*a]\n",
])
def test_deep_or_hostile_nesting_is_a_clear_error(tmp_path: Path, text: str):
    config = tmp_path / "pathlens.yaml"
    config.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_settings(config)
    assert all("\n" not in line for line in error.value.errors)
    result = CliRunner().invoke(app, ["check-config", str(config)])
    assert result.exit_code == 1 and "Traceback" not in result.output and "RecursionError" not in result.output


@pytest.mark.parametrize(("url", "reason"), [
    ("file:///etc/passwd", "must be an http:// or https:// URL"),
    ("ftp://ghe.example.com/api/v3", "must be an http:// or https:// URL"),
    ("https:///api/v3", "with a host"),
    ("https://jane:hunter22@ghe.example.com/api/v3", "must not contain a user or password"),
    ("https://ghp_abcdefghijklmnop0123456789@ghe.example.com/api/v3", "must not contain a user or password"),
])
def test_api_url_must_be_plain_http(tmp_path: Path, url: str, reason: str):
    with pytest.raises(ConfigError, match=reason):
        parse_settings({"github": {"org": "acme", "api_url": url}})
    config = tmp_path / "pathlens.yaml"
    config.write_text(f"github:\n  org: acme\n  api_url: {url}\n")
    result = CliRunner().invoke(app, ["check-config", str(config)])
    assert result.exit_code == 1 and reason in result.output
    assert "hunter22" not in result.output and "ghp_abcdefghijklmnop" not in result.output
    assert "AttributeError" not in result.output


def test_backstage_url_follows_the_same_rule():
    with pytest.raises(ConfigError, match="must not contain a user or password"):
        parse_settings({"github": {"org": "acme"}, "backstage": {"url": "https://u:p@backstage.example"}})


def test_plain_urls_still_load():
    settings = parse_settings({"github": {"org": "acme", "api_url": "http://127.0.0.1:8080/api/v3"}})
    assert settings.github.api_url == "http://127.0.0.1:8080/api/v3"
