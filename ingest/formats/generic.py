"""The generic format: the canonical columns of DESIGN §3 (plus common aliases) as JSONL / JSON array, CSV or
Parquet, optionally gzip-compressed. Everything is read by DuckDB's own readers; no Python loop per row."""

from __future__ import annotations

import gzip
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa

from ingest.fields import STAGED_FIELDS, accepted_names

MAX_RAW_CHARS = 1000


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
        head = _head(path)
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
        names = sorted({name for field in STAGED_FIELDS for name in accepted_names(field)})
        columns = "{" + ", ".join(f"'{name}': 'VARCHAR'" for name in names) + "}"
        json_format = "array" if is_array else "newline_delimited"
        select = _canonical_select({name: name for name in names})
        any_field = "coalesce(" + ", ".join(_quoted(name) for name in names) + ")"
        con.execute(
            f"""
            create or replace temp table ingest_stage as
            select
                {select},
                row_number() over () as source_line,
                null::varchar as raw_text,
                {any_field} is null as is_malformed,
                case when {any_field} is null then 'not valid JSON, or an object with no known field' end
                    as reader_reason
            from read_json($path, format = '{json_format}', columns = {columns}, ignore_errors = true,
                           maximum_object_size = 67108864)
            """,
            {"path": str(path)},
        )

    def locate(self, con: duckdb.DuckDBPyConnection, path: Path) -> None:
        """Give rejected JSONL records their true line number and unreadable ones their raw text.

        DuckDB's reader yields one row per non-blank line, in file order (an all-NULL row for an unreadable line), but
        neither the text nor the line number. Only when a file has rejected records is it scanned once more, here,
        to count blank lines and copy the unreadable lines (truncated) for the quarantine.
        """
        if file_kind(path, _head(path)) != "json" or _head(path).lstrip().startswith(b"["):
            return
        malformed = {
            row[0] for row in con.execute("select source_line from ingest_typed where is_malformed").fetchall()
        }
        blanks_before: list[tuple[int, int]] = []  # (first record after the blank lines, blank lines so far)
        raw_lines: list[tuple[int, str]] = []
        opener = gzip.open if path.suffix.lower() == ".gz" else open
        record = blanks = 0
        with opener(path, "rb") as handle:
            for line in handle:
                if not line.strip():
                    blanks += 1
                    continue
                record += 1
                if blanks and (not blanks_before or blanks_before[-1][1] != blanks):
                    blanks_before.append((record, blanks))
                if record in malformed:
                    raw_lines.append((record, line.rstrip(b"\r\n")[:MAX_RAW_CHARS].decode("utf-8", "replace")))
        ingest_raw_lines = pa.table(
            {"record": [r for r, _ in raw_lines], "raw_text": [t for _, t in raw_lines]},
            schema=pa.schema([("record", pa.int64()), ("raw_text", pa.string())]),
        )
        ingest_blank_lines = pa.table(
            {"record": [r for r, _ in blanks_before], "blanks": [b for _, b in blanks_before]},
            schema=pa.schema([("record", pa.int64()), ("blanks", pa.int64())]),
        )
        con.register("ingest_raw_lines", ingest_raw_lines)
        con.register("ingest_blank_lines", ingest_blank_lines)
        con.execute(
            """
            update ingest_typed set raw_text = raw_lines.raw_text
            from ingest_raw_lines as raw_lines where ingest_typed.source_line = raw_lines.record;
            update ingest_typed set source_line = ingest_typed.source_line + offsets.blanks
            from (
                select typed.source_line as record, max(blank.blanks) as blanks
                from ingest_typed as typed join ingest_blank_lines as blank on blank.record <= typed.source_line
                group by typed.source_line
            ) as offsets
            where ingest_typed.source_line = offsets.record;
            """
        )
        con.unregister("ingest_raw_lines")
        con.unregister("ingest_blank_lines")

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
        # Good rows were numbered as if no line had been rejected: a row moves down one line for each rejected line
        # before it. good_before is how many good rows precede the rejected line.
        con.execute(
            """
            update ingest_stage set source_line = source_line + (
                select count(*) from (
                    select line - row_number() over (order by line) - 1 as good_before from ingest_csv_rejects
                ) as rejected
                where rejected.good_before < ingest_stage.source_line - 1
            )
            """
        )
        blanks = ", ".join(f"null::varchar as {field}" for field in STAGED_FIELDS)
        con.execute(
            f"""
            insert into ingest_stage
            select {blanks}, line as source_line, left(csv_line, {MAX_RAW_CHARS}) as raw_text, true as is_malformed,
                   'CSV ' || lower(error_type) || ': ' || error_message as reader_reason
            from ingest_csv_rejects
            """
        )

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


def _head(path: Path, size: int = 65536) -> bytes:
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rb") as handle:
        return bytes(handle.read(size))
