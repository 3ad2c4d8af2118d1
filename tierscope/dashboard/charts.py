"""Plotly chart builders: pure functions from a mart's frame to a figure, tested without Streamlit.

Every tier has one colour on every page (:func:`tier_colors`), from the Okabe-Ito palette, which stays distinct
under the common forms of colour blindness; cheap tiers are blues, the next ones orange and purple, ``untiered``
grey. Charts that are not about tiers use one neutral colour. Money axes and labels read as dollars; a cost the
price book cannot compute is labelled "unpriced", never drawn as $0.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Literal

import plotly.graph_objects as go
import polars as pl

from tierscope.format import DRIVER_WORDS, count, money, percent

UNTIERED = "untiered"
TIER_PALETTE = ("#56B4E9", "#0072B2", "#E69F00", "#CC79A7", "#009E73", "#F0E442")
UNTIERED_COLOR = "#999999"
NEUTRAL = "#5B6770"
# Sankey links are drawn this opaque: light enough to see crossings, dark enough that two tiers stay apart
FLOW_ALPHA = 0.7
# The savings axis spans at least this share of the largest task type's cost (and $1), both ways from $0, so a few
# cents of difference never fill it
SAVINGS_AXIS_SHARE = 0.02
SAVINGS_AXIS_MINIMUM_USD = 1.0
DAY_MS = 86_400_000
# at most this many day ticks, so the labels stay level on a half-width chart
MAX_DAY_TICKS = 8
FLAGGED = "#D55E00"
BASELINE = "#7F7F7F"
MONEY_TICKS = "$,.2~f"
# How every chart is shown (st.plotly_chart config): Plotly's toolbar without its logo.
PLOTLY_CONFIG = {"displaylogo": False}

Measure = Literal["calls", "cost_usd"]
MatrixMeasure = Literal["requests", "calls", "cost_usd"]
MEASURE_LABELS: dict[str, str] = {"requests": "requests", "calls": "calls", "cost_usd": "spend"}


def tier_colors(tier_order: Sequence[str]) -> dict[str, str]:
    """One colour per tier, by rank (cheapest first), plus grey for ``untiered``."""
    colors = {tier: TIER_PALETTE[rank % len(TIER_PALETTE)] for rank, tier in enumerate(tier_order)}
    colors[UNTIERED] = UNTIERED_COLOR
    return colors


def _ordered_tiers(present: Sequence[str | None], tier_order: Sequence[str]) -> list[str]:
    """The tiers present in a frame, in rank order; untiered and unknown names last."""
    seen = {tier for tier in present if tier is not None}
    known = [tier for tier in tier_order if tier in seen]
    return known + sorted(seen - set(known))


def _rgba(hex_color: str, alpha: float) -> str:
    red, green, blue = (int(hex_color[index : index + 2], 16) for index in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def _layout(figure: go.Figure, *, height: int, legend: bool = True) -> go.Figure:
    figure.update_layout(
        template="plotly_white",
        height=height,
        margin={"l": 10, "r": 10, "t": 40 if legend else 10, "b": 10},
        legend={
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.02,
            "xanchor": "left",
            "x": 0,
            "title": None,
            "traceorder": "normal",
        },
        showlegend=legend,
        hoverlabel={"namelength": -1},
        font={"size": 13},
    )
    return figure


def _priced_sum(column: str) -> pl.Expr:
    """The sum of a cost column, NULL when every value is NULL (all calls unpriced) rather than Polars' 0."""
    return pl.when(pl.col(column).is_not_null().any()).then(pl.col(column).sum()).alias(column)


def _money_text(values: Sequence[float | None]) -> list[str]:
    return [money(value) for value in values]


def _count_text(values: Sequence[int | None], unit: str) -> list[str]:
    return [count(value, unit) for value in values]


def day_axis(figure: go.Figure, days: Sequence[dt.date | dt.datetime], max_ticks: int = MAX_DAY_TICKS) -> go.Figure:
    """An x axis of UTC days: ticks on whole days only (one tick for one day, at most ``max_ticks``), so a short
    range never shows the same day twice or hours that have no data."""
    distinct = sorted({day.date() if isinstance(day, dt.datetime) else day for day in days})
    if not distinct:
        return figure
    first, last = distinct[0], distinct[-1]
    step = max(1, math.ceil(((last - first).days + 1) / max_ticks))
    half_day = dt.timedelta(hours=12)
    start, end = dt.datetime.combine(first, dt.time()), dt.datetime.combine(last, dt.time())
    figure.update_xaxes(
        tickformat="%b %d", tick0=start, dtick=step * DAY_MS, range=[start - half_day, end + half_day], tickangle=0
    )
    return figure


def daily_spend_by_tier(daily: pl.DataFrame, tier_order: Sequence[str]) -> go.Figure:
    """Stacked bars of spend per UTC day, one colour per served tier. ``daily``: mart_daily_cost rows."""
    by_day = (
        daily.group_by("day", "served_tier")
        .agg(_priced_sum("cost_usd"), pl.col("calls").sum().alias("calls"))
        .sort("day")
    )
    colors = tier_colors(tier_order)
    figure = go.Figure()
    for tier in _ordered_tiers(by_day["served_tier"].to_list(), tier_order):
        rows = by_day.filter(pl.col("served_tier") == tier)
        figure.add_trace(
            go.Bar(
                x=rows["day"].to_list(),
                y=rows["cost_usd"].to_list(),
                name=tier,
                marker_color=colors.get(tier, UNTIERED_COLOR),
                customdata=list(
                    zip(
                        _money_text(rows["cost_usd"].to_list()),
                        _count_text(rows["calls"].to_list(), "call"),
                        strict=True,
                    )
                ),
                hovertemplate=f"%{{x|%a %b %d}} · {tier}<br>%{{customdata[0]}} · %{{customdata[1]}}<extra></extra>",
            )
        )
    figure.update_layout(barmode="stack", bargap=0.15)
    figure.update_yaxes(title="spend (USD)", tickformat=MONEY_TICKS)
    figure.update_xaxes(title=None)
    day_axis(figure, by_day["day"].to_list())
    return _layout(figure, height=340)


