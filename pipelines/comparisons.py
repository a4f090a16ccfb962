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

# column -> (type, description); the single source of both the tables' schema and COMMENT ON
SIDE_COLUMNS: dict[str, tuple[pl.DataType, str]] = {
    "metric": (pl.String, "ci_failure_rate, median_ci_duration_s, deploys_per_service_week or median_days_to_first_deploy"),
    "golden_path": (pl.Float64, "the golden-path services' value (NULL when golden_path_n < comparisons.min_n)"),
    "diy": (pl.Float64, "the other services' value (NULL when diy_n < comparisons.min_n)"),
    "ratio": (pl.Float64, "golden_path / diy"),
    "golden_path_n": (pl.Int64, "golden-path services with the figure (the unit of independence; see unit)"),
    "diy_n": (pl.Int64, "DIY services with the figure"),
    "golden_path_low": (pl.Float64, "lower end of the golden-path value's 95% interval (Wilson score for the failure rate, order statistics for a median, exact Poisson for deploys)"),
    "golden_path_high": (pl.Float64, "upper end of the golden-path value's 95% interval"),
    "diy_low": (pl.Float64, "lower end of the DIY value's 95% interval"),
    "diy_high": (pl.Float64, "upper end of the DIY value's 95% interval"),
    "p_value": (pl.Float64, "two-sided p-value of the test of no difference (two-proportion z or Fisher's exact, Mann-Whitney U, conditional binomial for Poisson rates)"),
    "significant": (pl.Boolean, "p_value < 0.05; NULL when a side is under comparisons.min_n"),
    "unit": (pl.String, "what n counts: services with decided runs / with completed runs / existing / deployed to production"),
    "ratio_low": (pl.Float64, "lower end of the ratio's 95% interval (rates only; log-ratio Wald interval on effective counts)"),
    "ratio_high": (pl.Float64, "upper end of the ratio's 95% interval (rates only)"),
    "golden_path_design_effect": (pl.Float64, "how much clustering by service inflates the golden-path side's variance (rates only, at least 1); counts are divided by it before intervals and tests"),
    "diy_design_effect": (pl.Float64, "the same for the DIY side"),
    "min_n": (pl.Int64, "comparisons.min_n in force: a side with fewer services shows NULL"),
}
STRATIFIED_COLUMNS: dict[str, tuple[pl.DataType, str]] = {
    "strata": (pl.Int64, "language × owner strata holding both golden-path and DIY services"),
    "stratified_golden_path_n": (pl.Int64, "golden-path services in those strata"),
    "stratified_diy_n": (pl.Int64, "DIY services in those strata"),
    "stratified_ratio": (pl.Float64, "golden_path / diy compared within strata and pooled: Mantel-Haenszel ratio for rates, weighted geometric mean of per-stratum median ratios for medians"),
    "stratified_ratio_low": (pl.Float64, "lower end of stratified_ratio's 95% interval (Greenland-Robins; rates only)"),
    "stratified_ratio_high": (pl.Float64, "upper end of stratified_ratio's 95% interval (rates only)"),
    "stratified_p_value": (pl.Float64, "two-sided p-value of the stratified test (Cochran-Mantel-Haenszel for rates, van Elteren for medians)"),
    "stratified_significant": (pl.Boolean, "stratified_p_value < 0.05; NULL when a side has fewer than comparisons.min_n services in the shared strata"),
}
LANGUAGE_COLUMN: dict[str, tuple[pl.DataType, str]] = {
    "language": (pl.String, "the services' language (NULL: unknown)"),
}
TABLES = {
    "marts.golden_path_vs_diy": (
        "One row per metric: golden-path services against DIY ones, organisation-wide, with "
        "95% intervals, a test, and the like-for-like comparison within language × owner strata.",
        {**SIDE_COLUMNS, **STRATIFIED_COLUMNS},
    ),
    "marts.golden_path_vs_diy_by_language": (
        "One row per metric × language: golden-path services against DIY ones of that language, "
        "with 95% intervals and a test (sides under comparisons.min_n services NULL).",
        {"metric": SIDE_COLUMNS["metric"], **LANGUAGE_COLUMN,
         **{k: v for k, v in SIDE_COLUMNS.items() if k != "metric"}},
    ),
}
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


def _frame(rows: list[dict], columns: dict[str, tuple[pl.DataType, str]]) -> pl.DataFrame:
    schema = {name: dtype for name, (dtype, _) in columns.items()}
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
    _, overall_columns = TABLES["marts.golden_path_vs_diy"]
    _, language_columns = TABLES["marts.golden_path_vs_diy_by_language"]
    return _frame(overall, overall_columns), _frame(by_language, language_columns)


def _comment(con: duckdb.DuckDBPyConnection, table: str) -> None:
    description, columns = TABLES[table]
    con.execute(f"COMMENT ON TABLE {table} IS {_quote(description)}")
    for name, (_, text) in columns.items():
        con.execute(f"COMMENT ON COLUMN {table}.{name} IS {_quote(text)}")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def build_comparisons(con: duckdb.DuckDBPyConnection, min_n: int) -> dict[str, int]:
    """Read marts.comparison_services, write both comparison marts with their comments;
    returns each table's row count."""
    inputs = con.sql(f"select {', '.join(INPUT_COLUMNS)} from marts.comparison_services").pl()
    overall, by_language = compare(inputs, min_n)
    counts = {}
    for table, frame in (("marts.golden_path_vs_diy", overall), ("marts.golden_path_vs_diy_by_language", by_language)):
        counts[table] = replace_table(con, table, frame)
        _comment(con, table)
    return counts
