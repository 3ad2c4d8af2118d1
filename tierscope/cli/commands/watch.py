"""``tierscope watch``: follow growing log files in a folder, offsets committed with the rows; loads the spool too."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from tierscope.cli.common import CliError, add_database_options, add_spool_option, stop_on_signals
from tierscope.cli.render import echo

HELP = "follow growing JSONL files in a folder (and drain the spool)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from tierscope.ingest.formats import FORMAT_NAMES
    from tierscope.ingest.stream import DEFAULT_BATCH_BYTES, DEFAULT_INTERVAL_SECONDS, DEFAULT_PATTERNS

    add_database_options(parser)
    add_spool_option(parser)
    parser.add_argument("folder", type=Path, metavar="DIR", help="the folder to follow")
    parser.add_argument(
        "--pattern",
        action="append",
        dest="patterns",
        metavar="GLOB",
        help=f"file names to follow (repeatable; default {' '.join(DEFAULT_PATTERNS)}; .gz files never)",
    )
    parser.add_argument("--format", choices=FORMAT_NAMES, help="force a reader")
    parser.add_argument(
        "--batch-bytes",
        type=int,
        default=DEFAULT_BATCH_BYTES,
        metavar="N",
        help=f"largest micro-batch read from one file (default {DEFAULT_BATCH_BYTES:,})",
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=DEFAULT_INTERVAL_SECONDS,
        metavar="SECONDS",
        help=f"how often to look for new lines when caught up (default {DEFAULT_INTERVAL_SECONDS:g})",
    )
    parser.add_argument("--once", action="store_true", help="take what is there, then exit")


def run(args: argparse.Namespace) -> int:
    from tierscope.ingest.spool import spool_dir
    from tierscope.ingest.stream import DEFAULT_PATTERNS, Watcher, WatchOptions
    from tierscope.queries.db import resolve_db_path

    if not args.folder.is_dir():
        raise CliError(f"{args.folder}: not a folder")
    if args.batch_bytes < 1 or args.interval <= 0:
        raise CliError("--batch-bytes and --interval must be positive")
    db_path = resolve_db_path(args.db)
    options = WatchOptions(
        folder=args.folder.resolve(),
        db_path=db_path,
        prices=args.prices,
        routing=args.routing,
        spool=spool_dir(db_path, args.spool),
        patterns=tuple(args.patterns or DEFAULT_PATTERNS),
        source_format=args.format,
        batch_bytes=args.batch_bytes,
        interval=args.interval,
    )

    def report(event: dict[str, Any]) -> None:
        if args.json:
            print(json.dumps(event, default=str), flush=True)
        else:
            echo(event["message"])

    Watcher(options, report).run(stop_on_signals(), once=args.once)
    return 0
