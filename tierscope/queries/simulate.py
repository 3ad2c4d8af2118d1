"""The what-if simulator: scenario tier maps registered next to the data, repriced by one mart (mart_whatif).

A scenario is a routing file (same shape as routing.yaml). Scenarios travel to DuckDB as Arrow tables registered
on the calling connection only (``scenario_tiers``, ``scenario_tasks``, ``scenario_settings``), so concurrent
dashboard sessions, each on its own cursor, never see each other's scenarios.
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import polars as pl
import pyarrow as pa

from tierscope.queries.api import ALL, SCOPE_ARGS, Scope
from tierscope.queries.config import PriceBook, Routing
from tierscope.queries.db import config_tables, frame

SCENARIO_TABLES = {"scenario_tiers": "cfg_tiers", "scenario_tasks": "cfg_tasks", "scenario_settings": "cfg_settings"}
DAYS_PER_MONTH = 30


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
    """Per scenario x task type: requests (traces), baseline_tier, scenario_tier, baseline_cost_usd,
    scenario_cost_usd, savings_usd (USD, over comparable traces), guarded_calls, expected_escalations,
    traces_without_evidence, unpriced_traces and period_days (the span the costs cover)."""
    if not scenarios:
        raise ValueError("whatif needs at least one scenario")
    tables = scenario_tables(scenarios)
    for name, table in tables.items():
        con.register(name, table)
    try:
        return frame(con, f"select * from mart_whatif({SCOPE_ARGS})", scope.params())
    finally:
        for name in tables:
            con.unregister(name)


def summarize(by_task: pl.DataFrame) -> pl.DataFrame:
    """Per scenario totals of a whatif() frame, with savings_pct and costs normalised to a 30-day month."""
    return (
        by_task.group_by("scenario", maintain_order=True)
        .agg(
            pl.col("requests").sum().alias("requests"),
            pl.col("baseline_cost_usd").sum().alias("baseline_cost_usd"),
            pl.col("scenario_cost_usd").sum().alias("scenario_cost_usd"),
            pl.col("guarded_calls").sum().alias("guarded_calls"),
            pl.col("expected_escalations").sum().alias("expected_escalations"),
            pl.col("traces_without_evidence").sum().alias("traces_without_evidence"),
            pl.col("unpriced_traces").sum().alias("unpriced_traces"),
            pl.col("period_days").first().alias("period_days"),
        )
        .with_columns((pl.col("baseline_cost_usd") - pl.col("scenario_cost_usd")).alias("savings_usd"))
        .with_columns(
            (pl.col("savings_usd") / pl.col("baseline_cost_usd")).alias("savings_pct"),
            (pl.col("baseline_cost_usd") * DAYS_PER_MONTH / pl.col("period_days")).alias("monthly_baseline_cost_usd"),
            (pl.col("scenario_cost_usd") * DAYS_PER_MONTH / pl.col("period_days")).alias("monthly_scenario_cost_usd"),
        )
    )
