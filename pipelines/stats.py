"""Intervals and tests for golden path vs DIY comparisons (SPEC §3 "Comparisons carry their
uncertainty"), on scipy's distributions.

Pure functions of counts and samples: no DuckDB, no Dagster. Every function returns None
(or a tuple of Nones) where its answer is undefined — an empty sample, a zero denominator —
never a guess. Confidence is 95% (two-sided) throughout; `ALPHA` is the test level.

Clustering: runs and deploys cluster by service (one flaky repo contributes thousands of
failed runs), so counts are first divided by a design effect (Rao & Scott 1992, "A simple
method for the analysis of clustered binary data"; the Pearson dispersion for counts). The
binomial and Poisson methods then work on those effective counts. With one observation per
service the design effect is 1 and every method is its textbook self.
"""

from __future__ import annotations

import importlib
import math
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from types import ModuleType

import numpy as np
import polars as pl

ALPHA = 0.05
Z = NormalDist().inv_cdf(1 - ALPHA / 2)  # 1.959964


_import_thread: threading.Thread | None = None


def prefetch() -> None:
    """Start importing scipy.stats in a background thread (once per process) and return at once.

    Importing scipy.stats costs about 2.5 s of CPU (3 s or more of wall time on a busy machine),
    mostly Python executing module code. A run that will build the comparisons calls this when
    it starts (`PathlensResource.setup_for_execution`), so the import overlaps the raw load and
    the SQL models, which spend their time in DuckDB and Polars without the GIL, instead of
    adding seconds to the comparisons step (issue #12: the comparisons' share of a build).
    The thread is not a daemon: a run that ends before the import does waits for it to finish
    rather than exiting in the middle of an import."""
    global _import_thread
    if _import_thread is None and "scipy.stats" not in sys.modules:
        _import_thread = threading.Thread(target=importlib.import_module, args=("scipy.stats",),
                                          name="pathlens-prefetch-scipy-stats")
        _import_thread.start()


def _scipy_stats() -> ModuleType:
    """scipy.stats, imported on first use (or by `prefetch`'s thread, which this waits for): not
    when the Dagster definitions load, which every process does (runs, `definitions validate`,
    `pathlens refresh`) although only the comparisons step uses it."""
    if _import_thread is not None:
        _import_thread.join()
    from scipy import stats

    return stats


@dataclass(frozen=True)
class Test:
    """A test's two-sided p-value and whether it rejects "no difference" at ALPHA."""

    p_value: float | None

    @property
    def significant(self) -> bool | None:
        return None if self.p_value is None else self.p_value < ALPHA


NO_TEST = Test(None)
Interval = tuple[float | None, float | None]
NO_INTERVAL: Interval = (None, None)


# -- intervals per side ---------------------------------------------------------------------

def wilson_interval(successes: float, n: float) -> Interval:
    """Wilson score interval for a proportion successes / n (n may be an effective, non-integer
    count). Equals scipy's `binomtest(k, n).proportion_ci(method="wilson")` for integers."""
    if n <= 0:
        return NO_INTERVAL
    p = successes / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z / (1 + Z * Z / n) * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def median_rank_bounds(n: int) -> tuple[int, int] | None:
    """1-based ranks (l, u) of the order statistics bounding a median with at least 95%
    coverage: P(l <= B <= u - 1) >= 0.95 for B ~ Binomial(n, 1/2), l as large as possible.
    None when no such pair exists (n < 6)."""
    if n <= 0:
        return None
    dist = _scipy_stats().binom(n, 0.5)
    lower = int(dist.ppf(ALPHA / 2))  # smallest k with P(B <= k) >= alpha/2
    if dist.cdf(lower) <= ALPHA / 2:
        lower += 1
    # ranks l = lower gives P(B <= l - 1) <= alpha/2; l = 0 means no order statistic is low enough
    if lower < 1:
        return None
    return lower, n - lower + 1


