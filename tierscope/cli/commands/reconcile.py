"""``tierscope reconcile``: calls whose source-reported cost differs from the price book's."""

from __future__ import annotations

import argparse

from tierscope.cli.common import add_database_options, add_scope_options, open_database, print_json, scope
from tierscope.cli.render import Column, echo, print_table
from tierscope.format import percent

HELP = "calls whose reported cost differs from the price book's"
KEYS = (
    "request_id",
    "started_at",
    "task_type",
    "served_model",
    "priced_model",
    "price_variant",
    "reported_cost_usd",
    "computed_cost_usd",
    "difference_usd",
    "relative_difference",
)
COLUMNS = (
    Column("request_id"),
    Column("model"),
    Column("price_variant", "variant"),
    Column("reported_cost_usd", "reported", kind="money"),
    Column("computed_cost_usd", "price book", kind="money"),
    Column("difference", kind="text"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_database_options(parser)
    add_scope_options(parser)
    parser.add_argument("--tolerance", type=float, default=0.01, help="relative difference allowed (default 0.01)")
    parser.add_argument("--limit", type=int, default=20, help="calls listed in the text output (default 20)")


def run(args: argparse.Namespace) -> int:
    from tierscope.queries import api

    within = scope(args)
    con = open_database(args, must_exist=True)
    try:
        frame = api.cost_reconciliation(con, within, tolerance=args.tolerance)
    finally:
        con.close()
    calls = [{key: row[key] for key in KEYS} for row in frame.iter_rows(named=True)]
    if args.json:
        print_json({"tolerance": args.tolerance, "disagreeing_calls": len(calls), "calls": calls})
        return 0
    echo(
        f"{len(calls):,} calls whose reported cost differs from the price book's by more than {percent(args.tolerance)}"
    )
    shown = [
        {
            **call,
            "model": call["served_model"] or call["priced_model"],
            "difference": "n/a" if call["relative_difference"] is None else f"{call['relative_difference']:+.1%}",
        }
        for call in calls[: args.limit]
    ]
    if shown:
        print_table(shown, COLUMNS)
    if len(calls) > args.limit:
        echo(f"... and {len(calls) - args.limit:,} more (--limit, or --json for all)")
    return 0
