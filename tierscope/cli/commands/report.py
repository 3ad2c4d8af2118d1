"""``tierscope report``: cost per task type, model, tier, day, team, user or router tier (the tier a content-based
router chose; null for calls without a router decision)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from tierscope.cli.common import add_database_options, add_scope_options, open_database, print_json, scope
from tierscope.cli.render import Column, echo, print_table
from tierscope.format import money

if TYPE_CHECKING:
    import duckdb

    from tierscope.queries.api import Scope

HELP = "cost by task type, model, tier, day, team, user or router tier"
# queries.api.DIMENSIONS, spelled here so that parsing the options needs no query layer (a test checks they agree)
DIMENSIONS = ("task_type", "model", "tier", "day", "team", "user", "router_tier")
MEASURES = ("requests", "calls", "input_tokens", "output_tokens", "cost_usd", "unpriced_calls")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_database_options(parser)
    add_scope_options(parser)
    parser.add_argument("--by", choices=DIMENSIONS, default="task_type")


def report_rows(con: duckdb.DuckDBPyConnection, by: str, within: Scope) -> list[dict[str, Any]]:
    """One row per value of ``by``: the contract's keys (``requests`` counts traces, ``calls`` rows)."""
    from tierscope.queries import api

    frame = api.cost_by(con, by, within)  # type: ignore[arg-type]
    return [{by: row["dimension_value"], **{key: row[key] for key in MEASURES}} for row in frame.iter_rows(named=True)]


def print_report(rows: list[dict[str, Any]], by: str) -> None:
    if not rows:
        echo("no calls in this scope")
        return
    columns = [
        Column(by),
        Column("requests", kind="count"),
        Column("calls", kind="count"),
        Column("input_tokens", kind="count"),
        Column("output_tokens", kind="count"),
        Column("cost_usd", "cost", kind="money"),
        Column("unpriced_calls", kind="count"),
    ]
    print_table(rows, columns)
    unpriced = sum(row["unpriced_calls"] for row in rows)
    note = f"  ({unpriced:,} unpriced calls not included: see the data page)" if unpriced else ""
    echo(f"total: {money(total_cost(rows))}{note}")


def total_cost(rows: list[dict[str, Any]]) -> float:
    return float(sum(row["cost_usd"] or 0.0 for row in rows))


def run(args: argparse.Namespace) -> int:
    within = scope(args)
    con = open_database(args, must_exist=True)
    try:
        rows = report_rows(con, args.by, within)
    finally:
        con.close()
    if args.json:
        print_json({"rows": rows, "total_cost_usd": total_cost(rows)})
    else:
        print_report(rows, args.by)
    return 0
