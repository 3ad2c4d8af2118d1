"""The drill-down: from a number on a chart or a table to the calls behind it, on the Calls page (views/calls.py).

A chart drawn with a selection callback hands back the clicked point (a table with row selection, the picked row);
a ``keys`` function of this module turns it into the explorer's keys (pure: tested without Streamlit). The callback
sets the filters to them: the sidebar's (dates, task types, teams, providers: the clicked keys over what the page
had) and the explorer's own (served and requested tier, model, user..., cleared unless clicked), then the app
switches to the explorer (:func:`switch_if_asked`). Widget state, not a link: the filters are widgets bound to the
URL, and a bound widget keeps its value over an address's; once there, the URL shows the whole state again.
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
NO_TEAM = "(none)"  # how the marts name a missing team
TEXT_KEYS = (MODEL, USER, TRACE)  # text inputs: comma-separated values
OPENING = "_tierscope_open_calls"

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
    return day_task_team_keys(day, task_type, team)


def day_task_team_keys(day: str, task_type: str, team: str) -> Keys:
    """One day of a task type · team; a series of calls without a team ('(none)') keeps the team filter as is."""
    return {
        filters.DATES: [day, day],
        filters.TASK_TYPES: [task_type],
        **({filters.TEAMS: [team]} if team != NO_TEAM else {}),
    }


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


def widget_state(keys: Keys) -> dict[str, object]:
    """The widget values that show the explorer on ``keys``: the clicked keys set, the sidebar's other filters left
    as they are, the explorer's own filters cleared unless clicked (its order kept)."""
    state: dict[str, object] = {
        SERVED_TIER: [],
        REQUESTED_TIER: [],
        STATUS: [],
        ESCALATED: None,
        MODEL: "",
        USER: "",
        TRACE: "",
    }
    for key, values in keys.items():
        if key == filters.DATES:
            state[key] = (dt.date.fromisoformat(values[0]), dt.date.fromisoformat(values[-1]))
        elif key in TEXT_KEYS:
            state[key] = ", ".join(values)
        else:
            state[key] = list(values)
    return state


def explorer_params(keys: Keys) -> Keys:
    """The clicked keys of the explorer's own filters, as its URL carries them."""
    return {key: values for key, values in keys.items() if key not in SIDEBAR_KEYS and values}


def open_calls(keys: Keys) -> None:
    """(A widget callback, run before the page) set the filters to ``keys`` and ask for the explorer; nothing when
    the click stands for no calls. Every sidebar filter is set, the unchanged ones to their own value, so that each
    is written back to the URL after the switch."""
    if not keys:
        return
    current = {key: st.session_state[key] for key in SIDEBAR_KEYS if key in st.session_state}
    st.session_state.update({**current, **widget_state(keys)})
    st.session_state[OPENING] = explorer_params(keys)


def switch_if_asked() -> None:
    """After a click asked for its calls: go to the explorer. Its own filters go in the URL (they are bound on the
    explorer only, so a page may set them); the sidebar's are widget state set by the click."""
    params: Keys | None = st.session_state.pop(OPENING, None)
    if params is not None:
        st.switch_page(EXPLORER, query_params=params)


def _points(key: str) -> list[Point]:
    """The points selected on the chart of ``key`` (its state, read in its callback)."""
    event = st.session_state.get(key)
    return list(event.selection.points) if event else []


def chart(figure: go.Figure, key: str, keys: KeysOf) -> None:
    """Draw a chart whose points open their calls when clicked."""

    def clicked() -> None:
        points = _points(key)
        if points:
            open_calls(keys(figure, points[0]))

    st.plotly_chart(
        figure, theme=None, config=charts.PLOTLY_CONFIG, key=key, on_select=clicked, selection_mode="points"
    )
    switch_if_asked()  # in a fragment (live panels) the click reruns the fragment only, not the app's check


def table(
    frame: pl.DataFrame,
    columns: Mapping[str, tables.Column],
    key: str,
    keys: RowKeys,
    highlight: pl.Series | None = None,
) -> None:
    """A table whose rows open their calls when one is picked."""

    def picked() -> None:
        event = st.session_state.get(key)
        rows = event.selection.rows if event else []
        if rows:
            open_calls(keys(frame.row(rows[0], named=True)))

    tables.show(frame, columns, highlight, key=key, on_select=picked)
    switch_if_asked()


def button(keys: Keys, label: str) -> None:
    """A button that opens the calls behind a number or a choice."""
    st.button(label, icon=":material/list_alt:", on_click=open_calls, args=(keys,), key=f"calls_{sorted(keys.items())}")
