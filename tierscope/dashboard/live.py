"""Live mode: panels that refresh themselves while logs stream in, and how fresh the data is.

The sidebar's *Live* toggle and interval are bound to the URL (``?live=true&every=10``), like the filters. In live
mode the overview's and the drift page's panels are fragments (:func:`panel`) that Streamlit reruns every interval:
a rerun redraws only the panel, with the scope of the last full run, so the filters (in the sidebar and the URL)
stay as they are. Cached results are keyed on the data version, so a rerun queries again only after new calls have
reached the marts. The freshness line says when the newest call started and when the last ingest committed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import ParamSpec

import streamlit as st

from tierscope.dashboard import cache, filters, ingester

# Widget keys, which are also the URL query parameter names.
LIVE, EVERY = "live", "every"
REFRESH_SECONDS = (2, 5, 10, 30, 60)
DEFAULT_REFRESH_SECONDS = 10

Args = ParamSpec("Args")


def refresh_every() -> int | None:
    """Seconds between refreshes of the live panels; None when live mode is off."""
    if not st.session_state.get(LIVE):
        return None
    return int(st.session_state.get(EVERY) or DEFAULT_REFRESH_SECONDS)


def panel(draw: Callable[Args, None]) -> Callable[Args, None]:
    """``draw`` as a fragment that live mode reruns every :func:`refresh_every` seconds (with the arguments of the
    last full run: the filters stay)."""
    return st.fragment(draw, run_every=refresh_every())


def ago(moment: dt.datetime | None, now: dt.datetime) -> str:
    """'12 s ago', '4 min ago', '3 h ago', '2 days ago' (UTC times without a zone)."""
    if moment is None:
        return "never"
    seconds = max((now - moment).total_seconds(), 0.0)
    for unit, size in (("day", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= size:
            amount = int(seconds // size)
            return f"{amount} {unit}{'s' if unit == 'day' and amount != 1 else ''} ago"
    return f"{int(seconds)} s ago"


def freshness_text(latest_started_at: dt.datetime | None, last_ingest_at: dt.datetime | None, now: dt.datetime) -> str:
    """The freshness line: the newest call's start and the last ingest, in UTC."""
    if latest_started_at is None:
        return "No calls loaded yet."
    return (
        f"Latest call {latest_started_at:%Y-%m-%d %H:%M:%S} UTC ({ago(latest_started_at, now)}) · "
        f"last ingest {ago(last_ingest_at, now)}"
    )


def _freshness() -> None:
    fresh = cache.freshness().row(0, named=True)
    if fresh["calls"] and filters.active_scope() is None:
        st.rerun()  # the first calls have arrived: draw the whole app with them
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    st.caption(freshness_text(fresh["latest_started_at"], fresh["last_ingest_at"], now))
    status = ingester.status(cache.database().path)
    if status is not None and status.last_error:
        st.caption(f":orange[Loading the spool: {status.last_error}]")


def sidebar() -> None:
    """The live toggle, its interval and the freshness line (itself refreshed in live mode)."""
    with st.sidebar:
        st.subheader("Live")
        live = st.toggle(
            "Refresh as data arrives",
            key=LIVE,
            bind="query-params",
            help="Reruns the overview and drift panels on an interval; the filters stay as they are.",
        )
        st.select_slider(
            "Every (seconds)",
            REFRESH_SECONDS,
            value=DEFAULT_REFRESH_SECONDS,
            key=EVERY,
            bind="query-params",
            disabled=not live,
        )
        panel(_freshness)()
