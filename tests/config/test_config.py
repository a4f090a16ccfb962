"""pathlens.yaml validation: every mistake reported with the file and its key path."""

from __future__ import annotations

import textwrap

import pytest

from pipelines.config import ConfigError, load_settings, parse_settings

VALID = """
warehouse: data/pathlens.duckdb
github:
  org: acme
  api_url: https://github.example.com/api/v3
  token_env: GITHUB_TOKEN
  exclude_repos: [sandbox-*]
services:
  catalog_file: catalog-info.yaml
  spec_file: service.yaml
  types: [service, website]
golden_paths:
  - name: go-service
    ref: template:default/go-service
    source: gh:acme/template-go-service
escape_hatch:
  path: service.kubernetes_override
  gpu_resources: [nvidia.com/gpu, amd.com/gpu]
exceptions:
  repos: [acme/platform]
  label: golden-path-exception
ci:
  platform_workflow_repos: [acme/platform-workflows]
  backfill_days: 365
kubernetes:
  kubeconfig: ~/.kube/config
  contexts: [prod-eu, staging]
  production_contexts: [prod-eu]
  service_label: backstage.io/kubernetes-id
deploys:
  production_environments: [production]
adoption:
  threshold: 0.5
comparisons:
  min_n: 20                              # a golden path / DIY side with fewer services shows NULL
reports:
  out_dir: reports/
  webhook_url_env: PATHLENS_WEBHOOK_URL
"""


def write(tmp_path, text):
    path = tmp_path / "pathlens.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def errors_of(tmp_path, text) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text))
    assert str(tmp_path / "pathlens.yaml") in str(info.value)
    return info.value.errors


def test_the_spec_example_is_valid(tmp_path):
    settings = load_settings(write(tmp_path, VALID))
    assert settings.github.org == "acme"
    assert settings.github.api_url == "https://github.example.com/api/v3"
    assert settings.golden_paths[0].source == "gh:acme/template-go-service"
    assert settings.kubernetes.production_contexts == ["prod-eu"]
    assert settings.adoption.threshold == 0.5
    assert settings.comparisons.min_n == 20


def test_defaults_when_sections_are_left_out(tmp_path):
    settings = load_settings(write(tmp_path, "github: {org: acme}\n"))
    assert settings.services.types == ["service", "website"]
    assert settings.escape_hatch.gpu_resources == ["nvidia.com/gpu", "amd.com/gpu"]
    assert settings.exceptions.label == "golden-path-exception"
    assert settings.ci.backfill_days == 365
    assert settings.history.backfill_days == 730
    assert settings.comparisons.min_n == 20
    assert settings.warehouse == "data/pathlens.duckdb"
    assert (settings.alerts.template_stale_days, settings.alerts.drift_commits, settings.alerts.drift_share) == (
        180, 20, 0.25)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("github: {org: acme}\ngolden_paths:\n  - {name: a, ref: r}\n  - {name: b, ref: r}\n  - {ref: x}\n",
         "golden_paths[2].name: field required"),
        ("github: {org: acme, tokn_env: X}\n", "github.tokn_env: unknown key"),
        ("github: {org: acme}\nadoption: {threshold: high}\n", "adoption.threshold: Input should be a valid number"),
        ("github: {org: acme}\nadoption: {threshold: 1.5}\n", "adoption.threshold: Input should be less than or equal to 1"),
        ("github: {org: acme}\ncomparisons: {min_n: 0}\n", "comparisons.min_n: Input should be greater than or equal to 1"),
        ("github: {org: acme}\ncomparisons: {min_n: many}\n", "comparisons.min_n: Input should be a valid integer"),
        ("github: {}\n", "github.org: field required"),
        ("services: {types: service}\ngithub: {org: acme}\n", "services.types: Input should be a valid list"),
        ("github: {org: acme}\nexceptions: {repos: [platform]}\n", "exceptions.repos: expected OWNER/REPO, got 'platform'"),
        ("github: {org: acme, app_id: 12}\n", "github: GitHub App auth needs app_id, private_key_path and installation_id"),
        ("github: {org: acme}\ngolden_paths: [{name: a}]\n", "golden_paths[0]: a golden path needs a `ref`"),
        ("warehouse: x.duckdb\n", "(top level): name a source"),
        ("github: {org: acme}\nhistory: {backfill_days: -1}\n",
         "history.backfill_days: Input should be greater than or equal to 0"),
        ("github: {org: acme}\ngolden_paths: [{name: a, ref: r, languages: go}]\n",
         "golden_paths[0].languages: Input should be a valid list"),
        ("github: {org: acme}\ngolden_paths: [{name: a, ref: r, languages: [go, ' ']}]\n",
         "golden_paths[0].languages: a language must not be empty"),
        ("github: {org: acme}\nalerts: {template_stale_days: 0}\n",
         "alerts.template_stale_days: Input should be greater than or equal to 1"),
        ("github: {org: acme}\nalerts: {drift_commits: -1}\n", "alerts.drift_commits: Input should be greater"),
        ("github: {org: acme}\nalerts: {drift_share: 1.5}\n", "alerts.drift_share: Input should be less than"),
        ("github: {org: acme}\nalerts: {drift_comits: 5}\n", "alerts.drift_comits: unknown key"),
    ],
)
def test_each_mistake_names_its_key_path(tmp_path, text, expected):
    assert any(e.startswith(expected) for e in errors_of(tmp_path, text)), errors_of(tmp_path, text)


def test_all_errors_are_reported_at_once(tmp_path):
    errors = errors_of(tmp_path, "github: {org: acme, bogus: 1}\nadoption: {threshold: x}\nextra_section: 1\n")
    assert len(errors) == 3


def test_malformed_yaml_names_the_line(tmp_path):
    errors = errors_of(tmp_path, "github:\n  org: [acme\n")
    assert len(errors) == 1 and errors[0].startswith("line ") and "not valid YAML" in errors[0]


def test_not_a_mapping_and_missing_file(tmp_path):
    assert errors_of(tmp_path, "- a\n- b\n") == ["(top level): expected a mapping, got list"]
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "nope.yaml")


def test_demo_source_replaces_github():
    settings = parse_settings({"demo": {"scale": "tiny", "seed": 3}})
    assert settings.is_demo and settings.demo.seed == 3
    with pytest.raises(ConfigError, match="replaces"):
        parse_settings({"demo": {}, "github": {"org": "acme"}})


def test_secrets_are_never_read_from_the_file(tmp_path):
    errors = errors_of(tmp_path, "github: {org: acme, token: ghp_secretvalue123}\n")
    assert errors == ["github.token: unknown key (did you mean `token_env`?)"]
    assert not any("ghp_secretvalue123" in e for e in errors)


def test_a_value_that_looks_like_a_secret_is_not_shown_in_a_type_error(tmp_path):
    errors = errors_of(tmp_path, "github: {org: acme, app_id: ghp_16C7e42F292c6912E7710c838347Ae178B4a}\n"
                                 "adoption: {threshold: 'https://u:pw@host/x'}\n")
    assert errors == ["github.app_id: Input should be a valid integer, unable to parse string as an integer "
                      "(found a value that looks like a secret, not shown)",
                      "adoption.threshold: Input should be a valid number, unable to parse string as a number "
                      "(found a URL with credentials, not shown)"]


def test_the_documented_example_is_valid():
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "docs" / "pathlens.example.yaml"
    settings = load_settings(example)
    assert settings.github.org == "acme" and settings.golden_paths[0].name == "go-service"
