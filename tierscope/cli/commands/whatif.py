"""``tierscope whatif``: the loaded traffic repriced under scenario tier maps, side by side."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tierscope.cli.common import add_database_options, add_scope_options, open_database, print_json, scope
from tierscope.cli.render import Column, echo, print_table
from tierscope.format import money, percent

HELP = "savings of one or more scenario tier maps on the loaded traffic"
TASK_KEYS = (
    "task_type",
    "requests",
    "baseline_tier",
    "scenario_tier",
    "baseline_cost_usd",
    "scenario_cost_usd",
    "savings_usd",
    "guarded_calls",
    "expected_escalations",
    "traces_without_evidence",
    "current_map_cost_usd",
    "repricing_usd",
    "map_savings_usd",
)
TOTAL_KEYS = (
    "baseline_cost_usd",
    "scenario_cost_usd",
    "savings_usd",
    "savings_pct",
    "monthly_baseline_cost_usd",
    "monthly_scenario_cost_usd",
    "current_map_cost_usd",
    "repricing_usd",
    "map_savings_usd",
    "map_savings_pct",
    "monthly_current_map_cost_usd",
    "monthly_map_savings_usd",
    "guarded_calls",
    "expected_escalations",
    "traces_without_evidence",
    "unpriced_traces",
    "period_days",
)
TASK_COLUMNS = (
    Column("task_type"),
    Column("requests", kind="count"),
    Column("baseline_tier"),
    Column("scenario_tier"),
    Column("baseline_cost_usd", "actual", kind="money"),
    Column("current_map_cost_usd", "current_map", kind="money"),
    Column("scenario_cost_usd", "scenario", kind="money"),
    Column("map_savings_usd", "map_savings", kind="money"),
    Column("guarded_calls", "guarded", kind="count"),
    Column("expected_escalations", "escalations", kind="number"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_database_options(parser)
    add_scope_options(parser)
    parser.add_argument(
        "--tier-map",
        action="append",
        required=True,
        type=Path,
        metavar="FILE",
        help="scenario routing YAML (repeatable)",
    )


def scenario_names(paths: Sequence[Path]) -> list[str]:
    """Scenario names from file stems, made unique (a/cheap.yaml and b/cheap.yaml -> cheap, cheap-2)."""
    names: list[str] = []
    for path in paths:
        name, suffix = path.stem, 2
        while name in names:
            name, suffix = f"{path.stem}-{suffix}", suffix + 1
        names.append(name)
    return names


def scenarios_payload(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Per scenario: the contract's totals and its rows per task type."""
    from tierscope.queries import scenario
    from tierscope.queries.config import load_routing

    within = scope(args)
    scenarios = {
        name: load_routing(path) for name, path in zip(scenario_names(args.tier_map), args.tier_map, strict=True)
    }
    con = open_database(args, must_exist=True)
    try:
        by_task = scenario.whatif(con, scenarios, within)
    finally:
        con.close()
    rows = by_task.to_dicts()
    return [
        {
            "name": total["scenario"],
            **{key: total[key] for key in TOTAL_KEYS},
            "by_task": [{key: row[key] for key in TASK_KEYS} for row in rows if row["scenario"] == total["scenario"]],
        }
        for total in scenario.summarize(by_task).iter_rows(named=True)
    ]


def run(args: argparse.Namespace) -> int:
    from tierscope.queries.scenario import MONTH, MONTHLY_BASIS

    payload = scenarios_payload(args)
    if args.json:
        print_json({"scenarios": payload})
        return 0
    for scenario in payload:
        days = round(scenario["period_days"])
        echo(
            f"scenario {scenario['name']}: the traffic of {days:,} UTC day{'s' if days != 1 else ''} with traffic "
            f"cost {money(scenario['baseline_cost_usd'])} as served, {money(scenario['current_map_cost_usd'])} under "
            f"the current map (repricing of what was served: {money(scenario['repricing_usd'])})"
        )
        echo(
            f"  under {scenario['name']}: {money(scenario['scenario_cost_usd'])}, the map saves "
            f"{money(scenario['map_savings_usd'])} ({percent(scenario['map_savings_pct'] or 0)} of the current map); "
            f"{money(scenario['monthly_map_savings_usd'])} per {MONTH} ({MONTHLY_BASIS}: "
            f"{money(scenario['monthly_current_map_cost_usd'])} -> {money(scenario['monthly_scenario_cost_usd'])})"
        )
        evidence = (
            f"; {scenario['traces_without_evidence']:,} traces had no pass-rate evidence"
            if scenario["traces_without_evidence"]
            else ""
        )
        echo(
            f"  {scenario['guarded_calls']:,} calls moved up by the context guard; "
            f"{scenario['expected_escalations']:,.0f} expected escalations{evidence}"
        )
        print_table(scenario["by_task"], TASK_COLUMNS)
        echo()
    return 0
