"""The figure builders of pipelines.charts: what they draw, and that repository text stays text."""

from __future__ import annotations

from datetime import date

import plotly.graph_objects as go
import polars as pl
import pytest

from pipelines import charts

EVIL = '<a href="javascript:alert(1)">x</a><img src=x onerror=alert(1)>'
ESCAPED = '&lt;a href="javascript:alert(1)"&gt;x&lt;/a&gt;&lt;img src=x onerror=alert(1)&gt;'


def monthly(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, orient="row", schema=[
        ("month", pl.Date), ("services_created", pl.Int64), ("golden_path_created", pl.Int64),
        ("new_service_adoption", pl.Float64), ("services_total", pl.Int64),
        ("golden_path_total", pl.Int64), ("overall_adoption", pl.Float64)])


def all_text(fig: go.Figure) -> str:
    return fig.to_json()


def test_plain_escapes_what_plotly_would_render():
    assert charts.plain(EVIL) == ESCAPED
    assert charts.plain(None) == "(none)"
    assert charts.plain("a & b") == "a &amp; b"


def test_adoption_trend_marks_months_below_the_threshold():
    fig = charts.adoption_trend(monthly([
        (date(2024, 4, 1), 2, 1, 0.5, 5, 3, 0.6),
        (date(2024, 5, 1), 5, 2, 0.4, 10, 5, 0.5),
        (date(2024, 6, 1), 0, 0, None, 10, 5, 0.5),
    ]), threshold=0.5)
    new, overall, threshold = fig.data
    assert list(new.y) == [0.5, 0.4, None]
    assert list(new.marker.color) == [charts.GOLDEN, charts.ALERT, charts.GOLDEN]
    # colour is never the only signal: below the threshold is also a triangle
    assert list(new.marker.symbol) == ["circle", charts.ALERT_SYMBOL, "circle"]
    assert threshold.name == "Threshold 50%"  # named in the legend, never drawn over a point
    assert not fig.layout.annotations
    assert [list(c) for c in new.customdata] == [[1, 2], [2, 5], [0, 0]]
    assert list(overall.y) == [0.6, 0.5, 0.5]
    assert fig.layout.shapes[0].y0 == 0.5 and fig.layout.yaxis.tickformat == ".0%"
    assert fig.layout.title.text == "New-service adoption by month"
    assert fig.layout.xaxis.title.text == "Month created"


def test_empty_data_draws_a_message_not_a_blank_chart():
    fig = charts.adoption_trend(monthly([]), threshold=0.5)
    assert fig.layout.annotations[0].text == "No data for the selected filters"
    assert charts.escape_hatch_reasons(reasons([("gpu", None, 0, None)])).layout.annotations[0].text == "No escape hatches"


def reasons(rows: list[tuple]) -> pl.DataFrame:
    """Rows of marts.escape_hatch_reasons_at: (kind, declared_text, services, declared_texts)."""
    return pl.DataFrame(
        [(i + 1, k, None if k == "declared" and t is None else (f"declared:{t}" if k == "declared" else k), t, n, dt)
         for i, (k, t, n, dt) in enumerate(rows)], orient="row",
        schema=[("position", pl.Int64), ("kind", pl.String), ("reason", pl.String), ("declared_text", pl.String),
                ("escape_hatch_services", pl.Int64), ("declared_texts", pl.Int64)])


