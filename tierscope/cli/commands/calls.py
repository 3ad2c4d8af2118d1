"""``tierscope calls``: the calls behind a number, newest first (or oldest, costliest, slowest), one page at a time;
the dashboard's explorer from a terminal."""

from __future__ import annotations

import argparse

from tierscope.cli.common import add_database_options, add_scope_options, open_database, print_json, scope
from tierscope.cli.render import Column, echo, print_table

HELP = "list the calls in scope (by user, model, trace...), newest first"
STATUSES = ("success", "error")
ORDERS = ("newest", "oldest", "costliest", "slowest")  # queries.api.CALL_ORDERS (a test checks they agree)
COLUMNS = (
    Column("started_at", "time"),
    Column("task_type"),
    Column("team"),
    Column("user_id", "user"),
    Column("served_model", "model"),
    Column("served_tier", "tier"),
    Column("input_tokens", "in", kind="count"),
    Column("output_tokens", "out", kind="count"),
    Column("cost_usd", "cost", kind="money"),
    Column("latency_ms", "ms", kind="number"),
    Column("status"),
    Column("trace_id", "trace"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_database_options(parser)
    add_scope_options(parser)
    parser.add_argument("--user", action="append", dest="users", help="only this user id (repeatable)")
    parser.add_argument("--model", action="append", dest="models", help="requested or served model (repeatable)")
    parser.add_argument("--trace-id", action="append", dest="trace_ids", help="only this trace (repeatable)")
    parser.add_argument("--served-tier", action="append", dest="served_tiers", help="served tier (repeatable)")
    parser.add_argument("--requested-tier", action="append", dest="requested_tiers", help="requested tier (repeatable)")
    parser.add_argument("--status", action="append", dest="statuses", choices=STATUSES, help="status (repeatable)")
    parser.add_argument("--escalated", choices=("yes", "no"), help="only calls marked (yes) or not marked (no)")
    parser.add_argument("--order", choices=ORDERS, default="newest", help="which calls first (default newest)")
    parser.add_argument("--limit", type=int, default=50, help="calls listed (default 50)")


def repeated(values: list[str] | None) -> tuple[str, ...] | None:
    """A repeatable option as a filter: None (no restriction) when not given."""
    return tuple(values) if values else None


def run(args: argparse.Namespace) -> int:
    from tierscope.cli.common import CliError
    from tierscope.queries import api

    if args.limit < 1:
        raise CliError(f"--limit {args.limit}: list at least 1 call")
    within = scope(args)
    filters = api.CallFilters(
        users=repeated(args.users),
        models=repeated(args.models),
        trace_ids=repeated(args.trace_ids),
        served_tiers=repeated(args.served_tiers),
        requested_tiers=repeated(args.requested_tiers),
        statuses=repeated(args.statuses),
        escalated=None if args.escalated is None else (args.escalated == "yes",),
    )
    con = open_database(args, must_exist=True)
    try:
        page = api.calls_page(con, within, filters, args.order, limit=args.limit)
    finally:
        con.close()
    calls = page.rows.to_dicts()
    if args.json:
        print_json({"calls": calls})
        return 0
    if not calls:
        echo("no calls in this scope")
        return 0
    print_table(calls, COLUMNS)
    if page.next_after is not None:
        echo(f"first {len(calls):,} calls ({args.order} first); --limit lists more")
    return 0
