"""The Friction page's words and charts for marts.golden_path_vs_diy."""

from __future__ import annotations

import polars as pl

from dashboards.lib.comparisons import raw_sentence, stratified_sentence, too_few_sentence
from pipelines import charts

ROW = {
    "metric": "ci_failure_rate", "golden_path": 0.08, "diy": 0.135, "ratio": 0.59, "golden_path_n": 156,
    "diy_n": 131, "golden_path_low": 0.072, "golden_path_high": 0.089, "diy_low": 0.121, "diy_high": 0.15,
    "p_value": 0.0000004, "significant": True, "min_n": 20, "ratio_low": 0.5, "ratio_high": 0.7,
    "strata": 30, "stratified_golden_path_n": 133, "stratified_diy_n": 95, "stratified_ratio": 0.71,
    "stratified_ratio_low": 0.57, "stratified_ratio_high": 0.87, "stratified_p_value": 0.0013,
    "stratified_significant": True,
}


def test_a_significant_difference_names_values_intervals_and_p():
    assert raw_sentence(ROW) == (
        "CI failure rate: golden path 8.0% (95% interval 7.2% – 8.9%) against DIY 13.5% "
        "(95% interval 12.1% – 15.0%), over 156 and 131 services. The difference is significant (p < 0.001).")
    assert stratified_sentence(ROW) == (
        "CI failure rate, like for like within language × team: golden path ÷ DIY = 0.71 (95% interval "
        "0.57 – 0.87), against 0.59 over all services. Significant (p = 0.001).")


def test_not_significant_is_said_in_plain_words():
    row = ROW | {"metric": "median_ci_duration_s", "golden_path": 347.25, "diy": 383.5, "golden_path_low": 330.0,
                 "golden_path_high": 360.0, "diy_low": 350.0, "diy_high": 410.0, "p_value": 0.0578,
                 "significant": False, "stratified_ratio": 1.06, "stratified_ratio_low": None,
                 "stratified_ratio_high": None, "stratified_p_value": 0.43, "stratified_significant": False}
    assert raw_sentence(row).endswith("The difference is **not significant** (p = 0.058): it may be chance.")
    assert "347 s (95% interval 330 s – 360 s)" in raw_sentence(row)
    assert stratified_sentence(row).startswith("Median CI run duration, like for like within language × team: "
                                               "golden path ÷ DIY = 1.06, against 0.59")
    assert "**Not significant** (p = 0.430)" in stratified_sentence(row)


def test_too_few_services_is_said_not_guessed():
    row = ROW | {"golden_path": None, "golden_path_low": None, "golden_path_high": None, "golden_path_n": 12,
                 "ratio": None, "p_value": None, "significant": None, "stratified_ratio": None,
                 "stratified_p_value": None, "stratified_golden_path_n": 9, "stratified_diy_n": 40, "strata": 3}
    assert raw_sentence(row) == ("CI failure rate: too few services to compare — 12 on the golden path, 131 DIY "
                                 "(at least 20 a side). No figure is shown rather than a guess.")
    assert stratified_sentence(row) == ("CI failure rate, like for like: too few services share a language and "
                                        "team — 9 on the golden path, 40 DIY, in 3 shared strata.")


def test_charts_draw_intervals_as_error_bars():
    frame = pl.DataFrame([ROW])
    bars = charts.golden_path_vs_diy(frame).data[0]
    # error bars reach from each value to its interval's ends
    assert list(bars.error_y.array) == [0.089 - 0.08, 0.15 - 0.135]
    assert list(bars.error_y.arrayminus) == [0.08 - 0.072, 0.135 - 0.121]
    ratios = charts.golden_path_vs_diy_ratios(frame)
    assert [t.name for t in ratios.data] == ["All services", "Within language × team"]
    assert list(ratios.data[1].x) == [0.71]
    assert list(ratios.data[1].error_x.arrayminus) == [0.71 - 0.57]
    assert ratios.layout.xaxis.type == "log"


def test_a_side_without_a_value_has_no_bar_and_no_error_bar():
    frame = pl.DataFrame([ROW | {"golden_path": None, "golden_path_low": None, "golden_path_high": None}])
    bars = charts.golden_path_vs_diy(frame).data[0]
    assert list(bars.y) == [None, 0.135]
    assert list(bars.error_y.array)[0] == 0.0


def _sides(**columns) -> pl.DataFrame:
    return pl.DataFrame(columns, schema_overrides={"golden_path": pl.Float64, "diy": pl.Float64})


def test_no_value_on_any_side_is_a_sentence_naming_each_n_and_the_minimum():
    # one team: 3 golden-path and 5 DIY services behind every metric, 20 needed a side
    frame = _sides(metric=["ci_failure_rate", "median_ci_duration_s"], golden_path=[None, None],
                   diy=[None, None], golden_path_n=[3, 3], diy_n=[5, 5], min_n=[20, 20])
    assert too_few_sentence(frame) == ("Too few services on each side to compare: "
                                       "golden path n = 3, DIY n = 5, need 20 a side.")


def test_different_ns_per_metric_are_named_per_metric():
    frame = _sides(metric=["ci_failure_rate", "median_ci_duration_s", "median_days_to_first_deploy"],
                   golden_path=[None, None, None], diy=[None, None, None], golden_path_n=[3, 3, 1],
                   diy_n=[5, 5, None], min_n=[20, 20, 20])
    assert too_few_sentence(frame) == (
        "Too few services on each side to compare, need 20 a side. CI failure rate and Median CI run "
        "duration: golden path n = 3, DIY n = 5; Median days to first production deploy: golden path "
        "n = 1, DIY n = 0.")


def test_one_side_with_a_value_is_drawn_not_a_sentence():
    frame = _sides(metric=["ci_failure_rate"], golden_path=[None], diy=[0.2], golden_path_n=[3],
                   diy_n=[40], min_n=[20])
    assert too_few_sentence(frame) is None
    assert too_few_sentence(pl.DataFrame(schema=frame.schema)).startswith("No golden path against DIY")


def test_a_panel_without_values_says_so_instead_of_an_empty_axis():
    frame = _sides(metric=["ci_failure_rate", "median_ci_duration_s"], golden_path=[None, 100.0],
                   diy=[None, 300.0], golden_path_n=[3, 30], diy_n=[5, 30])
    fig = charts.golden_path_vs_diy(frame)
    assert fig.layout.yaxis.visible is False and fig.layout.yaxis2.visible is not False
    note = next(a for a in fig.layout.annotations if a.text.startswith("Too few"))
    assert (note.xref, note.yref) == ("x domain", "y domain")  # in the failure-rate panel
    ratios = charts.golden_path_vs_diy_ratios(frame.with_columns(
        ratio=pl.lit(None, pl.Float64), ratio_low=pl.lit(None, pl.Float64), ratio_high=pl.lit(None, pl.Float64),
        stratified_ratio=pl.lit(None, pl.Float64), stratified_ratio_low=pl.lit(None, pl.Float64),
        stratified_ratio_high=pl.lit(None, pl.Float64)))
    assert not ratios.data and "too few services" in ratios.layout.annotations[0].text