def median_interval(values: Sequence[float] | np.ndarray) -> tuple[float | None, Interval]:
    """The sample median and its distribution-free 95% order-statistic interval (binomial
    order statistics, no assumption on the distribution's shape)."""
    x = np.sort(np.asarray(values, dtype=float))
    if x.size == 0:
        return None, NO_INTERVAL
    bounds = median_rank_bounds(x.size)
    interval = NO_INTERVAL if bounds is None else (float(x[bounds[0] - 1]), float(x[bounds[1] - 1]))
    return float(np.median(x)), interval


def garwood_interval(events: float, exposure: float) -> Interval:
    """Exact (Garwood) 95% interval for a Poisson rate events / exposure, from chi-square
    quantiles (events may be an effective, non-integer count)."""
    if exposure <= 0:
        return NO_INTERVAL
    low = 0.0 if events <= 0 else _scipy_stats().chi2.ppf(ALPHA / 2, 2 * events) / 2
    high = _scipy_stats().chi2.ppf(1 - ALPHA / 2, 2 * events + 2) / 2
    return float(low) / exposure, float(high) / exposure


# -- design effects (clustering by service) -------------------------------------------------

def binomial_design_effect(successes: Sequence[float], trials: Sequence[float]) -> float:
    """Rao–Scott design effect of a pooled proportion over clusters (services): the
    cluster-robust variance of sum(successes) / sum(trials) over its binomial variance,
    at least 1. 1 when there are fewer than 2 clusters or the proportion is 0 or 1."""
    y = np.asarray(successes, dtype=float)
    m = np.asarray(trials, dtype=float)
    keep = m > 0
    y, m = y[keep], m[keep]
    k, total = y.size, m.sum()
    if k < 2 or total <= 0:
        return 1.0
    p = y.sum() / total
    if p <= 0 or p >= 1:
        return 1.0
    cluster_var = k / (k - 1) * np.sum((y - p * m) ** 2) / total**2
    return max(1.0, float(cluster_var / (p * (1 - p) / total)))


def poisson_dispersion(events: Sequence[float], exposure: Sequence[float]) -> float:
    """Pearson dispersion of per-cluster counts around a common rate (quasi-Poisson φ),
    at least 1. 1 when there are fewer than 2 clusters or no events."""
    x = np.asarray(events, dtype=float)
    t = np.asarray(exposure, dtype=float)
    keep = t > 0
    x, t = x[keep], t[keep]
    k = x.size
    if k < 2 or x.sum() <= 0:
        return 1.0
    expected = x.sum() / t.sum() * t
    return max(1.0, float(np.sum((x - expected) ** 2 / expected) / (k - 1)))


# -- tests between the sides ----------------------------------------------------------------

def two_proportion_test(x1: float, n1: float, x2: float, n2: float) -> Test:
    """Two-sided test of p1 = p2: the pooled two-proportion z test, or Fisher's exact test
    (on rounded counts) when an expected cell count is below 5."""
    if n1 <= 0 or n2 <= 0:
        return NO_TEST
    pooled = (x1 + x2) / (n1 + n2)
    expected = (n1 * pooled, n1 * (1 - pooled), n2 * pooled, n2 * (1 - pooled))
    if min(expected) < 5:
        table = [[round(x1), round(n1 - x1)], [round(x2), round(n2 - x2)]]
        if min(sum(r) for r in table) <= 0:
            return NO_TEST
        return Test(float(_scipy_stats().fisher_exact(table).pvalue))
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (x1 / n1 - x2 / n2) / se
    return Test(float(2 * _scipy_stats().norm.sf(abs(z))))


def mann_whitney_test(x: Sequence[float], y: Sequence[float]) -> Test:
    """Mann–Whitney U, two-sided (scipy: exact without ties for small samples, else the
    normal approximation with the tie correction and continuity correction)."""
    if len(x) == 0 or len(y) == 0:
        return NO_TEST
    return Test(float(_scipy_stats().mannwhitneyu(x, y, alternative="two-sided").pvalue))


