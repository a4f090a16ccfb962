"""The comparisons' intervals and tests against published values and hand calculations.

Expected numbers come from the literature (cited) or from arithmetic written out here, with
the normal tail from the standard library (`math.erfc`), never from `pipelines.stats`.
"""

from __future__ import annotations

import math

import pytest

from pipelines import stats


def normal_two_sided(z: float) -> float:
    """P(|Z| >= z) for a standard normal Z, from the standard library."""
    return math.erfc(abs(z) / math.sqrt(2))


# Newcombe (1998), "Two-sided confidence intervals for the single proportion", Stat Med 17,
# Table I, method 3 (Wilson score, no continuity correction).
@pytest.mark.parametrize(("k", "n", "low", "high"), [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
])
def test_wilson_matches_newcombe(k, n, low, high):
    got = stats.wilson_interval(k, n)
    assert got == (pytest.approx(low, abs=5e-5), pytest.approx(high, abs=5e-5))


def test_wilson_without_observations_is_undefined():
    assert stats.wilson_interval(0, 0) == (None, None)


def test_wilson_single_observation():
    # n = 1, k = 1: centre (1 + z²/2) / (1 + z²), half z/(1 + z²) · sqrt(0 + z²/4) = (z²/2) / (1 + z²),
    # so low = 1 / (1 + z²) = 1 / 4.841459 = 0.206549 and high = 1
    assert stats.wilson_interval(1, 1) == (pytest.approx(0.206549, abs=1e-6), 1.0)


# Garwood (1936) exact Poisson limits as tabulated (e.g. Ulm 1990, Am J Epidemiol 131):
# x = 0: (0, 3.689); x = 1: (0.0253, 5.572); x = 10: (4.795, 18.39).
@pytest.mark.parametrize(("x", "low", "high"), [(0, 0.0, 3.689), (1, 0.0253, 5.572), (10, 4.795, 18.39)])
def test_garwood_matches_tables(x, low, high):
    got = stats.garwood_interval(x, 1.0)
    assert got == (pytest.approx(low, abs=5e-4), pytest.approx(high, abs=5e-3))


def test_garwood_is_per_unit_of_exposure_and_undefined_without_exposure():
    low, high = stats.garwood_interval(10, 4.0)  # the x = 10 limits over 4 service-weeks
    assert (low, high) == (pytest.approx(4.795 / 4, abs=2e-4), pytest.approx(18.39 / 4, abs=2e-3))
    assert stats.garwood_interval(3, 0.0) == (None, None)


# Order-statistic interval for a median: ranks l, n - l + 1 with P(Bin(n, 1/2) <= l - 1) <= 0.025.
# n = 20: P(B <= 5) = 21700/2^20 = 0.0207, P(B <= 6) = 0.0577 -> ranks 6 and 15 (Conover, Practical
# Nonparametric Statistics, Table A3). n = 10: P(B <= 1) = 11/1024 = 0.0107, P(B <= 2) = 56/1024
# -> ranks 2 and 9. n = 6: P(B <= 0) = 1/64 = 0.0156 -> ranks 1 and 6. n = 5: 1/32 > 0.025 -> none.
@pytest.mark.parametrize(("n", "ranks"), [(20, (6, 15)), (10, (2, 9)), (6, (1, 6)), (5, None), (1, None), (0, None)])
def test_median_rank_bounds(n, ranks):
    assert stats.median_rank_bounds(n) == ranks


def test_median_interval_reads_the_order_statistics():
    values = [float(v) for v in range(20, 0, -1)]  # 20 .. 1, unsorted on purpose
    assert stats.median_interval(values) == (10.5, (6.0, 15.0))
    assert stats.median_interval([]) == (None, (None, None))
    assert stats.median_interval([7.0]) == (7.0, (None, None))  # a median, but no 95% interval


def test_two_proportion_z_test_by_hand():
    # 15/50 against 25/50: pooled 0.4, se = sqrt(0.4 · 0.6 · (1/50 + 1/50)) = sqrt(0.0096)
    z = (0.3 - 0.5) / math.sqrt(0.0096)  # -2.0412
    got = stats.two_proportion_test(15, 50, 25, 50)
    assert got.p_value == pytest.approx(normal_two_sided(z), rel=1e-9)
    assert got.significant is True


def test_fishers_exact_for_small_expected_counts():
    # Fisher's tea-tasting table [[3, 1], [1, 3]]: two-sided p = (1 + 16 + 16 + 1) / 70 = 34/70
    assert stats.two_proportion_test(3, 4, 1, 4).p_value == pytest.approx(34 / 70)
    # [[1, 1], [2, 1]] (rows 2 and 3, 3 events): P(a) = C(3,a)C(2,2-a)/C(5,2) = 0.1, 0.6, 0.3 for
    # a = 0, 1, 2; observed a = 1 is the most likely table, so p = 1
    got = stats.two_proportion_test(1, 2, 2, 3)
    assert (got.p_value, got.significant) == (pytest.approx(1.0), False)


def test_two_proportion_test_needs_both_sides():
    assert stats.two_proportion_test(0, 0, 3, 10).p_value is None
    assert stats.two_proportion_test(0, 0, 3, 10).significant is None