def test_reasons_show_each_declared_text_shortened_on_the_axis_and_whole_in_the_hover():
    long = "needs host networking for multicast discovery on the legacy rack"  # 64 characters
    fig = charts.escape_hatch_reasons(reasons([
        ("gpu", None, 2, None), ("sidecar", None, 0, None), ("declared", long, 3, 1),
        ("declared", long + " too", 1, 1), ("declared", "<b>x</b>", 1, 1), ("declared", None, 4, 3),
        ("other", None, 1, None)]))
    bars = fig.data[0]
    short = "declared: needs host networking for…"  # 35 characters ("declared: " 10 + 25), then "…"
    assert len(short) == charts.LABEL_CHARS
    # two texts alike in their first 36 characters stay two bars (the second carries a zero-width space)
    assert list(bars.y) == ["GPU", "sidecar", short, short + "\u200b", "declared: &lt;b&gt;x&lt;/b&gt;",
                            "declared: 3 other texts", "other"]
    assert list(bars.x) == [2, 0, 3, 1, 1, 4, 1]
    assert [c[0] for c in bars.customdata][2:5] == [f"declared: {long}", f"declared: {long} too",
                                                   "declared: &lt;b&gt;x&lt;/b&gt;"]
    # a click picks the row's reason, None for the texts beyond the top
    assert [c[-1] for c in bars.customdata] == ["gpu", "sidecar", f"declared:{long}", f"declared:{long} too",
                                                "declared:<b>x</b>", None, "other"]
    assert "<b>x</b>" not in "".join(list(bars.y) + [c[0] for c in bars.customdata])
    assert fig.layout.hovermode == "y"  # a 0 bar answers a click too


def test_heatmap_escapes_group_names_and_leaves_empty_cells_empty():
    frame = pl.DataFrame({
        "month": [date(2024, 1, 1), date(2024, 2, 1)], "team": [EVIL, "web"],
        "services_created": [2, 1], "golden_path_created": [1, 1],
        "new_service_adoption": [0.5, 1.0]})
    fig = charts.adoption_heatmap(frame, group="team", group_label="Team")
    heat = fig.data[0]
    assert list(heat.y) == [ESCAPED, "web"]
    assert list(heat.z[0]) == [0.5, None] and list(heat.z[1]) == [None, 1.0]
    cells = fig.data[1]  # the clickable points carry the hover text, row by row
    assert cells.text[0].startswith(ESCAPED + " · Jan 2024<br>1 of 2 new services")
    assert cells.text[1].endswith("no services created")
    assert EVIL not in all_text(fig)


@pytest.mark.parametrize("build", [
    lambda: charts.adoption_by_group(pl.DataFrame({
        "team": [EVIL], "services_created": [3], "golden_path_created": [1],
        "new_service_adoption": [1 / 3]}), group="team", group_label="Team", threshold=0.5),
    lambda: charts.adoption_by_template(pl.DataFrame({
        "month": [date(2024, 1, 1)], "golden_path": [EVIL], "services_created": [2]})),
    lambda: charts.requests_by_team(pl.DataFrame({
        "team": [EVIL], "open": [1], "closed": [2], "median_days_to_close": [3.0]})),
    lambda: charts.time_to_first_deploy(pl.DataFrame({
        "on_golden_path": [True], "services": [5], "q1": [1.0], "median": [2.0], "q3": [3.0],
        "lower_fence": [1.0], "upper_fence": [4.0],
        "outliers": [[{"service": EVIL, "repo": "acme/x", "days": 40.0}]]})),
    lambda: charts.quick_chart(pl.DataFrame({"team": [EVIL], "n": [1]}), x="team", y="n"),
    lambda: charts.escape_hatch_reasons(reasons([("declared", EVIL, 2, 1)])),
    lambda: charts.golden_path_vs_diy(pl.DataFrame({
        "metric": [EVIL], "golden_path": [1.0], "diy": [2.0]})),
], ids=["by_group", "template", "requests_by_team", "ttfd", "quick", "reasons", "vs_diy"])
def test_repository_text_never_reaches_a_figure_unescaped(build):
    fig = build()
    assert EVIL not in all_text(fig)
    assert "&lt;a href" in all_text(fig)


def test_adoption_by_group_sorts_lowest_first_and_colours_below_threshold():
    frame = pl.DataFrame({"team": ["a", "b", "c"], "services_created": [4, 2, 1],
                          "golden_path_created": [3, 0, 1],
                          "new_service_adoption": [0.75, 0.0, 1.0]})
    bars = charts.adoption_by_group(frame, group="team", group_label="Team", threshold=0.5).data[0]
    assert list(bars.y) == ["b", "a", "c"]
    assert list(bars.marker.color) == [charts.ALERT, charts.GOLDEN, charts.GOLDEN]


