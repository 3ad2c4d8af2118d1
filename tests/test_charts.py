"""Chart builders: pure functions from a mart's frame to a figure, checked on the figure's data (no Streamlit)."""

from __future__ import annotations

import datetime as dt

import duckdb
import plotly.graph_objects as go
import polars as pl
import pytest

from tierscope.dashboard import charts
from tierscope.format import change, count, money, percent, points
from tierscope.queries import api

TIERS = ["tier1", "tier2", "tier3"]
DAY_1, DAY_2 = dt.date(2026, 11, 1), dt.date(2026, 11, 2)


def daily_rows() -> pl.DataFrame:
    """mart_daily_cost shape: day x task type x served tier, with one unpriced-only cell."""
    return pl.DataFrame(
        {
            "day": [DAY_1, DAY_1, DAY_1, DAY_2, DAY_2],
            "task_type": ["summarization", "summarization", "classification", "summarization", "mystery"],
            "served_tier": ["tier2", "tier3", "tier1", "tier2", "untiered"],
            "calls": [10, 2, 40, 12, 3],
            "input_tokens": [1000, 200, 400, 1200, 90],
            "output_tokens": [100, 20, 40, 120, 9],
            "cost_usd": [5.0, 3.0, 0.25, 6.0, None],
            "unpriced_calls": [0, 0, 0, 0, 3],
        }
    )


def bar_traces(figure: go.Figure) -> dict[str, go.Bar]:
    return {trace.name: trace for trace in figure.data if isinstance(trace, go.Bar)}


def test_tier_colors_are_fixed_by_rank_and_untiered_is_grey() -> None:
    colors = charts.tier_colors(TIERS)
    assert colors == {"tier1": "#56B4E9", "tier2": "#0072B2", "tier3": "#E69F00", "untiered": "#999999"}
    assert charts.tier_colors(["small", "large"])["large"] == colors["tier2"]


def test_daily_spend_by_tier_stacks_one_trace_per_tier_in_rank_order() -> None:
    figure = charts.daily_spend_by_tier(daily_rows(), TIERS)
    traces = bar_traces(figure)
    assert list(traces) == ["tier1", "tier2", "tier3", "untiered"]
    assert list(traces["tier2"].y) == [5.0, 6.0]
    assert list(traces["tier2"].x) == [DAY_1, DAY_2]
    assert traces["tier3"].marker.color == "#E69F00"
    assert list(traces["untiered"].y) == [None]  # unpriced: no bar, not a $0 one
    assert traces["untiered"].customdata[0][0] == "unpriced"
    assert figure.layout.barmode == "stack"


def test_spend_by_task_orders_costliest_on_top_and_labels_unpriced() -> None:
    figure = charts.spend_by_task(daily_rows(), TIERS)
    labels = next(trace for trace in figure.data if isinstance(trace, go.Scatter))
    assert list(figure.layout.yaxis.categoryarray) == ["mystery", "classification", "summarization"]
    assert list(labels.text) == ["  unpriced", "  $0.25", "  $14.00"]
    assert list(bar_traces(figure)["tier2"].x) == [11.0]


def test_tier_matrix_cells_hold_the_measure_and_its_row_share() -> None:
    # the last row is a trace-level cell only (asked tier1 first, served by tier3 last; no call did both)
    mix = pl.DataFrame(
        {
            "task_type": ["a", "a", "b", "b", "a"],
            "requested_tier": ["tier1", "tier1", "tier1", "tier2", "tier1"],
            "served_tier": ["tier1", "tier2", "tier1", "tier2", "tier3"],
            "default_tier": ["tier1", "tier1", "tier1", "tier2", "tier1"],
            "calls": [60, 20, 20, 50, 0],
            "requests": [60, 10, 20, 50, 10],
            "cost_usd": [1.0, 2.0, 0.5, None, None],
            "unpriced_calls": [0, 0, 0, 50, 0],
        }
    )
    requests = charts.tier_matrix(mix, TIERS).data[0]
    assert list(requests.x) == ["tier1", "tier2", "tier3"]
    assert [list(row) for row in requests.z] == [[80, 10, 10], [None, 50, None]]
    figure = charts.tier_matrix(mix, TIERS, "calls")
    heatmap = figure.data[0]
    assert list(heatmap.y) == ["tier1", "tier2"]
    assert list(heatmap.x) == ["tier1", "tier2"]
    assert [list(row) for row in heatmap.z] == [[80, 20], [None, 50]]
    assert heatmap.text[0][0] == "80<br>80.0%"
    assert heatmap.text[1][0] == ""
    spend = charts.tier_matrix(mix, TIERS, "cost_usd").data[0]
    assert spend.text[0][1] == "$2.00<br>57.1%"
    assert spend.text[1][1] == "unpriced"


