"""Escape-hatch services per reason, each declared reason by its text
(marts.escape_hatch_reasons_at, marts.escape_hatch_by_reason), on a hand-built organisation run
through the real transforms. Every expected row below is worked out by hand from this timeline,
not by running the code.

as_of = 2024-05-15 10:00. Every repo holds one catalogued Go service named like the repo,
created 2024-01-01 09:00, with a service spec; the reason annotation is the component's
`pathlens.io/escape-hatch-reason`.

    a  team-a  sidecar override, declares "needs istio"           → [declared:needs istio, sidecar]
    b  team-a  GPU override, declares "needs istio"               → [declared:needs istio, gpu]
    c  team-b  other override, declares "<b>vendor</b> appliance" → [declared:<b>vendor</b> appliance]
    d  team-b  other override, declares nothing                   → [other]
    e  team-a  no override, declares "needs istio"                → not an escape hatch: counted nowhere
    f  team-b  GPU override; declares "waiting for GPU nodes" until 2024-03-01 12:00, then
               "needs istio" (git history of its catalog)
"""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest

from tests.metrics.conftest import build, repo

T = datetime.fromisoformat
CATALOG, SPEC = "catalog-info.yaml", "service.yaml"
HOSTILE = "<b>vendor</b> appliance"

SIDECAR = "  kubernetes_override:\n    containers:\n      - name: app\n      - name: proxy\n"
GPU = ("  kubernetes_override:\n    containers:\n      - name: app\n        resources:\n"
       "          limits:\n            nvidia.com/gpu: 1\n")
OTHER = "  kubernetes_override:\n    securityContext:\n      runAsUser: 1000\n    containers:\n      - name: app\n"


def catalog(name: str, owner: str, reason: str | None) -> str:
    annotations = f"  annotations:\n    pathlens.io/escape-hatch-reason: '{reason}'\n" if reason else ""
    return (f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n{annotations}"
            f"spec:\n  type: service\n  lifecycle: production\n  owner: {owner}\n")


def spec(name: str, override: str = "") -> str:
    return f"service:\n  name: {name}\n  language: go\n" + override


# name → (owner, override, declared reason) today
SERVICES = {
    "a": ("team-a", SIDECAR, "needs istio"),
    "b": ("team-a", GPU, "needs istio"),
    "c": ("team-b", OTHER, HOSTILE),
    "d": ("team-b", OTHER, None),
    "e": ("team-a", "", "needs istio"),
    "f": ("team-b", GPU, "needs istio"),
}
# f's git past: (path, committed_at, text)
F_VERSIONS = [
    (CATALOG, "2024-01-01 09:30", catalog("f", "team-b", "waiting for GPU nodes")),
    (SPEC, "2024-01-01 09:30", spec("f", GPU)),
    (CATALOG, "2024-03-01 12:00", catalog("f", "team-b", "needs istio")),
]


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    files = {}
    for name, (owner, override, reason) in SERVICES.items():
        files[(f"acme/{name}", CATALOG)] = catalog(name, owner, reason)
        files[(f"acme/{name}", SPEC)] = spec(name, override)
    versions = pl.DataFrame(
        [{"repo": "acme/f", "path": path, "commit_sha": f"{i:040x}", "committed_at": T(at), "blob_sha": None,
          "size": len(text), "content": text, "deleted": False, "fetched_at": T("2024-05-15 10:00")}
         for i, (path, at, text) in enumerate(F_VERSIONS)],
        schema_overrides={"blob_sha": pl.String, "size": pl.Int64})
    con = build(tmp_path_factory.mktemp("reasons"),
                repos=[repo(name, "2024-01-01 09:00", "Go") for name in SERVICES],
                files=files, extra={"repo_file_versions": versions})
    yield con
    con.close()


COLUMNS = "position, kind, reason, declared_text, escape_hatch_services, declared_texts"


def rows(wh, args: str = "") -> list[tuple]:
    return wh.sql(f"select {COLUMNS} from marts.escape_hatch_reasons_at({args}) order by position").fetchall()


