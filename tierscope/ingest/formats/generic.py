"""The generic format: the canonical columns of docs/formats.md (plus common aliases) as JSONL / JSON array or object,
CSV or Parquet, optionally gzip-compressed. Everything is read by DuckDB's own readers; no Python loop per row.

What a file is, is decided once from its bytes and used by every step that reads it: gzip by its magic bytes (not
its name), Parquet by ``PAR1``, CSV by its name, and a JSON file's layout (:func:`json_layout`): one record per line
(JSONL, where a lone CR ends a line too), or one document (an array of records, or pretty-printed objects).
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import duckdb

from tierscope.ingest.fields import STAGED_FIELDS, accepted_names, field_types
from tierscope.ingest.formats.lines import GZIP_MAGIC, locate_document, locate_lines, open_decompressed, stage_lines
from tierscope.queries.db import execute_file, sql_text

# How much of a file (decompressed) is read to recognise its format.
HEAD_BYTES = 65536
MAX_OBJECT_BYTES = 67_108_864

# What the fast path reads typed: the fields stored as DOUBLE (amounts, never rounded) or BOOLEAN (flags), by the
# types the calls table declares (fields.field_types). Token counts (BIGINT) are read as text even there: DuckDB's JSON
# reader turns true into 1 for a numeric column, and a count must be a JSON number or numeric text (normalize.sql).
TYPED_READ = ("DOUBLE", "BOOLEAN")

JsonLayout = Literal["lines", "cr_lines", "document"]


def _suffixes(path: Path) -> list[str]:
    suffixes = [suffix.lower() for suffix in path.suffixes]
    return suffixes[:-1] if suffixes and suffixes[-1] == ".gz" else suffixes


def is_gzip(path: Path) -> bool:
    """Whether the file is gzip-compressed, by its magic bytes: its name says nothing either way."""
    with path.open("rb") as raw:
        return raw.read(2) == GZIP_MAGIC


def compression(path: Path) -> str:
    """The ``compression`` option of DuckDB's readers for this file (decided by magic bytes, as for Python's reads)."""
    return "gzip" if is_gzip(path) else "none"


def file_kind(path: Path, head: bytes) -> str:
    """parquet, csv or json, from the magic bytes and the file name."""
    if head.startswith(b"PAR1"):
        return "parquet"
    suffixes = _suffixes(path)
    if suffixes and suffixes[-1] in (".csv", ".tsv"):
        return "csv"
    return "json"


def json_layout(head: bytes) -> JsonLayout:
    """How a JSON file holds its records: ``document`` when it is one JSON document (an array, or objects printed over
    several lines: the first line is a lone ``{`` or ``[``, or the file starts with ``[``), else one record per line:
    ``cr_lines`` when its lines end with a lone CR (old Mac line ends, which DuckDB's JSONL reader does not split
    on), ``lines`` otherwise."""
    text = head.lstrip()
    first_line = re.split(rb"\r\n|\r|\n", text, maxsplit=1)[0].strip()
    if text.startswith(b"[") or first_line == b"{":
        return "document"
    if re.search(rb"\r(?!\n)", head.rstrip(b"\r")):
        return "cr_lines"
    return "lines"


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
    """Parquet cannot be read through gzip; a gzip-compressed Parquet file is expanded to a temporary file first."""
    if not is_gzip(path):
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
            self._stage_json(con, path, json_layout(head))
        return 0

    def _stage_json(self, con: duckdb.DuckDBPyConnection, path: Path, layout: JsonLayout) -> None:
        """Fast path first: amounts and flags read as typed JSON, nothing unreadable tolerated. A file that does not
        read that way (a malformed line, an amount written as text) is read again with every field as text and
        unreadable lines kept as rows to quarantine (a JSON document has no lines to keep: it reads or it fails)."""
        if layout == "cr_lines":
            self._read_json_lines(con, path)
            return
        try:
            self._read_json(con, path, layout, typed=True)
        except duckdb.Error:
            self._read_json(con, path, layout, typed=False)

    def _columns(self, con: duckdb.DuckDBPyConnection, typed: bool) -> tuple[list[str], str]:
        """The JSON keys read (every accepted name) and their DuckDB types as a ``columns`` / struct literal."""
        names = sorted({name for field in STAGED_FIELDS for name in accepted_names(field)})
        read_typed = {field: kind for field, kind in field_types(con).items() if kind in TYPED_READ} if typed else {}
        types = {name: read_typed.get(field, "VARCHAR") for field in STAGED_FIELDS for name in accepted_names(field)}
        return names, "{" + ", ".join(f"'{name}': '{types[name]}'" for name in names) + "}"

    def _read_json(self, con: duckdb.DuckDBPyConnection, path: Path, layout: JsonLayout, *, typed: bool) -> None:
        """The records into the temp table ingest_stage_records, one row each in record order, and over it the view
        ingest_stage with the columns every reader stages. source_line, the record number, is the row's place in that
        table (rowid + 1): numbering in the read (row_number() over ()) would run the read on one thread, so only a
        connection that does not preserve insertion order numbers the records there."""
        names, columns = self._columns(con, typed)
        json_format = "newline_delimited" if layout == "lines" else "auto"
        ignore_errors = layout == "lines" and not typed
        [(preserves_order,)] = con.execute("select current_setting('preserve_insertion_order')").fetchall()
        self._stage_records_view(
            con,
            names,
            f"""
            select *{"" if preserves_order else ", row_number() over () as record_number"}
            from read_json($path, format = '{json_format}', columns = {columns}, records = true,
                           ignore_errors = {ignore_errors}, compression = '{compression(path)}',
                           maximum_object_size = {MAX_OBJECT_BYTES})
            """,
            {"path": str(path)},
            "rowid + 1" if preserves_order else "record_number",
        )

    def _read_json_lines(self, con: duckdb.DuckDBPyConnection, path: Path) -> None:
        """A JSONL file whose lines end with a lone CR: its lines split here (:func:`stage_lines`), each parsed by
        DuckDB; an unreadable line is a row of NULLs, as in DuckDB's own JSONL reader."""
        names, _ = self._columns(con, typed=False)
        structure = json.dumps(dict.fromkeys(names, "VARCHAR"))
        stage_lines(con, path)
        self._stage_records_view(
            con,
            names,
            f"select unnest(try(from_json(text, '{structure}'))), record_number from ingest_lines",
            {},
            "record_number",
        )
        con.execute("drop table ingest_lines")

    def _stage_records_view(
        self, con: duckdb.DuckDBPyConnection, names: list[str], records: str, params: dict[str, object], number: str
    ) -> None:
        select = _canonical_select({name: name for name in names}, {name: _quoted(name) for name in names})
        no_field = "(" + " and ".join(f"{_quoted(name)} is null" for name in names) + ")"
        drop_work_relations(con, only=("ingest_stage",))
        con.execute(
            f"""
            create or replace temp table ingest_stage_records as
            select {select}, {no_field} as is_malformed{", record_number" if number == "record_number" else ""}
            from ({records}) as records
            """,
            params,
        )
        con.execute(
            f"""
            create temp view ingest_stage as
            select
                {", ".join(STAGED_FIELDS)},
                {number} as source_line,
                null::bigint as record_element,
                is_malformed,
                case when is_malformed then 'not valid JSON, or an object with no known field' end as reader_reason
            from ingest_stage_records
            """
        )

    def locate(self, con: duckdb.DuckDBPyConnection, path: Path) -> None:
        """Locate the rejected records of ingest_typed in the file: line, byte offset and length, sha256."""
        locate_rejected(con, path)

    def _stage_csv(self, con: duckdb.DuckDBPyConnection, path: Path) -> None:
        options = csv_options(path)
        con.execute("drop table if exists ingest_csv_rejects; drop table if exists ingest_csv_scans")
        described = con.execute(f"describe select * from read_csv($path, {options})", {"path": str(path)}).fetchall()
        available = {str(row[0]).strip().lower(): str(row[0]) for row in described}
        select = _canonical_select(available)
        con.execute(
            f"""
            create or replace temp table ingest_stage as
            select {select}, row_number() over () + 1 as source_line, null::bigint as record_element,
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
            select {blanks}, line as source_line, null as record_element, true as is_malformed,
                   reason as reader_reason
            from ingest_csv_rejected_lines
            """
        )
        con.execute("drop table ingest_csv_rejected_lines")

    def _stage_parquet(self, con: duckdb.DuckDBPyConnection, path: Path) -> None:
        described = con.execute("describe select * from read_parquet($path)", {"path": str(path)}).fetchall()
        available = {str(row[0]).strip().lower(): str(row[0]) for row in described}
        # a nested value (a list, struct or map) is staged as JSON, so that validation sees it is not text
        nested = {
            str(row[0]): f"to_json({_quoted(str(row[0]))})::varchar"
            for row in described
            if str(row[1]).endswith("]") or str(row[1]).startswith(("STRUCT", "MAP", "UNION"))
        }
        select = _canonical_select(available, nested)
        con.execute(
            f"""
            create or replace temp table ingest_stage as
            select {select}, file_row_number + 1 as source_line, null::bigint as record_element,
                   false as is_malformed, null::varchar as reader_reason
            from read_parquet($path, file_row_number = true)
            """,
            {"path": str(path)},
        )


def csv_options(path: Path) -> str:
    """read_csv's options for a CSV file: every value as text, rejected lines kept (to quarantine)."""
    return (
        "all_varchar = true, header = true, store_rejects = true, rejects_table = 'ingest_csv_rejects', "
        f"rejects_scan = 'ingest_csv_scans', compression = '{compression(path)}'"
    )


def locate_rejected(con: duckdb.DuckDBPyConnection, path: Path, *, expand_pages: bool = False) -> None:
    """Give the rejected records of ingest_typed their place in the file: the line they start on, byte offset and
    length, and the sha256 of their bytes (what locates a record without keeping its text); an unreadable JSON record
    also gets a precise reason (not valid JSON, not an object, no known field).

    DuckDB's readers give a record's number, not its line or bytes: only when a file has rejected records is it read
    once more, here (lines found set-based over large chunks; a JSON document walked record by record), keeping just
    the rejected ones. A Parquet row has no bytes of its own: its row number is its line."""
    head = read_head(path)
    kind = file_kind(path, head)
    if kind == "parquet":
        return
    wanted = con.sql(
        "select distinct source_line as record, record_element as element from ingest_typed "
        "where reject_reason is not null"
    ).pl()
    if wanted.is_empty():
        return
    if kind == "csv":
        located = locate_lines(path, wanted["record"], by="line", cr_ends_lines=False)
    elif json_layout(head) == "document":
        located = locate_document(path, wanted, expand_pages=expand_pages)
    else:
        located = locate_lines(path, wanted["record"], by="record", cr_ends_lines=json_layout(head) == "cr_lines")
    con.register("ingest_located", located.to_arrow())
    try:
        execute_file(con, "ingest/locate_lines.sql", {"is_json": kind == "json"})
    finally:
        con.unregister("ingest_located")


def number_csv_lines(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """After a read_csv with store_rejects: one row per rejected line in ``ingest_csv_rejected_lines`` (line, reason),
    and the good rows of ``table`` renumbered from record order to their file line.

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


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    """The first bytes of a file, decompressed when it is gzip."""
    with open_decompressed(path) as handle:
        return bytes(handle.read(size))
