"""``tierscope watch DIR``: follow growing JSONL files in a folder, in micro-batches, with committed offsets.

Every ``interval`` seconds the watcher lists the folder's files that match the patterns (default ``*.jsonl*`` and
``*.ndjson*``, compressed files excluded) and, for each, reads the complete lines after its committed byte offset, up
to ``batch_bytes``. A batch is written to a temporary file and loaded with :func:`ingest.load.ingest_file`, whose
``in_transaction`` hook writes the new offset to ``stream_offsets``: rows and offset commit together, so a watcher
killed at any point resumes exactly where its last commit ended. Any format the readers know is accepted, detected
per batch (``--format`` forces one).

Files are known by identity (device, inode), not by name, from the moment the watcher first sees them under a
matching name (an offset of 0 is recorded then). An offset comes with the file's fingerprint there: a hash of its
first KiB and of the KiB just before the offset. So:

- a file renamed within the folder (log rotation, ``app.jsonl`` -> ``app.old``) is followed under its new name while
  it has unread bytes, whatever the name; the new file at the old name starts from 0;
- a file that shrank below its offset, or whose fingerprint there changed (truncated and rewritten, a new file on a
  reused inode), starts again from 0;
- a new file that starts with the content a known file was committed at (a ``copytruncate`` copy) continues from
  that offset rather than from 0;
- bytes that can no longer be read are reported, never dropped in silence: an ``unread`` event (path, byte range
  and count) for a file that was truncated, replaced, removed or moved out of the folder after the watcher saw
  bytes it had not read yet, and for a compressed file (``.gz``, ``.bz2``, ``.xz``; never followed) whose content
  is a known file's with bytes past that file's committed offset (rotated and compressed before its tail was read,
  even while the watcher was down), or, when it appeared after the folder was first watched (the time is kept with
  the copy of the offsets), that holds nothing known: all of it. A compressed file so examined gets an offset of its
  own (its uncompressed length), so it is reported once.

Ownership (docs/streaming.md): the watcher writes the database itself when it can open it, and then also drains the
spool (so ``tierscope serve`` + ``tierscope watch`` works without a dashboard) and answers other tierscope processes'
reads (``queries/owner.py``). When another process holds the database, or a running dashboard claims it, the watcher
hands its micro-batches to the spool instead. It then goes by a copy of its offsets,
``<spool>/.watch-<id>.offsets.json``, written after every commit and after every spool file is durable: a crash can
make it hand one batch over twice, whose rows are then deduplicated by request_id (nothing is lost). When it gets
the database back, the offsets it advanced meanwhile are committed to ``stream_offsets``.
"""

from __future__ import annotations

import bz2
import datetime as dt
import fnmatch
import gzip
import hashlib
import io
import json
import lzma
import os
import shutil
import tempfile
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb

from tierscope.ingest.formats import UnknownFormatError, detect
from tierscope.ingest.load import IngestResult, ingest_file, read_head, with_transaction
from tierscope.ingest.spool import Spool, drain
from tierscope.queries.config import load_price_book, load_routing
from tierscope.queries.db import connect, execute_file, refresh_derived
from tierscope.queries.owner import KIND_WATCH, OwnerEndpoint, holder, is_lock_error

DEFAULT_PATTERNS = ("*.jsonl*", "*.ndjson*")
DEFAULT_BATCH_BYTES = 8 << 20
DEFAULT_INTERVAL_SECONDS = 1.0
FINGERPRINT_BYTES = 1024
# A line longer than this is taken as it is (the reader quarantines it) rather than waited for.
MAX_LINE_BYTES = 64 << 20
FALLBACK_FORMAT = "generic"
# Offsets of files whose inode now belongs to another file, kept to recognise their compressed copies.
RETIRED_OFFSETS = 4096
# Compressed files are never followed (they do not grow); those Python opens are examined for unread content.
DECOMPRESSORS: dict[str, Callable[[Path], io.BufferedIOBase]] = {
    ".gz": gzip.GzipFile,
    ".bz2": bz2.BZ2File,
    ".xz": lzma.LZMAFile,
}
COMPRESSED_SUFFIXES = (*DECOMPRESSORS, ".zst", ".lz4", ".zip")
DECOMPRESSION_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError)

Identity = tuple[int, int]
Report = Callable[[dict[str, Any]], None]


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def fingerprint(head: bytes, tail: bytes) -> str:
    """The hashes of a file's first KiB and of the KiB before an offset: what tells that the bytes before the offset
    are still the ones committed (a rewrite that keeps the first KiB changes the second)."""
    return _digest(head) + _digest(tail)