def test_tier_share_over_time_normalises_each_day_to_100_percent() -> None:
    figure = charts.tier_share_over_time(daily_rows(), TIERS, "calls")
    assert [trace.name for trace in figure.data] == ["tier1", "tier2", "tier3", "untiered"]
    assert (figure.layout.barmode, figure.layout.barnorm) == ("stack", "percent")
    assert list(figure.data[1].y) == [10, 12]


def test_tier_share_over_time_leaves_days_without_data_empty() -> None:
    # data on the 1st, 2nd and 5th: nothing may be drawn across the 3rd and 4th (an area would interpolate)
    day_5 = dt.date(2026, 11, 5)
    rows = pl.concat(
        [daily_rows(), daily_rows().filter(pl.col("day") == DAY_2).with_columns(pl.lit(day_5).alias("day"))]
    )
    figure = charts.tier_share_over_time(rows, TIERS, "calls")
    assert all(isinstance(trace, go.Bar) for trace in figure.data)
    assert sorted({day for trace in figure.data for day in trace.x}) == [DAY_1, DAY_2, day_5]


def day_ticks(figure: go.Figure) -> list[dt.datetime]:
    """The ticks a date axis with tick0, dtick (ms) and range draws."""
    axis = figure.layout.xaxis
    low, high = (value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value) for value in axis.range)
    tick0 = axis.tick0 if isinstance(axis.tick0, dt.datetime) else dt.datetime.fromisoformat(axis.tick0)
    step = dt.timedelta(milliseconds=axis.dtick)
    first = tick0 + step * -((tick0 - low) // step)
    return [first + step * index for index in range(1000) if low <= first + step * index <= high]


def test_daily_charts_of_one_day_have_one_tick_and_longer_ones_whole_days() -> None:
    one_day = daily_rows().filter(pl.col("day") == DAY_1)
    assert day_ticks(charts.daily_spend_by_tier(one_day, TIERS)) == [dt.datetime(2026, 11, 1)]
    assert day_ticks(charts.tier_share_over_time(one_day, TIERS)) == [dt.datetime(2026, 11, 1)]
    month = pl.concat(
        [daily_rows().with_columns(pl.lit(DAY_1 + dt.timedelta(days=offset)).alias("day")) for offset in range(30)]
    )
    ticks = day_ticks(charts.daily_spend_by_tier(month, TIERS))
    assert len(ticks) <= charts.MAX_DAY_TICKS
    assert all(tick.time() == dt.time() for tick in ticks)


def test_model_flow_sankey_links_requested_to_served_with_tier_colours() -> None:
    flow = pl.DataFrame(
        {
            "requested_model": ["tier1", "tier1", "claude-haiku-4-5", "tier2"],
            "requested_tier": ["tier1", "tier1", "tier1", "tier2"],
            "served_model": ["claude-sonnet-4-6", "gpt-4o", "claude-sonnet-4-6", "claude-opus-4-7"],
            "served_tier": ["tier2", "tier2", "tier2", "tier3"],
            "requests": [50, 10, 5, 1],
            "escalated_requests": [50, 9, 5, 1],
            "cost_usd": [1.5, 0.2, None, 0.9],
        }
    )
    sankey = charts.model_flow_sankey(flow, TIERS, max_flows=3).data[0]
    assert list(sankey.node.label) == [
        "asked tier1",
        "asked claude-haiku-4-5",
        "served by claude-sonnet-4-6",
        "served by gpt-4o",
    ]
    assert list(sankey.link.source) == [0, 0, 1]
    assert list(sankey.link.target) == [2, 3, 2]
    assert list(sankey.link.value) == [50, 10, 5]
    assert sankey.node.color[2] == charts.tier_colors(TIERS)["tier2"]
    assert sankey.link.customdata[2][1] == "unpriced"


def over_white(rgba: str) -> tuple[float, ...]:
    red, green, blue, alpha = (float(part) for part in rgba[rgba.index("(") + 1 : -1].split(","))
    return tuple(255 - alpha * (255 - channel) for channel in (red, green, blue))


def test_model_flow_sankey_keeps_each_tiers_flows_apart() -> None:
    flow = pl.DataFrame(
        {
            "requested_model": ["tier1", "tier1", "tier2"],
            "requested_tier": ["tier1", "tier1", "tier2"],
            "served_model": ["claude-haiku-4-5", "claude-sonnet-4-6", "claude-opus-4-7"],
            "served_tier": ["tier1", "tier2", "tier3"],
            "requests": [30, 20, 10],
            "escalated_requests": [0, 20, 10],
            "cost_usd": [1.0, 2.0, 3.0],
        }
    )
    colours = [over_white(colour) for colour in charts.model_flow_sankey(flow, TIERS).data[0].link.color]
    # the flows into tier1 and tier2, the two blues, stay well apart once drawn on the white page
    distance = sum((one - other) ** 2 for one, other in zip(colours[0], colours[1], strict=True)) ** 0.5
    assert distance > 70


def window_rows() -> pl.DataFrame:
    starts = [dt.datetime(2026, 11, day) for day in (1, 2, 3)]
    return pl.DataFrame(
        {
            "task_type": ["extraction"] * 3 + ["other", "quiet", "unknown"],
            "window_start": [*starts, starts[0], starts[0], starts[0]],
            "requests": [100, 100, 10, 100, 100, 3],
            "escalated": [4, 9, 0, 1, 5, 0],
            "escalation_rate": [0.04, 0.09, 0.0, 0.01, 0.05, 0.0],
            "baseline_rate": [0.05] * 5 + [None],
            "limit_rate": [0.0575] * 5 + [None],
            "is_judged": [True, True, False, True, True, False],
            "is_flagged": [False, True, False, False, False, False],
        }
    )


def test_escalation_windows_break_at_windows_with_too_few_requests() -> None:
    figure = charts.escalation_windows(window_rows(), "extraction", min_requests=50)
    rate, baseline, limit, flagged = figure.data
    # the third window (10 requests, none escalated) is a gap, not a drop to 0%
    assert list(rate.y) == [0.04, 0.09, None]
    assert rate.connectgaps is False
    assert list(baseline.y) == [0.05] * 3 and list(limit.y) == [0.0575] * 3
    assert list(flagged.x) == [dt.datetime(2026, 11, 2)] and list(flagged.y) == [0.09]
    assert flagged.marker.color == charts.FLAGGED
    assert figure.layout.title.text == "extraction"
    assert figure.layout.yaxis.title.text == "escalation rate (%)"


def test_drift_panels_most_severe_first_and_no_empty_panel() -> None:
    flags = pl.DataFrame(
        {
            "task_type": ["other", "extraction", "quiet"],
            "escalation_rate": [0.01, 0.09, 0.05],
            "limit_rate": [0.0575] * 3,
            "is_flagged": [False, True, False],
        }
    )
    shown, hidden = charts.drift_panels(flags, window_rows())
    assert shown == ["extraction", "quiet", "other"]
    assert hidden == ["unknown"]


def test_model_costs_bars_show_unpriced_models_as_unpriced_not_zero_dollars() -> None:
    models = pl.DataFrame(
        {
            "task_type": ["a"] * 3,
            "served_model": ["claude-sonnet-4-6", "gpt-4o-mini", "llama-3.3-70b"],
            "served_tier": ["tier2", "tier1", "untiered"],
            "requests": [5, 5, 2],
            "calls": [5, 5, 2],
            "input_tokens": [10, 10, 4],
            "output_tokens": [1, 1, 1],
            "cost_usd": [2.5, 0.004, None],
            "unpriced_calls": [0, 0, 2],
        }
    )
    figure = charts.model_costs_bars(models, TIERS)
    traces = bar_traces(figure)
    assert list(figure.layout.yaxis.categoryarray) == ["llama-3.3-70b", "gpt-4o-mini", "claude-sonnet-4-6"]
    assert list(traces["untiered"].text) == ["  unpriced (2 calls)"]
    assert list(traces["tier1"].text) == ["  $0.0040"]
    assert list(traces["tier2"].x) == [2.5]


def test_output_length_histogram_separates_the_overflow_bin_and_marks_the_expected_length() -> None:
    histogram = pl.DataFrame(
        {
            "task_type": ["a", "a", "a", "b"],
            "bin_index": [0, 1, 2, 0],
            "bin_start_tokens": [0, 10, 20, 0],
            "bin_end_tokens": [10, 20, None, 5],
            "is_overflow": [False, False, True, False],
            "calls": [3, 7, 1, 99],
            "expected_output_tokens": [12, 12, 12, None],
        }
    )
    figure = charts.output_length_histogram(histogram, "a")
    regular, overflow = figure.data
    assert list(regular.x) == [5.0, 15.0] and list(regular.y) == [3, 7]
    assert list(overflow.y) == [1] and overflow.name == "≥ 20 tokens (past the 99th percentile)"
    assert [shape.x0 for shape in figure.layout.shapes] == [12]


def test_team_feature_costs_keeps_the_costliest_owners_on_top() -> None:
    owners = pl.DataFrame(
        {
            "team": ["growth", "support", "support"],
            "feature": ["digest", "triage", "(none)"],
            "requests": [1, 2, 3],
            "calls": [1, 2, 3],
            "input_tokens": [1, 1, 1],
            "output_tokens": [1, 1, 1],
            "cost_usd": [9.0, 1.0, None],
            "unpriced_calls": [0, 0, 3],
        }
    )
    bars = charts.team_feature_costs(owners, max_rows=2).data[0]
    assert list(bars.y) == ["support · triage", "growth · digest"]
    assert list(bars.text) == ["  $1.00", "  $9.00"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1234.567, "$1,234.57"), (0.0, "$0.00"), (0.000455, "$0.00046"), (-2.5, "-$2.50"), (None, "unpriced")],
)
def test_money_reads_as_money_and_never_shows_unpriced_as_zero(value: float | None, expected: str) -> None:
    assert money(value) == expected