def spend_by_task(daily: pl.DataFrame, tier_order: Sequence[str]) -> go.Figure:
    """Horizontal bars of spend per task type, stacked by served tier, costliest on top, with the total at the end
    of each bar ("unpriced" when none of its calls has a price). ``daily``: mart_daily_cost rows."""
    by_task_tier = daily.group_by("task_type", "served_tier").agg(
        _priced_sum("cost_usd"), pl.col("calls").sum().alias("calls")
    )
    totals = daily.group_by("task_type").agg(_priced_sum("cost_usd")).sort("cost_usd", "task_type", nulls_last=False)
    tasks = totals["task_type"].to_list()
    colors = tier_colors(tier_order)
    figure = go.Figure()
    for tier in _ordered_tiers(by_task_tier["served_tier"].to_list(), tier_order):
        rows = by_task_tier.filter(pl.col("served_tier") == tier)
        figure.add_trace(
            go.Bar(
                y=rows["task_type"].to_list(),
                x=rows["cost_usd"].to_list(),
                name=tier,
                orientation="h",
                marker_color=colors.get(tier, UNTIERED_COLOR),
                customdata=list(
                    zip(
                        _money_text(rows["cost_usd"].to_list()),
                        _count_text(rows["calls"].to_list(), "call"),
                        strict=True,
                    )
                ),
                hovertemplate=f"%{{y}} · {tier}<br>%{{customdata[0]}} · %{{customdata[1]}}<extra></extra>",
            )
        )
    figure.add_trace(
        go.Scatter(
            y=tasks,
            x=[value or 0 for value in totals["cost_usd"].to_list()],
            text=[f"  {label}" for label in _money_text(totals["cost_usd"].to_list())],
            mode="text",
            textposition="middle right",
            showlegend=False,
            hoverinfo="skip",
        )
    )
    figure.update_layout(barmode="stack", bargap=0.25)
    figure.update_yaxes(categoryorder="array", categoryarray=tasks, title=None)
    figure.update_xaxes(title="spend (USD)", tickformat=MONEY_TICKS, rangemode="tozero")
    largest = max((value or 0 for value in totals["cost_usd"].to_list()), default=0)
    figure.update_xaxes(range=[0, largest * 1.22 if largest else 1])
    return _layout(figure, height=max(260, 44 * len(tasks) + 90))


def tier_matrix(tier_mix: pl.DataFrame, tier_order: Sequence[str], measure: MatrixMeasure = "requests") -> go.Figure:
    """Heatmap of requested tier (rows) x served tier (columns): each cell shows the measure and its share of the
    row, so the diagonal is traffic served as requested. ``requests`` pairs the tier a request first asked for with
    the tier that finally served it (escalations leave the diagonal); ``calls`` and ``cost_usd`` pair each call's
    own requested and served tier. ``tier_mix``: mart_tier_mix rows."""
    counted = "requests" if measure == "requests" else "calls"
    cells = (
        tier_mix.filter(pl.col(counted) > 0)
        .group_by("requested_tier", "served_tier")
        .agg(_priced_sum(measure).alias("value"))
    )
    rows = _ordered_tiers(cells["requested_tier"].to_list(), tier_order)
    columns = _ordered_tiers(cells["served_tier"].to_list(), tier_order)
    values = {(requested, served): value for requested, served, value in cells.iter_rows()}
    present = set(values)
    row_totals = {tier: sum(values.get((tier, column)) or 0 for column in columns) for tier in rows}
    matrix: list[list[float | None]] = []
    labels: list[list[str]] = []
    for tier in rows:
        matrix_row: list[float | None] = []
        label_row: list[str] = []
        for column in columns:
            value = values.get((tier, column))
            matrix_row.append(value)
            if (tier, column) not in present:
                label_row.append("")
                continue
            shown = money(value) if measure == "cost_usd" else count(value)
            share = percent(value / row_totals[tier]) if value is not None and row_totals[tier] else ""
            label_row.append(f"{shown}<br>{share}" if share else shown)
        matrix.append(matrix_row)
        labels.append(label_row)
    figure = go.Figure(
        go.Heatmap(
            z=matrix,
            x=columns,
            y=rows,
            text=labels,
            texttemplate="%{text}",
            textfont={"size": 13},
            colorscale="Blues",
            showscale=False,
            xgap=2,
            ygap=2,
            hovertemplate="requested %{y} → served %{x}<br>%{text}<extra></extra>",
        )
    )
    figure.update_xaxes(title="served tier", side="top", type="category")
    figure.update_yaxes(title="requested tier", autorange="reversed", type="category")
    return _layout(figure, height=max(260, 70 * len(rows) + 90), legend=False)


