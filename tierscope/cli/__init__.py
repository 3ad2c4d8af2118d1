"""The ``tierscope`` command line: one module per command in ``commands/``; ``--json`` output is a stable contract."""

from tierscope.cli.app import COMMANDS, build_parser, main

__all__ = ["COMMANDS", "build_parser", "main"]
