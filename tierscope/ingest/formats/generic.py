"""The generic format: the canonical columns of DESIGN §3 (plus common aliases) as JSONL / JSON array, CSV or
Parquet, optionally gzip-compressed. Everything is read by DuckDB's own readers; no Python loop per row."""

from __future__ import annotations

import gzip
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, cast

import duckdb
import polars as pl

from tierscope.ingest.fields import STAGED_FIELDS, accepted_names
from tierscope.queries.db import execute_file, sql_text

MAX_RAW_CHARS = 1000

# What the fast path reads typed: counts and amounts as DOUBLE (never rounded), flags as BOOLEAN.
TYPED_JSON_FIELDS = {
    **{
        field: "DOUBLE"
        for field in (
            "input_tokens",
            "output_tokens",
            "cached_input_tokens",
            "cache_write_tokens",
            "reasoning_tokens",
            "latency_ms",
            "reported_cost_usd",
        )
    },
    "escalated": "BOOLEAN",
    "quality_passed": "BOOLEAN",
}


def _suffixes(path: Path) -> list[str]:
    suffixes = [suffix.lower() for suffix in path.suffixes]
    return suffixes[:-1] if suffixes and suffixes[-1] == ".gz" else suffixes


def file_kind(path: Path, head: bytes) -> str:
    """parquet, csv or json, from the magic bytes and the file name."""
    if head.startswith(b"PAR1"):
        return "parquet"
    suffixes = _suffixes(path)
    if suffixes and suffixes[-1] in (".csv", ".tsv"):
        return "csv"
    return "json"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _canonical_select(available: dict[str, str], cast: dict[str, str] | None = None) -> str:
    """SELECT list mapping the file's columns (lower name -> real name) onto the canonical fields as text."""
    cast = cast or {}
    items = []
    for field in STAGED_FIELDS:
        present = [available[name] for name in accepted_names(field) if name in available]
        expressions = [cast.get(name, f"{_quoted(name)}::varchar") for name in present]
        if not expressions:
            items.append(f"null::varchar as {field}")
        elif len(expressions) == 1:
            items.append(f"{expressions[0]} as {field}")
        else:
            items.append(f"coalesce({', '.join(expressions)}) as {field}")
    return ",\n    ".join(items)


@contextmanager
def _plain_parquet(path: Path) -> Iterator[Path]:
    """Parquet cannot be read through gzip; a .parquet.gz is expanded to a temporary file first."""
    if path.suffix.lower() != ".gz":
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="tierscope-") as folder:
        plain = Path(folder) / path.stem
        with gzip.open(path, "rb") as source, plain.open("wb") as target:
            shutil.copyfileobj(source, target, length=1 << 20)
        yield plain


