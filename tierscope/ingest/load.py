"""Loading files into the calls table: stage (a reader) -> type and validate (SQL) -> dedup and load (SQL).

Every file is loaded in one transaction together with its ledger row in ``ingests`` and its quarantined records, so
``rows_read = loaded + duplicates + quarantined`` holds for each file and a crash leaves nothing half-loaded. A file
that cannot be read at all (a corrupt gzip or Parquet file, a truncated JSON document) is reported as failed with
one line saying why, and the files after it still load (:func:`ingest_paths`). A
file with nothing to dedup goes from the stage straight into ``calls`` in one pass (its rejected records, if any,
typed apart for quarantine); a file that repeats a request_id takes the load with dedup, whose typed table feeds
quarantine and dedup. The derived tables follow each file in its own transaction.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TextIO

import duckdb

from tierscope.ingest.formats import Reader, UnknownFormatError, detect, reader_named
from tierscope.ingest.formats.generic import HEAD_BYTES, GenericReader, drop_work_relations, read_head
from tierscope.ingest.formats.records import GIVEN_TIME_VARIABLE, TIME_FORMAT, file_time
from tierscope.queries.db import execute_file, one_line, refresh_derived, sql_text, step_times, timed, transaction


@dataclass(frozen=True)
class Problem:
    """One quarantined record: where it is and what is wrong with it."""

    source: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.reason}" if self.line is not None else f"{self.source}: {self.reason}"


Status = Literal["loaded", "failed", "skipped"]


@dataclass(frozen=True)
class IngestResult:
    """The accounting of one file: rows_read = loaded + duplicates + quarantined. ``status`` is ``loaded`` (read,
    possibly with quarantined records), ``failed`` (the file could not be read; nothing of it is stored; ``error``
    says why in one line) or ``skipped`` (a file inside a folder that no reader recognises)."""

    source: str
    source_format: str
    ingest_id: int
    rows_read: int
    loaded: int
    duplicates: int
    quarantined: int
    seconds: float
    skipped: int = 0
    problems: tuple[Problem, ...] = field(default=())
    status: Status = "loaded"
    error: str | None = None
    # whether the file took the load with dedup (it repeats a request_id, or ``always_dedup`` asked for it)
    with_dedup: bool = False
    # where the seconds went, in the order the steps ran: each SQL file, the read, the commit (``ingest --verbose``)
    steps: tuple[tuple[str, float], ...] = ()

    def as_json(self) -> dict[str, object]:
        return {
            "path": self.source,
            "format": self.source_format,
            "status": self.status,
            "error": self.error,
            "rows_read": self.rows_read,
            "loaded": self.loaded,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
            "skipped": self.skipped,
            "seconds": round(self.seconds, 3),
        }

    @classmethod
    def not_loaded(cls, source: str, source_format: str, status: Status, error: str, seconds: float) -> IngestResult:
        """A file of which nothing was read: every count 0."""
        return cls(source, source_format, 0, 0, 0, 0, 0, seconds, status=status, error=error)


def fingerprint(path: Path) -> str:
    """A content fingerprint: size plus the first and last MiB (cheap on large files, stable across copies)."""
    size = path.stat().st_size
    digest = hashlib.sha256(str(size).encode())
    with path.open("rb") as handle:
        digest.update(handle.read(1 << 20))
        if size > 2 << 20:
            handle.seek(-(1 << 20), 2)
            digest.update(handle.read(1 << 20))
    return digest.hexdigest()[:32]


class Progress:
    """A one-line progress bar on a terminal (stderr), fed by DuckDB's own query progress. Silent elsewhere."""

    def __init__(self, total_files: int, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty()
        self.total_files = total_files

    def watch(self, con: duckdb.DuckDBPyConnection, index: int, label: str) -> Callable[[], None]:
        """Show progress of the queries running on ``con`` until the returned function is called."""
        if not self.enabled:
            return lambda: None
        # DuckDB tracks a query's progress only with its progress bar on; its own printing stays off
        con.execute("set enable_progress_bar = true; set enable_progress_bar_print = false")
        done = threading.Event()

        def run() -> None:
            while not done.wait(0.2):
                percent = max(con.query_progress(), 0.0)
                filled = int(percent / 100 * 30)
                self.stream.write(
                    f"\r[{index}/{self.total_files}] {label[-40:]:<40} [{'#' * filled}{'.' * (30 - filled)}] "
                    f"{percent:5.1f}%"
                )
                self.stream.flush()
            self.stream.write("\r" + " " * 100 + "\r")
            self.stream.flush()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()

        def stop() -> None:
            done.set()
            thread.join()

        return stop


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    source_format: str | None = None,
    *,
    source: str | None = None,
    progress: Progress | None = None,
    index: int = 1,
    in_transaction: Callable[[duckdb.DuckDBPyConnection], object] | None = None,
    started_at: dt.datetime | None = None,
    always_dedup: bool = False,
) -> IngestResult:
    """Load one file. ``source`` names it in lineage (defaults to the path as given). ``in_transaction`` runs inside
    the load's transaction, after the rows (a stream commits its read offset there, so rows and offset commit
    together). ``started_at`` (UTC) is the time of records that carry none of their own (batch results), instead of
    the file's modification time; calls keep where their time came from (``time_source``).

    A staged file with nothing to dedup goes straight into ``calls``, typed and validated on the way; only its
    rejected records, if any, are typed into a table (to locate and quarantine them). A file that repeats a
    request_id, its own or a stored one, takes the load with dedup (typed table, quarantine, dedup). Both give the
    same rows; ``always_dedup`` sends every file through the load with dedup (to check that they do)."""
    started = time.perf_counter()
    source = source or str(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    head = read_head(path)
    # a file with nothing in it (or only blank lines) holds 0 records, whatever its format
    is_blank = not head.strip() and len(head) < HEAD_BYTES
    reader: Reader = (
        reader_named(source_format) if source_format else GenericReader() if is_blank else detect(path, head)
    )
    stop = progress.watch(con, index, source) if progress else (lambda: None)
    drop_work_relations(con)
    given = started_at.strftime(TIME_FORMAT) if started_at is not None else None
    if given is not None:
        con.execute(f"set variable {GIVEN_TIME_VARIABLE} = '{given}'")
    try:
        with step_times() as steps:
            with timed("read"):
                skipped = 0 if is_blank else reader.stage(con, path)
            file = _File(path, reader, source, fingerprint(path), skipped, *_untimed(reader, path, given))
            if is_blank:
                loaded, with_dedup = _load_blank(con, file, in_transaction), False
            else:
                straight = None if always_dedup else _load_without_dedup(con, file, in_transaction)
                with_dedup = straight is None
                loaded = straight or _load_with_dedup(con, file, in_transaction)
        ingest_id, counts, problems = loaded
    finally:
        stop()
        drop_work_relations(con)
        if given is not None:
            con.execute(f"reset variable {GIVEN_TIME_VARIABLE}")
    rows_read, calls, duplicates, quarantined = counts
    return IngestResult(
        source=source,
        source_format=reader.name,
        ingest_id=ingest_id,
        rows_read=rows_read,
        loaded=calls,
        duplicates=duplicates,
        quarantined=quarantined,
        seconds=time.perf_counter() - started,
        skipped=skipped,
        problems=problems,
        with_dedup=with_dedup,
        steps=tuple(steps.items()),
    )


@dataclass(frozen=True)
class _File:
    """The staged file: its path and reader, and what its ledger row says about it."""

    path: Path
    reader: Reader
    source: str
    fingerprint: str
    skipped: int
    # the time the reader gave records with none of their own, and where it came from (file or given)
    untimed_at: dt.datetime | None
    untimed_source: str


def _untimed(reader: Reader, path: Path, given: str | None) -> tuple[dt.datetime | None, str]:
    """The time a reader gives records with none of their own (its query reads ``$file_time``), and its source;
    no time for a reader whose records all carry one."""
    sql_file = getattr(reader, "sql_file", None)
    if sql_file is None or "$file_time" not in sql_text(sql_file):
        return None, "log"
    text, source = (given, "given") if given is not None else (file_time(path), "file")
    return dt.datetime.strptime(text, TIME_FORMAT), source


# What a load returns: the ingest id, its counts (rows_read, loaded, duplicates, quarantined), the first problems.
Loaded = tuple[int, tuple[int, ...], tuple[Problem, ...]]


def _open_ingest(con: duckdb.DuckDBPyConnection, file: _File) -> tuple[int, dict[str, object]]:
    """The ledger row, first write of the load's transaction: its ingest id and the parameters of the load's
    statements."""
    params: dict[str, object] = {
        "source": file.source,
        "format": file.reader.name,
        "fingerprint": file.fingerprint,
        "now": dt.datetime.now(dt.UTC).replace(tzinfo=None),
        "skipped": file.skipped,
        "untimed_at": file.untimed_at,
        "untimed_source": file.untimed_source,
    }
    [(ingest_id,)] = execute_file(con, "ingest/open_ingest.sql", params).fetchall()
    return int(ingest_id), {**params, "ingest_id": int(ingest_id)}


def _load_without_dedup(
    con: duckdb.DuckDBPyConnection,
    file: _File,
    in_transaction: Callable[[duckdb.DuckDBPyConnection], object] | None,
) -> Loaded | None:
    """One transaction and, for a clean file, one pass over the stage: the ledger row, every valid record typed and
    validated straight into calls (ingest_typed is a view of normalize.sql here, never materialised), the counts.
    Rejected records, when there are any, are then typed alone into the table ingest_typed, located and quarantined.
    Only for a file with nothing to dedup (straight_check.sql); None, rolled back, for any other."""
    _create_view(con, "ingest_typed", "ingest/normalize.sql")
    [(keeps_order,)] = con.execute("select current_setting('preserve_insertion_order')").fetchall()
    restore_order = f"set preserve_insertion_order = {'true' if keeps_order else 'false'}"
    try:
        with transaction(con):
            [(rows_read, ids, distinct_ids, already_loaded)] = execute_file(con, "ingest/straight_check.sql").fetchall()
            if distinct_ids != ids or already_loaded:
                raise _NeedsDedup
            ingest_id, params = _open_ingest(con, file)
            # Every row carries its record number already, so the insert need not keep the stage's order: then DuckDB
            # appends whole row groups from each thread, where an order-preserving insert into the existing table leaves
            # partial row groups that the next checkpoint rewrites (about as long again as the insert).
            con.execute("set preserve_insertion_order = false")
            _create_view(con, "ingest_new_calls", "ingest/valid_calls.sql")
            [(loaded,)] = execute_file(con, "ingest/load_calls.sql", params).fetchall()
            con.execute(restore_order)
            rejects = 0
            problems: tuple[Problem, ...] = ()
            if loaded < rows_read:
                con.execute("drop view ingest_typed")
                with timed("ingest/normalize.sql"):
                    con.execute(
                        "create temp table ingest_typed as\nselect * from (\n"
                        + sql_text("ingest/normalize.sql")
                        + "\n) as typed\nwhere reject_reason is not null"
                    )
                file.reader.locate(con, file.path)
                execute_file(con, "ingest/load_quarantine.sql", params)
                [(rejects,)] = con.execute("select count(*) from ingest_typed").fetchall()
                problems = _problems(con, file)
            counts = _close_ingest(con, {**params, "rows_read": rows_read, "quarantined": rejects}, in_transaction)
    except _NeedsDedup:
        return None
    finally:
        con.execute(restore_order)  # again after a rollback: an aborted transaction refuses SET
    return ingest_id, counts, problems


class _NeedsDedup(Exception):
    """The staged file repeats a request_id (its own or a stored one): it takes the load with dedup."""


def _load_blank(
    con: duckdb.DuckDBPyConnection,
    file: _File,
    in_transaction: Callable[[duckdb.DuckDBPyConnection], object] | None,
) -> Loaded:
    """A file with no record: its ledger row (0 rows) and the caller's statements, in one transaction."""
    with transaction(con):
        ingest_id, params = _open_ingest(con, file)
        counts = _close_ingest(con, {**params, "rows_read": 0, "quarantined": 0}, in_transaction)
    return ingest_id, counts, ()


def _load_with_dedup(
    con: duckdb.DuckDBPyConnection,
    file: _File,
    in_transaction: Callable[[duckdb.DuckDBPyConnection], object] | None,
) -> Loaded:
    """The load with dedup, for a file that repeats a request_id: the staged file typed and validated once into the
    table ingest_typed, rejected records located, then one transaction with the ledger row, the quarantined records,
    the new calls (deduplicated within the file and against stored calls) and the counts."""
    drop_work_relations(con, only=("ingest_typed",))
    with timed("ingest/normalize.sql"):
        con.execute("create temp table ingest_typed as\n" + sql_text("ingest/normalize.sql"))
    [(rows_read, rejects)] = con.execute(
        "select count(*), count(*) filter (where reject_reason is not null) from ingest_typed"
    ).fetchall()
    if rejects:
        file.reader.locate(con, file.path)
    with transaction(con):
        ingest_id, params = _open_ingest(con, file)
        params = {**params, "rows_read": rows_read, "quarantined": rejects}
        execute_file(con, "ingest/load_quarantine.sql", params)
        _create_view(con, "ingest_new_calls", "ingest/new_calls.sql")
        execute_file(con, "ingest/load_calls.sql", params)
        counts = _close_ingest(con, params, in_transaction)
    return ingest_id, counts, _problems(con, file)


def _close_ingest(
    con: duckdb.DuckDBPyConnection,
    params: dict[str, object],
    in_transaction: Callable[[duckdb.DuckDBPyConnection], object] | None,
) -> tuple[int, ...]:
    """The end of a load's transaction: the ledger row's counts and the caller's own statements."""
    [counts] = execute_file(con, "ingest/record_counts.sql", params).fetchall()
    if in_transaction is not None:
        in_transaction(con)
    return tuple(int(value) for value in counts)


def _create_view(con: duckdb.DuckDBPyConnection, name: str, sql_file: str) -> None:
    """A temp view of one SQL file's query (its time, binding the query, counts to that file's step)."""
    with timed(sql_file):
        con.execute(f"create or replace temp view {name} as\n" + sql_text(sql_file))


def _problems(con: duckdb.DuckDBPyConnection, file: _File) -> tuple[Problem, ...]:
    """The first rejected records of ingest_typed, for the result (the quarantine table has them all)."""
    return tuple(
        Problem(file.source, line, reason)
        for line, reason in con.execute(
            "select source_line, reject_reason from ingest_typed where reject_reason is not null "
            "order by source_line limit 20"
        ).fetchall()
    )


def _expand(paths: Iterable[str | Path]) -> list[tuple[Path, bool]]:
    """Files named, and the files inside folders named (sorted, hidden files left out), each with whether it came
    from a folder."""
    files: list[tuple[Path, bool]] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            files.extend((p, True) for p in sorted(path.rglob("*")) if p.is_file() and not p.name.startswith("."))
        else:
            files.append((path, False))
    return files


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files named, and the files inside folders named (sorted), skipping hidden files."""
    return [path for path, _ in _expand(paths)]


def ingest_paths(
    con: duckdb.DuckDBPyConnection,
    paths: Iterable[str | Path],
    source_format: str | None = None,
    *,
    refresh: bool = True,
    started_at: dt.datetime | None = None,
    always_dedup: bool = False,
) -> list[IngestResult]:
    """Load files (folders are expanded), each in its own transaction, which also brings the derived tables the
    marts read up to date with it (:func:`refresh_derived`), so a file is queryable when its transaction commits
    (``refresh=False`` leaves that to the next open or :func:`refresh_derived`).

    A file that cannot be loaded does not stop the others: it is reported with status ``failed`` and a one-line
    error (nothing of it is stored, and nothing is half-derived); a file inside a folder that no reader recognises
    is ``skipped``. ``started_at``: the time of records with none of their own, ``always_dedup``: every file takes the
    load with dedup (:func:`ingest_file`)."""
    files = _expand(paths)
    progress = Progress(len(files))
    maintain = refresh_derived if refresh else None
    results = []
    for index, (path, in_folder) in enumerate(files, start=1):
        started = time.perf_counter()
        try:
            result = ingest_file(
                con,
                path,
                source_format,
                progress=progress,
                index=index,
                in_transaction=maintain,
                started_at=started_at,
                always_dedup=always_dedup,
            )
        except UnknownFormatError as error:
            status: Status = "skipped" if in_folder else "failed"
            reason = (
                "no reader recognises this file (--format forces one)"
                if in_folder
                else str(error).removeprefix(f"{path}: ")
            )
            result = IngestResult.not_loaded(
                str(path), source_format or "unknown", status, reason, time.perf_counter() - started
            )
        except Exception as error:  # anything a file can do to a reader is this file's failure, not the run's
            result = IngestResult.not_loaded(
                str(path), source_format or "unknown", "failed", _failure(error), time.perf_counter() - started
            )
        results.append(result)
    return results


def _failure(error: Exception) -> str:
    """What went wrong with a file, in one line for people."""
    text = one_line(error)
    if isinstance(error, EOFError | gzip.BadGzipFile | zlib.error) or "GZIP" in text.upper():
        return f"not a readable gzip file (truncated, corrupt or not gzip): {text}"
    if isinstance(error, RecursionError):
        return "nested too deeply to read"
    if isinstance(error, UnicodeDecodeError):
        return f"not UTF-8 text (byte offset {error.start})"
    return text


def with_transaction(con: duckdb.DuckDBPyConnection, work: Callable[[duckdb.DuckDBPyConnection], object]) -> None:
    """``work(con)`` in one :func:`~tierscope.queries.db.transaction`."""
    with transaction(con):
        work(con)
