"""The parser and the entry point. Each command is one module under ``tierscope/cli/commands/`` with ``HELP``,
``add_arguments(parser)`` and ``run(args) -> exit status``.

Only the command being run has its options built (and its module's imports loaded), so ``tierscope --help`` starts
without DuckDB, Polars or the query layer.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
from collections.abc import Iterable, Sequence
from types import ModuleType

from tierscope import __version__
from tierscope.errors import UserError

COMMANDS = (
    "demo",
    "dashboard",
    "ingest",
    "report",
    "drift",
    "whatif",
    "profile",
    "rebuild",
    "reconcile",
    "forecast",
    "budget",
    "anomalies",
    "calls",
    "prices",
    "export",
    "watch",
    "serve",
    "router",
)
DESCRIPTION = (
    "LLM cost attribution and routing FinOps: per-task cost, tier mix, what-if routing, escalation drift, forecasts, "
    "budgets and spend anomalies."
)


def command_module(name: str) -> ModuleType:
    return importlib.import_module(f"tierscope.cli.commands.{name}")


def build_parser(with_options: Iterable[str] = COMMANDS) -> argparse.ArgumentParser:
    """The parser; only the commands in ``with_options`` get their options (all of them by default)."""
    detailed = set(with_options)
    parser = argparse.ArgumentParser(prog="tierscope", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"tierscope {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        module = command_module(name)
        sub = commands.add_parser(name, help=module.HELP, description=(module.__doc__ or "").strip())
        sub.set_defaults(run=module.run)
        if name in detailed:
            module.add_arguments(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:  # a console script piped into `head` ends quietly, as Unix tools do
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    arguments = list(sys.argv[1:] if argv is None else argv)
    named = next((word for word in arguments if not word.startswith("-")), None)
    args = build_parser([named] if named in COMMANDS else []).parse_args(arguments)
    try:
        status: int = args.run(args)
    except (UserError, FileNotFoundError) as error:
        print(f"tierscope: {error}", file=sys.stderr)
        return 2
    return status
