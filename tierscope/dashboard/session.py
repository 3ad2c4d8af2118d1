"""What a browser session keeps between reruns beyond its filters: the scenarios saved by name on the What-if page
(the Profiling page saves its recommended map there too)."""

from __future__ import annotations

import streamlit as st

from tierscope.queries.config import Routing

SAVED_KEY = "_tierscope_saved_scenarios"


def saved() -> dict[str, Routing]:
    """The scenarios saved in this browser session, by name, in the order they were first saved."""
    scenarios: dict[str, Routing] = st.session_state.setdefault(SAVED_KEY, {})
    return scenarios


def save(name: str, routing: Routing) -> None:
    """Save (or replace) a scenario under ``name``."""
    saved()[name] = routing
