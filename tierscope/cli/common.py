"""What every command shares: its options, the errors a user can fix, opening the database, printing JSON.

Nothing here imports DuckDB, Polars or the query layer at module level: ``tierscope --help`` loads only argparse.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from tierscope.errors import UserError

if TYPE_CHECKING:
    import duckdb

    from tierscope.queries.api import Scope


class CliError(UserError):
    """A problem the user can fix; printed as one line without a traceback, exit status 2."""


class DatabaseBusy(CliError):
    """Another process (a dashboard, ``tierscope watch``, another command) holds the database's write lock."""


def add_database_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="database file (default: $TIERSCOPE_DB or ./tierscope.duckdb)")
    parser.add_argument("--prices", help="price book YAML (default: $TIERSCOPE_PRICES or the shipped prices.yaml)")
    parser.add_argument("--routing", help="routing YAML (default: $TIERSCOPE_ROUTING or the shipped routing.yaml)")
    add_json_option(parser)


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON (stable keys)")


def add_spool_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--spool", metavar="DIR", help="spool folder (default: $TIERSCOPE_SPOOL or <db file>.spool)")


def add_scope_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", type=dt.date.fromisoformat, help="first day included (YYYY-MM-DD, UTC)")
    parser.add_argument("--until", type=dt.date.fromisoformat, help="last day included (YYYY-MM-DD, UTC)")
    parser.add_argument("--task-type", action="append", dest="task_types", help="only this task type (repeatable)")
    parser.add_argument("--team", action="append", dest="teams", help="only this team (repeatable)")
    parser.add_argument("--provider", action="append", dest="providers", help="only this provider (repeatable)")


def scope(args: argparse.Namespace) -> Scope:
    """The scope of a command's --since / --until (inclusive UTC days) and filters."""
    from tierscope.queries.api import Scope

    if args.since and args.until and args.since > args.until:
        raise CliError(f"--since {args.since} is after --until {args.until}")
    return Scope(
        start=args.since,
        end=args.until + dt.timedelta(days=1) if args.until else None,
        task_types=tuple(args.task_types) if args.task_types else None,
        teams=tuple(args.teams) if args.teams else None,
        providers=tuple(args.providers) if args.providers else None,
    )


def open_database(args: argparse.Namespace, *, must_exist: bool, rebuild: bool = False) -> duckdb.DuckDBPyConnection:
    """The command's database, opened read-write with its config; a missing one is an error unless it may be
    created; one held by another process is :class:`DatabaseBusy`."""
    import duckdb

    from tierscope.queries.db import connect, resolve_db_path

    path = resolve_db_path(args.db)
    if must_exist and path != ":memory:" and not Path(path).exists():
        raise CliError(f"no database at {path}; load logs first: tierscope ingest PATH --db {path}")
    try:
        return connect(path, args.prices, args.routing, rebuild=rebuild)
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise DatabaseBusy(f"{path} is in use by another tierscope process: {error}") from error
        raise


def print_json(payload: object) -> None:
    print(json.dumps(payload, indent=2, default=str))


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or Ctrl+C, so a long-running command finishes its current step and exits."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop
