"""Scenarios: a routing map with some task types or tiers changed. This module is the whole concept: how a scenario
is made (from task -> tier moves, or from the What-if page's two editable tables), how it is simulated on the loaded
traffic (one mart, ``mart_whatif``, and the one monthly basis every monthly figure uses, :func:`per_month`), and how
it is written out (a routing.yaml to commit, its diff against the current one, a LiteLLM config).

A scenario is a :class:`~tierscope.queries.config.Routing`, validated once when it is made; everything after that
takes the model as it is. Scenarios travel to DuckDB as Arrow tables registered on the calling connection only
(``scenario_tiers``, ``scenario_tasks``, ``scenario_settings``), so concurrent dashboard sessions, each on its own
cursor, never see each other's scenarios. The current routing map is simulated beside them, so each scenario's result
separates the repricing of what was served (actual cost - the current map's cost) from the savings of its edits (the
current map's cost - the scenario's cost; exactly 0 for an unedited map).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import overload

import duckdb
import polars as pl
import pyarrow as pa
import yaml
from pydantic import ValidationError

from tierscope.queries import api
from tierscope.queries.api import ALL, SCOPE_ARGS, Scope
from tierscope.queries.config import TOP_LEVEL, PriceBook, Routing, validation_problems
from tierscope.queries.db import frame, routing_tables

# Making a scenario


def with_task_tiers(routing: Routing, task_tiers: Mapping[str, str]) -> Routing:
    """The routing map with the given task types moved to the given tiers (task types not listed are added)."""
    tasks = {name: profile.model_dump() for name, profile in routing.tasks.items()}
    for task_type, tier in task_tiers.items():
        tasks.setdefault(task_type, {})["tier"] = tier
    return Routing.model_validate({**routing.model_dump(), "tasks": tasks})


TIER_COLUMNS = ("tier", "model", "other_models")


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


# Simulating scenarios on the loaded traffic
SCENARIO_TABLES = {"scenario_tiers": "cfg_tiers", "scenario_tasks": "cfg_tasks", "scenario_settings": "cfg_settings"}
# mart_whatif simulates the current routing map under this name
CURRENT_MAP = ""
DAYS_PER_MONTH = 30
MONTH = f"{DAYS_PER_MONTH}-day month"
# How every monthly figure is computed, in words (CLI lines, page captions, README)
MONTHLY_BASIS = f"cost per UTC day with traffic x {DAYS_PER_MONTH}"
PROFILING_MAPS = ("all_frontier", "current", "recommended")


@overload
def per_month(cost: pl.Expr, days_with_traffic: pl.Expr | float) -> pl.Expr: ...


@overload
def per_month(cost: float | None, days_with_traffic: float | None) -> float | None: ...


def per_month(cost: pl.Expr | float | None, days_with_traffic: pl.Expr | float | None) -> pl.Expr | float | None:
    """The one monthly basis (MONTHLY_BASIS): a cost over some UTC days with traffic, per 30-day month. Used for
    every monthly figure of the CLI and the dashboard; None when either is missing or no day had traffic."""
    if isinstance(cost, pl.Expr):
        return cost * DAYS_PER_MONTH / days_with_traffic
    if cost is None or not days_with_traffic:
        return None
    assert not isinstance(days_with_traffic, pl.Expr)
    return cost * DAYS_PER_MONTH / days_with_traffic


def scenario_tables(scenarios: Mapping[str, Routing]) -> dict[str, pa.Table]:
    """The scenarios' tiers, tasks and settings as Arrow tables with a leading ``scenario`` column."""
    parts: dict[str, list[pl.DataFrame]] = {name: [] for name in SCENARIO_TABLES}
    for scenario, routing in scenarios.items():
        tables = routing_tables(routing)
        for target, source in SCENARIO_TABLES.items():
            frame = pl.DataFrame(pl.from_arrow(tables[source]))
            parts[target].append(frame.select(pl.lit(scenario, pl.String).alias("scenario"), pl.all()))
    # through Polars: pyarrow's conversion from Python values imports pandas (see db._table)
    return {name: pl.concat(frames).to_arrow() for name, frames in parts.items()}


def whatif(con: duckdb.DuckDBPyConnection, scenarios: Mapping[str, Routing], scope: Scope = ALL) -> pl.DataFrame:
    """Per scenario x task type: requests (traces), baseline_tier, scenario_tier, baseline_cost_usd (as served),
    current_map_cost_usd, scenario_cost_usd, repricing_usd (actual - current map), map_savings_usd (current map -
    scenario), savings_usd (actual - scenario) (USD, over traces priced every way), guarded_calls,
    expected_escalations, traces_without_evidence, unpriced_traces and period_days (UTC days with traffic in scope,
    the monthly basis)."""
    if not scenarios:
        raise ValueError("whatif needs at least one scenario")
    if CURRENT_MAP in scenarios:
        raise ValueError("a scenario needs a name (the empty name stands for the current routing map)")
    tables = scenario_tables(scenarios)
    for name, table in tables.items():
        con.register(name, table)
    try:
        return frame(con, f"select * from mart_whatif({SCOPE_ARGS})", scope.params())
    finally:
        for name in tables:
            con.unregister(name)


