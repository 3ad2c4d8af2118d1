"""Loading files into the requests table: stage (a reader) -> type and validate (SQL) -> dedup and load (SQL).

Every file is loaded in one transaction together with its ledger row in ``ingests`` and its quarantined records, so
``rows_read = loaded + duplicates + quarantined`` holds for each file and a crash leaves nothing half-loaded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import duckdb

from ingest.formats import Reader, detect, reader_named
from ingest.formats.generic import read_head
from queries.db import execute_file, refresh_derived, sql_text


@dataclass(frozen=True)
class Problem:
    """One quarantined record: where it is and what is wrong with it."""

    source: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.reason}" if self.line is not None else f"{self.source}: {self.reason}"


@dataclass(frozen=True)
class IngestResult:
    """The accounting of one file: rows_read = loaded + duplicates + quarantined."""

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

    def as_json(self) -> dict[str, object]:
        return {
            "path": self.source,
            "format": self.source_format,
            "rows_read": self.rows_read,
            "loaded": self.loaded,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
            "skipped": self.skipped,
            "seconds": round(self.seconds, 3),
        }


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
) -> IngestResult:
    """Load one file. ``source`` names it in lineage (defaults to the path as given). ``in_transaction`` runs inside
    the load's transaction, after the rows (a stream commits its read offset there, so rows and offset commit
    together)."""
    started = time.perf_counter()
    source = source or str(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    reader: Reader = reader_named(source_format) if source_format else detect(path, read_head(path))
    stop = progress.watch(con, index, source) if progress else (lambda: None)
    try:
        skipped = reader.stage(con, path)
        con.execute("create or replace temp table ingest_typed as\n" + sql_text("ingest/normalize.sql"))
        [(rejects,)] = con.execute("select count(*) from ingest_typed where reject_reason is not null").fetchall()
        if rejects:
            reader.locate(con, path)
        ingest_id, counts = _load_typed(con, source, reader.name, fingerprint(path), skipped, in_transaction)
    finally:
        stop()
    problems = tuple(
        Problem(source, line, reason)
        for line, reason in con.execute(
            "select source_line, reject_reason from ingest_typed where reject_reason is not null "
            "order by source_line limit 20"
        ).fetchall()
    )
    con.execute("drop table if exists ingest_stage; drop table if exists ingest_typed")
    rows_read, loaded, duplicates, quarantined = counts
    return IngestResult(
        source=source,
        source_format=reader.name,
        ingest_id=ingest_id,
        rows_read=rows_read,
        loaded=loaded,
        duplicates=duplicates,
        quarantined=quarantined,
        seconds=time.perf_counter() - started,
        skipped=skipped,
        problems=problems,
    )


def _load_typed(
    con: duckdb.DuckDBPyConnection,
    source: str,
    source_format: str,
    source_fingerprint: str,
    skipped: int,
    in_transaction: Callable[[duckdb.DuckDBPyConnection], object] | None,
) -> tuple[int, tuple[int, ...]]:
    """One transaction: the ledger row, the quarantined records, the new calls and the counts."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    con.execute("begin")
    try:
        [(ingest_id,)] = con.execute(
            """
            insert into ingests (ingest_id, source, source_format, source_fingerprint, started_at)
            values (nextval('ingest_id_seq'), $source, $format, $fingerprint, $now)
            returning ingest_id
            """,
            {"source": source, "format": source_format, "fingerprint": source_fingerprint, "now": now},
        ).fetchall()
        params = {
            "ingest_id": ingest_id,
            "source": source,
            "fingerprint": source_fingerprint,
            "now": now,
            "skipped": skipped,
        }
        execute_file(con, "ingest/load_quarantine.sql", params)
        execute_file(con, "ingest/load_requests.sql", params)
        [counts] = execute_file(con, "ingest/record_counts.sql", params).fetchall()
        if in_transaction is not None:
            in_transaction(con)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return int(ingest_id), tuple(int(value) for value in counts)


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files named, and the files inside folders named (sorted), skipping hidden files."""
    files: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")))
        else:
            files.append(path)
    return files


def ingest_paths(
    con: duckdb.DuckDBPyConnection,
    paths: Iterable[str | Path],
    source_format: str | None = None,
    *,
    refresh: bool = True,
) -> list[IngestResult]:
    """Load files (folders are expanded), each in its own transaction, then bring the derived tables the marts read
    up to date in one more (``refresh=False`` leaves that to the next open or :func:`refresh_derived`)."""
    files = expand_paths(paths)
    progress = Progress(len(files))
    results = [
        ingest_file(con, path, source_format, progress=progress, index=index)
        for index, path in enumerate(files, start=1)
    ]
    if refresh:
        with_transaction(con, refresh_derived)
    return results


def with_transaction(con: duckdb.DuckDBPyConnection, work: Callable[[duckdb.DuckDBPyConnection], object]) -> None:
    con.execute("begin")
    try:
        work(con)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
