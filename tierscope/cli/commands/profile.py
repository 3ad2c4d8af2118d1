"""``tierscope profile``: a profiling run -> pass rates, the recommended map and a monthly cost projection."""

from __future__ import annotations

import argparse
from pathlib import Path

from tierscope.cli.common import add_database_options, open_database, print_json
from tierscope.cli.render import Column, echo, print_table
from tierscope.format import money

HELP = "profiling results -> pass rates, recommended map, cost projection"
PASS_RATE_COLUMNS = (
    Column("task_type"),
    Column("tier"),
    Column("pass_rate", kind="percent"),
    Column("interval", "95% interval"),
    Column("prompts", "n", kind="count"),
)
RECOMMENDATION_COLUMNS = (
    Column("task_type"),
    Column("current_tier", "current"),
    Column("recommended_tier", "recommended"),
    Column("decision"),
    Column("reason", "evidence"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_database_options(parser)
    parser.add_argument("path", type=Path, metavar="PATH", help="profiling results (JSONL, JSON array or CSV)")
    parser.add_argument("--save-scenario", type=Path, metavar="FILE", help="write the recommended map as routing YAML")


def run(args: argparse.Namespace) -> int:
    import polars as pl

    from tierscope.ingest.profiling import load_profiling
    from tierscope.queries import api, scenario
    from tierscope.queries.config import load_routing
    from tierscope.queries.scenario import scenario_yaml

    routing = load_routing(args.routing)
    con = open_database(args, must_exist=False, writes=True)
    try:
        loaded = load_profiling(con, args.path)
        pass_rates = api.profiling_pass_rates(con)
        recommendation = api.profiling_recommendation(con)
        projection = scenario.monthly_projection(con, routing, recommendation)
    finally:
        con.close()
    if args.save_scenario:
        recommended = dict(recommendation.select("task_type", "recommended_tier").rows())
        args.save_scenario.write_text(scenario_yaml(routing, recommended))
    monthly_by_map: dict[str, float] = {
        name: float(projection.filter(pl.col("map_name") == name)["monthly_cost_usd"].sum())
        for name in scenario.PROFILING_MAPS
    }
    if args.json:
        print_json(
            {
                "run_id": loaded.run_id,
                "rows_read": loaded.rows_read,
                "loaded": loaded.loaded,
                "quarantined": loaded.quarantined,
                "pass_rates": pass_rates.drop("tier_rank").to_dicts(),
                "recommendation": recommendation.to_dicts(),
                "projection": projection.to_dicts(),
                "monthly_cost_usd": monthly_by_map,
            }
        )
        return 0
    state = "new run" if loaded.is_new_run else "already loaded, same run"
    echo(
        f"profiling run {loaded.run_id} ({state}): {loaded.rows_read:,} results read, {loaded.loaded:,} used, "
        f"{loaded.quarantined:,} quarantined"
    )
    rates = [
        {**row, "interval": f"{row['pass_rate_low']:.1%}-{row['pass_rate_high']:.1%}"}
        for row in pass_rates.iter_rows(named=True)
    ]
    print_table(rates, PASS_RATE_COLUMNS)
    echo()
    print_table(recommendation.to_dicts(), RECOMMENDATION_COLUMNS)
    echo()
    echo(
        f"monthly cost per {scenario.MONTH} ({scenario.MONTHLY_BASIS}): "
        + ", ".join(f"{name.replace('_', ' ')} {money(monthly_by_map[name])}" for name in scenario.PROFILING_MAPS)
    )
    if args.save_scenario:
        echo(f"recommended map written to {args.save_scenario} (use it with tierscope whatif --tier-map)")
    return 0
