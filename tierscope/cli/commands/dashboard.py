"""``tierscope dashboard``: the Streamlit dashboard on the database, on 127.0.0.1 only."""

from __future__ import annotations

import argparse
from pathlib import Path

from tierscope.cli.common import CliError, add_database_options

HELP = "open the dashboard on the database (loopback only)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_database_options(parser)
    add_dashboard_options(parser)


def add_dashboard_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, help="port (default 8501, or a free one)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    parser.add_argument("--budgets", help="budgets YAML shown on the overview (default: $TIERSCOPE_BUDGETS; none)")


def open_dashboard(args: argparse.Namespace, db_path: str) -> int:
    from tierscope.cli import dashboard_process

    if not Path(db_path).exists():
        raise CliError(f"no database at {db_path}; load logs first: tierscope ingest PATH --db {db_path}")
    if args.budgets:
        from tierscope.queries.config import load_budgets

        load_budgets(args.budgets)  # a wrong file is said here, in one line, not on the page
    return dashboard_process.run(
        db_path, args.port, args.prices, args.routing, open_browser=not args.no_browser, budgets=args.budgets
    )


def run(args: argparse.Namespace) -> int:
    from tierscope.queries.db import resolve_db_path

    return open_dashboard(args, resolve_db_path(args.db))