def poisson_rates_test(x1: float, t1: float, x2: float, t2: float) -> Test:
    """Conditional binomial test of two Poisson rates: given x1 + x2 events, x1 is
    Binomial(x1 + x2, t1 / (t1 + t2)) when the rates are equal. Counts are rounded."""
    k1, k2 = round(x1), round(x2)
    if t1 <= 0 or t2 <= 0 or k1 + k2 == 0:
        return NO_TEST
    return Test(float(_scipy_stats().binomtest(k1, k1 + k2, t1 / (t1 + t2)).pvalue))


# -- stratified (like-for-like) -------------------------------------------------------------

@dataclass(frozen=True)
class Pooled:
    """A pooled ratio over strata with its 95% interval and test."""

    ratio: float | None
    low: float | None
    high: float | None
    test: Test


NO_POOLED = Pooled(None, None, None, NO_TEST)


def mantel_haenszel_risk_ratio(a: Sequence[float], n1: Sequence[float],
                               c: Sequence[float], n0: Sequence[float]) -> Pooled:
    """Mantel–Haenszel risk ratio of side 1 (a events of n1) against side 0 (c of n0) over
    strata, its Greenland–Robins (1985) 95% interval and the Cochran–Mantel–Haenszel test
    (no continuity correction). With one stratum: the crude ratio and the Katz interval."""
    a, n1, c, n0 = (np.asarray(v, dtype=float) for v in (a, n1, c, n0))
    keep = (n1 > 0) & (n0 > 0)
    a, n1, c, n0 = a[keep], n1[keep], c[keep], n0[keep]
    if a.size == 0:
        return NO_POOLED
    n = n1 + n0
    r, s = np.sum(a * n0 / n), np.sum(c * n1 / n)
    ratio = low = high = None
    if r > 0 and s > 0:
        ratio = float(r / s)
        var = np.sum((n1 * n0 * (a + c) - a * c * n) / n**2) / (r * s)
        if var > 0:
            low, high = (float(ratio * math.exp(sign * Z * math.sqrt(var))) for sign in (-1, 1))
    m = a + c
    informative = n > 1
    variance = np.sum((n1 * n0 * m * (n - m) / (n**2 * (n - 1)))[informative])
    if variance <= 0:
        return Pooled(ratio, low, high, NO_TEST)
    expected = np.sum((n1 * m / n)[informative])
    chi2 = (np.sum(a[informative]) - expected) ** 2 / variance
    return Pooled(ratio, low, high, Test(float(_scipy_stats().chi2.sf(chi2, 1))))


def mantel_haenszel_rate_ratio(a: Sequence[float], t1: Sequence[float],
                               b: Sequence[float], t0: Sequence[float]) -> Pooled:
    """Mantel–Haenszel ratio of two Poisson rates (a events over exposure t1 against b over t0)
    over strata, its Greenland–Robins (1985) 95% interval, and the Mantel–Haenszel
    person-time test (no continuity correction)."""
    a, t1, b, t0 = (np.asarray(v, dtype=float) for v in (a, t1, b, t0))
    keep = (t1 > 0) & (t0 > 0)
    a, t1, b, t0 = a[keep], t1[keep], b[keep], t0[keep]
    if a.size == 0:
        return NO_POOLED
    t = t1 + t0
    r, s = np.sum(a * t0 / t), np.sum(b * t1 / t)
    m = a + b
    ratio = low = high = None
    if r > 0 and s > 0:
        ratio = float(r / s)
        var = np.sum(m * t1 * t0 / t**2) / (r * s)
        low, high = (float(ratio * math.exp(sign * Z * math.sqrt(var))) for sign in (-1, 1))
    variance = np.sum(m * t1 * t0 / t**2)
    if variance <= 0:
        return Pooled(ratio, low, high, NO_TEST)
    z = (np.sum(a) - np.sum(m * t1 / t)) / math.sqrt(variance)
    return Pooled(ratio, low, high, Test(float(2 * _scipy_stats().norm.sf(abs(z)))))


