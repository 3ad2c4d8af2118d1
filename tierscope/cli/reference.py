"""The CLI reference (docs/cli.md), generated from the parser itself: every command's ``--help``.

``python -m tierscope.cli.reference > docs/cli.md`` (``make docs``) writes it; a test fails when the file and the
parser disagree.
"""

from __future__ import annotations

import argparse

from tierscope.cli.app import build_parser

WIDTH = 110
HEADER = """# CLI reference

Generated from the parser (`make docs`); every command's `--help`. Examples with their output and the `--json`
contract: [cli-guide.md](cli-guide.md).
"""


def _fixed_width(parser: argparse.ArgumentParser) -> None:
    """Help laid out at one width, whatever the terminal, so the reference is the same on every machine."""
    parser.formatter_class = lambda prog: argparse.HelpFormatter(prog, width=WIDTH, max_help_position=32)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _fixed_width(sub)


def _sections(parser: argparse.ArgumentParser, name: str) -> list[str]:
    subcommands = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    text = [f"## `{name}`\n\n```text\n{parser.format_help().rstrip()}\n```\n"]
    for action in subcommands:
        for sub_name, sub in action.choices.items():
            text.extend(_sections(sub, f"{name} {sub_name}"))
    return text


def reference() -> str:
    parser = build_parser()
    _fixed_width(parser)
    return "\n".join([HEADER, *_sections(parser, "tierscope")])


if __name__ == "__main__":
    print(reference(), end="")
