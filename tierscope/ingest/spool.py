"""The spool: a folder of files waiting to be loaded by the process that owns the database (docs/streaming.md).

DuckDB allows one read-write process per database file. Processes that cannot write it (``tierscope serve``,
``tierscope ingest`` or ``tierscope watch`` while a dashboard holds the database) hand their data to the spool;
the owner (the dashboard's background ingester, or ``tierscope watch``) drains it.

The folder is ``<db file>.spool/`` next to the database, or ``--spool DIR`` / ``TIERSCOPE_SPOOL``.

Writers create each file atomically: the bytes go to ``.<name>.tmp``, are flushed and ``fsync``-ed, the file is
renamed to its final name and the folder is ``fsync``-ed. A file with a final name is therefore complete and on
disk; hidden files (``.``) are never read. Names sort in arrival order:

- ``<utc ns>-<pid>-<seq>.<format>.ndjson``: a stream batch (an HTTP body, a tailed micro-batch), one record of the
  named format per line. Consecutive batches of one format are loaded together, in one transaction.
- ``<utc ns>-<pid>-<seq>.<format or auto>.file.<original name>``: a file handed over by ``tierscope ingest``,
  loaded on its own (``auto``: the format is detected as ``tierscope ingest`` would).

The consumer loads a group of files with :func:`ingest.load.ingest_file`; in the same transaction it records their
names in the table ``spool_loaded``, and it deletes the files only after the commit, then forgets the names. A
consumer that crashes between the commit and the deletion finds the names there on its next drain and deletes the
files without loading them again; beyond that, rows are deduplicated by ``request_id`` as in every ingest. That
table (names of at most one group at a time) is the spool's only bookkeeping. A file that cannot be loaded at all
is moved to ``failed/`` in the spool folder, with the reason in ``failed/<name>.reason.txt``.

Ownership: the dashboard writes its process id to ``.owner-claim`` in the spool folder when it opens the database;
while that process lives, ``tierscope watch`` releases the database to it and hands its batches to the spool.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import duckdb

from tierscope.ingest.formats import READERS, UnknownFormatError
from tierscope.ingest.load import IngestResult, ingest_file
from tierscope.queries.db import execute_file, resolve_db_path
from tierscope.queries.owner import pid_alive
from tierscope.settings import settings

STREAM_SUFFIX = "ndjson"
HANDED_MARKER = "file"
AUTO = "auto"
FAILED_DIR = "failed"
OWNER_CLAIM = ".owner-claim"
# A temporary file older than this was left by a writer that died before renaming it (its data was never
# acknowledged, so its sender still has it); the consumer removes it.
STALE_TEMP_SECONDS = 600.0
DEFAULT_BATCH_BYTES = 32 << 20

_sequence = itertools.count(1)
_sequence_lock = threading.Lock()


def spool_dir(db_path: str | os.PathLike[str] | None, override: str | os.PathLike[str] | None = None) -> Path:
    """The spool folder: ``override``, else $TIERSCOPE_SPOOL, else ``<db file>.spool`` next to the database."""
    chosen = override or settings().spool
    if chosen:
        return Path(chosen).resolve()
    path = resolve_db_path(db_path)
    if path == ":memory:":
        raise ValueError("an in-memory database has no spool folder; pass --spool DIR")
    return Path(path + ".spool").resolve()


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _stamp() -> str:
    with _sequence_lock:
        sequence = next(_sequence)
    return f"{time.time_ns():020d}-{os.getpid()}-{sequence:06d}"


@dataclass(frozen=True)
class SpoolFile:
    """A complete file in the spool, with what its name says about it."""

    path: Path
    source_format: str | None  # None: detect from the content
    is_stream_batch: bool

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def size(self) -> int:
        return self.path.stat().st_size


KNOWN_FORMATS = frozenset(reader.name for reader in READERS)


def parse_name(path: Path) -> SpoolFile:
    """What a spool file's name says; a name in no known shape is a file to load alone, format detected."""
    parts = path.name.split(".", 2)
    if len(parts) == 3:
        _, source_format, rest = parts
        known = source_format if source_format in KNOWN_FORMATS else None
        if rest == STREAM_SUFFIX and known:
            return SpoolFile(path, known, is_stream_batch=True)
        if rest.startswith(HANDED_MARKER + "."):
            return SpoolFile(path, known, is_stream_batch=False)
    return SpoolFile(path, None, is_stream_batch=False)


