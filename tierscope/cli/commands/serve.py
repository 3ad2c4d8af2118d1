"""``tierscope serve``: the HTTP receiver for LiteLLM's generic API logger and OTLP/HTTP JSON, into the spool."""

from __future__ import annotations

import argparse
import json

from tierscope.cli.common import CliError, add_json_option, add_spool_option, stop_on_signals
from tierscope.cli.render import echo

HELP = "HTTP receiver (LiteLLM generic API logger, OTLP/HTTP JSON) -> spool"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from tierscope.ingest.serve import DEFAULT_HOST, DEFAULT_MAX_BODY_BYTES, DEFAULT_PORT, DEFAULT_TIMEOUT_SECONDS

    parser.add_argument("--db", help="database file whose spool receives the data (default: $TIERSCOPE_DB)")
    parser.add_argument("--routing", help="routing YAML whose task_type_from attribute keys keep their values")
    add_json_option(parser)
    add_spool_option(parser)
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 picks one)")
    parser.add_argument(
        "--token", help="bearer token clients must send (default $TIERSCOPE_TOKEN; needed off loopback)"
    )
    parser.add_argument(
        "--max-body-bytes",
        type=int,
        default=DEFAULT_MAX_BODY_BYTES,
        metavar="N",
        help=f"largest request body, also after decompression (default {DEFAULT_MAX_BODY_BYTES:,}; 413 beyond)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_SECONDS,
        metavar="SECONDS",
        help=f"time a client has to send a request (default {DEFAULT_TIMEOUT_SECONDS:g})",
    )


def run(args: argparse.Namespace) -> int:
    from tierscope.ingest.serve import ServeOptions, require_token, run_receiver
    from tierscope.ingest.spool import Spool, spool_dir
    from tierscope.settings import settings

    token = settings(token=args.token).token
    try:
        require_token(args.host, token)
    except ValueError as error:
        raise CliError(str(error)) from error
    if args.max_body_bytes < 1 or args.timeout <= 0:
        raise CliError("--max-body-bytes and --timeout must be positive")
    spool = Spool(spool_dir(args.db, args.spool))
    spool.ensure()
    options = ServeOptions(args.host, args.port, spool, token, args.max_body_bytes, args.timeout, args.routing)

    def announce(url: str) -> None:
        if args.json:
            print(json.dumps({"url": url, "spool": str(spool.folder)}), flush=True)
        else:
            echo(
                f"tierscope serve on {url} (POST /litellm, POST /v1/traces, GET /health); spooling to "
                f"{spool.folder}; a dashboard or `tierscope watch` on the database loads it"
            )

    try:
        run_receiver(options, announce, stop_on_signals())
    except OSError as error:
        raise CliError(f"cannot listen on {args.host}:{args.port}: {error}") from error
    return 0
