"""What the readers of exported logs share: a file's records as JSON values, and the step from them to ingest_stage.

A reader of an export (LiteLLM, OpenTelemetry, a provider batch, Langfuse, Helicone) stages in three set-based steps,
with no Python loop per record:

1. :func:`stage_records` reads the file with DuckDB into the temp table ``ingest_records``: one JSON object per record
   (a JSONL line, an element of a JSON array, a single JSON object, an element of an API page ``{"data": [...]}``,
   or a CSV row as an object of text values), with ``source_line`` (the record number; for a page's element,
   ``record_element`` numbers it within the page), and NULL with ``reader_reason`` for a record that cannot be read
   or is not an object.
2. The reader's query ``queries/sql/ingest/read_<format>.sql`` maps the records onto the canonical fields as text
   (the temp table ``ingest_read``), with ``is_model_call`` false for records that are not model calls. It reads them
   through ``reader_records(shape)`` (``reader_records.sql``: the columns every reader passes on, and the record
   parsed into the reader's ``from_json`` structure), so it declares only what is its own. A query may use
   ``$file_time``, the file's modification time (or the time given to the ingest), for records that carry no
   time of their own.
3. :func:`finish_stage` keeps the model calls as ``ingest_stage`` (the columns every reader stages) and returns how
   many records it skipped. Validation, dedup and loading are then the shared ones (ingest/load.py).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from tierscope.ingest.fields import STAGED_FIELDS
from tierscope.ingest.formats.generic import (
    MAX_OBJECT_BYTES,
    compression,
    csv_options,
    file_kind,
    json_layout,
    locate_rejected,
    number_csv_lines,
    read_head,
)
from tierscope.ingest.formats.lines import stage_lines
from tierscope.queries.db import execute_file, sql_text


def head_text(head: bytes) -> str:
    """The first bytes of a file as text, for sniffing."""
    return head.decode("utf-8", errors="replace")


def has_keys(text: str, *keys: str) -> bool:
    """Whether every one of the JSON keys (or CSV header names) appears in the sniffed text."""
    return all(f'"{key}"' in text or key in text.split("\n", 1)[0].split(",") for key in keys)


def stage_records(con: duckdb.DuckDBPyConnection, path: Path, head: bytes) -> None:
    """Create the temp table ingest_records (source_line, record_element, record JSON, reader_reason) from a file."""
    if file_kind(path, head) == "csv":
        _stage_csv_records(con, path)
    else:
        _stage_json_records(con, path, head)


def _stage_json_records(con: duckdb.DuckDBPyConnection, path: Path, head: bytes) -> None:
    # One JSON value per record, in file order: a JSONL file's lines (an unreadable line is a NULL in its place, so
    # record numbers stay those of the non-blank lines, as locate_rejected counts them), a document's records
    # (an array's elements, or each top-level object).
    layout = json_layout(head)
    if layout == "cr_lines":
        stage_lines(con, path)
        objects = "select try(json(text)) as record, record_number as source_line from ingest_lines"
    else:
        json_format = "newline_delimited" if layout == "lines" else "auto"
        objects = f"""
            select json as record, row_number() over () as source_line
            from read_json_objects($path, format = '{json_format}', ignore_errors = {layout == "lines"},
                                   compression = '{compression(path)}', maximum_object_size = {MAX_OBJECT_BYTES})
        """
    con.execute(
        f"""
        create or replace temp table ingest_records as
        with objects as (
            {objects}
        ),

        pages as (
            -- an API page ({{"data": [...]}}): its elements are the records, numbered within the page
            select
                source_line,
                record,
                case when try(json_type(record, '$.data')) = 'ARRAY'
                     then from_json(json_extract(record, '$.data'), '["JSON"]') end as elements
            from objects
        ),

        expanded as (
            select
                source_line,
                unnest(coalesce(elements, [record])) as record,
                unnest(case when elements is not null then range(1, len(elements) + 1) else [null] end)
                    as record_element
            from pages
        )

        select
            source_line,
            record_element::bigint as record_element,
            case when try(json_type(record)) = 'OBJECT' then record end as record,
            case when record is null then 'not valid JSON'
                 when try(json_type(record)) is distinct from 'OBJECT' then 'not a JSON object' end as reader_reason
        from expanded
        """,
        {"path": str(path)} if layout != "cr_lines" else {},
    )
    con.execute("drop table if exists ingest_lines")


def _stage_csv_records(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    con.execute("drop table if exists ingest_csv_rejects; drop table if exists ingest_csv_scans")
    con.execute(
        f"""
        create or replace temp table ingest_records as
        select row_number() over () + 1 as source_line, null::bigint as record_element, to_json(csv_row) as record,
               null::varchar as reader_reason
        from read_csv($path, {csv_options(path)}) as csv_row
        """,
        {"path": str(path)},
    )
    number_csv_lines(con, "ingest_records")
    con.execute("insert into ingest_records select line, null, null, reason from ingest_csv_rejected_lines")
    con.execute("drop table ingest_csv_rejected_lines")


TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
# The time an ingest gives records that carry none (`tierscope ingest --started-at`), a DuckDB variable of the
# loading connection (ingest/load.py sets it around the staging)
GIVEN_TIME_VARIABLE = "tierscope_given_time"


def file_time(path: Path) -> str:
    """The file's modification time (UTC, ISO-8601)."""
    return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).strftime(TIME_FORMAT)


