"""``tierscope drift``: each task type's latest judged window; exit status 1 when any is flagged."""

from __future__ import annotations

import argparse

from tierscope.cli.common import add_database_options, add_scope_options, open_database, print_json, scope
from tierscope.cli.render import echo
from tierscope.format import percent

HELP = "task types whose escalation rate drifts above baseline (exit 1)"
KEYS = ("task_type", "window_start", "requests", "escalation_rate", "baseline_rate", "limit_rate")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_database_options(parser)
    add_scope_options(parser)


def run(args: argparse.Namespace) -> int:
    from tierscope.queries import api

    within = scope(args)
    con = open_database(args, must_exist=True)
    try:
        windows = api.drift_flags(con, within).to_dicts()
    finally:
        con.close()
    flagged = [{key: row[key] for key in KEYS} for row in windows if row["is_flagged"]]
    if args.json:
        print_json({"flagged": flagged, "checked": len(windows)})
    else:
        echo(f"checked {len(windows)} task types (latest window with enough traffic each)")
        for row in windows:
            state = "DRIFT" if row["is_flagged"] else "ok"
            echo(
                f"  {state:<5} {row['task_type']:<18} window {row['window_start']}  {row['requests']:,} requests  "
                f"escalation {percent(row['escalation_rate'])} vs baseline {percent(row['baseline_rate'])} "
                f"(limit {percent(row['limit_rate'])}, {row['baseline_source']})"
            )
    return 1 if flagged else 0