class Spool:
    """One spool folder: atomic writes for producers, the list of pending files for the consumer."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def ensure(self) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        return self.folder

    @contextmanager
    def _atomic(self, name: str) -> Iterator[BinaryIO]:
        folder = self.ensure()
        temporary = folder / f".{name}.tmp"
        try:
            with temporary.open("wb") as handle:
                yield handle
                handle.flush()
                os.fsync(handle.fileno())
            os.rename(temporary, folder / name)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        _fsync_dir(folder)

    def write_batch(self, chunks: Sequence[bytes], source_format: str) -> Path:
        """Write one stream batch (records of ``source_format``, one per line) durably; returns its path."""
        if source_format not in KNOWN_FORMATS:
            raise ValueError(f"unknown format {source_format!r}")
        name = f"{_stamp()}.{source_format}.{STREAM_SUFFIX}"
        with self._atomic(name) as handle:
            for chunk in chunks:
                handle.write(chunk)
        return self.folder / name

    def hand_over(self, path: Path, source_format: str | None) -> Path:
        """Copy a file into the spool durably (the original stays where it is); returns the spool file."""
        name = f"{_stamp()}.{source_format or AUTO}.{HANDED_MARKER}.{path.name}"
        with self._atomic(name) as handle, path.open("rb") as original:
            shutil.copyfileobj(original, handle, 1 << 20)
        return self.folder / name

    def pending(self) -> list[SpoolFile]:
        """The complete files waiting, oldest first (also removes temporary files abandoned by dead writers)."""
        if not self.folder.is_dir():
            return []
        files: list[SpoolFile] = []
        now = time.time()
        with os.scandir(self.folder) as entries:
            for entry in entries:
                if not entry.is_file(follow_symlinks=False):
                    continue
                if entry.name.startswith("."):
                    if entry.name.endswith(".tmp") and _age(entry, now) > STALE_TEMP_SECONDS:
                        Path(entry.path).unlink(missing_ok=True)
                    continue
                files.append(parse_name(Path(entry.path)))
        return sorted(files, key=lambda spooled: spooled.name)

    def backlog(self) -> tuple[int, int]:
        """How many complete files wait in the spool, and their bytes."""
        files, size = 0, 0
        for spooled in self.pending():
            try:
                size += spooled.size
            except FileNotFoundError:  # loaded and deleted meanwhile
                continue
            files += 1
        return files, size

    def fail(self, spooled: SpoolFile, reason: str) -> Path:
        """Move a file that cannot be loaded out of the way, with the reason next to it."""
        failed = self.folder / FAILED_DIR
        failed.mkdir(exist_ok=True)
        target = failed / spooled.name
        os.replace(spooled.path, target)
        (failed / f"{spooled.name}.reason.txt").write_text(reason + "\n", encoding="utf-8")
        _fsync_dir(self.folder)
        return target

    # Ownership claim -------------------------------------------------------------------------------------------

    def claim_ownership(self) -> None:
        """Say that this process (a dashboard) wants to own the database; a watcher holding it lets go."""
        self.ensure()
        claim = self.folder / OWNER_CLAIM
        temporary = self.folder / f"{OWNER_CLAIM}.{os.getpid()}.tmp"
        temporary.write_text(str(os.getpid()), encoding="utf-8")
        os.replace(temporary, claim)

    def withdraw_claim(self) -> None:
        """Take back this process's claim (it could not open the database after all)."""
        claim = self.folder / OWNER_CLAIM
        try:
            if int(claim.read_text(encoding="utf-8").strip()) == os.getpid():
                claim.unlink()
        except (FileNotFoundError, ValueError):
            return

    def claimant(self) -> int | None:
        """The process id of a live process other than this one that claims the database, if any."""
        try:
            pid = int((self.folder / OWNER_CLAIM).read_text(encoding="utf-8").strip())
        except (FileNotFoundError, ValueError):
            return None
        if pid == os.getpid() or not pid_alive(pid):
            return None
        return pid


