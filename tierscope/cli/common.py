"""What every command shares: its options, the errors a user can fix, opening the database, printing JSON.

Nothing here imports DuckDB, Polars or the query layer at module level: ``tierscope --help`` loads only argparse.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, cast

from tierscope.errors import UserError

if TYPE_CHECKING:
    import duckdb

    from tierscope.queries.api import Scope
    from tierscope.queries.owner import Advert, Holder


class CliError(UserError):
    """A problem the user can fix; printed as one line without a traceback, exit status 2."""


class DatabaseBusy(CliError):
    """Another process (a dashboard, ``tierscope watch``, another command) holds the database's write lock."""

    def __init__(self, message: str, holder: Holder) -> None:
        super().__init__(message)
        self.holder = holder


def add_database_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="database file (default: $TIERSCOPE_DB or ./tierscope.duckdb)")
    parser.add_argument("--prices", help="price book YAML (default: $TIERSCOPE_PRICES or the shipped prices.yaml)")
    parser.add_argument("--routing", help="routing YAML (default: $TIERSCOPE_ROUTING or the shipped routing.yaml)")
    add_json_option(parser)


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON (stable keys)")


def add_memory_limit_option(parser: argparse.ArgumentParser) -> None:
    from tierscope.settings import DEFAULT_MEMORY_LIMIT, memory_size

    def size(value: str) -> str:
        try:
            return memory_size(value)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from error

    parser.add_argument(
        "--memory-limit",
        type=size,
        metavar="SIZE",
        help=f"DuckDB memory limit; it spills to <db file>.tmp beyond it (default: $TIERSCOPE_MEMORY_LIMIT or "
        f"{DEFAULT_MEMORY_LIMIT})",
    )


def add_spool_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--spool", metavar="DIR", help="spool folder (default: $TIERSCOPE_SPOOL or <db file>.spool)")


def add_scope_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", type=dt.date.fromisoformat, help="first day included (YYYY-MM-DD, UTC)")
    parser.add_argument("--until", type=dt.date.fromisoformat, help="last day included (YYYY-MM-DD, UTC)")
    add_filter_options(parser)


def add_filter_options(parser: argparse.ArgumentParser) -> None:
    """The scope's filters without its dates, for a command whose time range is something else (a month)."""
    parser.set_defaults(since=None, until=None)
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


def open_database(
    args: argparse.Namespace, *, must_exist: bool, rebuild: bool = False, writes: bool = False
) -> duckdb.DuckDBPyConnection:
    """The command's database, opened read-write with its config, after loading what waits in its spool; a missing
    one is an error unless it may be created.

    When another process holds it: a command that only reads (not ``writes``, no ``rebuild``) reads through the
    endpoint that process advertises (a dashboard, ``tierscope watch``: ``queries/owner.py``); otherwise, or without
    an endpoint, :class:`DatabaseBusy` names the holder."""
    import duckdb

    from tierscope.queries import owner
    from tierscope.queries.db import connect, resolve_db_path

    path = resolve_db_path(args.db)
    if must_exist and path != ":memory:" and not Path(path).exists():
        raise CliError(f"no database at {path}; load logs first: tierscope ingest PATH --db {path}")
    try:
        con = connect(
            path, args.prices, args.routing, rebuild=rebuild, memory_limit=getattr(args, "memory_limit", None)
        )
    except duckdb.IOException as error:
        if not owner.is_lock_error(error):
            raise
        held = owner.holder(path, error)
        if held.advert is not None and not (writes or rebuild):
            return read_through_owner(args, path, held.advert)
        if held.advert is None:
            raise DatabaseBusy(f"{path} is in use by {held}: {error}", held) from error
        raise DatabaseBusy(
            f"{path} is held by {held}; `tierscope {args.command}` writes to the database, so run it once "
            f"{held} has stopped",
            held,
        ) from error
    if path != ":memory:":
        try:
            load_spool(args, con, path)
        except BaseException:
            con.close()
            raise
    return con


def read_through_owner(args: argparse.Namespace, path: str, advert: Advert) -> duckdb.DuckDBPyConnection:
    """A read-only client of the process that owns the database, if it reads it with this command's config."""
    from tierscope.queries import owner
    from tierscope.queries.config import load_price_book, load_routing
    from tierscope.queries.db import config_fingerprint

    client = owner.OwnerClient(path, advert)
    try:
        [(theirs,)] = client.execute("select config_fingerprint from derived_state").fetchall()
    except BaseException:
        client.close()
        raise
    if theirs != config_fingerprint(load_price_book(args.prices), load_routing(args.routing)):
        client.close()
        raise CliError(
            f"{path} is held by {client}, which reads it with other config files ({advert.prices}, "
            f"{advert.routing}) than this command's --prices / --routing: pass those, or run it once {client} has "
            "stopped"
        )
    return cast("duckdb.DuckDBPyConnection", client)


def load_spool(args: argparse.Namespace, con: duckdb.DuckDBPyConnection, path: str) -> None:
    """Load what other processes handed to the spool while they could not write the database (one folder listing
    when there is nothing)."""
    from tierscope.ingest.load import IngestResult, with_transaction
    from tierscope.ingest.spool import Spool, drain, spool_dir
    from tierscope.queries.db import refresh_derived

    spool = Spool(spool_dir(path, getattr(args, "spool", None)))
    if not spool.pending():
        return
    files = 0

    def counted(_: IngestResult, group: int) -> None:
        nonlocal files
        files += group

    results = drain(con, spool, on_result=counted)
    if results:
        with_transaction(con, refresh_derived)
        rows = sum(result.loaded for result in results)
        print(
            f"tierscope: first loaded {files:,} file{'s' if files != 1 else ''} waiting in the spool {spool.folder} "
            f"({rows:,} new rows)",
            file=sys.stderr,
        )


def print_json(payload: object) -> None:
    print(json.dumps(payload, indent=2, default=str))


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or Ctrl+C, so a long-running command finishes its current step and exits."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop
