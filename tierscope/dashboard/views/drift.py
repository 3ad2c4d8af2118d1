"""Escalation drift: the rule in words, the task types flagged now with their numbers, and each task type's
escalation rate per window against its baseline and threshold."""

import polars as pl
import streamlit as st

from tierscope.dashboard import cache, charts, filters, live
from tierscope.format import drift_rule
from tierscope.queries.api import Scope

FLAG_COLUMNS = {
    "task_type": st.column_config.TextColumn("task type"),
    "window_start": st.column_config.DatetimeColumn("window (UTC)", format="YYYY-MM-DD HH:mm"),
    "requests": st.column_config.NumberColumn("requests", format="localized"),
    "escalated": st.column_config.NumberColumn("escalated", format="localized"),
    "escalation_rate": st.column_config.NumberColumn("escalation rate", format="percent"),
    "baseline_rate": st.column_config.NumberColumn("baseline", format="percent"),
    "limit_rate": st.column_config.NumberColumn("threshold", format="percent"),
    "baseline_source": st.column_config.TextColumn("baseline from"),
    "flagged_windows": st.column_config.NumberColumn("flagged windows in view", format="localized"),
}


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
        st.dataframe(flagged.select(list(FLAG_COLUMNS)), column_config=FLAG_COLUMNS, hide_index=True)
        st.caption("Each task type's latest window with enough requests to judge. `tierscope drift` exits 1 on these.")

    st.subheader("Escalation rate per window")
    order = [*flagged["task_type"].to_list(), *sorted(set(windows["task_type"].to_list()) - set(flagged["task_type"]))]
    for row_start in range(0, len(order), 2):
        for column, task_type in zip(st.columns(2), order[row_start : row_start + 2], strict=False):
            with column:
                st.plotly_chart(charts.escalation_windows(windows, task_type), theme=None, config=charts.PLOTLY_CONFIG)
    st.caption("Crosses mark flagged windows; hollow points are windows with too few requests to judge.")


st.title("Escalation drift")
scope = filters.page_scope()
st.caption(filters.describe(scope))
rule = cache.routing().drift
st.info(
    drift_rule(rule.threshold, rule.mode, rule.window, rule.min_requests, rule.baseline_days), icon=":material/rule:"
)
live.panel(drift_panel)(scope)
