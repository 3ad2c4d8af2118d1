"""Tables and lines for a terminal: a result's rows plus a column spec, drawn by ``rich``.

Numbers are formatted by :mod:`tierscope.format`, the dashboard's formatter, so a cost reads the same in both.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from tierscope import format as fmt

if TYPE_CHECKING:  # rich is imported when something is drawn, so that `tierscope --help` does not wait for it
    from rich.console import Console
    from rich.table import Table

Kind = Literal["text", "count", "money", "percent", "number", "seconds"]

_FORMATS: dict[Kind, Callable[[Any], str]] = {
    "text": lambda value: "—" if value is None else str(value),
    "count": lambda value: fmt.count(value, missing="—"),
    "money": fmt.money,
    "percent": lambda value: fmt.percent(value, missing="—"),
    "number": lambda value: "—" if value is None else f"{value:,.0f}",
    "seconds": lambda value: "—" if value is None else f"{value:.1f}s",
}


@dataclass(frozen=True)
class Column:
    """One column of a table: the row key it shows, its header and how its values read."""

    key: str
    header: str | None = None
    kind: Kind = "text"

    def cell(self, row: Mapping[str, Any]) -> str:
        return _FORMATS[self.kind](row.get(self.key))


def console() -> Console:
    """Standard output; when it is not a terminal (a pipe, a file), wide enough that no table wraps."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 10_000)


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column]) -> Table:
    """Text columns left-aligned, numbers right-aligned, one header line."""
    from rich import box
    from rich.table import Table

    drawn = Table(box=box.SIMPLE_HEAD, safe_box=True, pad_edge=False, show_edge=False, header_style="bold")
    for column in columns:
        drawn.add_column(column.header or column.key, justify="left" if column.kind == "text" else "right")
    for row in rows:
        drawn.add_row(*(column.cell(row) for column in columns))
    return drawn


def print_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column]) -> None:
    """The table on standard output, without the padding rich leaves at the end of a line."""
    out = console()
    with out.capture() as captured:
        out.print(table(rows, columns))
    print("\n".join(line.rstrip() for line in captured.get().splitlines()))


def echo(text: str = "") -> None:
    """A line of plain text (no markup: file names and values may contain brackets)."""
    console().print(text, markup=False)
