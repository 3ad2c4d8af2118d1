"""``tierscope ingest``: load log files or folders; rows_read = loaded + duplicates + quarantined per file.

When another process holds the database, the files are handed to its spool: a dashboard or ``tierscope watch``
holding it loads them within its interval (about a second); otherwise the next tierscope command that opens the
database loads them first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tierscope.cli.common import (
    CliError,
    DatabaseBusy,
    add_database_options,
    add_memory_limit_option,
    add_spool_option,
    open_database,
    print_json,
)
from tierscope.cli.render import Column, echo, print_table

if TYPE_CHECKING:
    from tierscope.ingest.load import IngestResult
    from tierscope.queries.owner import Holder

HELP = "load log files (format auto-detected)"
COUNTS = ("rows_read", "loaded", "duplicates", "quarantined")
COLUMNS = (
    Column("path", "file"),
    Column("format"),
    Column("rows_read", kind="count"),
    Column("loaded", kind="count"),
    Column("duplicates", kind="count"),
    Column("quarantined", kind="count"),
    Column("seconds", "time", kind="seconds"),
)
STEP_COLUMNS = (Column("step"), Column("seconds", "time", kind="seconds"), Column("share", kind="percent"))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from tierscope.ingest.formats import FORMAT_NAMES

    add_database_options(parser)
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    parser.add_argument("--format", choices=FORMAT_NAMES, help="force a reader")
    parser.add_argument(
        "--started-at",
        type=utc_time,
        metavar="TIME",
        help="time of records that carry none of their own (batch results; default: the file's modification time), "
        "ISO-8601, UTC unless it has a zone",
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="print where each file's time went: the read, each SQL step (the load, the derived tables), the commit",
    )
    add_memory_limit_option(parser)
    add_spool_option(parser)


def utc_time(value: str) -> dt.datetime:
    """An ISO-8601 time as naive UTC (a time without a zone is UTC)."""
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO-8601 time (2026-11-20T12:00:00Z)") from error
    return parsed.astimezone(dt.UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def summary(results: Sequence[IngestResult]) -> dict[str, Any]:
    """The contract's totals and one entry per file."""
    return {
        **{key: sum(getattr(result, key) for result in results) for key in COUNTS},
        "files": [result.as_json() for result in results],
    }


def load_files(args: argparse.Namespace, paths: Sequence[str | Path], source_format: str | None) -> dict[str, Any]:
    """Load the files into the command's database and, unless --json, print what each one gave; a file that failed
    or was skipped gets one line on stderr (the others load all the same)."""
    from tierscope.ingest.load import ingest_paths
    from tierscope.queries.db import resolve_db_path

    con = open_database(args, must_exist=False, writes=True)
    try:
        results = ingest_paths(con, paths, source_format, started_at=getattr(args, "started_at", None))
    finally:
        con.close()
    loaded = summary(results)
    if not args.json:
        shown = [
            {**entry, "format": entry["format"] if entry["status"] == "loaded" else entry["status"]}
            for entry in loaded["files"]
        ]
        print_table(shown, COLUMNS)
        echo(
            f"total: {loaded['rows_read']:,} read = {loaded['loaded']:,} loaded + {loaded['duplicates']:,} "
            f"duplicates + {loaded['quarantined']:,} quarantined  ->  {resolve_db_path(args.db)}"
        )
        if getattr(args, "verbose", False):
            for result in results:
                print_steps(result)
        problems = [problem for result in results for problem in result.problems][:10]
        if problems:
            echo("\nquarantined (first ones; all are in the quarantine table):")
            for problem in problems:
                echo(f"  {problem}")
    for result in results:
        if result.status != "loaded":
            print(f"tierscope: {result.status} {result.source}: {result.error}", file=sys.stderr)
    return loaded


def print_steps(result: IngestResult) -> None:
    """Where one file's seconds went, in the order the steps ran; ``other`` is the time outside every step."""
    if result.status != "loaded":
        return
    other = result.seconds - sum(seconds for _, seconds in result.steps)
    rows = [
        {"step": step, "seconds": seconds, "share": seconds / result.seconds}
        for step, seconds in [*result.steps, ("other", other)]
    ]
    echo(f"\n{result.source}: {result.seconds:.1f} s")
    print_table(rows, STEP_COLUMNS)


def loaded_by(held: Holder) -> dict[str, Any]:
    """Who loads the handed-over files, and when: the contract's ``loaded_by``."""
    if held.advert is not None:
        return {"kind": held.advert.kind, "pid": held.advert.pid, "within_seconds": held.advert.spool_interval}
    return {"kind": "next_command", "pid": None, "within_seconds": None}


def hand_to_spool(args: argparse.Namespace, busy: DatabaseBusy) -> dict[str, Any]:
    """The database is held (by a running dashboard, say): the files go to the spool, for whoever loads it."""
    from tierscope.ingest.load import expand_paths
    from tierscope.ingest.spool import Spool, spool_dir
    from tierscope.queries.db import resolve_db_path

    if args.started_at is not None:
        raise CliError(
            f"{resolve_db_path(args.db)} is in use by {busy.holder}: --started-at cannot travel through the spool; "
            "run the ingest once it has stopped"
        )
    files = expand_paths(args.paths)
    missing = [str(path) for path in files if not path.is_file()]
    if missing:
        raise CliError(f"{', '.join(missing)}: no such file")
    spool = Spool(spool_dir(args.db, args.spool))
    spooled = [str(spool.hand_over(path, args.format)) for path in files]
    loader = loaded_by(busy.holder)
    if not args.json:
        if loader["within_seconds"] is not None:
            seconds = loader["within_seconds"]
            when = f"{busy.holder} loads them within about {'a second' if seconds <= 1 else f'{seconds:g} seconds'}"
        else:
            when = (
                f"{busy.holder} does not load the spool: the next tierscope command that opens this database loads "
                "them first"
            )
        echo(
            f"{resolve_db_path(args.db)} is in use by {busy.holder}: handed {len(spooled)} "
            f"file{'s' if len(spooled) != 1 else ''} to the spool {spool.folder}.\n{when}."
        )
    return {**dict.fromkeys(COUNTS, 0), "files": [], "spooled": spooled, "loaded_by": loader}


def run(args: argparse.Namespace) -> int:
    try:
        loaded = load_files(args, args.paths, args.format)
    except DatabaseBusy as busy:
        loaded = hand_to_spool(args, busy)
    if args.json:
        print_json(loaded)
    # exit 2 when any file failed (after loading every other one)
    return 2 if any(entry.get("status") == "failed" for entry in loaded["files"]) else 0
