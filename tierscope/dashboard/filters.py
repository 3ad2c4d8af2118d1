"""The global filters in the sidebar, and the two states every page can meet: no data yet, nothing matches.

The filters are bound to the URL query string (``?dates=2026-11-01&dates=2026-11-14&task=extraction&team=search``)
so a view can be shared as a link; every page reads the resulting :class:`~queries.api.Scope` from
:func:`page_scope`. A link naming a value no call has, or a date outside the data, is reported on the page
(:func:`show_link_problems`) rather than silently reset. The default window follows the data: the last
DEFAULT_DAYS days that have calls, up to the newest call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl
import streamlit as st

from tierscope.dashboard import cache
from tierscope.queries.api import ALL, Scope

# Widget keys, which are also the URL query parameter names.
DATES, TASK_TYPES, TEAMS, PROVIDERS = "dates", "task", "team", "provider"
DEFAULT_DAYS = 14
SCOPE_KEY = "_tierscope_scope"
DATA_PAGE = "views/data.py"


LINK_PROBLEMS_KEY = "_tierscope_link_problems"
FILTERS = ((TASK_TYPES, "task_type", "task"), (TEAMS, "team", "team"), (PROVIDERS, "provider", "provider"))


@dataclass(frozen=True)
class Span:
    """The UTC days with calls in the database, oldest first; the last is the newest call's day."""

    days: tuple[dt.date, ...]

    @property
    def first_day(self) -> dt.date:
        return self.days[0]

    @property
    def last_day(self) -> dt.date:
        return self.days[-1]


def data_span() -> Span | None:
    """The days with calls, up to the newest call (mart_freshness); None when the database holds no calls."""
    fresh = cache.freshness().row(0, named=True)
    if not fresh["calls"]:
        return None
    days = [day for day in cache.days_with_data(ALL)["day"].to_list() if day <= fresh["latest_started_at"].date()]
    return Span(tuple(days))


def default_dates(span: Span) -> tuple[dt.date, dt.date]:
    """The last DEFAULT_DAYS days that have calls (days without any are skipped), ending on the newest call's day."""
    return span.days[-min(DEFAULT_DAYS, len(span.days))], span.last_day


def link_problems(span: Span, values: pl.DataFrame) -> list[str]:
    """What the page's link asks for that the data does not have: filter values no call carries, dates that are not
    dates or lie outside the days with data. Read before the widgets, which drop such values from the link."""
    problems = []
    for key, dimension, word in FILTERS:
        known = set(_values(values, dimension))
        problems += [
            f"ignored {word} '{value}' from the link: no call has it"
            for value in st.query_params.get_all(key)
            if value not in known
        ]
    for text in st.query_params.get_all(DATES):
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            problems.append(f"ignored date '{text}' from the link: a date is written YYYY-MM-DD")
            continue
        if not span.first_day <= day <= span.last_day:
            problems.append(
                f"ignored date {day:%Y-%m-%d} from the link: the data covers {span.first_day:%Y-%m-%d} → "
                f"{span.last_day:%Y-%m-%d}"
            )
    return problems


def _within(day: dt.date, span: Span) -> dt.date:
    return min(max(day, span.first_day), span.last_day)


def show_link_problems() -> None:
    """Report, on the page, what the link asked for and the filters could not honour (nothing when all was fine)."""
    problems: list[str] = st.session_state.get(LINK_PROBLEMS_KEY) or []
    if problems:
        st.warning(
            "**Part of this link was not applied**; the filters show what was:"
            + "".join(f"\n- {problem}" for problem in problems),
            icon=":material/link_off:",
        )


def _values(frame: pl.DataFrame, dimension: str) -> list[str]:
    return frame.filter(pl.col("dimension") == dimension)["value"].to_list()


def _day_range(picked: object, fallback: tuple[dt.date, dt.date]) -> tuple[dt.date, dt.date]:
    """The date input's value as (first day, last day); while a range is half picked, that one day."""
    days = [day for day in (picked if isinstance(picked, Sequence) else [picked]) if isinstance(day, dt.date)]
    if not days:
        return fallback
    return days[0], days[-1]