def test_mann_whitney_with_ties_by_hand():
    x, y = [1, 2, 2, 3], [2, 3, 4, 4, 5]
    # mid-ranks: 1 -> 1; the three 2s share 2,3,4 -> 3; the two 3s share 5,6 -> 5.5; 4s -> 7.5; 5 -> 9
    # R_x = 1 + 3 + 3 + 5.5 = 12.5, U_x = 12.5 - 4·5/2 = 2.5, mean n1·n2/2 = 10
    # tie groups 3, 2, 2: Σ(t³ - t) = 24 + 6 + 6 = 36; var = 20/12 · (10 - 36/(9·8)) = 15.8333
    z = (abs(2.5 - 10) - 0.5) / math.sqrt(20 / 12 * 9.5)  # with the continuity correction
    assert stats.mann_whitney_test(x, y).p_value == pytest.approx(normal_two_sided(z), rel=1e-9)


def test_mann_whitney_small_samples():
    # no ties, 2 against 3: U_x = 0 happens for 1 of C(5,2) = 10 orderings -> exact two-sided p = 0.2
    assert stats.mann_whitney_test([1, 2], [3, 4, 5]).p_value == pytest.approx(0.2)
    assert stats.mann_whitney_test([], [1, 2]).p_value is None


def test_conditional_binomial_test_for_poisson_rates_by_hand():
    # equal exposure: under H0, x1 ~ Bin(12, 1/2); x1 = 10: p = 2·(C(12,10) + C(12,11) + C(12,12))/2^12
    assert stats.poisson_rates_test(10, 1.0, 2, 1.0).p_value == pytest.approx(2 * (66 + 12 + 1) / 4096)
    # 0 against 10: p = 2 · 0.5^10
    assert stats.poisson_rates_test(0, 5.0, 10, 5.0).p_value == pytest.approx(2 * 0.5**10)
    # x1 = 2 of 10 with exposure share 1/5: the most likely outcome of Bin(10, 0.2) -> p = 1
    assert stats.poisson_rates_test(2, 1.0, 8, 4.0).p_value == pytest.approx(1.0)
    assert stats.poisson_rates_test(0, 1.0, 0, 1.0).p_value is None


def test_binomial_design_effect_by_hand():
    # clusters (failed, decided): (1, 2), (3, 4), (0, 4): p = 4/10; residuals y - p·m = 0.2, 1.4, -1.6
    # cluster variance 3/2 · (0.04 + 1.96 + 2.56) / 10² = 0.0684; binomial variance 0.24/10 = 0.024
    assert stats.binomial_design_effect([1, 3, 0], [2, 4, 4]) == pytest.approx(0.0684 / 0.024)
    # one run per service: the variance ratio is k/(k-1) = 4/3 (the small-sample factor)
    assert stats.binomial_design_effect([1, 0, 1, 0], [1, 1, 1, 1]) == pytest.approx(4 / 3)
    # less spread than binomial: floored at 1; one cluster or p in {0, 1}: 1
    assert stats.binomial_design_effect([5, 5], [10, 10]) == 1.0
    assert stats.binomial_design_effect([3], [10]) == 1.0
    assert stats.binomial_design_effect([0, 0], [4, 6]) == 1.0


def test_poisson_dispersion_by_hand():
    # counts 2, 8, 5 over equal exposure: rate 5, Σ(x - 5)²/5 = (9 + 9 + 0)/5 = 3.6, over k - 1 = 2
    assert stats.poisson_dispersion([2, 8, 5], [1, 1, 1]) == pytest.approx(1.8)
    assert stats.poisson_dispersion([5, 5], [1, 1]) == 1.0
    assert stats.poisson_dispersion([0, 0], [1, 1]) == 1.0


def test_mantel_haenszel_one_stratum_is_the_crude_ratio_with_katz_interval():
    # 10/100 against 20/100: RR 0.5; var log RR = 1/10 - 1/100 + 1/20 - 1/100 = 0.13
    got = stats.mantel_haenszel_risk_ratio([10], [100], [20], [100])
    half = 1.959964 * math.sqrt(0.13)
    assert (got.ratio, got.low, got.high) == (
        pytest.approx(0.5), pytest.approx(0.5 * math.exp(-half), rel=1e-5), pytest.approx(0.5 * math.exp(half), rel=1e-5))
    # CMH with one stratum = Pearson χ² · (N-1)/N; Pearson = 200·(10·80 - 90·20)² / (100·100·30·170)
    cmh = 200 * (800 - 1800) ** 2 / (100 * 100 * 30 * 170) * 199 / 200
    assert got.test.p_value == pytest.approx(normal_two_sided(math.sqrt(cmh)), rel=1e-9)