def _same(stored: str, head: bytes, tail: bytes) -> bool:
    # An offset committed before the tail was hashed holds the head hash alone.
    actual = fingerprint(head, tail)
    return stored == actual or (len(stored) == 32 and stored == actual[:32])


@dataclass(frozen=True)
class FileOffset:
    """How far one file (by identity) is committed, and its fingerprint there (empty at offset 0)."""

    device: int
    inode: int
    path: str
    committed_offset: int
    head_hash: str  # stream_offsets.head_hash: fingerprint() of the first KiB and the KiB before the offset

    @property
    def identity(self) -> Identity:
        return (self.device, self.inode)


def _file_fingerprint(descriptor: int, offset: int) -> str:
    if offset == 0:
        return ""
    span = min(offset, FINGERPRINT_BYTES)
    return fingerprint(os.pread(descriptor, span, 0), os.pread(descriptor, span, offset - span))


def continues(descriptor: int, size: int, known: FileOffset) -> bool:
    """Whether the open file still holds, before ``known``'s offset, the bytes that offset was committed with."""
    offset = known.committed_offset
    if offset == 0:
        return True
    if size < offset:
        return False
    span = min(offset, FINGERPRINT_BYTES)
    return _same(known.head_hash, os.pread(descriptor, span, 0), os.pread(descriptor, span, offset - span))


@dataclass(frozen=True)
class Batch:
    """Complete lines of one file: bytes [start, end) (none when ``data`` is empty), and the file's size."""

    path: Path
    identity: Identity
    start: int
    end: int
    data: bytes
    head_hash: str
    restarted: str | None  # why the file is read from 0 again (truncated, replaced)
    has_more: bool
    size: int

    def offset(self) -> FileOffset:
        return FileOffset(self.identity[0], self.identity[1], str(self.path), self.end, self.head_hash)


def read_batch(path: Path, offsets: Mapping[Identity, FileOffset], max_bytes: int) -> Batch | None:
    """The complete lines of the file at ``path`` after its committed offset (looked up by the identity of the file
    actually opened; from 0 for a new, truncated or replaced file), up to ``max_bytes`` (more when one line is
    longer); no lines when there is no complete new one. None when the file cannot be opened."""
    try:
        handle = path.open("rb")
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        return None
    with handle:
        descriptor = handle.fileno()
        status = os.fstat(descriptor)
        identity = (status.st_dev, status.st_ino)
        known = offsets.get(identity)
        start, restarted = 0, None
        if known is not None and known.committed_offset:
            if status.st_size < known.committed_offset:
                restarted = "truncated"
            elif not continues(descriptor, status.st_size, known):
                restarted = "replaced"
            else:
                start = known.committed_offset
        handle.seek(start)
        data = handle.read(max_bytes) if status.st_size > start else b""
        cut = data.rfind(b"\n")
        while data and cut < 0 and len(data) < MAX_LINE_BYTES:
            more = handle.read(max_bytes)
            if not more:
                break
            cut = more.find(b"\n")
            data += more
            if cut >= 0:
                cut = data.rfind(b"\n")
        if cut >= 0:
            data = data[: cut + 1]
        elif len(data) < MAX_LINE_BYTES:
            data = b""  # the last line is not complete yet
        end = start + len(data)
        return Batch(
            path=path,
            identity=identity,
            start=start,
            end=end,
            data=data,
            head_hash=_file_fingerprint(descriptor, end) if data else (known.head_hash if known and start else ""),
            restarted=restarted,
            has_more=status.st_size > end and bool(data),
            size=status.st_size,
        )


def is_compressed(name: str) -> bool:
    return name.endswith(COMPRESSED_SUFFIXES)


def matches(name: str, patterns: Sequence[str]) -> bool:
    return not is_compressed(name) and any(fnmatch.fnmatch(name, pattern) for pattern in patterns)


def _stream_tails(stream: io.BufferedIOBase, offsets: Iterable[int]) -> tuple[int, dict[int, bytes]]:
    """Read a stream to its end: its length, and the KiB before each of ``offsets`` (and before its end)."""
    wanted = sorted(set(offsets))
    tails: dict[int, bytes] = {}
    window, position = b"", 0
    while chunk := stream.read(1 << 20):
        window += chunk
        window_start = position + len(chunk) - len(window)
        position += len(chunk)
        while wanted and wanted[0] <= position:
            offset = wanted.pop(0)
            span = min(offset, FINGERPRINT_BYTES)
            tails[offset] = window[offset - span - window_start : offset - window_start]
        window = window[-FINGERPRINT_BYTES:]
    tails[position] = window[-min(position, FINGERPRINT_BYTES) :] if position else b""
    return position, tails


