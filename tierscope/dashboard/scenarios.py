"""Scenario tier maps on the dashboard: the two editable tables of the What-if page (task type -> tier, tier ->
models), the routing map an edited pair makes, and the scenarios saved by name in the session (the Profiling page
saves its recommended map there too).

A scenario is the current routing.yaml with the edits applied and validated by :class:`queries.config.Routing`, so it
is exactly what ``tierscope whatif --tier-map`` would read from the exported file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import polars as pl
import streamlit as st
from pydantic import ValidationError

from tierscope.queries.config import TOP_LEVEL, Routing, validation_problems
from tierscope.queries.scenario import with_task_tiers

SAVED_KEY = "_tierscope_saved_scenarios"
TIER_COLUMNS = ("tier", "model", "other_models")


def saved() -> dict[str, Routing]:
    """The scenarios saved in this browser session, by name, in the order they were first saved."""
    scenarios: dict[str, Routing] = st.session_state.setdefault(SAVED_KEY, {})
    return scenarios


def save(name: str, routing: Routing) -> None:
    """Save (or replace) a scenario under ``name``."""
    saved()[name] = routing


def task_tier_table(routing: Routing, seen_task_types: Iterable[str]) -> pl.DataFrame:
    """One row per task type in routing.yaml (in its order), then those only seen in the logs: task_type,
    is_in_routing, current_tier (routing.yaml's, or its default tier) and tier (the column to edit)."""
    listed = list(routing.tasks)
    unlisted = [task_type for task_type in dict.fromkeys(seen_task_types) if task_type not in routing.tasks]
    task_types = listed + unlisted
    tiers = [routing.tier_of_task(task_type) for task_type in task_types]
    return pl.DataFrame(
        {
            "task_type": task_types,
            "is_in_routing": [task_type in routing.tasks for task_type in task_types],
            "current_tier": tiers,
            "tier": tiers,
        }
    )


def tier_model_table(routing: Routing) -> pl.DataFrame:
    """One row per tier, cheapest first: tier, model (its first model, where its traffic goes; the column to edit)
    and other_models (the rest of its list, also editable)."""
    return pl.DataFrame(
        {
            "tier": list(routing.tiers),
            "model": [models[0] for models in routing.tiers.values()],
            "other_models": [models[1:] for models in routing.tiers.values()],
        },
        schema={"tier": pl.String, "model": pl.String, "other_models": pl.List(pl.String)},
    )


@dataclass(frozen=True)
class Edited:
    """The routing map an edit of the two tables makes, or the problems that stop it being one."""

    routing: Routing | None
    problems: tuple[str, ...] = ()


def _models(first: str | None, others: Sequence[str | None] | None) -> list[str]:
    """A tier's model list: the chosen first model, then the others in their order, once each."""
    return list(dict.fromkeys(model for model in [first, *(others or [])] if model))


def problems_in_words(error: ValidationError) -> tuple[str, ...]:
    """A validation error of an edited map as sentences (the key path only where one key is at fault)."""
    return tuple(message if key == TOP_LEVEL else f"{key}: {message}" for key, message in validation_problems(error))


def edited_routing(current: Routing, task_tiers: pl.DataFrame, tier_models: pl.DataFrame) -> Edited:
    """The current map with the tables' edits: task types whose tier differs from their current one move there
    (``with_task_tiers``), and each tier's list becomes its first model followed by its other models."""
    moved = {
        task_type: tier
        for task_type, tier in task_tiers.select("task_type", "tier").iter_rows()
        if tier != current.tier_of_task(task_type)
    }
    tiers = {tier: _models(first, others) for tier, first, others in tier_models.select(TIER_COLUMNS).rows()}
    try:
        scenario = with_task_tiers(current, moved)
        return Edited(Routing.model_validate({**scenario.model_dump(), "tiers": tiers}))
    except ValidationError as error:
        return Edited(None, problems_in_words(error))


def file_stem(name: str) -> str:
    """A scenario name made safe for a file name ('cheap reasoning' -> 'cheap_reasoning')."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "scenario"
