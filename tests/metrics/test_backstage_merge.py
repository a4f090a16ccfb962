"""Backstage catalog API entities merged with the repo files by entity name (hand-built)."""

import json

import polars as pl

from tests.metrics.conftest import build, repo


def entity(name, slug, type_="service", owner="team-x", annotations=None):
    return {
        "entity_ref": f"component:default/{name}", "kind": "Component", "namespace": "default", "name": name,
        "entity": json.dumps({
            "kind": "Component",
            "metadata": {"name": name, "annotations": {"github.com/project-slug": slug, **(annotations or {})}},
            "spec": {"type": type_, "owner": owner, "lifecycle": "production"},
        }),
    }


def test_api_entities_fill_in_for_repos_without_a_catalog_file(tmp_path):
    files = {("acme/svc1", "catalog-info.yaml"): (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc1\n"
        "spec:\n  type: service\n  owner: team-a\n")}
    entities = pl.DataFrame([
        # a repo with no catalog file: the API's entity is its service, golden by its annotation
        entity("api-only-svc", "acme/API-only",
               annotations={"backstage.io/source-template": "template:default/go-service"}),
        # the same name as a repo file's component: the repo file wins
        entity("svc1", "acme/svc1", owner="someone-else"),
        # a library, and an entity of an archived repo: not services
        entity("a-lib", "acme/api-only", type_="library"),
        entity("old-svc", "acme/old"),
    ])
    con = build(
        tmp_path,
        repos=[repo("svc1", "2024-01-10T00:00:00", "Go"), repo("api-only", "2024-02-10T00:00:00", "Go"),
               repo("old", "2024-02-10T00:00:00", "Go", archived=True)],
        files=files,
        extra={"backstage_entities": entities},
    )
    got = con.sql("select service, repo, owner, catalogued, golden_path from marts.services order by service").fetchall()
    assert got == [
        ("api-only-svc", "acme/api-only", "team-x", True, "go-service"),
        ("svc1", "acme/svc1", "team-a", True, None),
    ]
