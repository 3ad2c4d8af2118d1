"""Users and models: spend by user, cost beside latency and errors per task type and model, and what prompt caching
saved per task type and provider. Users and latency are not in the daily rollups, so the first two read the calls
of the dates in view."""

from __future__ import annotations

import polars as pl
import streamlit as st

from tierscope.dashboard import cache, charts, drill, filters, tables
from tierscope.dashboard.tables import Column
from tierscope.format import count, money

MAX_USERS = 20
USER_COLUMNS = {
    "dimension_value": Column("user"),
    "requests": Column("requests", "count", "Distinct traces of the user's calls"),
    "calls": Column("calls", "count"),
    "input_tokens": Column("tokens in", "tokens"),
    "output_tokens": Column("tokens out", "tokens"),
    "cost_usd": Column("cost", "money", "Priced calls only"),
    "unpriced_calls": Column("unpriced", "count"),
}
MODEL_COLUMNS = {
    "task_type": Column("task type"),
    "model": Column("served model"),
    "served_tier": Column("tier"),
    "calls": Column("calls", "count"),
    "cost_usd": Column("cost", "money", "Priced calls only"),
    "cost_per_call_usd": Column("$/call", "price", "Mean cost of a priced call"),
    "latency_p50_ms": Column("p50 ms", "count", "Median latency of the calls that report one"),
    "latency_p95_ms": Column("p95 ms", "count", "95th percentile latency"),
    "error_rate": Column("errors", "percent", "Calls with status error"),
    "unpriced_calls": Column("unpriced", "count"),
}
CACHE_COLUMNS = {
    "task_type": Column("task type"),
    "provider": Column("provider"),
    "cached_share": Column("cached input", "percent", "Share of input tokens read from the cache"),
    "cost_usd": Column("paid", "money"),
    "uncached_cost_usd": Column("without caching", "money", "Every cached and cache-written token at the input price"),
    "read_savings_usd": Column("saved on reads", "money"),
    "write_premium_usd": Column("write premium", "money", "What writing the cache cost above the input price"),
    "saved_usd": Column("saved", "money", "Without caching − paid"),
    "saved_share": Column("saved %", "percent", "Saved / cost without caching"),
}

st.title("Users and models")
scope = filters.page_scope()
st.caption(filters.describe(scope))

users = cache.cost_by_user(scope)
filters.stop_if_empty(users, scope)
st.subheader("Spend by user")
chart, table = st.columns([2, 3])
with chart:
    st.plotly_chart(charts.user_spend(users, MAX_USERS), theme=None, config=charts.PLOTLY_CONFIG)
with table:
    tables.show(users, USER_COLUMNS)
    st.caption(f"{count(users.height, 'user')}; '(none)': calls that name no user. Pick a user to list their calls.")
    picked = st.selectbox("User", users["dimension_value"].to_list(), key="user_calls", index=None)
    if picked:
        drill.page_link({drill.USER: [picked]}, f"The calls of {picked}")

st.subheader("Cost, latency and errors per task type and model")
performance = cache.model_performance(scope).with_columns(
    pl.col("served_model").fill_null("(all models)").alias("model")
)
tables.show(performance, MODEL_COLUMNS, highlight=performance["served_model"].is_null())
st.caption(
    "Tinted rows: the task type over all its models. Latency percentiles are exact, over the calls that report a "
    "latency; the error rate counts calls with status error."
)

st.subheader("What prompt caching saved")
savings = cache.cache_savings(scope)
if savings.is_empty():
    st.write("No priced call in this view.")
else:
    tables.show(savings, CACHE_COLUMNS)
    st.caption(
        f"Saved in all: {money(savings['saved_usd'].sum())} of {money(savings['uncached_cost_usd'].sum())} the same "
        "calls would have cost at the plain input price, each at the price in effect on its day."
    )
