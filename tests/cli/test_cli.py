"""The `pathlens` command line: exit codes, one-line reasons, secrets never printed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipelines.cli import app

runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "pathlens.example.yaml"


def test_check_config_prints_what_it_would_read(monkeypatch, tmp_path):
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_do_not_print_me")
    monkeypatch.setenv("HOME", str(tmp_path))  # the example reads ~/.kube/config
    (tmp_path / ".kube").mkdir()
    (tmp_path / ".kube" / "config").write_text(
        "contexts:\n- {name: prod-eu, context: {}}\n- {name: staging, context: {}}\n")
    result = runner.invoke(app, ["check-config", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "configuration OK" in result.output
    assert "org acme at https://api.github.com" in result.output
    assert "$GITHUB_TOKEN (set)" in result.output
    assert "ghp_do_not_print_me" not in result.output


def test_check_config_lists_every_error_with_its_key_path(tmp_path):
    bad = tmp_path / "pathlens.yaml"
    bad.write_text("github: {org: acme}\ngolden_paths:\n  - {name: a, ref: r}\n  - {ref: x}\nadoption: {threshold: 2}\n")
    result = runner.invoke(app, ["check-config", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}: golden_paths[1].name: field required" in result.output
    assert f"{bad}: adoption.threshold: Input should be less than or equal to 1" in result.output
    assert "adoption.threshold: Input should be less than or equal to 1 (found 2)" in result.output
    assert f"{bad} is invalid: 2 error(s)" in result.output


def test_refresh_without_a_config_file_fails_with_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["refresh"])
    assert result.exit_code == 1
    assert "pathlens.yaml: file not found" in result.output


def test_demo_rejects_an_unknown_scale():
    result = runner.invoke(app, ["demo", "--scale", "huge", "--no-dashboard"])
    assert result.exit_code == 1 and "--scale must be" in result.output


@pytest.fixture(scope="module")
def tiny_warehouse(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    warehouse = folder / "pathlens.duckdb"
    here = os.getcwd()
    os.chdir(folder)  # the demo's report assets write to ./reports
    try:
        result = runner.invoke(app, ["demo", "--scale", "tiny", "--no-dashboard", "--as-of", "2026-11-27",
                                     "--warehouse", str(warehouse)])
    finally:
        os.chdir(here)
    assert result.exit_code == 0, result.output
    assert "published" in result.output
    return warehouse


def test_sql_runs_a_read_only_query(tiny_warehouse):
    result = runner.invoke(app, ["sql", "select count(*) as n from marts.services", "--warehouse", str(tiny_warehouse)])
    assert result.exit_code == 0, result.output
    assert "1 row(s)" in result.output


def test_sql_formats(tiny_warehouse):
    query = "select 1/7 as ratio, 'a|b' as name, NULL as nothing"
    table = runner.invoke(app, ["sql", query, "--warehouse", str(tiny_warehouse)], env={"COLUMNS": "60"})
    assert table.exit_code == 0 and "0.1429" in table.output and "1 row(s)" in table.output
    as_json = runner.invoke(app, ["sql", query, "--warehouse", str(tiny_warehouse), "--format", "json"])
    assert json.loads(as_json.output) == [{"ratio": 1 / 7, "name": "a|b", "nothing": None}]
    as_csv = runner.invoke(app, ["sql", query, "--warehouse", str(tiny_warehouse), "-f", "csv"])
    assert as_csv.output.splitlines() == ["ratio,name,nothing", f"{1 / 7!r},a|b,"]
    as_md = runner.invoke(app, ["sql", query, "--warehouse", str(tiny_warehouse), "-f", "markdown"])
    assert as_md.output.splitlines()[2] == "| 0.1429 | a\\|b | NULL |"
    bad = runner.invoke(app, ["sql", query, "--warehouse", str(tiny_warehouse), "-f", "xml"])
    assert bad.exit_code == 1 and "--format must be one of table, csv, json, markdown" in bad.output


def test_sql_prompt_reads_statements_from_a_pipe(tiny_warehouse):
    script = "select count(*) as n\n  from marts.services\n where false;\n.schema marts.services\nselect 'x\x1b[2J' as y;\n"
    result = runner.invoke(app, ["sql", "--warehouse", str(tiny_warehouse)], input=script)
    assert result.exit_code == 0, result.output
    assert "│ 0 │" in result.output  # the two-line statement ran as one
    assert "escape_hatch_reasons" in result.output and "VARCHAR[]" in result.output
    assert "\x1b" not in result.output and "x\\x1b[2J" in result.output


def test_sql_refuses_writes_and_file_reads(tiny_warehouse):
    for query in ("drop table marts.services", "select * from read_csv('/etc/passwd')"):
        result = runner.invoke(app, ["sql", query, "--warehouse", str(tiny_warehouse)])
        assert result.exit_code == 1, query
        assert "error:" in result.output
    still = runner.invoke(app, ["sql", "select count(*) from marts.services", "--warehouse", str(tiny_warehouse)])
    assert still.exit_code == 0


def test_sql_without_a_warehouse(tmp_path):
    result = runner.invoke(app, ["sql", "select 1", "--warehouse", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1 and "no warehouse at" in result.output


def test_report_writes_html_markdown_and_csv(tiny_warehouse, tmp_path):
    out = tmp_path / "reports"
    result = runner.invoke(app, ["report", "--warehouse", str(tiny_warehouse), "--out", str(out), "--period", "month"])
    assert result.exit_code == 0, result.output
    folder = out / "month-2026-10"  # the last complete month before the demo's as_of, 2026-11-27
    assert (folder / "report.html").stat().st_size > 100_000  # Plotly embedded
    assert (folder / "report.md").read_text().strip()
    assert list(folder.glob("*.csv"))


def test_report_rejects_an_unknown_period(tiny_warehouse):
    result = runner.invoke(app, ["report", "--warehouse", str(tiny_warehouse), "--period", "year"])
    assert result.exit_code == 1 and "--period must be week or month" in result.output


def test_check_config_warns_about_what_this_machine_lacks_and_exits_0(tmp_path, monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\ncontexts:\n- name: prod-eu\n  context: {cluster: c, user: u}\n")
    config = tmp_path / "pathlens.yaml"
    config.write_text(
        "github: {org: acme}\n"
        f"kubernetes: {{kubeconfig: {kubeconfig}, contexts: [prod-eu, staging], production_contexts: [prod-eu]}}\n"
    )
    result = runner.invoke(app, ["check-config", str(config)])
    assert result.exit_code == 0, result.output
    assert f"warning: {config}: github.token_env: the environment variable GITHUB_TOKEN is not set" in result.output
    assert f"kubernetes.contexts[1]: no context 'staging' in {kubeconfig}" in result.output
    assert "kubernetes.contexts[0]" not in result.output  # prod-eu is there
    assert f"{config} is valid, with 2 warning(s)" in result.output


def test_check_config_exits_1_only_for_an_invalid_file_and_says_so(tmp_path):
    config = tmp_path / "pathlens.yaml"
    config.write_text("github: {org: acme}\nkubernetes: {contexts: [prod-eu], production_contexts: [prod-us]}\n")
    result = runner.invoke(app, ["check-config", str(config)])
    assert result.exit_code == 1
    assert "kubernetes: production_contexts ['prod-us'] are not among contexts ['prod-eu']" in result.output
    assert f"{config} is invalid: 1 error(s)" in result.output
    assert "configuration OK" not in result.output


def test_config_errors_suggest_the_nearest_key_and_show_the_value_found(tmp_path):
    config = tmp_path / "pathlens.yaml"
    config.write_text("github: {org: acme, tokn_env: X, max_concurrency: lots}\nalrets: {}\n"
                      "golden_paths: [{name: a, ref: r, sorce: s}]\nreports: [1]\nservices: {zzz: 1}\n")
    result = runner.invoke(app, ["check-config", str(config)])
    assert result.exit_code == 1
    out = result.output
    assert "github.tokn_env: unknown key (did you mean `token_env`?)" in out
    assert "alrets: unknown key (did you mean `alerts`?)" in out
    assert "golden_paths[0].sorce: unknown key (did you mean `source`?)" in out
    assert "services.zzz: unknown key; known here: catalog_file, spec_file, types" in out
    assert "github.max_concurrency: Input should be a valid integer, unable to parse string as an integer (found 'lots')" in out
    assert "reports: expected a mapping of settings (found a list of 1 item(s))" in out


def test_help_shows_no_type_beside_flags():
    for args in (["--help"], ["demo", "--help"], ["sql", "--help"], ["report", "--help"]):
        result = runner.invoke(app, args, env={"COLUMNS": "120"})
        assert result.exit_code == 0
        assert "<bool>" not in result.output, args
    assert "<int>" in runner.invoke(app, ["sql", "--help"], env={"COLUMNS": "120"}).output  # other types stay


def test_check_config_passes_when_everything_is_in_place(tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_x")
    key = tmp_path / "app.pem"
    key.write_text("not checked here")
    config = tmp_path / "pathlens.yaml"
    config.write_text(f"github: {{org: acme, app_id: 1, installation_id: 2, private_key_path: {key}}}\n")
    result = runner.invoke(app, ["check-config", str(config)])
    assert result.exit_code == 0, result.output


def test_demo_reads_a_demo_configuration_with_options_overriding_it(tmp_path, monkeypatch):
    from pipelines.resources import PathlensResource

    config = tmp_path / "demo.yaml"
    config.write_text(f"warehouse: {tmp_path / 'wh.duckdb'}\ndemo: {{scale: small, seed: 3}}\nadoption: {{threshold: 0.6}}\n")
    as_file = PathlensResource(config_path=str(config), demo=True).settings()
    assert (as_file.demo.scale, as_file.demo.seed, as_file.adoption.threshold) == ("small", 3, 0.6)
    assert as_file.warehouse == str(tmp_path / "wh.duckdb")
    overridden = PathlensResource(config_path=str(config), demo=True, demo_scale="tiny", demo_seed=9).settings()
    assert (overridden.demo.scale, overridden.demo.seed, overridden.adoption.threshold) == ("tiny", 9, 0.6)


def test_demo_sets_a_live_configuration_aside(tmp_path):
    from pipelines.resources import PathlensResource

    config = tmp_path / "pathlens.yaml"
    config.write_text("github: {org: elsewhere}\nadoption: {threshold: 0.9}\n")
    settings = PathlensResource(config_path=str(config), demo=True).settings()
    assert settings.is_demo and settings.github is None and settings.adoption.threshold == 0.5
    assert not PathlensResource(config_path=str(config)).settings().is_demo  # refresh reads it


def test_demo_with_a_broken_configuration_says_so(tmp_path):
    config = tmp_path / "pathlens.yaml"
    config.write_text("demo: {scale: enormous}\n")
    result = runner.invoke(app, ["demo", "--config", str(config), "--no-dashboard"])
    assert result.exit_code == 1 and "demo.scale" in result.output


def test_demo_command_with_a_demo_config(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pathlens.yaml").write_text("warehouse: out/demo.duckdb\ndemo: {scale: tiny, as_of: '2026-11-27'}\n")
    result = runner.invoke(app, ["demo", "--no-dashboard"])
    assert result.exit_code == 0, result.output
    assert "at scale tiny" in result.output
    assert (tmp_path / "out" / "demo.duckdb").is_file()


def test_pathlens_sql_does_not_import_what_it_does_not_need(tiny_warehouse):
    """Start-up time: `pathlens sql` loads no settings (no config here), rich, YAML, Dagster or
    Polars (its rows come from the query process as JSON; bench/bench_cli.py times it)."""
    import subprocess
    import sys

    probe = (
        "import runpy, sys\n"
        f"sys.argv = ['pathlens', 'sql', 'select 1', '--warehouse', {str(tiny_warehouse)!r}]\n"
        "try:\n    runpy.run_module('pipelines.cli', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('rich', 'dagster', 'yaml', 'polars') if m in sys.modules), file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         cwd=tiny_warehouse.parent)
    assert "│ 1 │" in out.stdout
    assert out.stderr.strip().splitlines()[-1] == "[]"
