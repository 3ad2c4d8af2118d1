"""Handing tierscope's results to other tools: a FOCUS cost file, the canonical table as date-partitioned Parquet,
and CSV text that spreadsheets will not run as formulas.

FOCUS (FinOps Open Cost and Usage Specification) 1.2 is what FinOps tools import; the columns come from the mart
``mart_focus_daily`` (see :func:`queries.api.focus_daily`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from tierscope.queries import api

# OWASP's CSV injection guidance: a cell starting with one of these is read as a formula by spreadsheet programs;
# a leading line break too (some programs skip it and read what follows), and the full-width forms of = + - @,
# which some spreadsheets fold into the ASCII ones.
FORMULA_START = r"^[=+\-@\t\r\n＝＋－＠]"
FOCUS_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def csv_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with every text cell that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
    ``@``, a tab, a carriage return or a line feed, or a full-width ``＝ ＋ － ＠``) prefixed with an apostrophe,
    which spreadsheets show but do not evaluate. Lists of text become one ``", "``-joined cell first (CSV has no
    lists). Numbers and times are left as they are."""
    text_columns = [
        pl.col(name).list.join(", ").alias(name) if dtype == pl.List(pl.String) else pl.col(name)
        for name, dtype in frame.schema.items()
        if dtype in (pl.String, pl.List(pl.String))
    ]
    joined = frame.with_columns(text_columns)
    return joined.with_columns(
        pl.when(pl.col(name).str.contains(FORMULA_START))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name, dtype in joined.schema.items()
        if dtype == pl.String
    )


def csv_text(frame: pl.DataFrame) -> str:
    """The frame as formula-safe CSV text: the one way tierscope writes CSV (exports, the dashboard's downloads)."""
    return csv_safe(frame).write_csv(datetime_format=FOCUS_TIME_FORMAT)


CALLS_CSV_LIMIT = 10_000


def calls_csv(
    con: duckdb.DuckDBPyConnection,
    scope: api.Scope,
    filters: api.CallFilters = api.NO_FILTERS,
    order: api.CallOrder = "newest",
    limit: int = CALLS_CSV_LIMIT,
) -> str:
    """The first ``limit`` calls of a listing (:func:`queries.api.calls_page`) as formula-safe CSV: the Calls page's
    download."""
    return csv_text(api.calls_page(con, scope, filters, order, limit=limit).rows)


@dataclass(frozen=True)
class Exported:
    """What an export wrote: the path, the rows and (for a partitioned export) the files."""

    path: Path
    rows: int
    files: int = 1


def write_focus(con: duckdb.DuckDBPyConnection, out: Path, scope: api.Scope = api.ALL) -> Exported:
    """Write the FOCUS daily cost file: Parquet when ``out`` ends in .parquet, else CSV (formula-safe, UTC times as
    ISO-8601 with Z)."""
    frame = api.focus_daily(con, scope)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".parquet":
        frame.write_parquet(out)
    else:
        out.write_text(csv_text(frame), encoding="utf-8")
    return Exported(out, frame.height)


def write_parquet(con: duckdb.DuckDBPyConnection, out_dir: Path) -> Exported:
    """Write the canonical calls table as Parquet partitioned by UTC day (``date=YYYY-MM-DD/``, Hive style), the form
    other engines read directly. ``out_dir`` must be new or empty, so an export never mixes with an older one."""
    if out_dir.exists() and any(out_dir.iterdir()):
        raise FileExistsError(f"{out_dir}: not empty; choose a new folder for the Parquet export")
    out_dir.mkdir(parents=True, exist_ok=True)
    [(rows,)] = con.execute("select count(*) from calls").fetchall()
    con.execute(
        "copy (select *, started_at::date as date from calls order by started_at) to $path "
        "(format parquet, partition_by (date), overwrite_or_ignore true)",
        {"path": str(out_dir)},
    )
    return Exported(out_dir, int(rows), sum(1 for _ in out_dir.rglob("*.parquet")))