def test_exception_requests_monthly():
    frame = pl.DataFrame({"month": [date(2024, 1, 1), date(2024, 2, 1)], "opened": [3, 1],
                          "closed": [0, 2], "open_at_month_end": [3, 2],
                          "median_days_to_close": [None, 4.5]})
    fig = charts.exception_requests_monthly(frame)
    assert [t.name for t in fig.data] == ["Opened", "Closed", "Open at month end"]
    assert list(fig.data[2].y) == [3, 2]
    days = charts.days_to_close(frame).data[0]
    assert list(days.y) == [4.5] and list(days.customdata) == [2]


def test_golden_path_vs_diy_has_one_panel_per_metric():
    frame = pl.DataFrame({"metric": ["ci_failure_rate", "median_ci_duration_s"],
                          "golden_path": [0.1, 100.0], "diy": [0.2, 300.0],
                          "golden_path_n": [10.0, 10.0], "diy_n": [236.11, 5.0]})
    fig = charts.golden_path_vs_diy(frame)
    assert [a.text for a in fig.layout.annotations] == ["CI failure rate", "Median CI duration (s)"]
    assert [c[0] for c in fig.data[0].customdata] == ["10", "236"]  # n, then the interval text
    assert fig.layout.yaxis.tickformat == ".1%"


def test_monthly_comparison_splits_golden_path_and_diy():
    frame = pl.DataFrame({"month": [date(2024, 5, 1)] * 2, "on_golden_path": [True, False],
                          "failure_rate": [0.25, 0.5], "n": [4, 3]})
    fig = charts.monthly_comparison(frame, value="failure_rate", title="t", y_title="y", percent=True)
    assert [(t.name, list(t.y)) for t in fig.data] == [("Golden path", [0.25]), ("DIY", [0.5])]


def test_escape_hatch_rate_with_a_single_month_has_a_readable_axis():
    frame = pl.DataFrame({"month": [date(2024, 6, 1)], "escape_hatch_services": [4],
                          "spec_services": [9], "escape_hatch_rate": [4 / 9]})
    fig = charts.escape_hatch_rate(frame)
    assert list(fig.layout.xaxis.range) == [date(2024, 5, 17), date(2024, 6, 16)]
    rate = next(t for t in fig.data if t.name == "Escape-hatch rate")
    assert list(rate.customdata[0]) == [4, 9]
    # the rate's axis is a percentage, the services' axis counts (4 services, not "400%")
    assert (fig.layout.yaxis.tickformat, fig.layout.yaxis2.tickformat) == (".0%", ",d")
    # each axis is titled with what it measures: the rate on the left, the count on the right
    assert fig.layout.yaxis.title.text == "Escape-hatch rate"
    assert fig.layout.yaxis2.title.text == "Escape-hatch services"


def test_escape_hatches_and_requests_share_one_time_axis():
    escapes = pl.DataFrame({"month": [date(2024, 5, 1), date(2024, 6, 1)], "escape_hatch_services": [1, 3]})
    requests = pl.DataFrame({"month": [date(2024, 5, 1), date(2024, 6, 1)], "opened": [5, 2]})
    fig = charts.escape_hatches_and_requests(escapes, requests)
    assert [(t.name, list(t.y)) for t in fig.data] == [("Exception requests opened", [5, 2]),
                                                       ("Services using the escape hatch", [1, 3])]
    assert fig.data[0].xaxis == fig.data[1].xaxis
    # both axes count, so both tick on whole numbers from 0: requests up to 5, services up to 3
    # (an overlaying axis left alone ticked where the other did: 0.91, 1.81, 2.72 services)
    for axis in (fig.layout.yaxis, fig.layout.yaxis2):
        assert (axis.tickmode, axis.tick0, axis.dtick, axis.tickformat) == ("linear", 0, 1, ",d")


def test_retention_cohorts_mark_cells_not_due_and_escape_names():
    frame = pl.DataFrame({"cohort_month": [date(2024, 1, 1)] * 2, "golden_path": ["<b>go</b>"] * 2,
                          "days_after": [30, 90], "services": [2, 0], "still_on_golden_path": [1, 0],
                          "share": [0.5, None]})
    fig = charts.retention_cohorts(frame)
    heat = fig.data[0]
    assert list(heat.y) == ["Jan 2024 · &lt;b&gt;go&lt;/b&gt;"]
    assert [list(r) for r in heat.z] == [[0.5, None]]
    assert [list(r) for r in heat.text] == [["1 of 2", "not due"]]