def test_number_formats() -> None:
    assert percent(0.153) == "15.3%" and percent(0.0002) == "<0.1%" and percent(None) == "—"
    assert count(1234567) == "1,234,567" and count(None) == "—"
    assert (count(1, "call"), count(2, "call"), count(1, "day with data")) == ("1 call", "2 calls", "1 day with data")
    assert count(14, "day with data") == "14 days with data"
    assert change(110.0, 100.0) == "+10.0%" and change(1.0, 0) is None
    assert points(0.30, 0.25) == "+5.0 pp" and points(0.25, 0.2501) == "0.0 pp"


def test_builders_take_real_mart_frames(sample_db: duckdb.DuckDBPyConnection) -> None:
    """On the demo month, what the charts draw adds up to what the query layer returns."""
    daily = api.daily_cost(sample_db)
    stacked = charts.daily_spend_by_tier(daily, TIERS)
    drawn = sum(value for trace in stacked.data for value in trace.y if value is not None)
    assert drawn == pytest.approx(daily["cost_usd"].sum())
    flow = api.model_flow(sample_db)
    sankey = charts.model_flow_sankey(flow, TIERS, max_flows=len(flow)).data[0]
    assert sum(sankey.link.value) == flow["requests"].sum()
    mix = charts.tier_matrix(api.tier_mix(sample_db), TIERS, "calls").data[0]
    assert sum(value or 0 for row in mix.z for value in row) == api.tier_mix(sample_db)["calls"].sum()
    histogram = api.output_length_histogram(sample_db)
    bins = charts.output_length_histogram(histogram, "classification")
    drawn_calls = sum(sum(trace.y) for trace in bins.data)
    assert drawn_calls == api.task_costs(sample_db).filter(pl.col("task_type") == "classification")["calls"][0]