def tier_share_over_time(daily: pl.DataFrame, tier_order: Sequence[str], measure: Measure = "calls") -> go.Figure:
    """Each served tier's share of the day's calls or spend, as 100% stacked bars: one bar per day with data, so a
    day without data is an empty slot, never a slope drawn across it. ``daily``: mart_daily_cost rows."""
    by_day = daily.group_by("day", "served_tier").agg(pl.col(measure).sum().alias("value")).sort("day")
    colors = tier_colors(tier_order)
    figure = go.Figure()
    for tier in _ordered_tiers(by_day["served_tier"].to_list(), tier_order):
        rows = by_day.filter(pl.col("served_tier") == tier)
        figure.add_trace(
            go.Bar(
                x=rows["day"].to_list(),
                y=[value or 0 for value in rows["value"].to_list()],
                name=tier,
                marker_color=colors.get(tier, UNTIERED_COLOR),
                hovertemplate=f"%{{x|%a %b %d}} · {tier}: %{{y:.1f}}%<extra></extra>",
            )
        )
    figure.update_layout(barmode="stack", barnorm="percent", bargap=0.15)
    figure.update_yaxes(title=f"share of {MEASURE_LABELS[measure]} (%)", range=[0, 100], ticksuffix="%")
    figure.update_xaxes(title=None)
    day_axis(figure, by_day["day"].to_list())
    return _layout(figure, height=320)


def model_flow_sankey(flow: pl.DataFrame, tier_order: Sequence[str], max_flows: int = 20) -> go.Figure:
    """Sankey of escalated or fallen-back requests: requested model or tier alias (left) to the model that
    finally served them (right), the ``max_flows`` largest flows, coloured by tier. ``flow``: mart_model_flow rows."""
    top = flow.sort("requests", "requested_model", "served_model", descending=[True, False, False]).head(max_flows)
    colors = tier_colors(tier_order)
    sources = top.select("requested_model", "requested_tier").unique(maintain_order=True).rows()
    targets = top.select("served_model", "served_tier").unique(maintain_order=True).rows()
    source_index = {name: index for index, (name, _tier) in enumerate(sources)}
    target_index = {name: len(sources) + index for index, (name, _tier) in enumerate(targets)}
    nodes = [*sources, *targets]
    figure = go.Figure(
        go.Sankey(
            arrangement="snap",
            # labels sit over the flows: dark text with a white halo stays legible on every tier colour
            textfont={"color": "#1F1F1F", "size": 12, "shadow": "1px 1px 2px #FFFFFF, -1px -1px 2px #FFFFFF"},
            node={
                "label": [f"asked {name}" for name, _ in sources] + [f"served by {name}" for name, _ in targets],
                "color": [colors.get(tier, UNTIERED_COLOR) for _, tier in nodes],
                "pad": 12,
                "thickness": 16,
                "line": {"width": 0},
                "hovertemplate": "%{label}<br>%{value:,} requests<extra></extra>",
            },
            link={
                "source": [source_index[name] for name in top["requested_model"].to_list()],
                "target": [target_index[name] for name in top["served_model"].to_list()],
                "value": top["requests"].to_list(),
                "color": [_rgba(colors.get(tier, UNTIERED_COLOR), FLOW_ALPHA) for tier in top["served_tier"].to_list()],
                "customdata": list(
                    zip(top["escalated_requests"].to_list(), _money_text(top["cost_usd"].to_list()), strict=True)
                ),
                "hovertemplate": "%{source.label} → %{target.label}<br>%{value:,} requests, "
                "%{customdata[0]:,} escalated · %{customdata[1]}<extra></extra>",
            },
        )
    )
    return _layout(figure, height=max(320, 26 * max(len(sources), len(targets)) + 60), legend=False)


def drift_panels(flags: pl.DataFrame, windows: pl.DataFrame) -> tuple[list[str], list[str]]:
    """Which task types get a drift panel, most severe first, and which are left out for want of a judged window
    (never enough requests, or no baseline: ``unknown`` usually). Severity: flagged first, then the latest judged
    window's rate against its limit. ``flags``: mart_drift_flags rows; ``windows``: mart_escalation_by_window."""
    judged = set(windows.filter(pl.col("is_judged"))["task_type"].to_list())
    ordered = (
        flags.filter(pl.col("task_type").is_in(list(judged)))
        .with_columns((pl.col("escalation_rate") / pl.col("limit_rate")).alias("severity"))
        .sort(["is_flagged", "severity", "task_type"], descending=[True, True, False], nulls_last=True)
    )
    shown = ordered["task_type"].to_list()
    hidden = sorted(set(windows["task_type"].to_list()) - set(shown))
    return shown, hidden


