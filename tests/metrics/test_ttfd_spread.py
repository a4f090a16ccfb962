"""marts.time_to_first_deploy_spread: the box plot of time to first deploy, as SQL defines it.
Expected quartiles, whiskers and outliers are worked out by hand in the comments
(quantile_cont: the value at position (n − 1) × p of the sorted days, interpolated).

Services (one repo each, created 2024-01-01 unless said), first production deploy `days` later:
- DIY d1 (1 day), d2 (2), d3 (3) of team-a; d4 (4) and d5 (100, created 2024-02-01) of team-b;
- golden path g1 (10 days) and g2 (never deployed), team-b.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import pytest

from tests.metrics.conftest import build, repo

T = datetime.fromisoformat
GP = "template:default/go-service"
SERVICES = [  # name, owner, golden path, created, days to first production deploy
    ("d1", "team-a", False, "2024-01-01", 1), ("d2", "team-a", False, "2024-01-01", 2),
    ("d3", "team-a", False, "2024-01-01", 3), ("d4", "team-b", False, "2024-01-01", 4),
    ("d5", "team-b", False, "2024-02-01", 100), ("g1", "team-b", True, "2024-01-01", 10),
    ("g2", "team-b", True, "2024-01-01", None),
]


def component(name: str, owner: str, golden: bool) -> str:
    annotations = f"\n  annotations:\n    backstage.io/source-template: {GP}" if golden else ""
    return (f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}{annotations}\n"
            f"spec:\n  type: service\n  owner: {owner}\n")


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    deploys = [
        {"repo": f"acme/{name}", "deployment_id": i, "environment": "production",
         "created_at": T(created) + timedelta(days=days), "status_state": "success"}
        for i, (name, _, _, created, days) in enumerate(SERVICES) if days is not None
    ]
    return build(
        tmp_path_factory.mktemp("ttfd_spread"),
        repos=[repo(name, f"{created}T00:00:00", "Go") for name, _, _, created, _ in SERVICES],
        files={(f"acme/{name}", "catalog-info.yaml"): component(name, owner, golden)
               for name, owner, golden, _, _ in SERVICES},
        settings={"github": {"org": "acme"}, "golden_paths": [{"name": "go-service", "ref": GP}]},
        extra={"deployments": pl.DataFrame(deploys)},
    )


def spread(wh, **args) -> list[tuple]:
    params = {"teams": None, "languages": None, "start": None, "stop": None, **args}
    return wh.sql(
        "select on_golden_path, services, q1, median, q3, lower_fence, upper_fence,"
        " [o.service for o in outliers], [o.days for o in outliers]"
        " from marts.time_to_first_deploy_spread(teams := $teams, languages := $languages,"
        " start := $start, stop := $stop)", params=params).fetchall()


def test_every_service(wh):
    assert spread(wh) == [
        # golden path: g1 alone (g2 never deployed): every figure is 10
        (True, 1, 10.0, 10.0, 10.0, 10.0, 10.0, [], []),
        # DIY 1, 2, 3, 4, 100: q1 at position 1 → 2, median at 2 → 3, q3 at 3 → 4; the whiskers
        # reach 1.5 × (4 − 2) = 3 beyond the box, [-1, 7]: 1 and 4; 100 is an outlier
        (False, 5, 2.0, 3.0, 4.0, 1.0, 4.0, ["d5"], [100.0]),
    ]


def test_a_team(wh):
    # team-a: 1, 2, 3 → q1 at position 0.5 → 1.5, median 2, q3 at 1.5 → 2.5; whiskers within
    # [1.5 − 1.5, 2.5 + 1.5] = [0, 4]: 1 and 3; no golden-path service
    assert spread(wh, teams=["team-a"]) == [(False, 3, 1.5, 2.0, 2.5, 1.0, 3.0, [], [])]


def test_services_created_in_a_period(wh):
    # January: d5 (created in February) leaves; DIY 1, 2, 3, 4 → q1 at 0.75 → 1.75, median at
    # 1.5 → 2.5, q3 at 2.25 → 3.25; whiskers within [1.75 − 2.25, 3.25 + 2.25]: 1 and 4
    assert spread(wh, start=T("2024-01-01T00:00:00"), stop=T("2024-02-01T00:00:00")) == [
        (True, 1, 10.0, 10.0, 10.0, 10.0, 10.0, [], []),
        (False, 4, 1.75, 2.5, 3.25, 1.0, 4.0, [], []),
    ]
    assert spread(wh, start=T("2024-03-01T00:00:00")) == []  # nobody created since
