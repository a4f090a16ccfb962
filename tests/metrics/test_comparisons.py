"""marts.golden_path_vs_diy(_by_language) from hand-built per-service inputs.

`pipelines.stats` is checked against published values in test_stats.py; here the expected
numbers are worked out by hand, or by scipy called directly on the raw samples.
"""

from __future__ import annotations

import math

import polars as pl
import pytest
from scipy import stats as sp

from pipelines.comparisons import compare


def service(golden: bool, language: str, *, failed=0, decided=0, duration=None, deploys=0, weeks=0.0,
            days=None, owner="team-a") -> dict:
    return {"on_golden_path": golden, "language": language, "stratum": f"{language} × {owner}",
            "ci_failed": failed, "ci_decided": decided, "median_ci_duration_s": duration,
            "production_deploys": deploys, "service_weeks": weeks, "days_to_first_deploy": days}


def frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={
        "on_golden_path": pl.Boolean, "language": pl.String, "stratum": pl.String, "ci_failed": pl.Int64,
        "ci_decided": pl.Int64, "median_ci_duration_s": pl.Float64, "production_deploys": pl.Int64,
        "service_weeks": pl.Float64, "days_to_first_deploy": pl.Float64})


def rows_by_metric(table: pl.DataFrame) -> dict[str, dict]:
    return {r["metric"]: r for r in table.iter_rows(named=True)}


def test_rates_without_clustering_are_the_textbook_methods():
    # every service: 1 of 4 runs failed (golden) or 2 of 4 (DIY) -> no spread between services,
    # design effect 1: golden 20/80, DIY 40/80 as if runs were independent
    inputs = frame([service(True, "go", failed=1, decided=4) for _ in range(20)]
                   + [service(False, "go", failed=2, decided=4) for _ in range(20)])
    got = rows_by_metric(compare(inputs, min_n=20)[0])["ci_failure_rate"]
    assert (got["golden_path"], got["diy"], got["ratio"]) == (0.25, 0.5, 0.5)
    assert (got["golden_path_n"], got["diy_n"], got["unit"]) == (20, 20, "services with decided runs")
    assert (got["golden_path_design_effect"], got["diy_design_effect"]) == (1.0, 1.0)
    wilson = sp.binomtest(20, 80).proportion_ci(method="wilson")
    assert (got["golden_path_low"], got["golden_path_high"]) == (pytest.approx(wilson.low), pytest.approx(wilson.high))
    # z: pooled 60/160 = 0.375, se = sqrt(0.375 · 0.625 · 2/80)
    z = 0.25 / math.sqrt(0.375 * 0.625 * 2 / 80)
    assert got["p_value"] == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert got["significant"] is True
    # Katz: var log RR = 1/20 - 1/80 + 1/40 - 1/80 = 0.05
    assert got["ratio_low"] == pytest.approx(0.5 * math.exp(-1.959964 * math.sqrt(0.05)), rel=1e-5)


def test_language_mix_disappears_within_strata():
    # go services fail 1 run in 10, python ones 4 in 10, on either side. Golden: 30 go + 20
    # python -> (30 + 80)/500 = 0.22; DIY: 20 go + 30 python -> (20 + 120)/500 = 0.28.
    # Within each stratum the rates are equal, so the Mantel–Haenszel ratio is 1 and the CMH
    # statistic 0 (p = 1) whatever the design effects.
    rows = ([service(True, "go", failed=1, decided=10) for _ in range(30)]
            + [service(True, "python", failed=4, decided=10) for _ in range(20)]
            + [service(False, "go", failed=1, decided=10) for _ in range(20)]
            + [service(False, "python", failed=4, decided=10) for _ in range(30)])
    overall, by_language = compare(frame(rows), min_n=20)
    got = rows_by_metric(overall)["ci_failure_rate"]
    assert (got["golden_path"], got["diy"]) == (pytest.approx(0.22), pytest.approx(0.28))
    assert got["ratio"] == pytest.approx(0.22 / 0.28)
    assert (got["strata"], got["stratified_golden_path_n"], got["stratified_diy_n"]) == (2, 50, 50)
    assert got["stratified_ratio"] == pytest.approx(1.0)
    assert got["stratified_p_value"] == pytest.approx(1.0)
    assert got["stratified_significant"] is False
    # clustering: the go and python services differ, so each side's design effect exceeds 1
    assert got["golden_path_design_effect"] > 1 and got["diy_design_effect"] > 1
    # per language: python has 20 golden and 30 DIY services, equal rates -> ratio 1
    python = {r["metric"]: r for r in by_language.filter(pl.col("language") == "python").iter_rows(named=True)}
    assert python["ci_failure_rate"]["ratio"] == pytest.approx(1.0)
    assert python["ci_failure_rate"]["p_value"] == pytest.approx(1.0)