def _strata_frame(strata: Sequence[tuple[Sequence[float], Sequence[float]]]) -> pl.DataFrame:
    """(stratum, value, side1) rows from per-stratum (side 1, side 0) samples."""
    parts = [pl.DataFrame({"stratum": i, "value": np.asarray(sample, dtype=float), "side1": side1},
                          schema={"stratum": pl.Int64, "value": pl.Float64, "side1": pl.Boolean})
             for i, (x, y) in enumerate(strata) for sample, side1 in ((x, True), (y, False))]
    return pl.concat(parts) if parts else pl.DataFrame(schema={"stratum": pl.Int64, "value": pl.Float64,
                                                                "side1": pl.Boolean})


def van_elteren_test(strata: Sequence[tuple[Sequence[float], Sequence[float]]]) -> Test:
    """van Elteren's test on per-stratum (side 1, side 0) samples; see `van_elteren`."""
    return van_elteren(_strata_frame(strata))


def van_elteren(samples: pl.DataFrame) -> Test:
    """van Elteren's stratified Wilcoxon rank-sum test, two-sided, on rows (stratum, value,
    side1): per stratum the rank sum of side 1 (mid-ranks for ties) against its null mean and
    tie-corrected variance, weighted by 1 / (stratum size + 1), pooled as one normal
    statistic. Strata missing a side are skipped. With one stratum it is the Mann–Whitney
    normal approximation (no continuity correction)."""
    ranked = samples.with_columns(rank=pl.col("value").rank("average").over("stratum"))
    ties = (ranked.group_by("stratum", "value").len("t")
            .group_by("stratum").agg(tie_sum=(pl.col("t").cast(pl.Float64) ** 3 - pl.col("t")).sum()))
    per = (ranked.group_by("stratum")
           .agg(n1=pl.col("side1").sum().cast(pl.Float64), n=pl.len().cast(pl.Float64),
                w_sum=pl.col("rank").filter(pl.col("side1")).sum())
           .join(ties, on="stratum")
           .filter((pl.col("n1") > 0) & (pl.col("n1") < pl.col("n")))
           .sort("stratum"))  # a fixed order of the float sums below: a re-run gives the same bits
    if per.is_empty():
        return NO_TEST
    n1, n, w_sum, tie_sum = (per[c].to_numpy() for c in ("n1", "n", "w_sum", "tie_sum"))
    weight = 1.0 / (n + 1)
    num = np.sum(weight * (w_sum - n1 * (n + 1) / 2))
    var = np.sum(weight**2 * n1 * (n - n1) / 12 * ((n + 1) - tie_sum / (n * (n - 1))))
    if var <= 0:
        return NO_TEST
    return Test(float(2 * _scipy_stats().norm.sf(abs(num) / math.sqrt(var))))


def stratified_median_ratio(strata: Sequence[tuple[Sequence[float], Sequence[float]]]) -> float | None:
    """`median_ratio_over_strata` on per-stratum (side 1, side 0) samples."""
    return median_ratio_over_strata(_strata_frame(strata))


def median_ratio_over_strata(samples: pl.DataFrame) -> float | None:
    """exp of the weighted mean over strata of log(median side 1 / median side 0), weights
    n1·n0 / (n1 + n0) (van Elteren's information weights), on rows (stratum, value, side1);
    strata missing a side or with a median of 0 are skipped. A like-for-like ratio of typical
    values, without an interval."""
    per = (samples.group_by("stratum")
           .agg(m1=pl.col("value").filter(pl.col("side1")).median(),
                m0=pl.col("value").filter(~pl.col("side1")).median(),
                n1=pl.col("side1").sum().cast(pl.Float64), n0=(~pl.col("side1")).sum().cast(pl.Float64))
           .filter((pl.col("m1") > 0) & (pl.col("m0") > 0))
           .sort("stratum"))  # a fixed order of the float sums below: a re-run gives the same bits
    if per.is_empty():
        return None
    weight = (per["n1"] * per["n0"] / (per["n1"] + per["n0"])).to_numpy()
    logs = np.log((per["m1"] / per["m0"]).to_numpy())
    return math.exp(float(np.sum(weight * logs) / np.sum(weight)))