def test_mantel_haenszel_two_strata_by_hand():
    # stratum 1: 2/10 against 4/10 (N 20); stratum 2: 6/30 against 2/10 (N 40)
    # R = Σ a·n0/N = 2·10/20 + 6·10/40 = 2.5; S = Σ c·n1/N = 4·10/20 + 2·30/40 = 3.5
    # Greenland–Robins: Σ (n1·n0·(a+c) - a·c·N)/N² = (600 - 160)/400 + (2400 - 480)/1600 = 2.3
    # CMH: Σa = 8, Σ E = 10·6/20 + 30·8/40 = 9; Σ Var = 10·10·6·14/(400·19) + 30·10·8·32/(1600·39)
    got = stats.mantel_haenszel_risk_ratio([2, 6], [10, 30], [4, 2], [10, 10])
    ratio, se = 2.5 / 3.5, math.sqrt(2.3 / (2.5 * 3.5))
    variance = 8400 / 7600 + 76800 / 62400
    assert got.ratio == pytest.approx(ratio)
    assert (got.low, got.high) == (pytest.approx(ratio * math.exp(-1.959964 * se), rel=1e-5),
                                   pytest.approx(ratio * math.exp(1.959964 * se), rel=1e-5))
    assert got.test.p_value == pytest.approx(normal_two_sided(1 / math.sqrt(variance)), rel=1e-9)


def test_mantel_haenszel_rate_ratio_by_hand():
    # stratum 1: 10 events / 100 weeks against 5 / 100; stratum 2: 3 / 10 against 20 / 100
    # R = 10·100/200 + 3·100/110; S = 5·100/200 + 20·10/110
    # test: Σa = 13 against Σ M·t1/T = 15/2 + 23·10/110, variance Σ M·t1·t0/T² = 3.75 + 23000/12100
    got = stats.mantel_haenszel_rate_ratio([10, 3], [100, 10], [5, 20], [100, 100])
    r, s = 5 + 300 / 110, 2.5 + 200 / 110
    variance = 3.75 + 23000 / 12100
    assert got.ratio == pytest.approx(r / s)
    se = math.sqrt(variance / (r * s))
    assert got.low == pytest.approx(r / s * math.exp(-1.959964 * se), rel=1e-5)
    z = (13 - 7.5 - 230 / 110) / math.sqrt(variance)
    assert got.test.p_value == pytest.approx(normal_two_sided(z), rel=1e-9)


def test_mantel_haenszel_without_shared_strata_or_events():
    assert stats.mantel_haenszel_risk_ratio([], [], [], []).ratio is None
    none = stats.mantel_haenszel_risk_ratio([0], [10], [0], [10])  # no events: no ratio, no test
    assert (none.ratio, none.test.p_value) == (None, None)


def test_van_elteren_two_strata_by_hand():
    # A: x = [1, 3], y = [2]: ranks x 1, 3 -> W = 4, E = 2·4/2 = 4; var 2·1/12·4 = 2/3; weight 1/4
    # B: x = [5], y = [1, 2]: rank x 3 -> W = 3, E = 1·4/2 = 2; var 2/3; weight 1/4
    # Z = (0 + 1/4) / sqrt((1/16)·(2/3 + 2/3))
    z = 0.25 / math.sqrt(1 / 16 * 4 / 3)
    assert stats.van_elteren_test([([1, 3], [2]), ([5], [1, 2])]).p_value == pytest.approx(normal_two_sided(z))


def test_van_elteren_one_stratum_with_ties_is_mann_whitney_without_continuity():
    # the Mann–Whitney case above: |U - mean| = 7.5, tie-corrected var = 15.8333 (weights cancel)
    z = 7.5 / math.sqrt(20 / 12 * 9.5)
    got = stats.van_elteren_test([([1, 2, 2, 3], [2, 3, 4, 4, 5])])
    assert got.p_value == pytest.approx(normal_two_sided(z), rel=1e-9)


def test_van_elteren_skips_strata_missing_a_side():
    assert stats.van_elteren_test([([1, 2], []), ([], [3])]).p_value is None


def test_stratified_statistics_do_not_depend_on_row_order():
    # A re-run of the same refresh must store the same bits. The strata's float sums once ran in
    # whatever order Polars' group_by returned them: shuffled rows gave p-values differing in
    # the 15th digit (3 distinct values over 30 shuffles of this sample).
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(1)
    rows = []
    for stratum in range(200):
        n = int(rng.integers(3, 40))
        values, sides = rng.lognormal(3, 1.5, n).round(1), rng.random(n) < 0.5
        rows += [(stratum, float(v), bool(s)) for v, s in zip(values, sides, strict=True)]
    frame = pl.DataFrame(rows, schema={"stratum": pl.Int64, "value": pl.Float64, "side1": pl.Boolean}, orient="row")
    shuffles = [frame.sample(fraction=1.0, shuffle=True, seed=seed) for seed in range(30)]
    assert len({stats.van_elteren(s).p_value for s in shuffles}) == 1
    assert len({stats.median_ratio_over_strata(s) for s in shuffles}) == 1


def test_stratified_median_ratio_by_hand():
    # A: medians 3 and 1, weight 2·3/5 = 1.2; B: medians 1 and 2, weight 1·1/2 = 0.5
    got = stats.stratified_median_ratio([([2, 4], [1, 1, 1]), ([1], [2])])
    assert got == pytest.approx(math.exp((1.2 * math.log(3) + 0.5 * math.log(0.5)) / 1.7))
    assert stats.stratified_median_ratio([([1], [])]) is None