def test_a_side_under_min_n_is_null_but_keeps_its_n():
    rows = ([service(True, "go", duration=float(v)) for v in range(1, 20)]  # 19 golden
            + [service(False, "go", duration=float(v)) for v in range(1, 21)])  # 20 DIY
    got = rows_by_metric(compare(frame(rows), min_n=20)[0])["median_ci_duration_s"]
    assert (got["golden_path_n"], got["diy_n"]) == (19, 20)
    assert (got["golden_path"], got["golden_path_low"], got["golden_path_high"]) == (None, None, None)
    # DIY: 1..20 -> median 10.5, order statistics 6 and 15
    assert (got["diy"], got["diy_low"], got["diy_high"]) == (10.5, 6.0, 15.0)
    assert (got["ratio"], got["p_value"], got["significant"]) == (None, None, None)
    assert (got["stratified_ratio"], got["stratified_p_value"]) == (None, None)


def test_no_services_at_all():
    overall, by_language = compare(frame([]), min_n=20)
    assert overall["metric"].to_list() == ["ci_failure_rate", "median_ci_duration_s",
                                           "deploys_per_service_week", "median_days_to_first_deploy"]
    assert overall.select("golden_path_n", "diy_n", "strata").rows() == [(0, 0, 0)] * 4
    assert overall["golden_path"].null_count() == 4
    assert by_language.is_empty()


def test_medians_use_mann_whitney_and_van_elteren():
    # golden days 1..20, DIY 11..30 (one stratum): medians 10.5 and 20.5
    rows = ([service(True, "go", days=float(v)) for v in range(1, 21)]
            + [service(False, "go", days=float(v)) for v in range(11, 31)])
    got = rows_by_metric(compare(frame(rows), min_n=20)[0])["median_days_to_first_deploy"]
    assert (got["golden_path"], got["diy"], got["ratio"]) == (10.5, 20.5, pytest.approx(10.5 / 20.5))
    assert (got["diy_low"], got["diy_high"]) == (16.0, 25.0)  # ranks 6 and 15 of 11..30
    expected = sp.mannwhitneyu(range(1, 21), range(11, 31), alternative="two-sided").pvalue
    assert got["p_value"] == pytest.approx(expected)
    # one stratum: van Elteren = the normal approximation without continuity correction;
    # ties 11..20 appear on both sides (10 pairs). U_golden = R - 210; ranks: 1..10 -> 1..10,
    # each tied pair 11..20 shares ranks 11+2i, 12+2i (mid 11.5 + 2i), so R = 55 + Σ(11.5 + 2i, i<10)
    r = 55 + sum(11.5 + 2 * i for i in range(10))
    var = 400 / 12 * (41 - 10 * 6 / (40 * 39))
    z = (r - 20 * 41 / 2) / math.sqrt(var)
    assert got["stratified_p_value"] == pytest.approx(math.erfc(abs(z) / math.sqrt(2)))
    assert got["stratified_ratio"] == pytest.approx(10.5 / 20.5)
    assert got["unit"] == "services deployed to production"


def test_deploys_per_service_week_by_hand():
    # golden: 20 services × 3 deploys in 10 weeks = 60/200 = 0.3; DIY: 20 × 1 in 10 weeks = 0.1.
    # Equal per-service counts: dispersion floored at 1, so Garwood on 60 events over 200 weeks
    rows = ([service(True, "go", deploys=3, weeks=10.0) for _ in range(20)]
            + [service(False, "go", deploys=1, weeks=10.0) for _ in range(20)])
    got = rows_by_metric(compare(frame(rows), min_n=20)[0])["deploys_per_service_week"]
    assert (got["golden_path"], got["diy"], got["ratio"]) == (pytest.approx(0.3), pytest.approx(0.1), pytest.approx(3.0))
    assert got["golden_path_low"] == pytest.approx(sp.chi2.ppf(0.025, 120) / 2 / 200)
    assert got["golden_path_high"] == pytest.approx(sp.chi2.ppf(0.975, 122) / 2 / 200)
    # conditional binomial: 60 of 80 events on half the exposure
    assert got["p_value"] == pytest.approx(sp.binomtest(60, 80, 0.5).pvalue)
    assert got["significant"] is True
