"""``tierscope demo``: the shipped sample logs loaded into ``demo.duckdb``, the report printed, the dashboard opened."""

from __future__ import annotations

import argparse
import datetime as dt

from tierscope.cli.commands import dashboard, ingest, report
from tierscope.cli.common import CliError, add_database_options, open_database
from tierscope.cli.render import echo

HELP = "load the sample logs into a demo database and open the dashboard"
DEMO_DB = "demo.duckdb"
DEMO_FILES = (
    "requests.jsonl.gz",
    "requests_export.csv",
    "formats/litellm.jsonl",
    "formats/litellm_spend_logs.csv",
    "formats/otel_genai.jsonl",
    "formats/openai_batch_output.jsonl",
    "formats/anthropic_batch_results.jsonl",
    "formats/langfuse_observations.json",
    "formats/helicone_requests.jsonl",
)
PROFILING_RUN = "profiling_results.jsonl"
BUDGETS = "budgets.yaml"  # the overview's budget bars, unless --budgets names another file
# The time of the batch results, which carry none: inside the sample month, so that the demo's numbers do not depend
# on the day the files were cloned (their modification time)
BATCH_TIME = dt.datetime(2026, 11, 20, 12, 0)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_database_options(parser)
    parser.add_argument("--no-dashboard", action="store_true", help="only load the samples and print the report")
    dashboard.add_dashboard_options(parser)


def run(args: argparse.Namespace) -> int:
    from tierscope.ingest.profiling import load_profiling
    from tierscope.queries.api import ALL
    from tierscope.queries.db import resolve_db_path
    from tierscope.settings import SAMPLE_LOGS

    missing = [name for name in DEMO_FILES if not (SAMPLE_LOGS / name).exists()]
    if missing:
        raise CliError(f"sample logs missing: {', '.join(missing)}; run python -m tierscope.sample_logs.generate")
    demo_args = argparse.Namespace(
        **{
            **vars(args),
            "db": args.db or DEMO_DB,
            "budgets": args.budgets or str(SAMPLE_LOGS / BUDGETS),
            "started_at": BATCH_TIME,
        }
    )
    ingest.load_files(demo_args, [SAMPLE_LOGS / name for name in DEMO_FILES], None)
    con = open_database(demo_args, must_exist=True, writes=True)
    try:
        load_profiling(con, SAMPLE_LOGS / PROFILING_RUN)
        rows = report.report_rows(con, "task_type", ALL)
    finally:
        con.close()
    echo()
    report.print_report(rows, "task_type")
    if args.no_dashboard:
        return 0
    echo()
    return dashboard.open_dashboard(demo_args, resolve_db_path(demo_args.db))