def escalation_windows(windows: pl.DataFrame, task_type: str, min_requests: int) -> go.Figure:
    """One task type's escalation rate per drift window against its baseline and limit, flagged windows marked
    with a cross. A window with fewer than ``min_requests`` requests has no rate worth drawing: the line breaks
    there instead of dropping to a rate of a handful of requests. ``windows``: mart_escalation_by_window."""
    rows = windows.filter(pl.col("task_type") == task_type).sort("window_start")
    starts = rows["window_start"].to_list()
    enough = [requests >= min_requests for requests in rows["requests"].to_list()]
    hover = [
        f"{count(escalated)} of {count(requests, 'request')} escalated · limit {percent(limit, decimals=2)}"
        for escalated, requests, limit in rows.select("escalated", "requests", "limit_rate").iter_rows()
    ]
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=starts,
            y=[
                rate if judged else None for rate, judged in zip(rows["escalation_rate"].to_list(), enough, strict=True)
            ],
            name="escalation rate",
            mode="lines+markers",
            connectgaps=False,
            line={"color": TIER_PALETTE[1], "width": 2},
            marker={"size": 7},
            customdata=hover,
            hovertemplate="%{x|%b %d %H:%M}: %{y:.2%}<br>%{customdata}<extra></extra>",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=starts,
            y=rows["baseline_rate"].to_list(),
            name="baseline",
            mode="lines",
            line={"color": BASELINE, "dash": "dash", "width": 1.5},
            hovertemplate="baseline %{y:.2%}<extra></extra>",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=starts,
            y=rows["limit_rate"].to_list(),
            name="threshold",
            mode="lines",
            line={"color": "#000000", "dash": "dot", "width": 1.5},
            hovertemplate="threshold %{y:.2%}<extra></extra>",
        )
    )
    flagged = rows.filter(pl.col("is_flagged"))
    figure.add_trace(
        go.Scatter(
            x=flagged["window_start"].to_list(),
            y=flagged["escalation_rate"].to_list(),
            name="flagged window",
            mode="markers",
            marker={"color": FLAGGED, "size": 13, "symbol": "x", "line": {"width": 1, "color": "#FFFFFF"}},
            hovertemplate="flagged: %{y:.2%}<extra></extra>",
        )
    )
    figure.update_yaxes(title="escalation rate (%)", tickformat=".1%", rangemode="tozero")
    figure.update_xaxes(title=None, tickformat="%b %d")
    if all(start == dt.datetime.combine(start.date(), dt.time()) for start in starts):
        day_axis(figure, starts, max_ticks=5)
    figure.update_layout(title={"text": task_type, "x": 0, "y": 0.98, "font": {"size": 15}})
    figure = _layout(figure, height=300)
    figure.update_layout(margin={"t": 70}, legend={"y": 1.0})
    return figure


def model_costs_bars(models: pl.DataFrame, tier_order: Sequence[str]) -> go.Figure:
    """Horizontal bars of spend per served model, coloured by tier, costliest on top. A model without a price is
    listed with the label "unpriced (N calls)" and no bar. ``models``: mart_model_costs rows (one task type)."""
    by_model = (
        models.group_by("served_model", "served_tier")
        .agg(
            _priced_sum("cost_usd"),
            pl.col("calls").sum().alias("calls"),
            pl.col("unpriced_calls").sum().alias("unpriced_calls"),
        )
        .sort("cost_usd", "served_model", nulls_last=False)
    )
    labels = [
        f"  {money(cost)}" if cost is not None else f"  unpriced ({count(unpriced, 'call')})"
        for cost, unpriced in by_model.select("cost_usd", "unpriced_calls").iter_rows()
    ]
    by_model = by_model.with_columns(pl.Series("label", labels))
    colors = tier_colors(tier_order)
    figure = go.Figure()
    for tier in _ordered_tiers(by_model["served_tier"].to_list(), tier_order):
        rows = by_model.filter(pl.col("served_tier") == tier)
        figure.add_trace(
            go.Bar(
                y=rows["served_model"].to_list(),
                x=[value or 0 for value in rows["cost_usd"].to_list()],
                name=tier,
                orientation="h",
                marker_color=colors.get(tier, UNTIERED_COLOR),
                text=rows["label"].to_list(),
                textposition="outside",
                cliponaxis=False,
                customdata=_count_text(rows["calls"].to_list(), "call"),
                hovertemplate="%{y} · " + tier + "<br>%{text} · %{customdata}<extra></extra>",
            )
        )
    models_order = by_model["served_model"].to_list()
    largest = max((value or 0 for value in by_model["cost_usd"].to_list()), default=0)
    figure.update_yaxes(categoryorder="array", categoryarray=models_order, title=None)
    figure.update_xaxes(title="spend (USD)", tickformat=MONEY_TICKS, range=[0, largest * 1.3 if largest else 1])
    figure.update_layout(barmode="stack", bargap=0.25)
    return _layout(figure, height=max(240, 28 * len(models_order) + 90))


def output_length_histogram(histogram: pl.DataFrame, task_type: str) -> go.Figure:
    """Calls per bin of output tokens for one task type; the overflow bin (past the 99th percentile) is lighter
    and labelled, and routing.yaml's expected output length is a dashed line.
    ``histogram``: mart_output_length_histogram rows."""
    rows = histogram.filter(pl.col("task_type") == task_type).sort("bin_index")
    regular = rows.filter(~pl.col("is_overflow"))
    overflow = rows.filter(pl.col("is_overflow"))
    width = regular.select((pl.col("bin_end_tokens") - pl.col("bin_start_tokens")).max()).item() or 1
    figure = go.Figure()
    figure.add_trace(
        go.Bar(
            x=[start + width / 2 for start in regular["bin_start_tokens"].to_list()],
            y=regular["calls"].to_list(),
            width=[width] * regular.height,
            name="calls",
            marker_color=NEUTRAL,
            customdata=regular.select("bin_start_tokens", "bin_end_tokens").rows(),
            hovertemplate="%{customdata[0]:,}–%{customdata[1]:,} tokens: %{y:,} calls<extra></extra>",
        )
    )
    if overflow.height:
        start = overflow["bin_start_tokens"][0]
        figure.add_trace(
            go.Bar(
                x=[start + width / 2],
                y=overflow["calls"].to_list(),
                width=[width],
                name=f"≥ {start:,} tokens (past the 99th percentile)",
                marker_color=_rgba(NEUTRAL, 0.4),
                hovertemplate=f"≥ {start:,} tokens: %{{y:,}} calls<extra></extra>",
            )
        )
    expected = rows["expected_output_tokens"].drop_nulls()
    if expected.len():
        figure.add_vline(
            x=expected[0],
            line={"color": FLAGGED, "dash": "dash", "width": 2},
            annotation_text=f"expected {expected[0]:,} (routing.yaml)",
            annotation_position="top right",
            annotation_bgcolor="rgba(255,255,255,0.85)",
        )
    figure.update_layout(bargap=0.05)
    figure.update_xaxes(title="output tokens per call", rangemode="tozero")
    figure.update_yaxes(title="calls")
    return _layout(figure, height=320)


