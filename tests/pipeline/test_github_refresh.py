"""`pathlens refresh` against a local GitHub-compatible server, through every asset to the marts:
the real PyGithub client, the real parsers and SQL. Expected values are worked out by hand."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
from typer.testing import CliRunner

from pipelines.cli import app
from tests.sources.github_server import FakeIssue, FakeOrg, FakeRepo, FakeRun, GitHubTestServer

TOKEN = "ghp_RefreshTestToken000000000000000000"

CONFIG = """
warehouse: {warehouse}
github:
  org: acme
  api_url: {api_url}
  token_env: PATHLENS_IT_TOKEN
golden_paths:
  - name: go-service
    ref: template:default/go-service
    source: gh:acme/template-go
exceptions:
  repos: [acme/platform]
ci:
  backfill_days: 3650
"""


def catalog(name: str, annotation: str = "") -> bytes:
    extra = f"  annotations:\n    backstage.io/source-template: {annotation}\n" if annotation else ""
    return (f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n{extra}"
            f"spec:\n  type: service\n  owner: team-a\n").encode()


def org() -> FakeOrg:
    acme = FakeOrg("acme")
    acme.add(FakeRepo("svc-a", created_at=datetime(2025, 3, 10), language="Go",
                      files={"catalog-info.yaml": catalog("svc-a", "template:default/go-service")},
                      runs=[FakeRun(id=11, created_at=datetime(2025, 5, 2, 10), conclusion="success",
                                    run_started_at=datetime(2025, 5, 2, 10, 1), updated_at=datetime(2025, 5, 2, 10, 6)),
                            FakeRun(id=12, created_at=datetime(2025, 5, 3, 10), conclusion="failure",
                                    run_started_at=datetime(2025, 5, 3, 10, 0, 30), updated_at=datetime(2025, 5, 3, 10, 10, 30))]))
    acme.add(FakeRepo("svc-b", created_at=datetime(2025, 4, 2), language="Python",
                      files={"catalog-info.yaml": catalog("svc-b"),
                             ".copier-answers.yml": b"_src_path: git@github.com:acme/template-go.git\n_commit: v2\n"}))
    acme.add(FakeRepo("svc-c", created_at=datetime(2025, 4, 20), language="Java",
                      files={"service.yaml": b"service:\n  name: svc-c\n"}))
    acme.add(FakeRepo("old", created_at=datetime(2025, 4, 5), archived=True,
                      files={"catalog-info.yaml": catalog("old")}))
    acme.add(FakeRepo("platform", created_at=datetime(2024, 1, 1), files={}, issues=[
        FakeIssue(1, "<b>need</b> a GPU", datetime(2025, 4, 1), labels=["golden-path-exception", "team:ml"],
                  state="closed", closed_at=datetime(2025, 4, 3)),
        FakeIssue(2, "a pull request", datetime(2025, 4, 2), labels=["golden-path-exception"], is_pull_request=True),
        FakeIssue(3, "unrelated", datetime(2025, 4, 2), labels=["bug"]),
    ]))
    return acme


def test_refresh_from_github_to_marts(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATHLENS_IT_TOKEN", TOKEN)
    warehouse = tmp_path / "data" / "pathlens.duckdb"
    with GitHubTestServer(org(), tokens={TOKEN}) as server:
        (tmp_path / "pathlens.yaml").write_text(CONFIG.format(warehouse=warehouse, api_url=server.base_url))
        result = CliRunner().invoke(app, ["refresh", "--select", "not group:reports"])
    assert result.exit_code == 0, result.output
    assert TOKEN not in result.output
    assert "published" in result.output

    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.sql("select service, golden_path, language from marts.services order by service").fetchall() == [
        ("svc-a", "go-service", "go"),  # by the source-template annotation
        ("svc-b", "go-service", "python"),  # copier git@github.com:acme/template-go.git
        ("svc-c", None, "java"),  # a service spec alone
    ]
    monthly = con.sql("select month, services_created, golden_path_created, new_service_adoption"
                      " from marts.adoption_monthly order by month").fetchall()
    assert monthly[:3] == [(date(2025, 3, 1), 1, 1, 1.0), (date(2025, 4, 1), 2, 1, 0.5), (date(2025, 5, 1), 0, 0, None)]
    today = date.today()
    assert monthly[-1][0] == date(today.year, today.month, 1)  # through the refresh's month
    assert con.sql("select number, team, title, days_to_close from marts.exception_requests").fetchall() == [
        (1, "ml", "<b>need</b> a GPU", 2.0)]
    assert con.sql("select run_id, queue_s, duration_s, failed from marts.ci_runs order by run_id").fetchall() == [
        (11, 60.0, 300.0, False), (12, 30.0, 600.0, True)]
    assert con.sql("select count(*) from raw.fetch_log").fetchall()[0][0] > 0
    con.close()
    # the token reached neither the warehouse files nor anything else written
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".duckdb" for p in written)
    assert not any(TOKEN.encode() in p.read_bytes() for p in written)


def test_a_rejected_token_stops_the_refresh_before_anything_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATHLENS_IT_TOKEN", "ghp_WrongToken1111111111111111111111")
    warehouse = tmp_path / "data" / "pathlens.duckdb"
    with GitHubTestServer(org(), tokens={TOKEN}) as server:
        (tmp_path / "pathlens.yaml").write_text(CONFIG.format(warehouse=warehouse, api_url=server.base_url))
        result = CliRunner().invoke(app, ["refresh"])
    assert result.exit_code == 1
    assert "PATHLENS_IT_TOKEN" in result.output  # names the variable to fix
    assert "ghp_WrongToken" not in result.output
    assert not (tmp_path / "data").exists()  # no warehouse, not even a build file


def test_a_missing_token_variable_is_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PATHLENS_IT_TOKEN", raising=False)
    (tmp_path / "pathlens.yaml").write_text(CONFIG.format(warehouse=tmp_path / "wh.duckdb", api_url="http://127.0.0.1:9"))
    result = CliRunner().invoke(app, ["refresh"])
    assert result.exit_code == 1 and "PATHLENS_IT_TOKEN" in result.output
    assert not (tmp_path / "wh.duckdb").exists()
