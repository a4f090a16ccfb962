"""marts.golden_path_vs_diy and marts.golden_path_vs_diy_by_language: golden-path services
against DIY ones, with per-side 95% intervals, a test, and a like-for-like (stratified) figure.

The per-service inputs are SQL (`marts.comparison_services`); this module only applies the
statistics of `pipelines.stats` to them. The unit of independence is the service: a side's n
is its number of services with the figure, and run or deploy counts are deflated by their
clustering within services before any interval or test (docs/schema.md, "Comparisons").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import numpy as np
import polars as pl

from pipelines import stats
from pipelines.warehouse import replace_table

INPUT_COLUMNS = ("on_golden_path", "language", "stratum", "ci_failed", "ci_decided",
                 "median_ci_duration_s", "production_deploys", "service_weeks", "days_to_first_deploy")
METRICS = ("ci_failure_rate", "median_ci_duration_s", "deploys_per_service_week", "median_days_to_first_deploy")

# column -> type: the tables' schema (what each column means: sql/marts/schema.yml)
SIDE_COLUMNS: dict[str, pl.DataType] = {
    "metric": pl.String, "golden_path": pl.Float64, "diy": pl.Float64, "ratio": pl.Float64,
    "golden_path_n": pl.Int64, "diy_n": pl.Int64, "golden_path_low": pl.Float64,
    "golden_path_high": pl.Float64, "diy_low": pl.Float64, "diy_high": pl.Float64,
    "p_value": pl.Float64, "significant": pl.Boolean, "unit": pl.String, "ratio_low": pl.Float64,
    "ratio_high": pl.Float64, "golden_path_design_effect": pl.Float64, "diy_design_effect": pl.Float64,
    "min_n": pl.Int64,
}
STRATIFIED_COLUMNS: dict[str, pl.DataType] = {
    "strata": pl.Int64, "stratified_golden_path_n": pl.Int64, "stratified_diy_n": pl.Int64,
    "stratified_ratio": pl.Float64, "stratified_ratio_low": pl.Float64, "stratified_ratio_high": pl.Float64,
    "stratified_p_value": pl.Float64, "stratified_significant": pl.Boolean,
}
TABLES: dict[str, dict[str, pl.DataType]] = {
    "marts.golden_path_vs_diy": {**SIDE_COLUMNS, **STRATIFIED_COLUMNS},
    "marts.golden_path_vs_diy_by_language": {"metric": pl.String, "language": pl.String,
                                             **{k: v for k, v in SIDE_COLUMNS.items() if k != "metric"}},
}
STEP = "golden_path_vs_diy"  # the Dagster step (multi-asset) that builds both tables

UNITS = {
    "ci_failure_rate": "services with decided runs",
    "median_ci_duration_s": "services with completed runs",
    "deploys_per_service_week": "services",
    "median_days_to_first_deploy": "services deployed to production",
}


@dataclass(frozen=True)
class Side:
    """One side's services with the figure, as arrays (one entry per service)."""

    n: int
    num: np.ndarray  # failed runs / deploys / the per-service value
    den: np.ndarray  # decided runs / service-weeks / unused (ones)
    stratum: np.ndarray  # int codes of the language × owner strata


def _side(frame: pl.DataFrame, metric: str) -> Side:
    if metric == "ci_failure_rate":
        f = frame.filter(pl.col("ci_decided") > 0)
        num, den = f["ci_failed"], f["ci_decided"]
    elif metric == "deploys_per_service_week":
        f = frame.filter(pl.col("service_weeks") > 0)
        num, den = f["production_deploys"], f["service_weeks"]
    else:
        column = "median_ci_duration_s" if metric == "median_ci_duration_s" else "days_to_first_deploy"
        f = frame.filter(pl.col(column).is_not_null())
        num, den = f[column], pl.Series([1.0] * f.height)
    return Side(f.height, num.cast(pl.Float64).to_numpy(), den.cast(pl.Float64).to_numpy(),
                f["stratum_code"].to_numpy())


def _inflation(metric: str, side: Side) -> float | None:
    if metric == "ci_failure_rate":
        return stats.binomial_design_effect(side.num, side.den)
    if metric == "deploys_per_service_week":
        return stats.poisson_dispersion(side.num, side.den)
    return None


def _value_interval(metric: str, side: Side, inflation: float | None) -> tuple[float | None, stats.Interval]:
    if metric in ("median_ci_duration_s", "median_days_to_first_deploy"):
        return stats.median_interval(side.num)
    x, m = side.num.sum(), side.den.sum()
    value = float(x / m) if m > 0 else None
    if metric == "ci_failure_rate":
        return value, stats.wilson_interval(x / inflation, m / inflation)
    return value, stats.garwood_interval(x / inflation, m / inflation)


def _compare(metric: str, g: Side, d: Side, min_n: int) -> dict:
    """The raw columns of one comparison (SIDE_COLUMNS but metric)."""
    row: dict = {"golden_path_n": g.n, "diy_n": d.n, "unit": UNITS[metric], "min_n": min_n}
    inflation = {"golden_path": _inflation(metric, g), "diy": _inflation(metric, d)}
    for name, side in (("golden_path", g), ("diy", d)):
        if side.n >= min_n:
            value, (low, high) = _value_interval(metric, side, inflation[name])
            row |= {name: value, f"{name}_low": low, f"{name}_high": high,
                    f"{name}_design_effect": inflation[name]}
    if g.n < min_n or d.n < min_n:
        return row
    gv, dv = row["golden_path"], row["diy"]
    row["ratio"] = gv / dv if gv is not None and dv not in (None, 0) else None
    test, pooled = _test(metric, g, d, inflation["golden_path"], inflation["diy"])
    row |= {"p_value": test.p_value, "significant": test.significant}
    if pooled is not None:
        row |= {"ratio_low": pooled.low, "ratio_high": pooled.high}
    return row