def team_feature_costs(owners: pl.DataFrame, max_rows: int = 15) -> go.Figure:
    """Horizontal bars of spend per team · feature, costliest on top (the ``max_rows`` largest).
    ``owners``: mart_cost_by_team_feature rows."""
    rows = (
        owners.with_columns(
            pl.concat_str(pl.col("team"), pl.lit(" · "), pl.col("feature")).alias("owner"),
            pl.col("cost_usd").fill_null(0).alias("bar_usd"),
        )
        .sort("bar_usd", descending=True)
        .head(max_rows)
        .reverse()
    )
    largest = rows.select(pl.col("bar_usd").max()).item() or 0
    figure = go.Figure(
        go.Bar(
            y=rows["owner"].to_list(),
            x=rows["bar_usd"].to_list(),
            orientation="h",
            marker_color=NEUTRAL,
            text=[f"  {label}" for label in _money_text(rows["cost_usd"].to_list())],
            textposition="outside",
            cliponaxis=False,
            customdata=_count_text(rows["calls"].to_list(), "call"),
            hovertemplate="%{y}<br>%{text} · %{customdata}<extra></extra>",
        )
    )
    figure.update_yaxes(categoryorder="array", categoryarray=rows["owner"].to_list(), title=None)
    figure.update_xaxes(title="spend (USD)", tickformat=MONEY_TICKS, range=[0, largest * 1.3 or 1])
    return _layout(figure, height=max(240, 28 * rows.height + 80), legend=False)


def savings_axis_extent(savings: Sequence[float], costs: Sequence[float | None]) -> float:
    """Half the width of a symmetric savings axis: room for the largest bar and its label, and never less than
    SAVINGS_AXIS_SHARE of the largest cost (nor SAVINGS_AXIS_MINIMUM_USD), so cents of difference stay cents."""
    largest_bar = max((abs(value) for value in savings), default=0.0)
    largest_cost = max((value or 0.0 for value in costs), default=0.0)
    return max(1.35 * largest_bar, SAVINGS_AXIS_SHARE * largest_cost, SAVINGS_AXIS_MINIMUM_USD)


def savings_by_task(by_task: pl.DataFrame, tier_order: Sequence[str]) -> go.Figure:
    """Horizontal bars of what one scenario's edits save per task type against the current map (negative: it costs
    more), largest saving on top, each bar in the colour of the tier the scenario routes the task type to, on a
    symmetric axis around $0 (:func:`savings_axis_extent`). ``by_task``: the rows of one scenario of
    scenario.whatif()."""
    rows = by_task.with_columns(pl.col("map_savings_usd").fill_null(0).alias("bar_usd")).sort(
        "bar_usd", "task_type", descending=[False, True]
    )
    colors = tier_colors(tier_order)
    figure = go.Figure()
    for tier in _ordered_tiers(rows["scenario_tier"].to_list(), tier_order):
        routed = rows.filter(pl.col("scenario_tier") == tier)
        figure.add_trace(
            go.Bar(
                y=routed["task_type"].to_list(),
                x=routed["bar_usd"].to_list(),
                name=f"routed to {tier}",
                orientation="h",
                marker_color=colors.get(tier, UNTIERED_COLOR),
                text=[f"  {label}  " for label in _money_text(routed["map_savings_usd"].to_list())],
                textposition="outside",
                cliponaxis=False,
                customdata=list(
                    zip(
                        routed["baseline_tier"].to_list(),
                        _money_text(routed["current_map_cost_usd"].to_list()),
                        _money_text(routed["scenario_cost_usd"].to_list()),
                        strict=True,
                    )
                ),
                hovertemplate="%{y}: %{customdata[0]} → " + tier + "<br>current map %{customdata[1]} → scenario "
                "%{customdata[2]}<br>saves %{text}<extra></extra>",
            )
        )
    tasks = rows["task_type"].to_list()
    extent = savings_axis_extent(rows["bar_usd"].to_list(), rows["current_map_cost_usd"].to_list())
    figure.update_yaxes(categoryorder="array", categoryarray=tasks, title=None)
    figure.update_xaxes(
        title="savings (USD, current map − scenario)",
        tickformat=MONEY_TICKS,
        zeroline=True,
        zerolinecolor="#444444",
        range=[-extent, extent],
    )
    figure.update_layout(barmode="overlay", bargap=0.3)
    return _layout(figure, height=max(240, 40 * len(tasks) + 90))


def scenario_comparison(totals: pl.DataFrame) -> go.Figure:
    """Horizontal bars of each scenario's cost per 30-day month against the current map's (dashed line), each
    labelled with what its edits save per month; first scenario on top. ``totals``: scenario.summarize() rows."""
    labels = [
        f"{money(monthly)} · saves {money(saved)} ({percent(share)})  "
        for monthly, saved, share in totals.select(
            "monthly_scenario_cost_usd", "monthly_map_savings_usd", "map_savings_pct"
        ).iter_rows()
    ]
    names = totals["scenario"].to_list()
    monthly = totals["monthly_scenario_cost_usd"].fill_null(0).to_list()
    current = max(totals["monthly_current_map_cost_usd"].drop_nulls().to_list(), default=0.0)
    figure = go.Figure(
        go.Bar(
            y=names,
            x=monthly,
            orientation="h",
            marker_color=NEUTRAL,
            text=labels,
            textposition="inside",
            insidetextanchor="end",
            textfont={"color": "#FFFFFF"},
            hovertemplate="%{y}<br>%{text}<extra></extra>",
        )
    )
    figure.add_vline(
        x=current,
        line={"color": BASELINE, "dash": "dash", "width": 2},
        annotation_text=f"current map: {money(current)} per month",
        annotation_position="top",
        annotation_bgcolor="rgba(255,255,255,0.85)",
    )
    largest = max([current, *monthly]) or 1
    figure.update_yaxes(categoryorder="array", categoryarray=names[::-1], title=None)
    figure.update_xaxes(title="cost per 30-day month (USD)", tickformat=MONEY_TICKS, range=[0, largest * 1.1])
    figure = _layout(figure, height=max(200, 48 * len(names) + 110), legend=False)
    figure.update_layout(margin={"t": 40})
    return figure