def test_heatmap_months_without_services_are_empty_columns_not_the_neighbours_colour():
    # web created services in Jan and Mar only: Feb must be its own, empty, column
    frame = pl.DataFrame({
        "month": [date(2024, 1, 1), date(2024, 3, 1)], "team": ["web", "web"],
        "services_created": [2, 1], "golden_path_created": [1, 0], "new_service_adoption": [0.5, 0.0]})
    heat = charts.adoption_heatmap(frame, group="team", group_label="Team").data[0]
    assert list(heat.x) == [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)]
    assert list(heat.z[0]) == [0.5, None, 0.0]
    assert heat.hoverongaps is False and heat.colorscale[0][1] != "rgb(165,0,38)"  # not RdYlGn


def test_zero_adoption_bars_are_labelled():
    frame = pl.DataFrame({"team": ["a", "b"], "services_created": [2, 1234],
                          "golden_path_created": [0, 617], "new_service_adoption": [0.0, 0.5]})
    bars = charts.adoption_by_group(frame, group="team", group_label="Team", threshold=0.5).data[0]
    assert list(bars.text) == ["0% of 2", "50% of 1,234"]
    assert list(bars.marker.pattern.shape) == [charts.ALERT_PATTERN, ""]


def test_monthly_axes_tick_by_month_and_mark_the_month_in_progress():
    months = [date(2024, m, 1) for m in range(1, 13)] + [date(2025, 1, 1), date(2025, 2, 1)]
    frame = pl.DataFrame({"month": months, "opened": [1] * 14, "closed": [0] * 14,
                          "open_at_month_end": [1] * 14})
    fig = charts.exception_requests_monthly(frame, partial_month=date(2025, 2, 14))
    # 14 months: a tick every 2 months (at most 12), and the month in progress in place of Jan 2025,
    # a month from it (too close to fit beside it)
    assert list(fig.layout.xaxis.tickvals) == months[:12:2] + [date(2025, 2, 1)]
    assert fig.layout.xaxis.ticktext[:2] == ("Jan<br>2024", "Mar")  # the year under the first tick
    assert fig.layout.xaxis.ticktext[-2:] == ("Nov", "Feb<br>2025<br>(so far)")  # and where it changes
    shaded = [s for s in fig.layout.shapes if s.type == "rect"]
    assert [(s.x0, s.x1) for s in shaded] == [(date(2025, 1, 17), date(2025, 2, 16))]
    short = charts.exception_requests_monthly(frame.head(3))
    assert list(short.layout.xaxis.tickvals) == months[:3]  # monthly data, monthly ticks