@dataclass(frozen=True)
class Entry:
    """A file in the folder as one listing saw it."""

    path: Path
    identity: Identity
    size: int
    mtime_ns: int

    @property
    def name(self) -> str:
        return self.path.name


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
        self.endpoint: OwnerEndpoint | None = None
        self.offsets: dict[Identity, FileOffset] = {}
        self.formats: dict[Identity, str] = {}
        # Per followed file: where and how large it was when last read (what a truncation or removal loses).
        self.sizes: dict[Identity, tuple[Path, int]] = {}
        # Known file -> how much of its content a copy (a copytruncate copy, a compressed file) holds.
        self.covered: dict[Identity, int] = {}
        self.examined: dict[Identity, tuple[int, int]] = {}  # compressed files looked at: (size, mtime)
        self.foreign: dict[Identity, int] = {}  # unmatched files that are no copy of a known one, by size
        # Compressed copies of a file still in the folder (looked at again once that file is gone).
        self.deferred: dict[Identity, Identity] = {}
        self.retired: deque[FileOffset] = deque(maxlen=RETIRED_OFFSETS)
        self.mode = ""
        self.failed: set[Identity] = set()
        self.next_attempt = 0.0
        # read once: a watcher that waits for the database tries to open it again and again
        self.price_book = load_price_book(options.prices)
        self.routing = load_routing(options.routing)
        self.work_dir = Path(tempfile.mkdtemp(prefix="tierscope-watch-"))
        # A compressed file that appeared since then and holds nothing known was never read by a watcher.
        self.since_ns = self._read_state()[0] or time.time_ns()

    # Ownership -------------------------------------------------------------------------------------------------

    def _settle_ownership(self) -> None:
        claimant = self.spool.claimant()
        if self.con is not None:
            if claimant is None:
                return
            self._release()
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
            self._enter_handoff(f"{holder(self.options.db_path, error)} holds it")
            return
        self._enter_owner()

    def _release(self) -> None:
        """Stop answering reads (they must not run on a closed connection), then let go of the database."""
        if self.endpoint is not None:
            self.endpoint.close()
            self.endpoint = None
        if self.con is not None:
            self.con.close()
            self.con = None

    def _enter_owner(self) -> None:
        assert self.con is not None
        stored = {
            (int(device), int(inode)): FileOffset(int(device), int(inode), path, int(offset), head)
            for device, inode, path, offset, head in execute_file(self.con, "ingest/stream_offsets.sql").fetchall()
        }
        # What this process knows (offsets it handed to the spool while it did not own the database, or the copy a
        # previous run left) wins where it is ahead of the database's. Taking the further offset never loses a line:
        # one whose file no longer continues there is seen as replaced and read again from 0.
        known = self.offsets or self._load_handoff_state()
        newer = [
            offset
            for identity, offset in known.items()
            if identity not in stored or offset.committed_offset > stored[identity].committed_offset
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
        try:
            self.endpoint = OwnerEndpoint.start(
                self.con,
                self.options.db_path,
                KIND_WATCH,
                self.options.interval,
                self.options.prices,
                self.options.routing,
            )
        except OSError as error:
            self.report({"event": "error", "message": f"other tierscope commands cannot read meanwhile: {error}"})

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

    def _read_state(self) -> tuple[int | None, dict[Identity, FileOffset]]:
        """Since when the folder is watched (ns), and the copy of the offsets."""
        try:
            state = json.loads(self.handoff_state.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None, {}
        if isinstance(state, list):  # written before the watching time was kept
            state = {"watching_since_ns": None, "offsets": state}
        offsets = [FileOffset(**row) for row in state["offsets"]]
        return state["watching_since_ns"], {offset.identity: offset for offset in offsets}

    def _load_handoff_state(self) -> dict[Identity, FileOffset]:
        return self._read_state()[1]

    def _save_handoff_state(self) -> None:
        self.spool.ensure()
        temporary = self.handoff_state.with_name(self.handoff_state.name + ".tmp")
        with temporary.open("w", encoding="utf-8") as handle:
            offsets = [asdict(offset) for offset in self.offsets.values()]
            json.dump({"watching_since_ns": self.since_ns, "offsets": offsets}, handle)
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

    def _record(self, offsets: Sequence[FileOffset]) -> None:
        """Keep offsets that come with no rows (a file first seen, restarted, or accounted for): in the database
        when this process owns it, and in the copy of the offsets."""
        if not offsets:
            return
        if self.con is not None:

            def commit(con: duckdb.DuckDBPyConnection) -> None:
                for offset in offsets:
                    self._commit_offset(con, offset)

            with_transaction(self.con, commit)
        self.offsets.update((offset.identity, offset) for offset in offsets)
        self._save_handoff_state()

    # Files -----------------------------------------------------------------------------------------------------

    def _list(self) -> list[Entry]:
        entries: list[Entry] = []
        with os.scandir(self.options.folder) as found:
            for entry in found:
                if entry.name.startswith("."):
                    continue
                try:
                    if not entry.is_file(follow_symlinks=True):
                        continue
                    status = entry.stat()
                except FileNotFoundError:  # removed while listed
                    continue
                identity = (status.st_dev, status.st_ino)
                entries.append(Entry(Path(entry.path), identity, status.st_size, status.st_mtime_ns))
        return entries

    def _files(self) -> list[Path]:
        """The files to read now: matching ones, and known ones with unread bytes whatever their name (uncompressed).
        Takes note of new files first, and reports content that can no longer be read."""
        entries = self._list()
        present = {entry.identity: entry for entry in entries}
        plain = [entry for entry in entries if not is_compressed(entry.name)]
        self._record([offset for entry in plain if (offset := self._first_sight(entry)) is not None])
        gone = {identity for identity in self.sizes if identity not in present}
        for compressed, source in list(self.deferred.items()):
            if source in gone:  # the file it copied is gone now: what only the copy holds is reported below
                del self.deferred[compressed]
                self.examined.pop(compressed, None)
        for entry in entries:
            if entry.name.endswith(tuple(DECOMPRESSORS)):
                self._examine(entry, present)
        for identity in gone:
            path, size = self.sizes.pop(identity)
            self._report_unread(identity, path, size, "were not read before the file was removed or moved away")
        followed = []
        for entry in plain:
            known = self.offsets.get(entry.identity)
            if matches(entry.name, self.options.patterns) or (
                known is not None and entry.size > known.committed_offset
            ):
                followed.append(entry)
        return [entry.path for entry in sorted(followed, key=lambda entry: (entry.mtime_ns, entry.name))]

    def _first_sight(self, entry: Entry) -> FileOffset | None:
        """The offset to note for a file not known yet: where the known file it is a copy of was committed, else 0
        for a matching file; None for a file that is not followed."""
        if entry.identity in self.offsets:
            return None
        matching = matches(entry.name, self.options.patterns)
        if not matching and self.foreign.get(entry.identity) == entry.size:
            return None
        copied = self._copy_source(entry)
        if copied is not None:
            self.covered[copied.identity] = max(self.covered.get(copied.identity, 0), entry.size)
            return FileOffset(*entry.identity, str(entry.path), copied.committed_offset, copied.head_hash)
        if matching:
            return FileOffset(*entry.identity, str(entry.path), 0, "")
        self.foreign[entry.identity] = entry.size
        return None

    def _sources(self, head: bytes) -> list[FileOffset]:
        """Known offsets (furthest first, retired ones too) whose file started with ``head``, another file's first
        KiB."""
        digests: dict[int, str] = {}

        def starts_alike(offset: FileOffset) -> bool:
            span = min(offset.committed_offset, FINGERPRINT_BYTES)
            if span > len(head):
                return False
            if span not in digests:
                digests[span] = _digest(head[:span])
            return offset.head_hash[:32] == digests[span]

        found = [
            offset
            for offset in (*self.offsets.values(), *self.retired)
            if offset.committed_offset > 0 and starts_alike(offset)
        ]
        return sorted(found, key=lambda offset: -offset.committed_offset)

    def _copy_source(self, entry: Entry) -> FileOffset | None:
        """The known file, with the furthest offset, whose content up to that offset the new file starts with."""
        try:
            with entry.path.open("rb") as handle:
                descriptor = handle.fileno()
                size = os.fstat(descriptor).st_size
                candidates = self._sources(os.pread(descriptor, FINGERPRINT_BYTES, 0))
                return next((offset for offset in candidates if continues(descriptor, size, offset)), None)
        except OSError:
            return None

    def _examine(self, entry: Entry, present: Mapping[Identity, Entry]) -> None:
        """A compressed file holding a known file's content with bytes past its committed offset: report them."""
        key = (entry.size, entry.mtime_ns)
        if self.examined.get(entry.identity) == key:
            return
        self.examined[entry.identity] = key
        opener = DECOMPRESSORS[entry.path.suffix]
        try:
            with opener(entry.path) as stream:
                head = stream.read(FINGERPRINT_BYTES)
        except DECOMPRESSION_ERRORS:
            return  # still being written (looked at again once it changes), or not a compressed file after all
        own = self.offsets.get(entry.identity)
        candidates = self._sources(head)
        if own is not None and own in candidates:
            return  # examined before, by this run or an earlier one
        unknown_before = entry.mtime_ns < self.since_ns  # there before the folder was watched: not the watcher's
        if not candidates and unknown_before:
            return
        try:
            with opener(entry.path) as stream:
                length, tails = _stream_tails(stream, (offset.committed_offset for offset in candidates))
        except DECOMPRESSION_ERRORS:
            del self.examined[entry.identity]
            return
        source = next(
            (
                offset
                for offset in candidates
                if offset.committed_offset <= length
                and _same(
                    offset.head_hash,
                    head[: min(offset.committed_offset, FINGERPRINT_BYTES)],
                    tails[offset.committed_offset],
                )
            ),
            None,
        )
        if source is not None:
            if self._still_holds(present.get(source.identity), source, length):
                self.deferred[entry.identity] = source.identity  # read from the file itself, or reported once gone
                return
            self.covered[source.identity] = max(self.covered.get(source.identity, 0), length)
            if length > source.committed_offset:
                self._report(
                    entry.path,
                    source.committed_offset,
                    length,
                    f"hold lines of {source.path} that were never read (compressed files are not followed)",
                )
        elif unknown_before:
            return
        elif length:  # written while the folder was watched, compressed before any of it was read
            self._report(entry.path, 0, length, "were never read (compressed files are not followed)")
        span = min(length, FINGERPRINT_BYTES)
        self._retire(entry.identity)
        self._record([FileOffset(*entry.identity, str(entry.path), length, fingerprint(head[:span], tails[length]))])

    @staticmethod
    def _still_holds(entry: Entry | None, offset: FileOffset, length: int) -> bool:
        """Whether the known file is still in the folder with at least ``length`` bytes of the same content."""
        if entry is None or entry.size < length:
            return False
        try:
            with entry.path.open("rb") as handle:
                return continues(handle.fileno(), os.fstat(handle.fileno()).st_size, offset)
        except OSError:
            return False

    def _retire(self, identity: Identity) -> None:
        """Keep the offset of a file whose identity (a reused inode) now belongs to another one: its compressed copy
        is still matched with it in this run."""
        if identity in self.offsets:
            self.retired.append(self.offsets[identity])

    def _report_unread(self, identity: Identity, path: Path, size: int, why: str) -> None:
        """Report the bytes of a known file seen but not read (beyond what a copy of it holds), if any."""
        known = self.offsets.get(identity)
        start = max(known.committed_offset if known else 0, self.covered.pop(identity, 0))
        if size > start:
            self._report(path, start, size, why)

    def _report(self, path: Path, start: int, end: int, why: str) -> None:
        self.report(
            {
                "event": "unread",
                "path": str(path),
                "start": start,
                "end": end,
                "bytes": end - start,
                "message": f"{path}: bytes {start:,}-{end:,} ({end - start:,}) {why}; they are not loaded",
            }
        )

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
        _, seen = self.sizes.get(batch.identity, (batch.path, 0))
        self.sizes[batch.identity] = (batch.path, batch.size)
        if batch.restarted:
            self.report(
                {
                    "event": "restart",
                    "path": str(batch.path),
                    "reason": batch.restarted,
                    "message": f"{batch.path}: {batch.restarted}; reading it again from the start",
                }
            )
            self._report_unread(batch.identity, batch.path, seen, f"were {batch.restarted} before they were read")
            self._retire(batch.identity)
            if not batch.data:
                self._record([batch.offset()])
        if not batch.data:
            return False
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
        if not self.handoff_state.exists():
            self._save_handoff_state()  # from now on the folder is watched
        try:
            while not stop.is_set():
                more = self.cycle(stop)
                if once and not more:
                    break
                if not more:
                    stop.wait(self.options.interval)
        finally:
            self._release()
            shutil.rmtree(self.work_dir, ignore_errors=True)


def _accounting(result: IngestResult) -> str:
    return (
        f"{result.rows_read:,} read = {result.loaded:,} loaded + {result.duplicates:,} duplicates + "
        f"{result.quarantined:,} quarantined"
    )
