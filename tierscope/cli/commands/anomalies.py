"""``tierscope anomalies``: days whose spend (per task type and team) departs upward from its trailing baseline,
with what drove it; exit status 1 when one is flagged on the last day with data."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt

from tierscope.cli.common import add_database_options, add_scope_options, open_database, print_json, scope
from tierscope.cli.render import Column, echo, print_table
from tierscope.format import anomaly_cause

HELP = "spend anomalies per task type and team with their driver (exit 1 on the last day)"
DEFAULT_DAYS = 14
KEYS = (
    "day",
    "task_type",
    "team",
    "cost_usd",
    "expected_usd",
    "score",
    "driver",
    "calls",
    "expected_calls",
    "tokens_per_call",
    "baseline_tokens_per_call",
    "cost_per_1m_tokens_usd",
    "baseline_cost_per_1m_tokens_usd",
    "tier_shares",
)
COLUMNS = (
    Column("day"),
    Column("task_type"),
    Column("team"),
    Column("cost_usd", "cost", kind="money"),
    Column("expected_usd", "expected", kind="money"),
    Column("score_text", "score"),
    Column("driver"),
    Column("explained", "what moved"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_database_options(parser)
    add_scope_options(parser)
    parser.add_argument(
        "--threshold", type=float, default=3.5, help="robust z-score above which a day is flagged (default 3.5)"
    )
    parser.add_argument(
        "--min-usd", type=float, default=0.0, help="flag only days that cost at least this much over expected"
    )


def run(args: argparse.Namespace) -> int:
    from tierscope.queries import api

    within = scope(args)
    con = open_database(args, must_exist=True)
    try:
        latest = api.latest_call_day(con)
        if within.start is None and latest is not None:
            within = dataclasses.replace(within, start=latest - dt.timedelta(days=DEFAULT_DAYS - 1))
        days = api.spend_anomalies(con, within, args.threshold, args.min_usd)
    finally:
        con.close()
    last_day = days["day"].max() if days.height else None
    flagged = days.filter(days["is_flagged"]).to_dicts()
    if args.json:
        print_json({"anomalies": [{key: row[key] for key in KEYS} for row in flagged]})
    else:
        echo(
            f"judged {days.height:,} task type x team days since {within.start:%Y-%m-%d}; {len(flagged):,} flagged "
            f"(score > {args.threshold:g})"
            if within.start
            else f"judged {days.height:,} task type x team days; {len(flagged):,} flagged"
        )
        shown = [{**row, "score_text": f"{row['score']:.1f}", "explained": anomaly_cause(row)} for row in flagged]
        if shown:
            print_table(shown, COLUMNS)
    return 1 if any(row["day"] == last_day for row in flagged) else 0
