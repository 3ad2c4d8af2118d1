"""Loading a synthetic profiling run (each sample prompt run on each tier and graded) into profiling_results.

One file is one run. Loading the same file content again reuses its run instead of adding a copy. Results that
cannot be used go to the quarantine table with their line and reason, like call logs. A file with no usable result
is refused and leaves the database as it was: the latest run gives every what-if its pass rates, so an empty run
must not become it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tierscope.errors import UserError
from tierscope.ingest.formats.generic import file_kind
from tierscope.ingest.load import fingerprint, read_head
from tierscope.queries.db import execute_file, sql_text, transaction

PROFILING_FIELDS = (
    "prompt_id",
    "task_type",
    "tier",
    "model",
    "passed",
    "score",
    "input_tokens",
    "output_tokens",
    "latency_ms",
)


class NoUsableResults(UserError):
    """A profiling file none of whose results can be used: it is not loaded."""


@dataclass(frozen=True)
class ProfilingLoad:
    run_id: int
    rows_read: int
    loaded: int
    quarantined: int
    is_new_run: bool


def _stage(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    head = read_head(path)
    if file_kind(path, head) == "csv":
        described = con.execute("describe select * from read_csv($path, all_varchar = true)", {"path": str(path)})
        available = {str(row[0]).strip().lower(): str(row[0]) for row in described.fetchall()}
        select = ", ".join(
            f'"{available[name]}" as {name}' if name in available else f"null::varchar as {name}"
            for name in PROFILING_FIELDS
        )
        source = "read_csv($path, all_varchar = true)"
        line, malformed = "row_number() over () + 1", "false"
    else:
        columns = "{" + ", ".join(f"'{name}': 'VARCHAR'" for name in PROFILING_FIELDS) + "}"
        json_format = "array" if head.lstrip().startswith(b"[") else "newline_delimited"
        select = ", ".join(PROFILING_FIELDS)
        source = f"read_json($path, format = '{json_format}', columns = {columns}, ignore_errors = true)"
        line = "row_number() over ()"
        malformed = "coalesce(" + ", ".join(PROFILING_FIELDS) + ") is null"
    con.execute(
        f"""
        create or replace temp table profiling_stage as
        select {select}, {line} as source_line, {malformed} as is_malformed, null::varchar as raw_text
        from {source}
        """,
        {"path": str(path)},
    )


def load_profiling(con: duckdb.DuckDBPyConnection, path: Path, source: str | None = None) -> ProfilingLoad:
    """Load one profiling results file (JSONL, JSON array or CSV, optionally .gz) as a run. ``source`` names the run
    (default: the path); the dashboard names an upload after the uploaded file, not its temporary copy."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    source_fingerprint = fingerprint(path)
    existing = con.execute(
        "select run_id, rows_read, loaded, quarantined from profiling_runs where source_fingerprint = $fingerprint",
        {"fingerprint": source_fingerprint},
    ).fetchall()
    if existing:
        run_id, rows_read, loaded, quarantined = existing[0]
        return ProfilingLoad(run_id, rows_read, loaded, quarantined, is_new_run=False)
    _stage(con, path)
    con.execute("create or replace temp table profiling_typed as\n" + sql_text("ingest/profiling_typed.sql"))
    [(rows_read, usable, first_line, first_reason)] = con.execute(
        "select count(*), count(*) filter (where reject_reason is null), min(source_line), "
        "arg_min(reject_reason, source_line) from profiling_typed"
    ).fetchall()
    if not usable:
        con.execute("drop table if exists profiling_stage; drop table if exists profiling_typed")
        found = f"line {first_line}: {first_reason}" if rows_read else "the file holds no result"
        raise NoUsableResults(
            f"{path}: no usable profiling result ({rows_read:,} read; {found}); not loaded, the latest run is unchanged"
        )
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    params = {"source": source or str(path), "fingerprint": source_fingerprint, "now": now}
    with transaction(con):
        [(run_id, rows_read, loaded, quarantined)] = execute_file(
            con, "ingest/load_profiling_run.sql", params
        ).fetchall()
    con.execute("drop table if exists profiling_stage; drop table if exists profiling_typed")
    return ProfilingLoad(run_id, rows_read, loaded, quarantined, is_new_run=True)
