"""``tierscope rebuild``: recompute the derived tables from the stored calls, timed.

Opening a database does it by itself after a change to prices.yaml, routing.yaml or the derivation SQL; this is the
explicit form.
"""

from __future__ import annotations

import argparse
import time

from tierscope.cli.common import add_database_options, add_memory_limit_option, open_database, print_json
from tierscope.cli.render import echo

HELP = "recompute the daily rollups, histograms and exception calls from the stored calls"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_database_options(parser)
    add_memory_limit_option(parser)


def run(args: argparse.Namespace) -> int:
    import sys

    from tierscope.queries import api
    from tierscope.queries.db import on_rebuilt

    def progress(table: str, seconds: float) -> None:
        if not args.json:
            print(f"  {table}: {seconds:.1f} s", file=sys.stderr)

    started = time.perf_counter()
    stop = on_rebuilt(progress)
    try:
        con = open_database(args, must_exist=True, rebuild=True)
    finally:
        stop()
    try:
        [sizes] = api.derived_sizes(con).to_dicts()
    finally:
        con.close()
    summary = {**{key: int(value) for key, value in sizes.items()}, "seconds": round(time.perf_counter() - started, 3)}
    if args.json:
        print_json(summary)
    else:
        echo(
            f"rebuilt the daily rollups of {summary['calls']:,} calls ({summary['traces']:,} traces; "
            f"{summary['call_rollup_rows']:,} + {summary['trace_rollup_rows']:,} rows) in {summary['seconds']} s"
        )
    return 0