def test_a_chart_narrowed_by_a_second_axis_ticks_less_often_and_names_every_year():
    # Feb 2024 – Dec 2025 is 23 months: at most 8 ticks is one every 3 months from Feb; Nov 2025
    # is a month from the month in progress (Dec 2025) and gives way to it. No January is a tick,
    # so the year is written where it changes.
    months = [date(2024 + (1 + i) // 12, (1 + i) % 12 + 1, 1) for i in range(23)]
    assert (months[0], months[-1]) == (date(2024, 2, 1), date(2025, 12, 1))
    frame = pl.DataFrame({"month": months, "escape_hatch_services": [1] * 23, "spec_services": [4] * 23,
                          "escape_hatch_rate": [0.25] * 23})
    axis = charts.escape_hatch_rate(frame, partial_month=date(2025, 12, 3)).layout.xaxis
    assert list(axis.tickvals) == [date(2024, 2, 1), date(2024, 5, 1), date(2024, 8, 1), date(2024, 11, 1),
                                   date(2025, 2, 1), date(2025, 5, 1), date(2025, 8, 1), date(2025, 12, 1)]
    assert list(axis.ticktext) == ["Feb<br>2024", "May", "Aug", "Nov", "Feb<br>2025", "May", "Aug",
                                   "Dec<br>(so far)"]


def test_related_charts_share_the_time_range_they_are_given():
    span = (date(2024, 1, 1), date(2024, 12, 1))
    requests = pl.DataFrame({"month": [date(2022, 6, 1), date(2024, 12, 1)], "opened": [1, 2],
                             "closed": [0, 1], "open_at_month_end": [1, 2]})
    trend = charts.adoption_trend(monthly([(date(2024, 12, 1), 2, 1, 0.5, 5, 3, 0.6)]), threshold=0.5,
                                  x_range=span)
    others = charts.exception_requests_monthly(requests, x_range=span)
    assert trend.layout.xaxis.range == others.layout.xaxis.range == (date(2023, 12, 17), date(2024, 12, 16))


def test_golden_paths_are_always_blue_and_diy_orange_and_hatched():
    frame = pl.DataFrame({"month": [date(2024, 1, 1)] * 3, "golden_path": ["go", "py", None],
                          "services_created": [1, 2, 3]})
    traces = charts.adoption_by_template(frame).data
    assert [t.marker.color for t in traces] == [charts.GOLDEN_SHADES[0], charts.GOLDEN_SHADES[1], charts.DIY]
    assert traces[1].marker.pattern.shape != traces[0].marker.pattern.shape
    assert traces[2].marker.pattern.shape == charts.DIY_PATTERN


def test_template_bars_pick_their_golden_path_and_leave_room_for_their_labels():
    health = pl.DataFrame({"golden_path": ["go-service", EVIL], "days_since_change": [6.0, 278.0],
                           "stale": [False, True], "stale_after_days": [180, 180],
                           "head_at": [date(2026, 11, 24), date(2026, 2, 25)], "services": [1, 3]})
    fig = charts.template_last_change(health)
    bars = fig.data[0]
    assert list(bars.y) == ["go-service", ESCAPED]
    assert [c[-1] for c in bars.customdata] == ["go-service", EVIL]  # the raw name: what a click picks
    assert fig.layout.hovermode == "y"
    assert fig.layout.xaxis.range[1] >= 278 * 1.3  # "278 days · stale" fits after the bar
    # a DECIMAL column (a literal in hand-written SQL) draws too
    as_decimal = health.with_columns(pl.col("days_since_change").cast(pl.Decimal(10, 1)))
    assert charts.template_last_change(as_decimal).layout.xaxis.range[1] >= 278 * 1.3
    drift = pl.DataFrame({"golden_path": ["go-service"], "service": ["s"], "repo": ["acme/s"],
                          "commits_behind": [3], "days_behind": [4.0]})
    box = charts.template_drift_distribution(drift).data[0]
    assert box.customdata[0][-1] == "go-service"
    assert box.boxpoints == "all"  # every service a dot
    # beyond DRIFT_DOTS_MAX services only those outside the whiskers are dots, each still
    # carrying its service and golden path
    many = pl.DataFrame({"golden_path": ["go-service"] * 501, "service": [f"s{i}" for i in range(501)],
                         "repo": ["acme/s"] * 501, "commits_behind": list(range(501)), "days_behind": [1.0] * 501})
    box = charts.template_drift_distribution(many).data[0]
    assert charts.DRIFT_DOTS_MAX == 500 and box.boxpoints == "outliers"
    assert len(box.customdata) == 501 and box.customdata[500][0] == "s500" and box.customdata[500][-1] == "go-service"


def test_heatmap_cells_are_clickable_points_carrying_the_raw_group():
    frame = pl.DataFrame({
        "month": [date(2024, 1, 1), date(2024, 3, 1)], "team": [None, "web"],
        "services_created": [2, 1], "golden_path_created": [1, 1], "new_service_adoption": [0.5, 1.0]})
    fig = charts.adoption_heatmap(frame, group="team", group_label="Team")
    heat, cells = fig.data
    assert heat.hoverinfo == "skip" and cells.type == "scatter"
    # a point on each of the 2 rows × 3 months (Feb empty too): the rows' raw values, None kept
    assert len(cells.x) == 6 and [c[0] for c in cells.customdata] == ["web"] * 3 + [None] * 3
    assert cells.text[0].startswith("web · Jan 2024<br>no services created")
    assert fig.layout.hoverdistance == -1
