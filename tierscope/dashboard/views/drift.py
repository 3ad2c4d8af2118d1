"""Escalation drift: the rule in words, the task types flagged now with their numbers, and each task type's
escalation rate per window against its baseline and threshold. A flagged row or a clicked window opens its calls."""

from typing import Any

import polars as pl
import streamlit as st

from tierscope.dashboard import cache, charts, drill, filters, live
from tierscope.dashboard.tables import Column
from tierscope.format import count, drift_rule
from tierscope.queries.api import Scope

FLAG_COLUMNS = {
    "task_type": Column("task type"),
    "window": Column("window (UTC)"),
    "requests": Column("requests", "count"),
    "escalated": Column("escalated", "count"),
    "escalation_rate": Column("escalation rate", "percent"),
    "baseline_rate": Column("baseline", "percent"),
    "limit_rate": Column("threshold", "percent"),
    "baseline_source": Column("baseline from"),
    "flagged_windows": Column("flagged windows in view", "count"),
}


def window_calls(row: dict[str, Any]) -> drill.Keys:
    """A flagged window's task type on the window's first day."""
    day = f"{row['window_start']:%Y-%m-%d}"
    return {filters.TASK_TYPES: [row["task_type"]], filters.DATES: [day, day]}


def drift_panel(scope: Scope) -> None:
    """The flags and the windows: a live panel (refreshed on an interval in live mode, filters kept)."""
    windows = cache.escalation_by_window(scope)
    filters.stop_if_empty(windows, scope)
    flags = cache.drift_flags(scope)
    flagged = flags.filter(pl.col("is_flagged")).join(
        windows.group_by("task_type").agg(pl.col("is_flagged").sum().alias("flagged_windows")), on="task_type"
    )

    st.subheader("Flagged now")
    if flagged.is_empty():
        st.success(
            f"No task type is drifting: each of the {flags.height} judged is within its limit in its latest window."
        )
    else:
        drill.table(
            flagged.with_columns(pl.col("window_start").dt.strftime("%Y-%m-%d %H:%M").alias("window")),
            FLAG_COLUMNS,
            "drift_flags",
            window_calls,
        )
        st.caption(
            "Each task type's latest window with enough requests to judge. `tierscope drift` exits 1 on these. Pick "
            "a row to list the calls of its window's day."
        )

    st.subheader("Escalation rate per window")
    min_requests = cache.routing().drift.min_requests
    shown, hidden = charts.drift_panels(flags, windows)
    st.caption(
        f"Most severe first (flagged, then the latest rate against its threshold). Crosses mark flagged windows "
        "(click a point to list the calls of its day); "
        f"the line breaks at windows with fewer than {count(min_requests, 'request')}, too few to judge."
        + (
            f" Not drawn: {', '.join(hidden)}, with no window of {count(min_requests, 'request')} and a baseline."
            if hidden
            else ""
        )
    )
    for row_start in range(0, len(shown), 2):
        for column, task_type in zip(st.columns(2), shown[row_start : row_start + 2], strict=False):
            with column:
                drill.chart(
                    charts.escalation_windows(windows, task_type, min_requests),
                    f"drift_{task_type}",
                    drill.drift_window(task_type),
                )


st.title("Escalation drift")
scope = filters.page_scope()
st.caption(filters.describe(scope))
rule = cache.routing().drift
st.info(
    drift_rule(rule.threshold, rule.mode, rule.window, rule.min_requests, rule.baseline_days), icon=":material/rule:"
)
live.panel(drift_panel)(scope)