def whatif_rows() -> pl.DataFrame:
    """scenario.whatif() shape for one scenario: a task moved down, one unchanged, one dearer, one unpriced."""
    return pl.DataFrame(
        {
            "scenario": ["cheap"] * 4,
            "task_type": ["reasoning", "classification", "summarization", "mystery"],
            "baseline_tier": ["tier3", "tier1", "tier2", "tier2"],
            "scenario_tier": ["tier2", "tier1", "tier3", "tier2"],
            "requests": [10, 20, 5, 1],
            "baseline_cost_usd": [9.0, 1.0, 2.0, None],
            "current_map_cost_usd": [9.0, 1.02, 2.0, None],
            "scenario_cost_usd": [4.0, 1.02, 3.5, None],
            "map_savings_usd": [5.0, 0.0, -1.5, None],
            "savings_usd": [5.0, -0.02, -1.5, None],
        }
    )


def test_savings_by_task_colours_each_task_by_its_scenario_tier_largest_saving_on_top() -> None:
    figure = charts.savings_by_task(whatif_rows(), TIERS)
    traces = bar_traces(figure)
    assert list(traces) == ["routed to tier1", "routed to tier2", "routed to tier3"]
    assert traces["routed to tier2"].marker.color == charts.tier_colors(TIERS)["tier2"]
    assert list(traces["routed to tier2"].y) == ["mystery", "reasoning"]
    assert list(traces["routed to tier2"].x) == [0.0, 5.0]  # unpriced: no bar ...
    assert [text.strip() for text in traces["routed to tier2"].text] == ["unpriced", "$5.00"]  # ... and said so
    assert list(traces["routed to tier3"].x) == [-1.5]
    assert list(figure.layout.yaxis.categoryarray) == ["summarization", "mystery", "classification", "reasoning"]
    low, high = figure.layout.xaxis.range
    assert low < -1.5 and high > 5.0
    assert low == -high, "a symmetric axis around $0"


