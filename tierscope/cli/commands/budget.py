"""``tierscope budget``: each monthly budget (budgets.yaml) against the month's spend and forecast; exit status 1
when any is over or forecast to go over."""

from __future__ import annotations

import argparse
from typing import Any

from tierscope.cli.commands.forecast import add_month_option, check_month
from tierscope.cli.common import add_database_options, open_database, print_json
from tierscope.cli.render import Column, echo, print_table

HELP = "monthly budgets against spend and forecast (exit 1 when any is not ok)"
KEYS = ("scope", "name", "limit_usd", "month", "spent_usd", "forecast_usd", "status")
COLUMNS = (
    Column("status"),
    Column("scope"),
    Column("name"),
    Column("limit_usd", "limit", kind="money"),
    Column("spent_usd", "spent", kind="money"),
    Column("spent_share", "spent %", kind="percent"),
    Column("forecast_usd", "forecast", kind="money"),
    Column("forecast_share", "forecast %", kind="percent"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_database_options(parser)
    parser.add_argument("--budgets", help="budgets YAML (default: $TIERSCOPE_BUDGETS; none without it)")
    add_month_option(parser)


def run(args: argparse.Namespace) -> int:
    from tierscope.queries import api
    from tierscope.queries.config import load_budgets

    budgets = load_budgets(args.budgets).rows()
    con = open_database(args, must_exist=True)
    try:
        check_month(con, args.month)
        rows: list[dict[str, Any]] = api.budget_status(con, budgets, args.month).to_dicts()
    finally:
        con.close()
    if args.json:
        print_json({"budgets": [{key: row[key] for key in KEYS} for row in rows]})
    elif not rows:
        echo("no budgets: give a budgets.yaml with --budgets FILE or TIERSCOPE_BUDGETS (see docs/finops.md)")
    else:
        first = rows[0]
        echo(f"{first['month']} (UTC): {first['days_elapsed']} of {first['days_in_month']} days elapsed")
        print_table([{**row, "name": row["name"] or "(all)"} for row in rows], COLUMNS)
    return 1 if any(row["status"] != "ok" for row in rows) else 0
