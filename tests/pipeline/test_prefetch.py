"""A run that builds the comparisons starts importing scipy.stats when it starts (issue #12: the
comparisons' share of a build), and a run that does not build them does not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

import pipelines.stats
from pipelines.comparisons import TABLES
from pipelines.resources import PathlensResource

COMPARISON = next(iter(TABLES)).split(".")  # ["marts", "golden_path_vs_diy"]


def _asset(key: list[str]) -> dg.AssetsDefinition:
    @dg.asset(key=key)
    def _asset(pathlens: PathlensResource) -> None:
        return None

    return _asset


@pytest.mark.parametrize(("keys", "prefetched"), [
    ((COMPARISON, ["other"]), True),  # a comparison table is in the run: the import starts with the run
    ((["other"],), False),
])
def test_the_run_prefetches_scipy_only_when_it_builds_the_comparisons(monkeypatch, keys, prefetched):
    calls: list[str] = []
    monkeypatch.setattr(pipelines.stats, "prefetch", lambda: calls.append("prefetch"))
    result = dg.materialize([_asset(k) for k in keys], resources={"pathlens": PathlensResource()},
                            instance=dg.DagsterInstance.ephemeral())
    assert result.success
    assert calls == (["prefetch"] if prefetched else [])  # once per run, not once per step


@dg.multi_asset(specs=[dg.AssetSpec(COMPARISON), dg.AssetSpec("other")], can_subset=True)
def _one_step(context, pathlens: PathlensResource):
    for key in context.selected_asset_keys:
        yield dg.MaterializeResult(asset_key=key)


@pytest.mark.parametrize(("selection", "prefetched"), [("other", False), ("marts/golden_path_vs_diy", True)])
def test_in_a_step_of_several_assets_what_counts_is_whether_the_comparisons_are_selected(
        monkeypatch, selection, prefetched):
    # the comparisons are two assets of the models' one step (assets/metrics/sql.py)
    calls: list[str] = []
    monkeypatch.setattr(pipelines.stats, "prefetch", lambda: calls.append("prefetch"))
    result = dg.materialize([_one_step], selection=selection, resources={"pathlens": PathlensResource()},
                            instance=dg.DagsterInstance.ephemeral())
    assert result.success
    assert calls == (["prefetch"] if prefetched else [])


def test_the_statistics_wait_for_the_prefetched_import():
    # a fresh process, where scipy.stats is not imported yet
    code = (
        "import sys, pipelines.stats as s\n"
        "assert 'scipy.stats' not in sys.modules\n"
        "s.prefetch(); t = s._import_thread\n"
        "assert t is not None and t.name == 'pathlens-prefetch-scipy-stats'\n"
        "s.prefetch(); assert s._import_thread is t  # once per process\n"
        "m = s._scipy_stats(); assert not t.is_alive() and m is sys.modules['scipy.stats']\n"
        "print(m.mannwhitneyu([1, 2], [3, 4]).pvalue)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    # exact two-sided Mann–Whitney p for {1,2} vs {3,4}: U = 0, P(U <= 0) = 1/C(4,2) = 1/6, doubled
    assert float(done.stdout) == pytest.approx(1 / 3)