def untimed_at(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """The time of calls whose records carry none (batch results): the time the ingest was given, else the file's
    modification time (UTC, ISO-8601)."""
    [(given,)] = con.execute(f"select getvariable('{GIVEN_TIME_VARIABLE}')").fetchall()
    return str(given) if given is not None else file_time(path)


def finish_stage(con: duckdb.DuckDBPyConnection) -> int:
    """ingest_read -> ingest_stage (model calls only, every staged field as text); returns the records skipped."""
    # a format that has no router decision to read (every one but LiteLLM's) stages those fields as NULL
    read = {str(row[0]) for row in con.execute("describe ingest_read").fetchall()}
    fields = ", ".join(f"{field if field in read else 'null'}::varchar as {field}" for field in STAGED_FIELDS)
    con.execute(
        f"""
        create or replace temp table ingest_stage as
        select {fields}, source_line::bigint as source_line, record_element::bigint as record_element,
               is_malformed::boolean as is_malformed, reader_reason::varchar as reader_reason
        from ingest_read
        where is_model_call is not false
        """
    )
    [(skipped,)] = con.execute("select count(*) from ingest_read where is_model_call is false").fetchall()
    con.execute("drop table if exists ingest_read; drop macro table if exists reader_records")
    con.execute("drop table if exists ingest_records")
    return int(skipped)


class ExportReader:
    """A reader whose mapping is one SQL file over ingest_records; subclasses give name, description, sql_file and
    sniff."""

    name: str
    description: str
    sql_file: str

    def sniff(self, path: Path, head: bytes) -> bool:
        raise NotImplementedError

    def stage(self, con: duckdb.DuckDBPyConnection, path: Path) -> int:
        """Stage the file's records; returns how many are not model calls (and so not loaded)."""
        stage_records(con, path, read_head(path))
        execute_file(con, "ingest/reader_records.sql")
        query = "create or replace temp table ingest_read as\n" + sql_text(self.sql_file)
        [statement] = con.extract_statements(query)
        values = {"file_time": untimed_at(con, path)}
        con.execute(query, {name: values[name] for name in statement.named_parameters})
        return finish_stage(con)

    def locate(self, con: duckdb.DuckDBPyConnection, path: Path) -> None:
        """Locate the rejected records of ingest_typed in the file, an API page's elements one by one."""
        locate_rejected(con, path, expand_pages=True)
