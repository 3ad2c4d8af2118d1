"""Users and models: spend by user, spend by model with its latency and errors, cost beside latency and errors per
task type and model, and what prompt caching saved per task type and provider. Users and latency are not in the daily
rollups, so those sections read the calls of the dates in view. A picked row or a clicked bar opens its calls."""

from __future__ import annotations

import polars as pl
import streamlit as st

from tierscope.dashboard import cache, charts, drill, filters
from tierscope.dashboard.tables import Column
from tierscope.format import count, money

MAX_BARS = 20
USER_COLUMNS = {
    "dimension_value": Column("user"),
    "requests": Column("requests", "count", "Distinct traces of the user's calls"),
    "calls": Column("calls", "count"),
    "input_tokens": Column("tokens in", "tokens"),
    "output_tokens": Column("tokens out", "tokens"),
    "cost_usd": Column("cost", "money", "Priced calls only"),
    "unpriced_calls": Column("unpriced", "count"),
}
BY_MODEL_COLUMNS = {
    "served_model": Column("served model"),
    "served_tier": Column("tier"),
    "calls": Column("calls", "count"),
    "cost_usd": Column("cost", "money", "Priced calls only"),
    "cost_per_call_usd": Column("$/call", "price", "Mean cost of a priced call"),
    "latency_p50_ms": Column("p50 ms", "count", "Median latency of the calls that report one"),
    "latency_p95_ms": Column("p95 ms", "count", "95th percentile latency"),
    "error_rate": Column("errors", "percent", "Calls with status error"),
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
drill.chart(charts.spend_bars(users, "dimension_value", MAX_BARS), "user_spend", drill.label_as(drill.USER))
drill.table(users, USER_COLUMNS, "users", lambda row: {drill.USER: [row["dimension_value"]]})
st.caption(
    f"{count(users.height, 'user')} (the {MAX_BARS} costliest drawn); '(none)': calls that name no user. Click a bar "
    "or pick a row to list the user's calls."
)

performance = cache.model_performance(scope)
models = performance.filter(pl.col("task_type").is_null()).sort("cost_usd", descending=True, nulls_last=True)
st.subheader("Spend by model")
drill.chart(
    charts.spend_bars(models, "served_model", MAX_BARS, cache.tier_order()), "model_spend", drill.label_as(drill.MODEL)
)
drill.table(models, BY_MODEL_COLUMNS, "models", lambda row: {drill.MODEL: [row["served_model"]]})
st.caption(
    "Every task type together, costliest first, coloured by tier. Click a bar or pick a row to list the model's calls."
)

st.subheader("Cost, latency and errors per task type and model")
per_task = performance.filter(pl.col("task_type").is_not_null()).with_columns(
    pl.col("served_model").fill_null("(all models)").alias("model")
)
drill.table(
    per_task,
    MODEL_COLUMNS,
    "task_models",
    lambda row: {
        filters.TASK_TYPES: [row["task_type"]],
        **({drill.MODEL: [row["served_model"]]} if row["served_model"] else {}),
    },
    highlight=per_task["served_model"].is_null(),
)
st.caption(
    "Tinted rows: the task type over all its models. Latency percentiles are exact, over the calls that report a "
    "latency; the error rate counts calls with status error. Pick a row to list its calls."
)

st.subheader("What prompt caching saved")
savings = cache.cache_savings(scope)
if savings.is_empty():
    st.write("No priced call in this view.")
else:
    drill.table(
        savings,
        CACHE_COLUMNS,
        "cache_savings",
        lambda row: {
            filters.TASK_TYPES: [row["task_type"]],
            **({filters.PROVIDERS: [row["provider"]]} if row["provider"] != "(none)" else {}),
        },
    )
    saved, uncached = savings.select(pl.col("saved_usd").sum(), pl.col("uncached_cost_usd").sum()).row(0)
    st.caption(
        f"Saved in all: {money(saved)} of {money(uncached)} the same "
        "calls would have cost at the plain input price, each at the price in effect on its day. Pick a row to list "
        "its calls."
    )
