"""The drill-down: from a number on a chart or a table to the calls behind it, on the Calls page (views/calls.py).

A chart drawn with ``on_select="rerun"`` hands back the clicked point; a ``keys`` function of this module turns it
into the explorer's URL keys (pure: tested without Streamlit), and :func:`follow` switches to the explorer with the
page's filters from the URL (dates, task types, teams, providers), the clicked keys replacing them. The explorer's
own keys (served tier, model, user...) are widgets bound to the URL, so the link is the whole state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from tierscope.dashboard import charts, filters, tables

EXPLORER = "views/calls.py"
# The explorer's URL keys, beside the sidebar's (filters.DATES, TASK_TYPES, TEAMS, PROVIDERS)
SERVED_TIER, REQUESTED_TIER, STATUS, ESCALATED = "served_tier", "requested_tier", "status", "escalated"
MODEL, USER, TRACE, ORDER = "model", "user", "trace", "order"
SIDEBAR_KEYS = (filters.DATES, filters.TASK_TYPES, filters.TEAMS, filters.PROVIDERS)
# how a chart lets a point be picked: one click selects one point
SELECT: dict[str, Any] = {"on_select": "rerun", "selection_mode": "points"}

Keys = dict[str, list[str]]
Point = Mapping[str, Any]
# a clicked point's keys; empty when the point stands for no calls (a line of expected values, a label)
KeysOf = Callable[[go.Figure, Point], Keys]
RowKeys = Callable[[dict[str, Any]], Keys]


def day_of(value: object) -> str:
    """A point's x on a day axis as YYYY-MM-DD: Plotly hands back an ISO text or epoch milliseconds."""
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value / 1000, dt.UTC).strftime("%Y-%m-%d")
    return str(value)[:10]


def _trace_name(figure: go.Figure, point: Point) -> str | None:
    trace = figure.data[point["curve_number"]]
    return trace.name if isinstance(trace, go.Bar) else None


def day_and_tier(figure: go.Figure, point: Point) -> Keys:
    """A bar of spend or share per day, one trace per served tier: that day, that tier."""
    day = day_of(point["x"])
    tier = _trace_name(figure, point)
    return {filters.DATES: [day, day], **({SERVED_TIER: [tier]} if tier else {})}


def task_and_tier(figure: go.Figure, point: Point) -> Keys:
    """A horizontal bar per task type, one trace per served tier: that task type, that tier (the total's label:
    the task type only)."""
    tier = _trace_name(figure, point)
    return {filters.TASK_TYPES: [str(point["y"])], **({SERVED_TIER: [tier]} if tier else {})}


def tier_pair(_figure: go.Figure, point: Point) -> Keys:
    """A cell of the requested x served tier matrix: calls asked for the row's tier and served by the column's."""
    return {REQUESTED_TIER: [str(point["y"])], SERVED_TIER: [str(point["x"])]}


def drift_window(task_type: str) -> KeysOf:
    """A window of one task type's escalation chart: that task type on the window's day."""

    def keys(_figure: go.Figure, point: Point) -> Keys:
        day = day_of(point["x"])
        return {filters.TASK_TYPES: [task_type], filters.DATES: [day, day]}

    return keys


def day_task_team(_figure: go.Figure, point: Point) -> Keys:
    """A point whose customdata starts with (day, task type, team): an anomaly's day (the expected and threshold
    lines carry none)."""
    data = point.get("customdata")
    if not data:
        return {}
    day, task_type, team = data[:3]
    return {filters.DATES: [day, day], filters.TASK_TYPES: [task_type], filters.TEAMS: [team]}


def within(task_type: str, keys: KeysOf) -> KeysOf:
    """``keys`` on a chart of one task type: that task type too."""

    def narrowed(figure: go.Figure, point: Point) -> Keys:
        found = keys(figure, point)
        return {filters.TASK_TYPES: [task_type], **found} if found else {}

    return narrowed


def label_as(key: str) -> KeysOf:
    """A horizontal bar per value of ``key`` (a user, a team): that value; a stacked trace's name is its served
    tier."""

    def keys(figure: go.Figure, point: Point) -> Keys:
        tier = _trace_name(figure, point)
        return {key: [str(point["y"])], **({SERVED_TIER: [tier]} if tier else {})}

    return keys


def owner(_figure: go.Figure, point: Point) -> Keys:
    """A bar per 'team · feature': that team (the explorer has no feature filter)."""
    return {filters.TEAMS: [str(point["y"]).split(" · ")[0]]}


def budget(_figure: go.Figure, point: Point) -> Keys:
    """A budget's bar (customdata: scope, name, month 'YYYY-MM', days elapsed): its scope's calls in its month up to
    the newest call, from the first day with data when the logs start within the month."""
    scope, name, month, elapsed = point["customdata"][:4]
    first = dt.date.fromisoformat(f"{month}-01")
    last = first + dt.timedelta(days=int(elapsed) - 1)
    span = filters.data_span()
    if span is not None:
        first = max(first, span.first_day)
    # a budget ignores the sidebar's filters (its scope is its filter), so the link clears them
    by_scope = {"task_type": filters.TASK_TYPES, "team": filters.TEAMS, "provider": filters.PROVIDERS}
    cleared: Keys = {key: [] for key in by_scope.values()}
    return {
        **cleared,
        filters.DATES: [f"{first}", f"{last}"],
        **({by_scope[scope]: [name]} if scope in by_scope else {}),
    }


def link(current: Mapping[str, list[str]], keys: Keys) -> Keys:
    """The explorer's query parameters: the sidebar's filters as the page has them, the clicked keys over them."""
    kept = {key: list(current[key]) for key in SIDEBAR_KEYS if current.get(key)}
    return {key: values for key, values in {**kept, **keys}.items() if values}


def open_calls(keys: Keys) -> None:
    """Switch to the explorer on ``keys`` with the page's filters (nothing when there are no keys)."""
    if keys:
        st.switch_page(EXPLORER, query_params=link(current_filters(), keys))


def current_filters() -> Keys:
    """The sidebar's filters as the URL carries them."""
    return {key: st.query_params.get_all(key) for key in SIDEBAR_KEYS}


def follow(event: object, figure: go.Figure, keys: KeysOf) -> None:
    """When a point of ``figure`` was clicked (``event``: what st.plotly_chart returned), open its calls."""
    selection = getattr(event, "selection", None)
    points = selection.get("points", []) if selection else []
    if points:
        open_calls(keys(figure, points[0]))


def chart(figure: go.Figure, key: str, keys: KeysOf) -> None:
    """Draw a chart whose points open their calls when clicked."""
    event = st.plotly_chart(figure, theme=None, config=charts.PLOTLY_CONFIG, key=key, **SELECT)
    follow(event, figure, keys)


def table(
    frame: pl.DataFrame,
    columns: Mapping[str, tables.Column],
    key: str,
    keys: RowKeys,
    highlight: pl.Series | None = None,
) -> None:
    """A table whose rows open their calls when one is picked."""
    picked = tables.show(frame, columns, highlight, key=key)
    if picked is not None:
        open_calls(keys(frame.row(picked, named=True)))


def page_link(keys: Keys, label: str) -> None:
    """A link to the calls behind a row or a number, with the page's filters."""
    st.page_link(EXPLORER, label=label, icon=":material/list_alt:", query_params=link(current_filters(), keys))