def test_savings_axis_never_makes_cents_look_like_dollars() -> None:
    # an unedited map saves exactly $0 on tasks costing hundreds: the axis still spans a share of that cost
    unedited = whatif_rows().with_columns(pl.col("current_map_cost_usd") * 100, pl.lit(0.0).alias("map_savings_usd"))
    low, high = charts.savings_by_task(unedited, TIERS).layout.xaxis.range
    assert (low, high) == (-18.0, 18.0)  # 2% of the largest cost, $900
    # a few cents of difference fill a few thousandths of that axis, not all of it
    cents = unedited.with_columns(pl.Series("map_savings_usd", [-0.05, 0.0, 0.02, None]))
    figure = charts.savings_by_task(cents, TIERS)
    longest = max(abs(value) for trace in figure.data for value in trace.x)
    assert longest / figure.layout.xaxis.range[1] < 0.01


def test_scenario_comparison_draws_monthly_cost_against_the_current_map() -> None:
    totals = pl.DataFrame(
        {
            "scenario": ["cheap", "cheaper"],
            "monthly_current_map_cost_usd": [100.0, 100.0],
            "monthly_scenario_cost_usd": [80.0, 60.0],
            "monthly_map_savings_usd": [20.0, 40.0],
            "map_savings_pct": [0.2, 0.4],
        }
    )
    figure = charts.scenario_comparison(totals)
    bars = figure.data[0]
    assert list(bars.y) == ["cheap", "cheaper"] and list(bars.x) == [80.0, 60.0]
    assert list(figure.layout.yaxis.categoryarray) == ["cheaper", "cheap"], "first scenario on top"
    assert bars.text[1].strip() == "$60.00 · saves $40.00 (40.0%)" and bars.textposition == "inside"
    assert bars.marker.color == charts.NEUTRAL
    (line,) = figure.layout.shapes
    assert (line.x0, line.x1) == (100.0, 100.0)
    assert figure.layout.annotations[0].text == "current map: $100.00 per month"


