"""Tier mix: which tier callers asked for against the tier that served them, how the served mix moves over time,
and where escalated or fallen-back traffic went, model by model. A pair of tiers or a clicked bar opens the calls
behind it."""

import polars as pl
import streamlit as st

from tierscope.dashboard import cache, charts, drill, filters
from tierscope.format import count, percent

MAX_FLOWS = 20

st.title("Tier mix")
scope = filters.page_scope()
st.caption(filters.describe(scope))

tiers = cache.tier_order()

mix = cache.tier_mix(scope)
filters.stop_if_empty(mix, scope)
matrix, over_time = st.columns(2)
with matrix:
    st.subheader("Requested tier × served tier")
    matrix_measures: list[charts.MatrixMeasure] = ["requests", "calls", "cost_usd"]
    matrix_measure = (
        st.segmented_control(
            "Count", matrix_measures, format_func=charts.MEASURE_LABELS.__getitem__, default="requests", key="matrix"
        )
        or "requests"
    )
    st.plotly_chart(charts.tier_matrix(mix, tiers, matrix_measure), theme=None, config=charts.PLOTLY_CONFIG)
    st.caption(
        "Requests: the tier a request first asked for against the tier that finally served it, so escalations and "
        "fallbacks sit off the diagonal. Calls and spend: each call's own requested and served tier. Each cell "
        "shows its share of the row."
    )
    pairs = mix.filter(pl.col("calls") > 0).select("requested_tier", "served_tier").unique().sort(pl.all()).rows()
    pair = st.selectbox(
        "Calls of one cell",
        pairs,
        index=None,
        format_func=lambda cell: f"asked for {cell[0]} → served by {cell[1]}",
        placeholder="Pick requested → served tier",
        key="matrix_calls",
    )
    if pair:
        drill.button(
            {drill.REQUESTED_TIER: [pair[0]], drill.SERVED_TIER: [pair[1]]},
            f"The calls asked for {pair[0]}, served by {pair[1]}",
        )
with over_time:
    st.subheader("Served-tier share over time")
    share_measures: list[charts.Measure] = ["calls", "cost_usd"]
    share_measure = (
        st.segmented_control(
            "Share of", share_measures, format_func=charts.MEASURE_LABELS.__getitem__, default="calls", key="share"
        )
        or "calls"
    )
    share = charts.tier_share_over_time(cache.daily_cost(scope), tiers, share_measure)
    drill.chart(share, "tier_share", drill.day_and_tier)
    st.caption("Click a bar to list that day's calls on that tier.")

st.subheader("Where escalated and fallen-back traffic went")
flow = cache.model_flow(scope)
if flow.is_empty():
    st.write("No request in this view escalated or fell back to another model.")
else:
    st.plotly_chart(charts.model_flow_sankey(flow, tiers, MAX_FLOWS), theme=None, config=charts.PLOTLY_CONFIG)
    moved = flow.select(pl.col("requests").sum()).item()
    shown = flow.sort("requests", descending=True).head(MAX_FLOWS).select(pl.col("requests").sum()).item()
    st.caption(
        f"{count(moved)} requests ended on another model than the one (or the tier) they asked "
        f"for, in {count(flow.height)} requested → served pairs; the {min(MAX_FLOWS, flow.height)} largest are drawn "
        f"({percent(shown / moved)} of those requests). A request counts when it escalated, its "
        "final tier differs from the requested tier, or another model answered a request for a specific model."
    )