class GenericReader:
    name = "generic"
    description = "canonical columns as JSONL, JSON array, CSV or Parquet, optionally .gz"

    def sniff(self, path: Path, head: bytes) -> bool:
        kind = file_kind(path, head)
        if kind == "parquet":
            return True
        text = head.decode("utf-8", errors="replace").lower()
        return any(f'"{name}"' in text or name in text.split("\n", 1)[0] for name in ("request_id", "started_at"))

    def stage(self, con: duckdb.DuckDBPyConnection, path: Path) -> int:
        """Every record of a generic file is meant as a model call: none is skipped."""
        head = read_head(path)
        kind = file_kind(path, head)
        if kind == "parquet":
            with _plain_parquet(path) as plain:
                self._stage_parquet(con, plain)
        elif kind == "csv":
            self._stage_csv(con, path)
        else:
            self._stage_json(con, path, is_array=head.lstrip().startswith(b"["))
        return 0

    def _stage_json(self, con: duckdb.DuckDBPyConnection, path: Path, *, is_array: bool) -> None:
        """Fast path first: counts, amounts and flags read as typed JSON (DOUBLE keeps 12.7 tokens visible as not
        whole; BOOLEAN), nothing unreadable tolerated. A file that does not read that way (a malformed line, a count
        written as text) is read again with every field as text and unreadable lines kept as rows to quarantine."""
        try:
            self._read_json(con, path, is_array=is_array, typed=True)
        except duckdb.Error:
            self._read_json(con, path, is_array=is_array, typed=False)

    def _read_json(self, con: duckdb.DuckDBPyConnection, path: Path, *, is_array: bool, typed: bool) -> None:
        """The records into the temp table ingest_stage_records, one row each in record order, and over it the view
        ingest_stage with the columns every reader stages. source_line, the record number, is the row's place in that
        table (rowid + 1): numbering in the read (row_number() over ()) would run the read on one thread, so only a
        connection that does not preserve insertion order numbers the records there."""
        names = sorted({name for field in STAGED_FIELDS for name in accepted_names(field)})
        types = {
            name: (TYPED_JSON_FIELDS.get(field, "VARCHAR") if typed else "VARCHAR")
            for field in STAGED_FIELDS
            for name in accepted_names(field)
        }
        columns = "{" + ", ".join(f"'{name}': '{types[name]}'" for name in names) + "}"
        json_format = "array" if is_array else "newline_delimited"
        select = _canonical_select({name: name for name in names}, {name: _quoted(name) for name in names})
        no_field = "(" + " and ".join(f"{_quoted(name)} is null" for name in names) + ")"
        [(preserves_order,)] = con.execute("select current_setting('preserve_insertion_order')").fetchall()
        drop_work_relations(con, only=("ingest_stage",))
        con.execute(
            f"""
            create or replace temp table ingest_stage_records as
            select
                {select},
                {no_field} as is_malformed
                {"" if preserves_order else ", row_number() over () as record_number"}
            from read_json($path, format = '{json_format}', columns = {columns}, ignore_errors = {not typed},
                           maximum_object_size = 67108864)
            """,
            {"path": str(path)},
        )
        con.execute(
            f"""
            create temp view ingest_stage as
            select
                {", ".join(STAGED_FIELDS)},
                {"rowid + 1" if preserves_order else "record_number"} as source_line,
                null::varchar as raw_text,
                is_malformed,
                case when is_malformed then 'not valid JSON, or an object with no known field' end as reader_reason
            from ingest_stage_records
            """
        )

    def locate(self, con: duckdb.DuckDBPyConnection, path: Path) -> None:
        """Give rejected JSONL records their true line number, and unreadable ones their raw text.

        DuckDB's reader yields one row per non-blank line in file order (an all-NULL row for an unreadable line), but
        neither the line number nor the text. Only when a file has rejected records is it read once more, here, in
        large chunks split into lines by Polars (no Python loop per line), keeping just the rejected records.
        """
        head = read_head(path)
        if file_kind(path, head) != "json" or head.lstrip().startswith(b"["):
            return
        rejected = con.sql(
            "select source_line as record, is_malformed from ingest_typed where reject_reason is not null"
        )
        wanted = rejected.pl()
        found = [frame for frame in _numbered_lines(path, wanted) if frame.height]
        located = pl.concat(found) if found else pl.DataFrame(schema=LOCATED_SCHEMA)
        con.register("ingest_located_lines", located.to_arrow())
        try:
            con.execute(sql_text("ingest/locate_lines.sql"))
        finally:
            con.unregister("ingest_located_lines")

    def _stage_csv(self, con: duckdb.DuckDBPyConnection, path: Path) -> None:
        options = "all_varchar = true, header = true, store_rejects = true, " + (
            "rejects_table = 'ingest_csv_rejects', rejects_scan = 'ingest_csv_scans'"
        )
        con.execute("drop table if exists ingest_csv_rejects; drop table if exists ingest_csv_scans")
        described = con.execute(f"describe select * from read_csv($path, {options})", {"path": str(path)}).fetchall()
        available = {str(row[0]).strip().lower(): str(row[0]) for row in described}
        select = _canonical_select(available)
        con.execute(
            f"""
            create or replace temp table ingest_stage as
            select {select}, row_number() over () + 1 as source_line, null::varchar as raw_text,
                   false as is_malformed, null::varchar as reader_reason
            from read_csv($path, {options})
            """,
            {"path": str(path)},
        )
        number_csv_lines(con, "ingest_stage")
        blanks = ", ".join(f"null::varchar as {field}" for field in STAGED_FIELDS)
        con.execute(
            f"""
            insert into ingest_stage
            select {blanks}, line as source_line, left(csv_line, {MAX_RAW_CHARS}) as raw_text, true as is_malformed,
                   reason as reader_reason
            from ingest_csv_rejected_lines
            """
        )
        con.execute("drop table ingest_csv_rejected_lines")

    def _stage_parquet(self, con: duckdb.DuckDBPyConnection, path: Path) -> None:
        described = con.execute("describe select * from read_parquet($path)", {"path": str(path)}).fetchall()
        available = {str(row[0]).strip().lower(): str(row[0]) for row in described}
        types = {str(row[0]).strip().lower(): str(row[1]) for row in described}
        cast = {
            available[name]: f"to_json({_quoted(available[name])})::varchar"
            for name in accepted_names("tags")
            if name in available and types[name].endswith("[]")
        }
        select = _canonical_select(available, cast)
        con.execute(
            f"""
            create or replace temp table ingest_stage as
            select {select}, file_row_number + 1 as source_line, null::varchar as raw_text,
                   false as is_malformed, null::varchar as reader_reason
            from read_parquet($path, file_row_number = true)
            """,
            {"path": str(path)},
        )


