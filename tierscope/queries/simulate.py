"""The what-if simulator: scenario tier maps registered next to the data, repriced by one mart (mart_whatif), and
the one monthly basis every monthly figure uses (:func:`per_month`).

A scenario is a routing file (same shape as routing.yaml). Scenarios travel to DuckDB as Arrow tables registered
on the calling connection only (``scenario_tiers``, ``scenario_tasks``, ``scenario_settings``), so concurrent
dashboard sessions, each on its own cursor, never see each other's scenarios. The current routing map is simulated
beside them, so each scenario's result separates the repricing of what was served (actual cost - the current map's
cost) from the savings of its edits (the current map's cost - the scenario's cost; exactly 0 for an unedited map).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import overload

import duckdb
import polars as pl
import pyarrow as pa

from tierscope.queries import api
from tierscope.queries.api import ALL, SCOPE_ARGS, Scope
from tierscope.queries.config import PriceBook, Routing
from tierscope.queries.db import config_tables, frame
from tierscope.queries.scenario import with_task_tiers

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
    parts: dict[str, list[pa.Table]] = {name: [] for name in SCENARIO_TABLES}
    for scenario, routing in scenarios.items():
        tables = config_tables(PriceBook(models={}), routing)
        for target, source in SCENARIO_TABLES.items():
            table = tables[source]
            parts[target].append(table.add_column(0, "scenario", pa.array([scenario] * table.num_rows, pa.string())))
    return {name: pa.concat_tables(tables) for name, tables in parts.items()}


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