COSTS = ("baseline_cost_usd", "current_map_cost_usd", "scenario_cost_usd", "repricing_usd", "map_savings_usd")


def summarize(by_task: pl.DataFrame) -> pl.DataFrame:
    """Per scenario totals of a whatif() frame: the costs and counters summed, savings_usd (actual - scenario) and
    savings_pct (of the actual cost), map_savings_pct (of the current map's cost), and the costs and the map's
    savings per 30-day month (:func:`per_month`)."""
    return (
        by_task.group_by("scenario", maintain_order=True)
        .agg(
            pl.col("requests").sum(),
            *(pl.col(cost).sum() for cost in COSTS),
            pl.col("guarded_calls").sum(),
            pl.col("expected_escalations").sum(),
            pl.col("traces_without_evidence").sum(),
            pl.col("unpriced_traces").sum(),
            pl.col("period_days").first(),
        )
        .with_columns((pl.col("baseline_cost_usd") - pl.col("scenario_cost_usd")).alias("savings_usd"))
        .with_columns(
            (pl.col("savings_usd") / pl.col("baseline_cost_usd")).alias("savings_pct"),
            (pl.col("map_savings_usd") / pl.col("current_map_cost_usd")).alias("map_savings_pct"),
            per_month(pl.col("baseline_cost_usd"), pl.col("period_days")).alias("monthly_baseline_cost_usd"),
            per_month(pl.col("current_map_cost_usd"), pl.col("period_days")).alias("monthly_current_map_cost_usd"),
            per_month(pl.col("scenario_cost_usd"), pl.col("period_days")).alias("monthly_scenario_cost_usd"),
            per_month(pl.col("map_savings_usd"), pl.col("period_days")).alias("monthly_map_savings_usd"),
        )
    )


def profiling_maps(routing: Routing, recommendation: pl.DataFrame) -> dict[str, Routing]:
    """The three maps a profiling run is judged by: every task type on the top tier (all_frontier), the current map
    and the recommended one (``recommendation``: mart_profiling_recommendation rows)."""
    top = list(routing.tiers)[-1]
    everything_on_top = with_task_tiers(routing, dict.fromkeys(routing.tasks, top))
    return {
        "all_frontier": Routing.model_validate({**everything_on_top.model_dump(), "default_tier": top}),
        "current": routing,
        "recommended": with_task_tiers(routing, dict(recommendation.select("task_type", "recommended_tier").rows())),
    }


def monthly_projection(
    con: duckdb.DuckDBPyConnection, routing: Routing, recommendation: pl.DataFrame, scope: Scope = ALL
) -> pl.DataFrame:
    """Per task type x profiling map (PROFILING_MAPS): its tier, requests_per_day, traffic_source and
    monthly_cost_usd on the one basis (:func:`per_month`), with the profiling run's evidence for that tier (model,
    pass_rate, expected_escalation_rate, cost_per_request_usd at its mean tokens). A task type with traffic in scope
    is the simulator's cost of that traffic under the map: the What-if page's figure for the same map. A profiled
    task type with no traffic but routing.yaml's requests_per_day is that traffic priced at the profiling run's mean
    tokens (mart_cost_projection), so a map can be priced before launch."""
    profiled = api.cost_projection(con)
    observed = whatif(con, profiling_maps(routing, recommendation), scope).select(
        "task_type",
        pl.col("scenario").alias("map_name"),
        pl.col("scenario_tier").alias("tier"),
        (pl.col("requests") / pl.col("period_days")).alias("requests_per_day"),
        pl.lit("observed").alias("traffic_source"),
        per_month(pl.col("scenario_cost_usd"), pl.col("period_days")).alias("monthly_cost_usd"),
    )
    planned = profiled.filter(
        pl.col("traffic_source") == "routing.yaml", ~pl.col("task_type").is_in(observed["task_type"].implode())
    ).select(observed.columns)
    evidence = profiled.select(
        "task_type", "map_name", "model", "pass_rate", "expected_escalation_rate", "cost_per_request_usd"
    )
    return (
        pl.concat([observed, planned], how="vertical_relaxed")
        .join(evidence, on=["task_type", "map_name"], how="left")
        .sort("task_type", "map_name")
    )


# Writing a scenario out


def routing_yaml(routing: Routing) -> str:
    """The routing map as YAML in the shape of config/routing.yaml (defaults left out)."""
    data = routing.model_dump(mode="json", exclude_none=True)
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=110)