def test_each_declared_text_is_counted_at_the_refresh(wh):
    # today: gpu b, f; sidecar a; "needs istio" a, b, f (e declares it without an escape hatch);
    # HOSTILE c; other d. Declared texts by services, most first.
    assert rows(wh) == [
        (1, "gpu", "gpu", None, 2, None),
        (2, "sidecar", "sidecar", None, 1, None),
        (3, "declared", "declared:needs istio", "needs istio", 3, 1),
        (4, "declared", f"declared:{HOSTILE}", HOSTILE, 1, 1),
        (5, "other", "other", None, 1, None),
    ]
    # the public mart is the macro without filters
    got = wh.sql(f"select {COLUMNS}, measured_at from marts.escape_hatch_by_reason order by position").fetchall()
    assert got == [(*r, T("2024-05-15 10:00")) for r in rows(wh)]


def test_each_service_counts_in_its_state_at_the_instant(wh):
    # 15 Feb 2024: f still declares "waiting for GPU nodes" (changed 1 Mar). "needs istio": a, b.
    # The two texts of one service each ('<' sorts before 'w') after the text of two.
    assert rows(wh, "instant := timestamp '2024-02-15'") == [
        (1, "gpu", "gpu", None, 2, None),
        (2, "sidecar", "sidecar", None, 1, None),
        (3, "declared", "declared:needs istio", "needs istio", 2, 1),
        (4, "declared", f"declared:{HOSTILE}", HOSTILE, 1, 1),
        (5, "declared", "declared:waiting for GPU nodes", "waiting for GPU nodes", 1, 1),
        (6, "other", "other", None, 1, None),
    ]
    # before any service existed: the three fixed reasons at 0, no declared row
    assert rows(wh, "instant := timestamp '2023-12-01'") == [
        (1, "gpu", "gpu", None, 0, None), (2, "sidecar", "sidecar", None, 0, None), (3, "other", "other", None, 0, None),
    ]


def test_the_texts_beyond_the_top_share_one_row(wh):
    # 15 Feb, top 1: "needs istio" (2), then HOSTILE (c) and "waiting…" (f) together: 2 services, 2 texts
    assert rows(wh, "instant := timestamp '2024-02-15', declared_top := 1") == [
        (1, "gpu", "gpu", None, 2, None),
        (2, "sidecar", "sidecar", None, 1, None),
        (3, "declared", "declared:needs istio", "needs istio", 2, 1),
        (4, "declared", None, None, 2, 2),
        (5, "other", "other", None, 1, None),
    ]
    # as many texts as the top: no extra row
    assert [r[2] for r in rows(wh, "declared_top := 2")] == [
        "gpu", "sidecar", "declared:needs istio", f"declared:{HOSTILE}", "other"]


def test_the_team_filter_counts_the_teams_services_only(wh):
    # team-b: c (HOSTILE), d (other), f (gpu, "needs istio"); ties of one service by text
    assert rows(wh, "teams := ['team-b']") == [
        (1, "gpu", "gpu", None, 1, None),
        (2, "sidecar", "sidecar", None, 0, None),
        (3, "declared", f"declared:{HOSTILE}", HOSTILE, 1, 1),
        (4, "declared", "declared:needs istio", "needs istio", 1, 1),
        (5, "other", "other", None, 1, None),
    ]
    # a language nobody writes: nothing carried
    assert [r[4] for r in rows(wh, "languages := ['rust']")] == [0, 0, 0]


def test_the_declared_rows_add_up_to_the_declared_count(wh):
    # a service declares one text, so its declared rows sum to escape_hatch_at's `declared`
    for instant in ("NULL", "timestamp '2024-02-15'"):
        declared = wh.sql(f"select declared from marts.escape_hatch_at(instant := {instant})").fetchall()[0][0]
        total = sum(r[4] for r in rows(wh, f"instant := {instant}") if r[1] == "declared")
        assert total == declared == 4  # a, b, c, f at both instants
