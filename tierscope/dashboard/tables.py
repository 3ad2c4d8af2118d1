"""Tables as every page shows them: one column spec per table, one precision per kind of number, and no "None".

Money has cents, shares and rates one decimal, counts thousands separators. A numeric column stays numeric (so it
sorts as numbers) unless it has missing values: then it is shown as text, formatted by :mod:`tierscope.format`
like the rest of the product, with "—" for a missing value and "unpriced" for a cost that could not be computed.
A value that means zero (no escalations) is filled with 0 by the page or the mart, never left missing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import polars as pl
import streamlit as st
from pandas.io.formats.style import Styler

from tierscope.format import MISSING, count, money, percent

Kind = Literal["text", "count", "money", "price", "percent", "number", "ratio", "tokens", "check", "time", "list"]
Width = Literal["small", "medium", "large"] | int | None
# The browser's number formats (Streamlit NumberColumn), one per kind; step fixes the decimals a percentage shows.
NUMBER_FORMATS: dict[str, tuple[str, float | None]] = {
    "count": ("localized", 1),
    "money": ("dollar", None),
    "price": ("$%.5f", None),
    "percent": ("percent", 0.001),
    "number": ("%.1f", None),
    "ratio": ("%.2f", None),
    "tokens": ("compact", None),
}
# The same kinds as text, for a column with missing values
TEXT_FORMATS: dict[str, Callable[[Any], str]] = {
    "count": count,
    "money": money,
    "price": lambda value: money(value) if value is None else f"${value:.5f}",
    "percent": percent,
    "number": lambda value: MISSING if value is None else f"{value:,.1f}",
    "ratio": lambda value: MISSING if value is None else f"{value:,.2f}",
    "tokens": count,
}
TIME_FORMAT = "YYYY-MM-DD HH:mm:ss"  # times are UTC; labels say so
HIGHLIGHT = "background-color: #FBE3D6"  # a light tint of the flag colour (Okabe-Ito vermillion)


@dataclass(frozen=True)
class Column:
    """How one column of a table reads: its label, kind of value, help text and width."""

    label: str
    kind: Kind = "text"
    help: str | None = None
    width: Width = None


def _config(name: str, column: Column, as_text: bool) -> Any:
    if column.kind == "check":
        return st.column_config.CheckboxColumn(column.label, help=column.help, width=column.width)
    if column.kind == "time":
        return st.column_config.DatetimeColumn(column.label, help=column.help, width=column.width, format=TIME_FORMAT)
    if column.kind == "list":
        return st.column_config.ListColumn(column.label, help=column.help, width=column.width)
    if column.kind == "text" or as_text:
        return st.column_config.TextColumn(
            column.label, help=column.help, width=column.width, alignment=None if column.kind == "text" else "right"
        )
    number_format, step = NUMBER_FORMATS[column.kind]
    return st.column_config.NumberColumn(
        column.label, help=column.help, width=column.width, format=number_format, step=step
    )


def prepared(frame: pl.DataFrame, columns: Mapping[str, Column]) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The frame's columns in spec order, ready to show, with their Streamlit column configuration: text cells
    without a value read "—", and a numeric column with missing values becomes formatted text."""
    table = frame.select(list(columns))
    config: dict[str, Any] = {}
    for name, column in columns.items():
        has_missing = table[name].null_count() > 0
        as_text = column.kind in TEXT_FORMATS and has_missing
        if as_text:
            table = table.with_columns(
                pl.col(name).map_elements(TEXT_FORMATS[column.kind], return_dtype=pl.String, skip_nulls=False)
            )
        elif column.kind == "text" and has_missing:
            table = table.with_columns(pl.col(name).cast(pl.String).fill_null(MISSING))
        config[name] = _config(name, column, as_text)
    return table, config


def show(frame: pl.DataFrame, columns: Mapping[str, Column], highlight: pl.Series | None = None) -> None:
    """The table, with the rows where ``highlight`` is true tinted."""
    table, config = prepared(frame, columns)
    if highlight is None:
        st.dataframe(table, column_config=config, hide_index=True)
        return
    styles = np.where(highlight.to_numpy(), HIGHLIGHT, "")
    shown = table.to_pandas()

    def tint(part: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(np.repeat(styles[:, None], part.shape[1], axis=1), part.index, part.columns)

    styled: Styler = shown.style.apply(tint, axis=None)
    st.dataframe(styled, column_config=config, hide_index=True)