def scenario_yaml(routing: Routing, task_tiers: Mapping[str, str]) -> str:
    return routing_yaml(with_task_tiers(routing, task_tiers))


def routing_diff(current: Routing, scenario: Routing, scenario_name: str = "scenario") -> str:
    """A unified diff from the current routing.yaml to the scenario."""
    return "".join(
        difflib.unified_diff(
            routing_yaml(current).splitlines(keepends=True),
            routing_yaml(scenario).splitlines(keepends=True),
            fromfile="routing.yaml",
            tofile=f"{scenario_name}.yaml",
        )
    )


# tierscope provider names -> LiteLLM's provider prefixes and API key variables
LITELLM_PROVIDERS = {"openai": "openai", "anthropic": "anthropic", "google": "gemini"}
# the model group callers send a request to (tagged task_type:<name>), and the content router's
TAG_ROUTED_GROUP = "tierscope"
CONTENT_ROUTED_GROUP = "tierscope-auto"
# LiteLLM's complexity router levels, easiest first
COMPLEXITY_LEVELS = ("SIMPLE", "MEDIUM", "COMPLEX", "REASONING")
TASK_TAG_PREFIX = "task_type:"


def _litellm_params(model: str, price_book: PriceBook) -> dict[str, object]:
    spec = price_book.models.get(model)
    provider = LITELLM_PROVIDERS.get(spec.provider or "", spec.provider) if spec and spec.provider else None
    params: dict[str, object] = {"model": f"{provider}/{model}" if provider else model}
    if provider:
        params["api_key"] = f"os.environ/{provider.upper()}_API_KEY"
    return params


def complexity_tiers(tiers: list[str]) -> dict[str, str]:
    """LiteLLM's complexity levels onto the map's tiers, cheapest first: one level per tier while there are enough,
    the hardest levels sharing the top tier (and with more than four tiers, spread evenly)."""
    last = len(tiers) - 1
    return {
        level: tiers[min(rank, last) if last <= 3 else rank * last // 3] for rank, level in enumerate(COMPLEXITY_LEVELS)
    }


def litellm_config(routing: Routing, price_book: PriceBook) -> str:
    """A LiteLLM Router / proxy config.yaml that routes by itself (docs/router.md):

    - ``tierscope``: one deployment per tier (its first model), tagged ``task_type:<name>`` for the task types the map
      sends to that tier and, as the fallback of a cheaper tier, to the tiers below it; ``order`` puts a task's own
      tier first, so with ``enable_tag_filtering`` a tagged request is served by its tier and, when that tier fails,
      by the next one up. The default tier and those above it also carry ``default``, for requests with no known
      task type tag.
    - one model group per tier, with ``fallbacks`` from each tier to the next;
    - ``tierscope-auto``: LiteLLM's complexity router, its levels mapped onto the tier groups, for content routing.
    """
    tiers = list(routing.tiers)
    tasks_of = {tier: [task for task, profile in routing.tasks.items() if profile.tier == tier] for tier in tiers}
    tag_routed = []
    for rank, tier in enumerate(tiers, start=1):
        served = [task for cheaper in tiers[:rank] for task in tasks_of[cheaper]]
        is_default = tiers.index(routing.default_tier) < rank if routing.default_tier in tiers else False
        tags = [TASK_TAG_PREFIX + task for task in served] + (["default"] if is_default else [])
        params = {**_litellm_params(routing.tiers[tier][0], price_book), "tags": tags, "order": rank}
        tag_routed.append(
            {"model_name": TAG_ROUTED_GROUP, "litellm_params": params, "model_info": {"tierscope_tier": tier}}
        )
    tier_groups = [
        {"model_name": tier, "litellm_params": _litellm_params(routing.tiers[tier][0], price_book)} for tier in tiers
    ]
    content_routed = {
        "model_name": CONTENT_ROUTED_GROUP,
        "litellm_params": {
            "model": "auto_router/complexity_router",
            "complexity_router_config": {"tiers": complexity_tiers(tiers)},
        },
    }
    config = {
        "model_list": [*tag_routed, *tier_groups, content_routed],
        "router_settings": {
            "enable_tag_filtering": True,
            "fallbacks": [{lower: [upper]} for lower, upper in zip(tiers, tiers[1:], strict=False)],
            "num_retries": 1,
        },
    }
    header = (
        "# LiteLLM config written by tierscope. Send requests to model 'tierscope' tagged task_type:<name> (routed by\n"
        "# the task -> tier map below), or to 'tierscope-auto' (routed by LiteLLM's complexity router).\n"
        + "".join(f"#   {task}: {profile.tier}\n" for task, profile in routing.tasks.items())
        + f"#   (any other task type): {routing.default_tier}\n"
    )
    return header + yaml.safe_dump(config, sort_keys=False, width=110)