def sidebar() -> Scope | None:
    """Render the filters; return (and remember for the page) their scope, or None when there is no data."""
    span = data_span()
    if span is None:
        st.sidebar.caption("No data loaded yet: see the Data page.")
        st.session_state[SCOPE_KEY] = None
        return None
    values = cache.filter_values()
    defaults = default_dates(span)
    problems = link_problems(span, values)
    st.session_state[LINK_PROBLEMS_KEY] = problems
    if any(problem.startswith("ignored date") for problem in problems):
        # out of range or unreadable: the default window instead (a half-valid range would be a surprise)
        st.query_params.pop(DATES, None)
        st.session_state.pop(DATES, None)
    with st.sidebar:
        st.subheader("Filters")
        picked = st.date_input(
            "Dates (UTC)",
            value=defaults,
            min_value=span.first_day,
            max_value=span.last_day,
            key=DATES,
            bind="query-params",
            format="YYYY-MM-DD",
        )
        task_types = st.multiselect(
            "Task types", _values(values, "task_type"), key=TASK_TYPES, bind="query-params", placeholder="All"
        )
        teams = st.multiselect("Teams", _values(values, "team"), key=TEAMS, bind="query-params", placeholder="All")
        providers = st.multiselect(
            "Providers", _values(values, "provider"), key=PROVIDERS, bind="query-params", placeholder="All"
        )
        st.caption("The filters are part of the page address: copy it to share this view.")
        st.caption(f"Database: `{cache.database().path}`")
    first_day, last_day = (_within(day, span) for day in _day_range(picked, defaults))
    scope = Scope(
        start=first_day,
        end=last_day + dt.timedelta(days=1),
        task_types=tuple(task_types) or None,
        teams=tuple(teams) or None,
        providers=tuple(providers) or None,
    )
    st.session_state[SCOPE_KEY] = scope
    return scope


def active_scope() -> Scope | None:
    """The scope the sidebar set for this run; None when the database holds no calls."""
    scope: Scope | None = st.session_state.get(SCOPE_KEY)
    return scope


def days(scope: Scope) -> tuple[dt.date, dt.date] | None:
    """The first and last UTC day of a scope of whole days; None when it has an open end."""
    if scope.start is None or scope.end is None:
        return None
    start = scope.start.date() if isinstance(scope.start, dt.datetime) else scope.start
    end = scope.end.date() if isinstance(scope.end, dt.datetime) else scope.end
    return start, end - dt.timedelta(days=1)


def describe_dates(scope: Scope) -> str:
    """'2026-11-13 → 2026-11-26 (14 days)' for a scope of whole days."""
    span = days(scope)
    if span is None:
        return "all dates"
    first, last = span
    count = (last - first).days + 1
    return f"{first:%Y-%m-%d} → {last:%Y-%m-%d} ({count} day{'s' if count != 1 else ''})"


def describe(scope: Scope) -> str:
    """The scope in words, for captions and empty states."""
    parts = [describe_dates(scope)]
    for label, chosen in (("task types", scope.task_types), ("teams", scope.teams), ("providers", scope.providers)):
        if chosen:
            parts.append(f"{label}: {', '.join(chosen)}")
    return " · ".join(parts)


def show_empty_database() -> None:
    """How to load data, instead of errors or empty charts."""
    st.info("**No calls loaded yet.** Load request logs to see spend, tier mix and drift.", icon=":material/info:")
    st.markdown(
        "Load data in one of these ways:\n"
        "- **Upload** log files (JSONL, JSON, CSV or Parquet, optionally gzipped) on the Data page.\n"
        f"- **From a terminal**, with this dashboard stopped: `tierscope ingest PATH... --db {cache.database().path}`\n"
        "- **Try the sample month**: `tierscope demo`"
    )
    st.page_link(DATA_PAGE, label="Upload logs on the Data page", icon=":material/upload_file:")


def page_scope() -> Scope:
    """The scope for a page that needs data; with an empty database the page shows how to load data and stops."""
    scope = active_scope()
    if scope is None:
        show_empty_database()
        st.stop()
    assert scope is not None
    return scope


def stop_if_no_calls(calls: int, scope: Scope) -> None:
    """When the filters match no calls, say so (and how to widen them) and stop the page."""
    if not calls:
        st.info(
            f"**No calls match these filters** ({describe(scope)}). Widen the date range or clear a filter in "
            "the sidebar.",
            icon=":material/filter_alt_off:",
        )
        st.stop()


def stop_if_empty(frame: pl.DataFrame, scope: Scope) -> None:
    """:func:`stop_if_no_calls` for a page whose main frame has one row per something the calls carry."""
    stop_if_no_calls(frame.height, scope)
