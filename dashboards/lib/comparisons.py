"""Plain words for marts.golden_path_vs_diy: what each comparison says, and what it cannot.

Reads the mart's columns only (values, intervals, `significant`, n and `min_n`); decides
nothing numeric itself — "significant" and "too few" come from the mart.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from dashboards.lib.text import md_escape

LABELS = {
    "ci_failure_rate": ("CI failure rate", "{:.1%}"),
    "median_ci_duration_s": ("Median CI run duration", "{:,.0f} s"),
    "deploys_per_service_week": ("Production deploys per service-week", "{:.2f}"),
    "median_days_to_first_deploy": ("Median days to first production deploy", "{:.1f} days"),
}


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _value(fmt: str, value: Any, low: Any, high: Any) -> str:
    if low is None or high is None:
        return fmt.format(value)
    return f"{fmt.format(value)} (95% interval {fmt.format(low)} – {fmt.format(high)})"


def raw_sentence(row: dict[str, Any]) -> str:
    """One sentence on the all-services comparison of a row of marts.golden_path_vs_diy."""
    label, fmt = LABELS.get(row["metric"], (md_escape(row["metric"]), "{:.3g}"))
    gn, dn, min_n = row["golden_path_n"], row["diy_n"], row.get("min_n")
    if row["golden_path"] is None or row["diy"] is None:
        need = f" (at least {min_n} a side)" if min_n else ""
        return (f"{label}: too few services to compare — {gn} on the golden path, {dn} DIY{need}. "
                "No figure is shown rather than a guess.")
    text = (f"{label}: golden path {_value(fmt, row['golden_path'], row.get('golden_path_low'), row.get('golden_path_high'))} "
            f"against DIY {_value(fmt, row['diy'], row.get('diy_low'), row.get('diy_high'))}, "
            f"over {gn} and {dn} services.")
    if row.get("p_value") is None:
        return text + " No test could be made."
    if row["significant"]:
        return text + f" The difference is significant ({_p(row['p_value'])})."
    return text + f" The difference is **not significant** ({_p(row['p_value'])}): it may be chance."


def stratified_sentence(row: dict[str, Any]) -> str:
    """One sentence on the like-for-like (language × team) comparison of the same row."""
    label = LABELS.get(row["metric"], (md_escape(row["metric"]), ""))[0]
    ratio = row.get("stratified_ratio")
    if row.get("stratified_p_value") is None and ratio is None:
        return (f"{label}, like for like: too few services share a language and team — "
                f"{row.get('stratified_golden_path_n') or 0} on the golden path, "
                f"{row.get('stratified_diy_n') or 0} DIY, in {row.get('strata') or 0} shared strata.")
    low, high = row.get("stratified_ratio_low"), row.get("stratified_ratio_high")
    interval = f" (95% interval {low:.2f} – {high:.2f})" if low is not None and high is not None else ""
    raw = f", against {row['ratio']:.2f} over all services" if row.get("ratio") is not None else ""
    text = (f"{label}, like for like within language × team: golden path ÷ DIY = "
            f"{ratio:.2f}{interval}{raw}." if ratio is not None else f"{label}, like for like:")
    if row.get("stratified_p_value") is None:
        return text + " No test could be made."
    if row["stratified_significant"]:
        return text + f" Significant ({_p(row['stratified_p_value'])})."
    return text + f" **Not significant** ({_p(row['stratified_p_value'])}): within the same languages and teams, no difference is shown."


def too_few_sentence(frame: pl.DataFrame) -> str | None:
    """The sentence shown instead of the comparison charts when they would have nothing to draw:
    no metric has a value on either side (every side below `min_n`, or no rows). None when
    some side has a value. Names each side's n and the minimum, per metric when they differ."""
    rows = list(frame.iter_rows(named=True))
    if any(r["golden_path"] is not None or r["diy"] is not None for r in rows):
        return None
    if not rows:
        return "No golden path against DIY comparison in this refresh: there is nothing to compare yet."
    min_n = rows[0].get("min_n")
    need = f", need {min_n} a side" if min_n else ""

    def ns(row: dict[str, Any]) -> str:
        return f"golden path n = {row['golden_path_n'] or 0:,}, DIY n = {row['diy_n'] or 0:,}"

    groups: dict[str, list[str]] = {}  # the metrics sharing each n, in the mart's order
    for r in rows:
        groups.setdefault(ns(r), []).append(LABELS.get(r["metric"], (md_escape(r["metric"]),))[0])
    if len(groups) == 1:
        return f"Too few services on each side to compare: {ns(rows[0])}{need}."
    each = "; ".join(f"{_and(metrics)}: {text}" for text, metrics in groups.items())
    return f"Too few services on each side to compare{need}. {each}."


def _and(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def comparison_sentences(frame: pl.DataFrame) -> list[tuple[str, str]]:
    """(raw, stratified) sentences per metric, in the mart's order."""
    return [(raw_sentence(r), stratified_sentence(r)) for r in frame.iter_rows(named=True)]