def _test(metric: str, g: Side, d: Side, dg: float | None, dd: float | None) -> tuple[stats.Test, stats.Pooled | None]:
    if metric in ("median_ci_duration_s", "median_days_to_first_deploy"):
        return stats.mann_whitney_test(g.num, d.num), None
    xg, mg, xd, md = g.num.sum() / dg, g.den.sum() / dg, d.num.sum() / dd, d.den.sum() / dd
    if metric == "ci_failure_rate":
        return stats.two_proportion_test(xg, mg, xd, md), stats.mantel_haenszel_risk_ratio([xg], [mg], [xd], [md])
    return stats.poisson_rates_test(xg, mg, xd, md), stats.mantel_haenszel_rate_ratio([xg], [mg], [xd], [md])


def _stratified(metric: str, g: Side, d: Side, min_n: int) -> dict:
    """The STRATIFIED_COLUMNS of one comparison: within language × owner, pooled."""
    shared = np.intersect1d(g.stratum, d.stratum)
    in_g, in_d = np.isin(g.stratum, shared), np.isin(d.stratum, shared)
    row: dict = {"strata": int(shared.size), "stratified_golden_path_n": int(in_g.sum()),
                 "stratified_diy_n": int(in_d.sum())}
    if row["stratified_golden_path_n"] < min_n or row["stratified_diy_n"] < min_n:
        return row
    if metric in ("median_ci_duration_s", "median_days_to_first_deploy"):
        samples = pl.DataFrame({
            "stratum": np.concatenate([g.stratum[in_g], d.stratum[in_d]]),
            "value": np.concatenate([g.num[in_g], d.num[in_d]]),
            "side1": np.concatenate([np.ones(in_g.sum(), bool), np.zeros(in_d.sum(), bool)]),
        })
        test = stats.van_elteren(samples)
        return row | {"stratified_ratio": stats.median_ratio_over_strata(samples),
                      "stratified_p_value": test.p_value, "stratified_significant": test.significant}
    size = int(max(g.stratum.max(), d.stratum.max())) + 1

    def sums(side: Side, inflation: float) -> tuple[np.ndarray, np.ndarray]:
        num = np.bincount(side.stratum, weights=side.num, minlength=size)[shared] / inflation
        den = np.bincount(side.stratum, weights=side.den, minlength=size)[shared] / inflation
        return num, den

    (a, n1), (c, n0) = sums(g, _inflation(metric, g)), sums(d, _inflation(metric, d))
    pool: Callable = (stats.mantel_haenszel_risk_ratio if metric == "ci_failure_rate"
                      else stats.mantel_haenszel_rate_ratio)
    pooled = pool(a, n1, c, n0)
    return row | {"stratified_ratio": pooled.ratio, "stratified_ratio_low": pooled.low,
                  "stratified_ratio_high": pooled.high, "stratified_p_value": pooled.test.p_value,
                  "stratified_significant": pooled.test.significant}


def _frame(rows: list[dict], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame([{k: r.get(k) for k in schema} for r in rows], schema=schema, orient="row")


def compare(inputs: pl.DataFrame, min_n: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(golden_path_vs_diy, golden_path_vs_diy_by_language) from the per-service inputs."""
    inputs = inputs.with_columns(stratum_code=pl.col("stratum").rank("dense").cast(pl.Int64) - 1)
    golden, diy = inputs.filter(pl.col("on_golden_path")), inputs.filter(~pl.col("on_golden_path"))
    overall = []
    for metric in METRICS:
        g, d = _side(golden, metric), _side(diy, metric)
        overall.append({"metric": metric} | _compare(metric, g, d, min_n) | _stratified(metric, g, d, min_n))
    by_language = []
    languages = inputs["language"].unique().sort(nulls_last=True).to_list()
    parts = inputs.partition_by("language", "on_golden_path", as_dict=True)
    empty = inputs.clear()
    for metric in METRICS:
        for language in languages:
            g = _side(parts.get((language, True), empty), metric)
            d = _side(parts.get((language, False), empty), metric)
            by_language.append({"metric": metric, "language": language} | _compare(metric, g, d, min_n))
    return (_frame(overall, TABLES["marts.golden_path_vs_diy"]),
            _frame(by_language, TABLES["marts.golden_path_vs_diy_by_language"]))


def build_comparisons(con: duckdb.DuckDBPyConnection, min_n: int) -> dict[str, int]:
    """Read marts.comparison_services and write both comparison marts; returns each table's
    row count. (Their descriptions are applied with every other mart's at the publish.)"""
    inputs = con.sql(f"select {', '.join(INPUT_COLUMNS)} from marts.comparison_services").pl()
    overall, by_language = compare(inputs, min_n)
    counts = {}
    for table, frame in (("marts.golden_path_vs_diy", overall), ("marts.golden_path_vs_diy_by_language", by_language)):
        counts[table] = replace_table(con, table, frame)
    return counts