def _age(entry: os.DirEntry[str], now: float) -> float:
    """Seconds since the entry was modified (0 when it is gone already: renamed by its writer meanwhile)."""
    try:
        return now - entry.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def groups(files: Sequence[SpoolFile], max_bytes: int) -> Iterator[list[SpoolFile]]:
    """Consecutive stream batches of one format, up to ``max_bytes`` together; every other file alone."""
    group: list[SpoolFile] = []
    group_bytes = 0
    for spooled in files:
        try:
            size = spooled.size
        except FileNotFoundError:
            continue
        joins = (
            group
            and spooled.is_stream_batch
            and group[0].is_stream_batch
            and group[0].source_format == spooled.source_format
            and group_bytes + size <= max_bytes
        )
        if group and not joins:
            yield group
            group, group_bytes = [], 0
        group.append(spooled)
        group_bytes += size
    if group:
        yield group


def _merge(group: Sequence[SpoolFile], into: Path) -> None:
    """Concatenate stream batches into one NDJSON file (a line break added where a batch does not end on one)."""
    with into.open("wb") as merged:
        for spooled in group:
            data = spooled.path.read_bytes()
            merged.write(data)
            if data and not data.endswith(b"\n"):
                merged.write(b"\n")


def _source(group: Sequence[SpoolFile]) -> str:
    first = group[0].name
    return f"spool:{first}" if len(group) == 1 else f"spool:{first} (+{len(group) - 1} more)"


def forget_loaded(con: duckdb.DuckDBPyConnection, spool: Spool) -> int:
    """Delete the files a previous drain committed but did not get to delete (it crashed); returns how many."""
    names = [name for (name,) in execute_file(con, "ingest/spool_loaded_names.sql").fetchall()]
    for name in names:
        (spool.folder / name).unlink(missing_ok=True)
    if names:
        _fsync_dir(spool.folder)
        execute_file(con, "ingest/spool_forget.sql", {"names": names})
    return len(names)


def load_group(con: duckdb.DuckDBPyConnection, spool: Spool, group: Sequence[SpoolFile]) -> IngestResult:
    """Load one group of spool files in one transaction (rows, ledger row and the group's names), then delete
    the files."""
    names = [spooled.name for spooled in group]
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)

    def record(transaction: duckdb.DuckDBPyConnection) -> None:
        execute_file(transaction, "ingest/spool_record_loaded.sql", {"names": names, "now": now})

    with tempfile.TemporaryDirectory(prefix="tierscope-spool-") as folder:
        if group[0].is_stream_batch:
            path = Path(folder) / f"batch.{STREAM_SUFFIX}"
            _merge(group, path)
        else:
            path = group[0].path
        source_format = group[0].source_format
        try:
            result = ingest_file(con, path, source_format, source=_source(group), in_transaction=record)
        except UnknownFormatError:
            # No reader recognises it: the generic reader quarantines every record with its reason.
            result = ingest_file(con, path, "generic", source=_source(group), in_transaction=record)
    for spooled in group:
        spooled.path.unlink(missing_ok=True)
    _fsync_dir(spool.folder)
    execute_file(con, "ingest/spool_forget.sql", {"names": names})
    return result


def drain(
    con: duckdb.DuckDBPyConnection,
    spool: Spool,
    *,
    max_bytes: int = DEFAULT_BATCH_BYTES,
    on_result: Callable[[IngestResult, int], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> list[IngestResult]:
    """Load every file waiting in the spool, group by group; ``on_result(result, files)`` after each commit.

    The caller brings the derived tables up to date afterwards (``refresh_derived``), as after any ingest.
    """
    forget_loaded(con, spool)
    results: list[IngestResult] = []
    for group in groups(spool.pending(), max_bytes):
        if should_stop():
            break
        try:
            result = load_group(con, spool, group)
        except (duckdb.TransactionException, duckdb.IOException, OSError):
            raise  # transient or environmental: the files stay and are tried again on the next drain
        except Exception as error:  # a file no reader can load (a corrupt Parquet file...): set it aside
            for spooled in group:
                spool.fail(spooled, f"{type(error).__name__}: {error}")
            continue
        results.append(result)
        if on_result is not None:
            on_result(result, len(group))
    return results