LOCATED_SCHEMA = {"record": pl.Int64, "line": pl.Int64, "raw_text": pl.String}
CHUNK_BYTES = 64 << 20


def _line_chunks(path: Path) -> Iterator[bytes]:
    """The file's bytes (decompressed) in large chunks that each end at a line break."""
    rest = b""
    with open_decompressed(path) as handle:
        while block := handle.read(CHUNK_BYTES):
            block = rest + block
            cut = block.rfind(b"\n") + 1
            rest = block[cut:]
            if cut:
                yield block[:cut]
    if rest:
        yield rest


def _numbered_lines(path: Path, wanted: pl.DataFrame) -> Iterator[pl.DataFrame]:
    """For the wanted record numbers: their line number and, when malformed, their text (truncated)."""
    records_before = lines_before = 0
    for chunk in _line_chunks(path):
        text = chunk.decode("utf-8", "replace").removesuffix("\n")
        lines = (
            pl.DataFrame({"text": [text]})
            .select(pl.col("text").str.split("\n").explode().alias("text"))
            .with_row_index("line", offset=lines_before + 1)
            .with_columns(pl.col("text").str.strip_chars().str.len_bytes().gt(0).alias("is_record"))
            .with_columns((pl.col("is_record").cast(pl.Int64).cum_sum() + records_before).alias("record"))
        )
        lines_before += lines.height
        records_before = int(lines.select(pl.col("record").max()).item() or records_before)
        yield (
            lines.filter(pl.col("is_record"))
            .join(wanted, on="record", how="inner")
            .select(
                pl.col("record"),
                pl.col("line").cast(pl.Int64),
                pl.when(pl.col("is_malformed"))
                .then(pl.col("text").str.strip_chars_end("\r").str.slice(0, MAX_RAW_CHARS))
                .alias("raw_text"),
            )
        )


def number_csv_lines(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """After a read_csv with store_rejects: one row per rejected line in ``ingest_csv_rejected_lines`` (line,
    csv_line, reason), and the good rows of ``table`` renumbered from record order to their file line.

    DuckDB may report several errors for one line (one per missing column): a line is rejected once, with its first
    error. Good rows were numbered as if no line had been rejected: each rejected line before a row moves it down one.
    ``table`` is one of the readers' own temp tables, never user input.
    """
    con.execute(sql_text("ingest/csv_rejected_lines.sql"))
    con.execute(
        f"""
        update {table} set source_line = source_line + (
            select count(*) from (
                select line - row_number() over (order by line) - 1 as good_before from ingest_csv_rejected_lines
            ) as rejected
            where rejected.good_before < {table}.source_line - 1
        )
        """
    )


def drop_work_relations(con: duckdb.DuckDBPyConnection, only: tuple[str, ...] | None = None) -> None:
    """Drop the temp views and tables of an ingest on this connection (or only those named), each with the right
    statement: ingest_stage is a view for the generic JSON reader and a table for the others; ingest_typed a view in a
    straight load and a table in the general one."""
    for name, kind in execute_file(con, "ingest/work_relations.sql").fetchall():
        if only is None or name in only:
            con.execute(f"drop {kind} if exists {name}")


def open_decompressed(path: Path) -> BinaryIO:
    """The file for reading bytes, through gzip when it is gzip-compressed (by its magic bytes, not its name)."""
    with path.open("rb") as raw:
        magic = raw.read(2)
    return cast(BinaryIO, gzip.open(path, "rb") if magic == b"\x1f\x8b" else path.open("rb"))


def read_head(path: Path, size: int = 65536) -> bytes:
    """The first bytes of a file, decompressed when it is gzip."""
    with open_decompressed(path) as handle:
        return bytes(handle.read(size))
