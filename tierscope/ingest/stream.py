"""``tierscope watch DIR``: follow growing JSONL files in a folder, in micro-batches, with committed offsets.

Every ``interval`` seconds the watcher lists the folder's files that match the patterns (default ``*.jsonl*`` and
``*.ndjson*``, gzip files excluded) and, for each, reads the complete lines after its committed byte offset, up to
``batch_bytes``. A batch is written to a temporary file and loaded with :func:`ingest.load.ingest_file`, whose
``in_transaction`` hook writes the new offset to ``stream_offsets``: rows and offset commit together, so a watcher
killed at any point resumes exactly where its last commit ended. Any format the readers know is accepted, detected
per batch (``--format`` forces one).

Files are known by identity (device, inode), not by name: a file renamed by log rotation keeps its offset (its last
lines are read as long as it stays in the folder), the new file at the old name starts from 0, a file that shrank
below its offset (truncated, ``copytruncate``) or whose first bytes changed (a new file on a reused inode) starts
again from 0.

Ownership (DESIGN §7): the watcher writes the database itself when it can open it, and then also drains the spool
(so ``tierscope serve`` + ``tierscope watch`` works without a dashboard). When another process holds the database,
or a running dashboard claims it, the watcher hands its micro-batches to the spool instead. It then goes by a copy of
its offsets, ``<spool>/.watch-<id>.offsets.json``, written after every commit and after every spool file is durable:
a crash can make it hand one batch over twice, whose rows are then deduplicated by request_id (nothing is lost).
When it gets the database back, the offsets it advanced meanwhile are committed to ``stream_offsets``.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb

from tierscope.ingest.formats import UnknownFormatError, detect
from tierscope.ingest.load import IngestResult, ingest_file, read_head, with_transaction
from tierscope.ingest.spool import Spool, drain, is_lock_error, lock_holder
from tierscope.queries.config import load_price_book, load_routing
from tierscope.queries.db import connect, execute_file, refresh_derived

DEFAULT_PATTERNS = ("*.jsonl*", "*.ndjson*")
DEFAULT_BATCH_BYTES = 8 << 20
DEFAULT_INTERVAL_SECONDS = 1.0
HEAD_HASH_BYTES = 1024
# A line longer than this is taken as it is (the reader quarantines it) rather than waited for.
MAX_LINE_BYTES = 64 << 20
FALLBACK_FORMAT = "generic"

Identity = tuple[int, int]
Report = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class FileOffset:
    """How far one file (by identity) is committed, and the hash of its first bytes up to there."""

    device: int
    inode: int
    path: str
    committed_offset: int
    head_hash: str

    @property
    def identity(self) -> Identity:
        return (self.device, self.inode)


@dataclass(frozen=True)
class Batch:
    """Complete lines of one file: bytes [start, end)."""

    path: Path
    identity: Identity
    start: int
    end: int
    data: bytes
    head_hash: str
    restarted: str | None  # why the file is read from 0 again (rotated into a new file, truncated...)
    has_more: bool

    def offset(self) -> FileOffset:
        return FileOffset(self.identity[0], self.identity[1], str(self.path), self.end, self.head_hash)


def _head_hash(descriptor: int, size: int) -> str:
    return hashlib.sha256(os.pread(descriptor, min(size, HEAD_HASH_BYTES), 0)).hexdigest()[:32]


def read_batch(path: Path, offsets: Mapping[Identity, FileOffset], max_bytes: int) -> Batch | None:
    """The complete lines of the file at ``path`` after its committed offset (looked up by the identity of the file
    actually opened; from 0 for a new, truncated or replaced file), up to ``max_bytes`` (more when one line is
    longer); None when there is no complete new line."""
    try:
        handle = path.open("rb")
    except (FileNotFoundError, PermissionError):
        return None
    with handle:
        descriptor = handle.fileno()
        status = os.fstat(descriptor)
        known = offsets.get((status.st_dev, status.st_ino))
        start, restarted = 0, None
        if known is not None and known.committed_offset:
            if status.st_size < known.committed_offset:
                restarted = "truncated"
            elif _head_hash(descriptor, known.committed_offset) != known.head_hash:
                restarted = "replaced"
            else:
                start = known.committed_offset
        if status.st_size <= start:
            return None
        handle.seek(start)
        data = handle.read(max_bytes)
        cut = data.rfind(b"\n")
        while cut < 0 and len(data) < MAX_LINE_BYTES:
            more = handle.read(max_bytes)
            if not more:
                return None  # the last line is not complete yet
            cut = more.find(b"\n")
            data += more
            if cut >= 0:
                cut = data.rfind(b"\n")
        data = data[: cut + 1] if cut >= 0 else data
        end = start + len(data)
        return Batch(
            path=path,
            identity=(status.st_dev, status.st_ino),
            start=start,
            end=end,
            data=data,
            head_hash=_head_hash(descriptor, end),
            restarted=restarted,
            has_more=status.st_size > end,
        )


def matches(name: str, patterns: Sequence[str]) -> bool:
    return not name.endswith(".gz") and any(fnmatch.fnmatch(name, pattern) for pattern in patterns)


@dataclass(frozen=True)
class WatchOptions:
    folder: Path
    db_path: str
    prices: str | None
    routing: str | None
    spool: Path
    patterns: tuple[str, ...] = DEFAULT_PATTERNS
    source_format: str | None = None
    batch_bytes: int = DEFAULT_BATCH_BYTES
    interval: float = DEFAULT_INTERVAL_SECONDS


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _counts(result: IngestResult) -> dict[str, int]:
    return {
        "rows_read": result.rows_read,
        "loaded": result.loaded,
        "duplicates": result.duplicates,
        "quarantined": result.quarantined,
        "skipped": result.skipped,
    }


class Watcher:
    """One ``tierscope watch`` run. :meth:`run` loops until ``stop`` is set (or, with ``once``, until caught up)."""

    def __init__(self, options: WatchOptions, report: Report) -> None:
        self.options = options
        self.report = report
        self.spool = Spool(options.spool)
        folder_id = hashlib.sha256(str(options.folder.resolve()).encode()).hexdigest()[:16]
        self.handoff_state = options.spool / f".watch-{folder_id}.offsets.json"
        self.con: duckdb.DuckDBPyConnection | None = None
        self.offsets: dict[Identity, FileOffset] = {}
        self.formats: dict[Identity, str] = {}
        self.mode = ""
        self.failed: set[Identity] = set()
        self.next_attempt = 0.0
        # read once: a watcher that waits for the database tries to open it again and again
        self.price_book = load_price_book(options.prices)
        self.routing = load_routing(options.routing)
        self.work_dir = Path(tempfile.mkdtemp(prefix="tierscope-watch-"))

    # Ownership -------------------------------------------------------------------------------------------------

    def _settle_ownership(self) -> None:
        claimant = self.spool.claimant()
        if self.con is not None:
            if claimant is None:
                return
            self.con.close()
            self.con = None
            self._enter_handoff(f"a running dashboard (pid {claimant}) claims it")
            return
        if claimant is not None:
            self._enter_handoff(f"a running dashboard (pid {claimant}) claims it")
            return
        if time.monotonic() < self.next_attempt:
            return
        try:
            self.con = connect(self.options.db_path, price_book=self.price_book, routing=self.routing)
        except duckdb.IOException as error:
            if not is_lock_error(error):
                raise
            self.next_attempt = time.monotonic() + max(self.options.interval, 1.0)
            self._enter_handoff(f"another process holds it ({lock_holder(error)})")
            return
        self._enter_owner()

    def _enter_owner(self) -> None:
        assert self.con is not None
        stored = {
            (int(device), int(inode)): FileOffset(int(device), int(inode), path, int(offset), head)
            for device, inode, path, offset, head in execute_file(self.con, "ingest/stream_offsets.sql").fetchall()
        }
        # What this process knows (offsets it handed to the spool while it did not own the database, or the copy a
        # previous run left) wins over the database's, unless the database is ahead on the same file.
        known = self.offsets or self._load_handoff_state()
        newer = [
            offset
            for identity, offset in known.items()
            if identity not in stored
            or stored[identity].head_hash != offset.head_hash
            or offset.committed_offset > stored[identity].committed_offset
        ]

        def commit(con: duckdb.DuckDBPyConnection) -> None:
            for offset in newer:
                self._commit_offset(con, offset)

        with_transaction(self.con, commit)
        self.offsets = {**stored, **{offset.identity: offset for offset in newer}}
        self.mode = "owner"
        self.report(
            {
                "event": "owner",
                "message": f"loading into {self.options.db_path}; draining the spool {self.options.spool}",
            }
        )

    def _enter_handoff(self, reason: str) -> None:
        if self.mode == "handoff":
            return
        if not self.offsets:  # never owned the database in this run: the copy of the offsets is the best known
            self.offsets = self._load_handoff_state()
        self.mode = "handoff"
        self.report(
            {
                "event": "handoff",
                "message": f"{self.options.db_path} is in use: {reason}; handing micro-batches to the spool "
                f"{self.options.spool} (the process holding the database loads them)",
            }
        )

    def _load_handoff_state(self) -> dict[Identity, FileOffset]:
        try:
            rows = json.loads(self.handoff_state.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        offsets = [FileOffset(**row) for row in rows]
        return {offset.identity: offset for offset in offsets}

    def _save_handoff_state(self) -> None:
        self.spool.ensure()
        temporary = self.handoff_state.with_name(self.handoff_state.name + ".tmp")
        with temporary.open("w", encoding="utf-8") as handle:
            json.dump([asdict(offset) for offset in self.offsets.values()], handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.handoff_state)

    @staticmethod
    def _commit_offset(con: duckdb.DuckDBPyConnection, offset: FileOffset) -> None:
        execute_file(
            con,
            "ingest/commit_stream_offset.sql",
            {
                "device": offset.device,
                "inode": offset.inode,
                "path": offset.path,
                "committed_offset": offset.committed_offset,
                "head_hash": offset.head_hash,
                "now": _now(),
            },
        )

    # Files -----------------------------------------------------------------------------------------------------

    def _files(self) -> list[Path]:
        """Matching files, and files no longer matching (renamed by rotation) that still have unread lines."""
        found: list[tuple[float, str, Path]] = []
        with os.scandir(self.options.folder) as entries:
            for entry in entries:
                if entry.name.startswith(".") or not entry.is_file(follow_symlinks=True):
                    continue
                status = entry.stat()
                known = self.offsets.get((status.st_dev, status.st_ino))
                followed = matches(entry.name, self.options.patterns) or (
                    known is not None and status.st_size > known.committed_offset
                )
                if followed:
                    found.append((status.st_mtime, entry.name, Path(entry.path)))
        return [path for _, _, path in sorted(found)]

    def _format(self, batch: Batch, path: Path) -> str:
        if self.options.source_format:
            return self.options.source_format
        try:
            name = detect(path, read_head(path)).name
        except UnknownFormatError:
            name = self.formats.get(batch.identity, FALLBACK_FORMAT)
        self.formats[batch.identity] = name
        return name

    def _take(self, batch: Batch) -> bool:
        """Load (owner) or spool (handoff) one batch and advance the file's offset; whether rows were loaded."""
        if batch.restarted:
            self.report(
                {
                    "event": "restart",
                    "path": str(batch.path),
                    "reason": batch.restarted,
                    "message": f"{batch.path}: {batch.restarted}; reading it again from the start",
                }
            )
        staged = self.work_dir / "batch.jsonl"
        staged.write_bytes(batch.data)
        source_format = self._format(batch, staged)
        if self.con is None:
            spooled = self.spool.write_batch([batch.data], source_format)
            self.offsets[batch.identity] = batch.offset()
            self._save_handoff_state()
            self.report(
                {
                    "event": "spooled",
                    "path": str(batch.path),
                    "start": batch.start,
                    "end": batch.end,
                    "spool_file": spooled.name,
                    "message": f"{batch.path}: bytes {batch.start:,}-{batch.end:,} handed to the spool "
                    f"({spooled.name})",
                }
            )
            return False
        offset = batch.offset()
        try:
            result = ingest_file(
                self.con,
                staged,
                source_format,
                source=f"watch:{batch.path}@{batch.start}",
                in_transaction=lambda con: self._commit_offset(con, offset),
            )
        except (duckdb.IOException, duckdb.TransactionException):
            raise
        except (duckdb.Error, ValueError) as error:  # no reader can load these lines: leave the file for now
            self.failed.add(batch.identity)
            self.report(
                {
                    "event": "error",
                    "path": str(batch.path),
                    "message": f"{batch.path}: bytes {batch.start:,}-{batch.end:,} cannot be loaded ({error}); "
                    "this file is not followed until tierscope watch restarts",
                }
            )
            return False
        self.offsets[batch.identity] = offset
        self._save_handoff_state()
        self.report(
            {
                "event": "loaded",
                "path": str(batch.path),
                "format": source_format,
                "start": batch.start,
                "end": batch.end,
                **_counts(result),
                "message": f"{batch.path}: bytes {batch.start:,}-{batch.end:,}: {_accounting(result)}",
            }
        )
        for problem in result.problems[:5]:
            self.report({"event": "quarantined", "message": f"  {problem}"})
        return True

    def _drain_spool(self, deadline: float, stop: threading.Event) -> bool:
        assert self.con is not None

        def loaded(result: IngestResult, files: int) -> None:
            self.report(
                {
                    "event": "spool",
                    "files": files,
                    "source": result.source,
                    **_counts(result),
                    "message": f"spool: {files:,} file{'s' if files != 1 else ''}: {_accounting(result)}",
                }
            )

        results = drain(
            self.con,
            self.spool,
            on_result=loaded,
            should_stop=lambda: stop.is_set() or time.monotonic() > deadline,
        )
        return bool(results)

    # The loop --------------------------------------------------------------------------------------------------

    def cycle(self, stop: threading.Event) -> bool:
        """One pass: settle who owns the database, drain the spool (owner), take new lines of every file until
        caught up or the interval is spent, refresh the derived tables. Returns whether work is left."""
        self._settle_ownership()
        deadline = time.monotonic() + max(self.options.interval, 1.0)
        loaded = self.con is not None and self._drain_spool(deadline, stop)
        pending = True
        while pending and not stop.is_set() and time.monotonic() < deadline:
            pending = False
            for path in self._files():
                batch = read_batch(path, self.offsets, self.options.batch_bytes)
                if batch is None or batch.identity in self.failed:
                    continue
                loaded = self._take(batch) or loaded
                pending = pending or batch.has_more
        if loaded and self.con is not None:
            with_transaction(self.con, refresh_derived)
        return pending or (self.con is not None and bool(self.spool.pending()))

    def run(self, stop: threading.Event, once: bool = False) -> None:
        self.report(
            {
                "event": "start",
                "message": f"watching {self.options.folder} ({', '.join(self.options.patterns)}); batches up to "
                f"{self.options.batch_bytes:,} bytes every {self.options.interval:g}s",
            }
        )
        try:
            while not stop.is_set():
                more = self.cycle(stop)
                if once and not more:
                    break
                if not more:
                    stop.wait(self.options.interval)
        finally:
            if self.con is not None:
                self.con.close()
                self.con = None
            shutil.rmtree(self.work_dir, ignore_errors=True)


def _accounting(result: IngestResult) -> str:
    return (
        f"{result.rows_read:,} read = {result.loaded:,} loaded + {result.duplicates:,} duplicates + "
        f"{result.quarantined:,} quarantined"
    )
