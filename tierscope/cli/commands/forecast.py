"""``tierscope forecast``: spend so far this calendar month (UTC) and a month-end forecast with its 95% interval.

"This month" is the month of the newest call, not of the wall clock, so a loaded history forecasts its own months
(``--month`` picks another). The method is in docs/finops.md and on ``mart_month_forecast``.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import TYPE_CHECKING, Any

from tierscope.cli.common import CliError, add_database_options, add_filter_options, open_database, print_json, scope
from tierscope.cli.render import Column, echo, print_table
from tierscope.format import money

if TYPE_CHECKING:
    import duckdb
    import polars as pl

HELP = "month-to-date spend and the month-end forecast with its interval"
TASK_COLUMNS = (
    Column("task_type"),
    Column("month_to_date_usd", "month to date", kind="money"),
    Column("forecast_usd", "forecast", kind="money"),
    Column("forecast_low_usd", "low", kind="money"),
    Column("forecast_high_usd", "high", kind="money"),
)


def month(text: str) -> dt.date:
    """``YYYY-MM`` as the first day of that month (an argparse type)."""
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month; write it YYYY-MM (2026-11)") from None


def add_month_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--month", type=month, help="the month YYYY-MM (default: the newest call's month, UTC)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_database_options(parser)
    add_filter_options(parser)
    add_month_option(parser)


def check_month(con: duckdb.DuckDBPyConnection, chosen: dt.date | None) -> None:
    """A month with no day of the logs in it cannot be forecast: say which months they cover."""
    from tierscope.queries import api

    days = api.days_with_data(con)["day"]
    if days.is_empty():
        raise CliError("no calls loaded yet: nothing to forecast")
    if chosen is not None and not api.month_of(days[0]) <= chosen <= days[-1]:
        raise CliError(f"--month {chosen:%Y-%m}: the calls cover {days[0]:%Y-%m-%d} → {days[-1]:%Y-%m-%d}")


def forecast_payload(rows: pl.DataFrame) -> dict[str, Any]:
    """The JSON contract: the total row's numbers and the task types' month to date and forecast."""
    total = rows.row(0, named=True)
    return {
        "month": total["month"],
        "days_elapsed": total["days_elapsed"],
        "days_in_month": total["days_in_month"],
        "month_to_date_usd": total["month_to_date_usd"],
        "forecast_usd": total["forecast_usd"],
        "forecast_low_usd": total["forecast_low_usd"],
        "forecast_high_usd": total["forecast_high_usd"],
        "by_task": [
            {
                "task_type": row["value"],
                "month_to_date_usd": row["month_to_date_usd"],
                "forecast_usd": row["forecast_usd"],
            }
            for row in rows.filter(rows["dimension"] == "task_type").iter_rows(named=True)
        ],
    }


def interval(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return "no interval: fewer than 2 days observed"
    return f"95% interval {money(low)} – {money(high)}"


def run(args: argparse.Namespace) -> int:
    from tierscope.queries import api

    within = scope(args)
    con = open_database(args, must_exist=True)
    try:
        check_month(con, args.month)
        rows = api.month_forecast(con, args.month, within)
        latest = api.latest_call_day(con)
    finally:
        con.close()
    payload = forecast_payload(rows)
    if args.json:
        print_json(payload)
        return 0
    total = rows.row(0, named=True)
    echo(
        f"{payload['month']} (UTC): {total['days_elapsed']} of {total['days_in_month']} days elapsed, as of the newest "
        f"call's day ({latest}); run-rate from {total['days_observed']} observed days"
    )
    echo(
        f"month to date {money(payload['month_to_date_usd'])}; forecast {money(payload['forecast_usd'])} "
        f"({interval(payload['forecast_low_usd'], payload['forecast_high_usd'])})"
    )
    tasks = rows.filter(rows["dimension"] == "task_type").rename({"value": "task_type"})
    if tasks.height:
        print_table(tasks.to_dicts(), TASK_COLUMNS)
    return 0
