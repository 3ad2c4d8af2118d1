"""Task costs: what each task type costs (table + CSV), then one task type in detail: the models that served it,
its daily cost, how long its answers are, and which teams and features spend it. A picked row or a clicked bar opens
the calls behind it."""

import dataclasses

import streamlit as st

from tierscope.dashboard import cache, charts, drill, filters
from tierscope.dashboard.tables import Column
from tierscope.queries import export

TASK_COLUMNS = {
    "task_type": Column("task type"),
    "requests": Column("requests", "count", "Logical requests (traces)"),
    "calls": Column("calls", "count", "Model calls, retries included"),
    "input_tokens": Column("tokens in", "tokens"),
    "output_tokens": Column("tokens out", "tokens"),
    "cost_usd": Column("cost", "money", "Priced calls only"),
    "cost_share": Column("share", "percent", "Share of the cost in view"),
    "cost_per_request_p50_usd": Column("$/request p50", "price", "Median cost of one request (trace)"),
    "cost_per_request_p95_usd": Column("$/request p95", "price", "95th percentile cost of one request (trace)"),
    "output_input_ratio": Column("out/in", "ratio", "Output tokens per input token"),
    "escalation_rate": Column("escalated", "percent", "Share of requests that escalated"),
    "unpriced_calls": Column("unpriced", "count", "Calls with no price in effect: not in cost, never $0"),
}

st.title("Task costs")
scope = filters.page_scope()
st.caption(filters.describe(scope))

tasks = cache.task_costs(scope)
filters.stop_if_empty(tasks, scope)
drill.table(tasks, TASK_COLUMNS, "task_costs", lambda row: {filters.TASK_TYPES: [row["task_type"]]})
st.caption("Pick a row (its left edge) to list the task type's calls.")
st.download_button(
    "Download CSV",
    export.csv_text(tasks),
    file_name="tierscope_task_costs_{}_{}.csv".format(*filters.days(scope) or ("all", "dates")),
    mime="text/csv",
    icon=":material/download:",
    on_click="ignore",
)

st.header("One task type in detail")
task_type = st.selectbox("Task type", tasks["task_type"].to_list(), key="drill", bind="query-params")
task_scope = dataclasses.replace(scope, task_types=(task_type,))
tiers = cache.tier_order()

models, daily = st.columns(2)
with models:
    st.subheader("Models that served it")
    drill.chart(
        charts.model_costs_bars(cache.model_costs(task_scope), tiers),
        "task_models",
        drill.within(task_type, drill.label_as(drill.MODEL)),
    )
with daily:
    st.subheader("Daily cost")
    drill.chart(
        charts.daily_spend_by_tier(cache.daily_cost(task_scope), tiers),
        "task_daily",
        drill.within(task_type, drill.day_and_tier),
    )

lengths, owners = st.columns(2)
with lengths:
    st.subheader("Output length per call")
    histogram = cache.output_length_histogram(task_scope)
    st.plotly_chart(charts.output_length_histogram(histogram, task_type), theme=None, config=charts.PLOTLY_CONFIG)
with owners:
    st.subheader("Cost by team and feature")
    drill.chart(
        charts.team_feature_costs(cache.cost_by_team_feature(task_scope)),
        "task_owners",
        drill.within(task_type, drill.owner),
    )
st.caption("Click a bar to list its calls.")
