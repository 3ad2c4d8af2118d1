"""Spend anomalies: the days whose spend, per task type and team, rose above its trailing baseline, and what drove
each (more calls, more tokens per call, a pricier tier mix or a higher price per token). A click on a day opens its
calls."""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from tierscope.dashboard import cache, charts, drill, filters
from tierscope.dashboard.tables import Column
from tierscope.format import DRIVER_WORDS, anomaly_cause, anomaly_rule, count
from tierscope.queries import api

COLUMNS = {
    "day": Column("day"),
    "task_type": Column("task type"),
    "team": Column("team"),
    "cost_usd": Column("spend", "money"),
    "expected_usd": Column("expected", "money"),
    "score": Column("score", "number", "Robust z-score: (spend − expected) / scale"),
    "driver_words": Column("driver"),
    "explained": Column("what moved", width=320),
}


def flagged_table(flagged: pl.DataFrame) -> pl.DataFrame:
    return flagged.with_columns(
        pl.col("driver").replace_strict(DRIVER_WORDS, default=None).alias("driver_words"),
        pl.Series("explained", [anomaly_cause(row) for row in flagged.iter_rows(named=True)], dtype=pl.String),
    )


def day_calls(row: dict[str, Any]) -> drill.Keys:
    return drill.day_task_team_keys(f"{row['day']:%Y-%m-%d}", row["task_type"], row["team"])


st.title("Spend anomalies")
scope = filters.page_scope()
st.caption(filters.describe(scope))
st.info(anomaly_rule(api.ANOMALY_THRESHOLD), icon=":material/rule:")

days = cache.spend_anomalies(scope)
filters.stop_if_empty(days, scope)
flagged = days.filter(pl.col("is_flagged")).sort("day", "task_type", "team", descending=[True, False, False])
judged = days.filter(pl.col("score").is_not_null()).height

st.subheader("Flagged days")
if flagged.is_empty():
    st.success(
        f"No day rose above its baseline: {judged:,} task type · team days judged "
        f"({count(days.height - judged)} more had fewer than 7 earlier days with calls to judge against)."
    )
else:
    st.caption(
        f"{flagged.height:,} flagged of {judged:,} judged task type · team days. Dot size: the spend above "
        "expected. Click a dot to list that day's calls."
    )
    drill.chart(charts.anomaly_overview(days), "anomaly_overview", drill.day_task_team)
    drill.table(flagged_table(flagged), COLUMNS, "anomalies", day_calls)
    st.caption(
        "Pick a row to list that day's calls. `tierscope anomalies` lists the same days and exits 1 when the last "
        "day with data has one."
    )

st.subheader("One task type · team, day by day")
series = days.select("task_type", "team").unique().sort("task_type", "team")
ordered = flagged.select("task_type", "team").unique(maintain_order=True).rows() + [
    pair for pair in series.rows() if pair not in set(flagged.select("task_type", "team").rows())
]
picked = st.selectbox("Task type · team", ordered, format_func=lambda pair: charts.series_label(*pair), key="series")
if picked:
    drill.chart(charts.anomaly_series(days, *picked), "anomaly_series", drill.day_task_team)
    st.caption("Bars: spend per day with calls, flagged days in orange-red. Click a bar to list its calls.")
