"""Uploaded log files, ingested inside the dashboard process, which owns the database (docs/streaming.md).

An upload is written to a temporary file and loaded through the real ingest path (:func:`ingest.load.ingest_file`,
then :func:`queries.db.refresh_derived`) on a cursor of its own, since the ingest's temp tables live on the cursor
that made them. It runs in a worker thread so the page can show DuckDB's query progress while it works. An uploaded
profiling results file takes the same way in through :func:`ingest.profiling.load_profiling`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import duckdb

from tierscope.dashboard import cache
from tierscope.ingest.load import IngestResult, ingest_file, with_transaction
from tierscope.ingest.profiling import ProfilingLoad, load_profiling
from tierscope.queries.db import refresh_derived

MEGABYTE = 1 << 20
UPLOAD_TYPES = ("jsonl", "ndjson", "json", "csv", "tsv", "parquet", "gz")
PROFILING_TYPES = ("jsonl", "ndjson", "json", "csv", "gz")


class UploadTooLarge(ValueError):
    """A file above the dashboard's upload limit."""


def file_name(name: str) -> str:
    """The uploaded file's own name (no folders): it names the source in lineage and picks the reader."""
    return Path(name).name or "upload"


def load(writer: duckdb.DuckDBPyConnection, path: Path, source: str) -> IngestResult:
    """Ingest one file, then bring the derived tables the marts read up to date (as ``ingest_paths`` does)."""
    result = ingest_file(writer, path, source=source)
    with_transaction(writer, refresh_derived)
    return result


@contextmanager
def saved_upload(name: str, data: bytes, limit_mb: int, command: str) -> Iterator[Path]:
    """The upload written to a temporary file (removed afterwards), named as uploaded so the reader is picked by
    its name; a file over the limit is refused with the CLI ``command`` that loads it instead."""
    if len(data) > limit_mb * MEGABYTE:
        raise UploadTooLarge(
            f"{name}: {len(data) / MEGABYTE:,.1f} MB is over the {limit_mb} MB upload limit; "
            f"load it with `{command}` instead"
        )
    with tempfile.TemporaryDirectory(prefix="tierscope-upload-") as folder:
        path = Path(folder) / file_name(name)
        path.write_bytes(data)
        yield path


def ingest_upload(name: str, data: bytes, limit_mb: int, on_progress: Callable[[float], None]) -> IngestResult:
    """Load one uploaded file; ``on_progress`` gets the running query's progress (0..1) while it loads."""
    with saved_upload(name, data, limit_mb, "tierscope ingest PATH") as path:
        writer = cache.new_cursor()
        try:
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tierscope-ingest") as pool:
                loading = pool.submit(load, writer, path, f"upload:{file_name(name)}")
                while True:
                    try:
                        return loading.result(timeout=0.25)
                    except TimeoutError:
                        on_progress(max(writer.query_progress(), 0.0) / 100)
        finally:
            writer.close()


def load_profiling_upload(name: str, data: bytes, limit_mb: int) -> ProfilingLoad:
    """Load an uploaded profiling results file as a run (the same content again reuses its run), then forget every
    cached result: pass rates, the recommendation and the what-if's expected escalations all read the latest run."""
    with saved_upload(name, data, limit_mb, "tierscope profile PATH") as path:
        writer = cache.new_cursor()
        try:
            loaded = load_profiling(writer, path, source=f"upload:{file_name(name)}")
        finally:
            writer.close()
    cache.clear_results()
    return loaded