def pass_rates(rates: pl.DataFrame, tier_order: Sequence[str], route_at: float, monitor_at: float) -> go.Figure:
    """Each task type's pass rate per tier (a dot, in the tier's colour) with its 95% Wilson interval (error bars),
    against the thresholds that route a task (solid) or route it with monitoring (dotted).
    ``rates``: mart_profiling_pass_rates rows."""
    colors = tier_colors(tier_order)
    tasks = sorted(set(rates["task_type"].to_list()))
    figure = go.Figure()
    for tier in _ordered_tiers(rates["tier"].to_list(), tier_order):
        rows = rates.filter(pl.col("tier") == tier).sort("task_type")
        figure.add_trace(
            go.Scatter(
                x=rows["task_type"].to_list(),
                y=rows["pass_rate"].to_list(),
                name=tier,
                mode="markers",
                marker={"color": colors.get(tier, UNTIERED_COLOR), "size": 11},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": rows.select(pl.col("pass_rate_high") - pl.col("pass_rate")).to_series().to_list(),
                    "arrayminus": rows.select(pl.col("pass_rate") - pl.col("pass_rate_low")).to_series().to_list(),
                    "color": colors.get(tier, UNTIERED_COLOR),
                    "thickness": 2,
                    "width": 5,
                },
                cliponaxis=False,
                customdata=rows.select("pass_rate_low", "pass_rate_high", "prompts").rows(),
                hovertemplate=f"%{{x}} on {tier}: %{{y:.1%}}<br>95% interval %{{customdata[0]:.1%}}–"
                "%{customdata[1]:.1%} · n=%{customdata[2]:,}<extra></extra>",
            )
        )
    for threshold, dash, words in ((route_at, "solid", "route"), (monitor_at, "dot", "route with monitoring")):
        figure.add_hline(
            y=threshold,
            line={"color": "#000000", "dash": dash, "width": 1},
            annotation_text=f"{words} at {percent(threshold, decimals=0)}",
            annotation_position="right",
            annotation_font_size=11,
        )
    lowest = min([monitor_at, *rates["pass_rate_low"].drop_nulls().to_list()])
    figure.update_layout(scattermode="group", scattergap=0.5)
    figure.update_xaxes(title=None, categoryorder="array", categoryarray=tasks, type="category")
    figure.update_yaxes(title="pass rate (95% interval)", tickformat=".0%", range=[max(lowest - 0.05, 0), 1.0])
    figure = _layout(figure, height=380)
    # room on the right for the thresholds' labels, outside the dots
    figure.update_layout(margin={"r": 150})
    return figure


PROJECTION_MAPS = {"all_frontier": "all on the top tier", "current": "current map", "recommended": "recommended map"}


def cost_projection(projection: pl.DataFrame, tier_order: Sequence[str]) -> go.Figure:
    """Horizontal bars of the projected cost per 30-day month under each map (all traffic on the top tier, the
    current map, the recommended map; top to bottom), stacked by the tier each task type goes to, with the total at
    the end of each bar. ``projection``: scenario.monthly_projection rows."""
    by_map_tier = projection.group_by("map_name", "tier").agg(_priced_sum("monthly_cost_usd"))
    totals = projection.group_by("map_name").agg(_priced_sum("monthly_cost_usd"))
    maps = [name for name in PROJECTION_MAPS if name in set(totals["map_name"].to_list())]
    colors = tier_colors(tier_order)
    figure = go.Figure()
    for tier in _ordered_tiers(by_map_tier["tier"].to_list(), tier_order):
        rows = by_map_tier.filter(pl.col("tier") == tier)
        figure.add_trace(
            go.Bar(
                y=[PROJECTION_MAPS[name] for name in rows["map_name"].to_list()],
                x=rows["monthly_cost_usd"].to_list(),
                name=tier,
                orientation="h",
                marker_color=colors.get(tier, UNTIERED_COLOR),
                customdata=_money_text(rows["monthly_cost_usd"].to_list()),
                hovertemplate=f"%{{y}} · {tier}: %{{customdata}} per month<extra></extra>",
            )
        )
    total_by_map = dict(totals.iter_rows())
    figure.add_trace(
        go.Scatter(
            y=[PROJECTION_MAPS[name] for name in maps],
            x=[total_by_map[name] or 0 for name in maps],
            text=[f"  {money(total_by_map[name])}" for name in maps],
            mode="text",
            textposition="middle right",
            showlegend=False,
            hoverinfo="skip",
        )
    )
    largest = max((value or 0 for value in total_by_map.values()), default=0)
    figure.update_layout(barmode="stack", bargap=0.35)
    figure.update_yaxes(
        categoryorder="array", categoryarray=[PROJECTION_MAPS[name] for name in maps[::-1]], title=None, ticksuffix="  "
    )
    figure.update_xaxes(title="cost per 30-day month (USD)", tickformat=MONEY_TICKS, range=[0, largest * 1.2 or 1])
    return _layout(figure, height=260)