def pass_rate_rows() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "task_type": ["extraction", "extraction", "classification", "classification"],
            "tier": ["tier2", "tier1", "tier1", "tier2"],
            "prompts": [80, 80, 40, 40],
            "pass_rate": [0.9, 0.8, 0.95, 1.0],
            "pass_rate_low": [0.8, 0.7, 0.85, 0.9],
            "pass_rate_high": [0.95, 0.88, 0.99, 1.0],
        }
    )


def test_pass_rates_draw_each_tier_with_its_wilson_interval_and_the_thresholds() -> None:
    figure = charts.pass_rates(pass_rate_rows(), TIERS, route_at=0.95, monitor_at=0.85)
    tier1, tier2 = figure.data
    assert (tier1.name, tier2.name) == ("tier1", "tier2")
    assert tier1.marker.color == charts.tier_colors(TIERS)["tier1"]
    assert list(tier1.x) == ["classification", "extraction"] and list(tier1.y) == [0.95, 0.8]
    assert list(tier1.error_y.array) == pytest.approx([0.04, 0.08])
    assert list(tier1.error_y.arrayminus) == pytest.approx([0.1, 0.1])
    assert sorted(shape.y0 for shape in figure.layout.shapes) == [0.85, 0.95]
    assert {annotation.text for annotation in figure.layout.annotations} == {
        "route at 95%",
        "route with monitoring at 85%",
    }
    assert figure.layout.scattermode == "group"
    assert figure.layout.yaxis.range[0] == pytest.approx(0.65), "the lowest interval fits"


def test_cost_projection_stacks_each_map_by_tier_with_its_total() -> None:
    projection = pl.DataFrame(
        {
            "task_type": ["reasoning"] * 3 + ["classification"] * 3,
            "map_name": ["all_frontier", "current", "recommended"] * 2,
            "tier": ["tier3", "tier3", "tier2", "tier3", "tier1", "tier1"],
            "monthly_cost_usd": [300.0, 300.0, 200.0, 90.0, 10.0, 10.0],
        }
    )
    figure = charts.cost_projection(projection, TIERS)
    traces = bar_traces(figure)
    assert list(traces) == ["tier1", "tier2", "tier3"]
    assert dict(zip(traces["tier3"].y, traces["tier3"].x, strict=True)) == {
        "all on the top tier": 390.0,
        "current map": 300.0,
    }
    totals = next(trace for trace in figure.data if isinstance(trace, go.Scatter))
    assert list(totals.y) == ["all on the top tier", "current map", "recommended map"]
    assert list(totals.x) == [390.0, 310.0, 210.0]
    assert [text.strip() for text in totals.text] == ["$390.00", "$310.00", "$210.00"]
    assert list(figure.layout.yaxis.categoryarray) == ["recommended map", "current map", "all on the top tier"]


def test_hover_counts_say_1_call_not_1_calls() -> None:
    one_call = daily_rows().with_columns(pl.lit(1).alias("calls"))
    customdata = bar_traces(charts.daily_spend_by_tier(one_call, TIERS))["tier2"].customdata
    assert [calls for _cost, calls in customdata] == ["1 call", "1 call"]
    assert bar_traces(charts.daily_spend_by_tier(daily_rows(), TIERS))["tier2"].customdata[0][1] == "10 calls"