BUDGET_COLORS = {"ok": TIER_PALETTE[1], "forecast_over": TIER_PALETTE[2], "over": FLAGGED}
BUDGET_WORDS = {"ok": "on track", "forecast_over": "forecast over", "over": "over"}


def budget_label(scope: str, name: str | None) -> str:
    """'total', 'team search', 'task type extraction', 'provider openai'."""
    return "total" if scope == "total" else f"{scope.replace('_', ' ')} {name}"


def budget_bars(status: pl.DataFrame) -> go.Figure:
    """Each budget as a progress bar in % of its limit: the month to date (solid), the forecast for the rest of the
    month after it (light), the forecast's 95% interval as a whisker, and the limit at 100%. Coloured by status
    (on track, forecast over, over). Each bar carries (scope, name, month, days elapsed) for the drill-down.
    ``status``: mart_budget_status rows, first budget on top."""
    labels = [budget_label(scope, name) for scope, name in status.select("scope", "name").iter_rows()]
    colors = [BUDGET_COLORS[state] for state in status["status"].to_list()]
    spent = [100 * share for share in status["spent_share"].to_list()]
    forecast = [100 * share for share in status["forecast_share"].to_list()]
    # the budget's keys for the drill-down (scope, name, month, days elapsed), then the hover text
    hover = [
        [
            row["scope"],
            row["name"],
            row["month"],
            row["days_elapsed"],
            f"{money(row['spent_usd'])} of {money(row['limit_usd'])} spent · forecast {money(row['forecast_usd'])} · "
            f"{BUDGET_WORDS[row['status']]}",
        ]
        for row in status.iter_rows(named=True)
    ]
    figure = go.Figure()
    figure.add_trace(
        go.Bar(
            y=labels,
            x=spent,
            name="spent so far",
            orientation="h",
            marker_color=colors,
            customdata=hover,
            hovertemplate="%{y}: %{x:.1f}% of the limit<br>%{customdata[4]}<extra></extra>",
        )
    )
    figure.add_trace(
        go.Bar(
            y=labels,
            x=[max(total - so_far, 0.0) for total, so_far in zip(forecast, spent, strict=True)],
            name="forecast, rest of the month",
            orientation="h",
            marker={"color": [_rgba(color, 0.35) for color in colors]},
            customdata=hover,
            hovertemplate="%{y}: forecast %{customdata[4]}<extra></extra>",
        )
    )
    low = [
        None if value is None else 100 * value / limit
        for value, limit in status.select("forecast_low_usd", "limit_usd").iter_rows()
    ]
    high = [
        None if value is None else 100 * value / limit
        for value, limit in status.select("forecast_high_usd", "limit_usd").iter_rows()
    ]
    figure.add_trace(
        go.Scatter(
            y=labels,
            x=forecast,
            mode="markers",
            name="forecast (95% interval)",
            marker={"color": "#1F1F1F", "size": 7, "symbol": "line-ns-open", "line": {"width": 2}},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [None if top is None else top - mid for top, mid in zip(high, forecast, strict=True)],
                "arrayminus": [
                    None if bottom is None else mid - bottom for bottom, mid in zip(low, forecast, strict=True)
                ],
                "color": "#1F1F1F",
                "thickness": 1.5,
                "width": 4,
            },
            hoverinfo="skip",
        )
    )
    figure.add_vline(x=100, line={"color": "#1F1F1F", "width": 1.5}, annotation_text="limit", annotation_position="top")
    largest = max([100.0, *forecast, *(value for value in high if value is not None)])
    figure.update_layout(barmode="stack", bargap=0.35)
    figure.update_yaxes(categoryorder="array", categoryarray=labels[::-1], title=None, ticksuffix="  ")
    figure.update_xaxes(title="% of the monthly limit", ticksuffix="%", range=[0, largest * 1.08])
    return _layout(figure, height=max(200, 44 * len(labels) + 100))


DRIVER_COLORS = {
    "volume": TIER_PALETTE[1],
    "tokens_per_call": TIER_PALETTE[2],
    "tier_mix": TIER_PALETTE[3],
    "price": TIER_PALETTE[4],
}


def series_label(task_type: str, team: str) -> str:
    return f"{task_type} · {team}"


def anomaly_overview(days: pl.DataFrame) -> go.Figure:
    """The flagged days: one row per task type · team, a dot on each flagged day, sized by the spend above expected
    and coloured by what drove it. Each dot carries its (day, task type, team) for the drill-down.
    ``days``: mart_spend_anomalies rows."""
    flagged = days.filter(pl.col("is_flagged")).with_columns(
        (pl.col("cost_usd") - pl.col("expected_usd")).alias("excess_usd")
    )
    series = sorted({series_label(task, team) for task, team in flagged.select("task_type", "team").iter_rows()})
    largest = flagged["excess_usd"].max() or 1.0
    figure = go.Figure()
    for driver, color in DRIVER_COLORS.items():
        rows = flagged.filter(pl.col("driver") == driver)
        figure.add_trace(
            go.Scatter(
                x=rows["day"].to_list(),
                y=[series_label(task, team) for task, team in rows.select("task_type", "team").iter_rows()],
                mode="markers",
                name=DRIVER_WORDS[driver],
                marker={
                    "color": color,
                    "size": [10 + 22 * (excess / largest) ** 0.5 for excess in rows["excess_usd"].to_list()],
                    "line": {"width": 1, "color": "#FFFFFF"},
                },
                customdata=[
                    [day.isoformat(), task, team, money(cost), money(expected), f"{score:.1f}"]
                    for day, task, team, cost, expected, score in rows.select(
                        "day", "task_type", "team", "cost_usd", "expected_usd", "score"
                    ).iter_rows()
                ],
                hovertemplate="%{x|%a %b %d} · %{y}<br>%{customdata[3]} against %{customdata[4]} expected "
                f"(score %{{customdata[5]}}) · {DRIVER_WORDS[driver]}<extra></extra>",
            )
        )
    figure.update_yaxes(categoryorder="array", categoryarray=series[::-1], title=None, type="category")
    figure.update_xaxes(title=None)
    day_axis(figure, days["day"].to_list())
    return _layout(figure, height=max(220, 34 * len(series) + 110))


def anomaly_series(days: pl.DataFrame, task_type: str, team: str) -> go.Figure:
    """One task type · team: spend per day with calls (bars; flagged days in the flag colour), the expected spend
    (line) and the spend above which a day is flagged (dotted). ``days``: mart_spend_anomalies rows."""
    rows = days.filter((pl.col("task_type") == task_type) & (pl.col("team") == team)).sort("day")
    flagged = rows["is_flagged"].to_list()
    figure = go.Figure()
    figure.add_trace(
        go.Bar(
            x=rows["day"].to_list(),
            y=rows["cost_usd"].to_list(),
            name="spend",
            marker_color=[FLAGGED if flag else NEUTRAL for flag in flagged],
            customdata=[
                [day.isoformat(), task_type, team, money(cost), "—" if score is None else f"{score:.1f}"]
                for day, cost, score in rows.select("day", "cost_usd", "score").iter_rows()
            ],
            hovertemplate="%{x|%a %b %d}: %{customdata[3]} · score %{customdata[4]}<extra></extra>",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=rows["day"].to_list(),
            y=rows["expected_usd"].to_list(),
            name="expected",
            mode="lines",
            line={"color": BASELINE, "width": 2},
            hovertemplate="expected %{y:$,.2f}<extra></extra>",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=rows["day"].to_list(),
            y=rows["flag_above_usd"].to_list(),
            name="flagged above",
            mode="lines",
            line={"color": "#000000", "dash": "dot", "width": 1.5},
            hovertemplate="flagged above %{y:$,.2f}<extra></extra>",
        )
    )
    figure.update_yaxes(title="spend (USD)", tickformat=MONEY_TICKS, rangemode="tozero")
    figure.update_xaxes(title=None)
    day_axis(figure, rows["day"].to_list())
    return _layout(figure, height=320)


def spend_bars(
    frame: pl.DataFrame, label: str, max_rows: int = 20, tier_order: Sequence[str] | None = None
) -> go.Figure:
    """Horizontal bars of spend per ``label`` (a user, a served model), costliest on top (the ``max_rows`` largest),
    coloured by served tier when ``tier_order`` is given. ``frame``: ``label``, cost_usd, calls (and served_tier):
    mart_cost_by_user or the per-model rows of mart_model_performance."""
    rows = (
        frame.with_columns(pl.col("cost_usd").fill_null(0).alias("bar_usd"))
        .sort("bar_usd", descending=True)
        .head(max_rows)
        .reverse()
    )
    colors = tier_colors(tier_order) if tier_order is not None else {}
    largest = rows.select(pl.col("bar_usd").max()).item() or 0
    figure = go.Figure(
        go.Bar(
            y=rows[label].to_list(),
            x=rows["bar_usd"].to_list(),
            orientation="h",
            marker_color=[colors.get(tier, UNTIERED_COLOR) for tier in rows["served_tier"].to_list()]
            if colors
            else NEUTRAL,
            text=[f"  {text}" for text in _money_text(rows["cost_usd"].to_list())],
            textposition="outside",
            cliponaxis=False,
            customdata=_count_text(rows["calls"].to_list(), "call"),
            hovertemplate="%{y}<br>%{text} · %{customdata}<extra></extra>",
        )
    )
    figure.update_yaxes(categoryorder="array", categoryarray=rows[label].to_list(), title=None)
    figure.update_xaxes(title="spend (USD)", tickformat=MONEY_TICKS, range=[0, largest * 1.3 or 1])
    return _layout(figure, height=max(240, 24 * rows.height + 80), legend=False)


def router_savings(audit: pl.DataFrame) -> go.Figure:
    """Per router tier, the saving the router claimed beside the net saving against its baseline (grouped bars).
    ``audit``: mart_router_audit rows (already filtered)."""
    by_tier = (
        audit.with_columns(pl.col("router_tier").fill_null("(no tier)"))
        .group_by("router_tier", maintain_order=True)
        .agg(pl.col("claimed_savings_usd").sum(), pl.col("net_savings_usd").sum())
    )
    figure = go.Figure()
    bars = (
        ("claimed_savings_usd", "claimed by the router", NEUTRAL),
        ("net_savings_usd", "net: baseline - cost", TIER_PALETTE[4]),
    )
    for column, name, color in bars:
        values = by_tier[column].to_list()
        figure.add_bar(
            x=by_tier["router_tier"].to_list(),
            y=values,
            name=name,
            marker_color=color,
            text=_money_text(values),
            textposition="outside",
            hovertemplate="%{x}: %{text}<extra>" + name + "</extra>",
        )
    figure.update_layout(barmode="group", bargap=0.3, yaxis={"title": "USD", "tickformat": MONEY_TICKS})
    return _layout(figure, height=320)
