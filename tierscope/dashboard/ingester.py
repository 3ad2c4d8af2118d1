"""The dashboard process owns the database (docs/streaming.md); this module opens it as the owner and loads the spool.

:func:`open_database` first claims ownership in the spool folder (``.owner-claim``, this process's id), so a
``tierscope watch`` holding the database hands it over within one interval, and retries while the lock is held for
up to :data:`HANDOVER_SECONDS`. :func:`ensure_started` then starts one background thread per database and process:
every :data:`INTERVAL_SECONDS` it drains the spool (what ``tierscope serve``, ``tierscope ingest`` and ``tierscope
watch`` handed over while the dashboard held the database) through a cursor of its own, and brings the derived
tables up to date (``refresh_derived``) so pages see the new calls. Page queries go first (``dashboard/gate.py``):
before each of its statements the ingester waits while a page query runs, for at most :data:`MAX_YIELD_SECONDS`
per pass, and it checkpoints the database itself, as a statement of its own (:meth:`Ingester.checkpoint_if_due`).
:func:`ensure_started` also starts the endpoint that answers other tierscope processes' reads while the dashboard
holds the database (``queries/owner.py``). No Streamlit here: ``dashboard/cache.py`` calls it once, and the benchmark
runs it in-process as the dashboard would.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import duckdb

from tierscope.dashboard.gate import GATE, ReaderGate
from tierscope.ingest.load import IngestResult, with_transaction
from tierscope.ingest.spool import Spool, drain, spool_dir
from tierscope.queries.db import connect, refresh_derived
from tierscope.queries.owner import KIND_DASHBOARD, OwnerEndpoint, is_lock_error

HANDOVER_SECONDS = 15.0
INTERVAL_SECONDS = 1.0
# The longest the ingester loads before it refreshes the derived tables (a large backlog becomes visible in steps).
LOAD_BUDGET_SECONDS = 2.0
# The most one pass (drain and refresh) waits for page queries before it goes on regardless: loading always
# progresses, and a batch is visible within a few seconds however busy the pages are.
MAX_YIELD_SECONDS = 2.0
# Pages are being read when a page query ran within the last PAGES_RECENT_SECONDS.
PAGES_RECENT_SECONDS = 5.0
# DuckDB checkpoints inside whichever commit takes the write-ahead log past 16 MiB: at 6,000 calls/s that is a
# statement of a second or more every 2-3 s, in the middle of a load, where a page query runs into it. The
# ingester's connection lifts DuckDB's threshold to AUTO_CHECKPOINT (a safety net only) and the ingester checkpoints
# itself, as a statement of its own at the gate, after a pass's commits (its rows are visible by then): when the log
# passes CHECKPOINT_WAL_BYTES while pages are read (a checkpoint has a large fixed cost, so fewer, bigger ones leave
# the pages more of the machine; not much bigger, as loading waits for it), else at QUIET_CHECKPOINT_WAL_BYTES,
# DuckDB's own default.
AUTO_CHECKPOINT = "512MiB"
CHECKPOINT_WAL_BYTES = 32 << 20
QUIET_CHECKPOINT_WAL_BYTES = 16 << 20

log = logging.getLogger(__name__)


def open_database(
    db_path: str, prices_path: str | None = None, routing_path: str | None = None
) -> duckdb.DuckDBPyConnection:
    """Open the database read-write as its owner: claim it, then wait (a while) for a watcher to let go."""
    spool = None if db_path == ":memory:" else Spool(spool_dir(db_path))
    if spool is not None:
        spool.claim_ownership()
    deadline = time.monotonic() + HANDOVER_SECONDS
    while True:
        try:
            return connect(db_path, prices_path, routing_path)
        except BaseException as error:
            if spool is None:
                raise
            if is_lock_error(error) and time.monotonic() < deadline:
                time.sleep(0.2)
                continue
            spool.withdraw_claim()  # it could not open the database after all (held, or a bad config file)
            raise


@dataclass
class IngesterStatus:
    """What the background ingester has done (read by the live freshness line)."""

    spool: str
    files_loaded: int = 0
    rows_loaded: int = 0
    last_loaded_at: dt.datetime | None = None
    last_error: str | None = None
    yielded_seconds: float = 0.0  # waited for page queries (dashboard/gate.py)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class _YieldingCursor:
    """The ingester's cursor as the loaders see it: each statement first waits its turn at the gate (while a page
    query runs), out of a budget the ingester sets per pass; everything else goes straight to the cursor.

    Waiting between statements, inside a load's transaction, changes nothing of what commits together."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection, gate: ReaderGate, should_stop: Callable[[], bool]) -> None:
        self._cursor = cursor
        self._gate = gate
        self._should_stop = should_stop
        self.budget = 0.0

    def execute(self, query: duckdb.Statement | str, parameters: object = None) -> duckdb.DuckDBPyConnection:
        if self.budget > 0:
            self.budget -= self._gate.wait_turn(self.budget, self._should_stop)
        return self._cursor.execute(query, parameters)

    def __getattr__(self, name: str) -> object:
        return getattr(self._cursor, name)


class Ingester:
    """A daemon thread draining one spool into the database through its own cursor, giving way to page queries."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        spool: Spool,
        interval: float = INTERVAL_SECONDS,
        gate: ReaderGate = GATE,
        max_yield: float = MAX_YIELD_SECONDS,
    ) -> None:
        self.cursor = con.cursor()
        self.cursor.execute("set enable_progress_bar_print = false")
        [(path,)] = self.cursor.execute(
            "select path from duckdb_databases() where database_name = current_database()"
        ).fetchall()
        self.wal = Path(f"{path}.wal") if path else None  # None: in memory, nothing to checkpoint
        if self.wal is not None:
            self.cursor.execute(f"set checkpoint_threshold = '{AUTO_CHECKPOINT}'")
        self.spool = spool
        self.interval = interval
        self.max_yield = max_yield
        self.gate = gate
        self.status = IngesterStatus(spool=str(spool.folder))
        self.stopping = threading.Event()
        self._yielding = _YieldingCursor(self.cursor, gate, self.stopping.is_set)
        self.thread = threading.Thread(target=self._run, name="tierscope-spool-ingester", daemon=True)

    def start(self) -> Ingester:
        self.thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self.stopping.set()
        self.thread.join(timeout)

    def _loaded(self, result: IngestResult, files: int) -> None:
        with self.status.lock:
            self.status.files_loaded += files
            self.status.rows_loaded += result.loaded
            self.status.last_loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)

    def drain_once(self) -> int:
        """Load what waits in the spool (for up to LOAD_BUDGET_SECONDS), then refresh; returns files loaded.

        Before each statement it waits while a page query runs, for up to ``max_yield`` seconds in all. An empty
        spool costs no statement (files committed but not deleted by a crashed drain are still listed as pending)."""
        if not self.spool.pending():
            return 0
        deadline = time.monotonic() + LOAD_BUDGET_SECONDS
        with self._yielding_pass() as cursor:
            results = drain(
                cursor,
                self.spool,
                on_result=self._loaded,
                should_stop=lambda: self.stopping.is_set() or time.monotonic() > deadline,
            )
            if results:
                with_transaction(cursor, refresh_derived)
        return len(results)

    def checkpoint_if_due(self) -> bool:
        """Checkpoint (at the gate) once the write-ahead log is long enough; returns whether it did."""
        if self.wal is None:
            return False
        try:
            size = self.wal.stat().st_size
        except FileNotFoundError:
            return False
        pages_read = self.gate.quiet_for() < PAGES_RECENT_SECONDS
        if size < (CHECKPOINT_WAL_BYTES if pages_read else QUIET_CHECKPOINT_WAL_BYTES):
            return False
        with self._yielding_pass() as cursor:
            cursor.execute("checkpoint")
        return True

    @contextmanager
    def _yielding_pass(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The cursor whose statements wait at the gate, for up to ``max_yield`` seconds in all from now."""
        self._yielding.budget = self.max_yield
        try:
            yield cast(duckdb.DuckDBPyConnection, self._yielding)
        finally:
            with self.status.lock:
                self.status.yielded_seconds += self.max_yield - self._yielding.budget

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                busy = self.drain_once() > 0 and bool(self.spool.pending())
                self.checkpoint_if_due()
                error = None
            except duckdb.TransactionException as conflict:
                # An upload refreshed the derived tables at the same moment: the next pass takes it up.
                busy, error = False, f"retrying after a write conflict: {conflict}"
            except Exception as failure:  # keep the dashboard up; the spool keeps the data
                log.exception("loading the spool %s failed", self.spool.folder)
                busy, error = False, f"{type(failure).__name__}: {failure}"
            with self.status.lock:
                self.status.last_error = error
            if not busy:
                self.stopping.wait(self.interval)


_ingesters: dict[str, Ingester] = {}
_endpoints: dict[str, OwnerEndpoint] = {}
_ingesters_lock = threading.Lock()


@atexit.register
def _stop_all() -> None:
    """Stop answering other processes' reads and let each ingester finish its step before the interpreter goes: a
    daemon thread stopped inside a DuckDB call at exit aborts the process."""
    for endpoint in list(_endpoints.values()):
        endpoint.close()
    for running in list(_ingesters.values()):
        running.stop()


def ensure_started(con: duckdb.DuckDBPyConnection, db_path: str) -> Ingester | None:
    """The process's one ingester for ``db_path`` (started on first call; None for an in-memory database), and the
    endpoint that answers other tierscope processes' reads of it (``queries/owner.py``)."""
    if db_path == ":memory:":
        return None
    key = os.path.realpath(db_path)
    with _ingesters_lock:
        running = _ingesters.get(key)
        if running is None or not running.thread.is_alive():
            running = _ingesters[key] = Ingester(con, Spool(spool_dir(db_path))).start()
        if key not in _endpoints:  # the dashboard's config files are the environment's (tierscope dashboard sets it)
            _endpoints[key] = OwnerEndpoint.start(con, db_path, KIND_DASHBOARD, running.interval)
        return running


def status(db_path: str) -> IngesterStatus | None:
    """The running ingester's status for ``db_path``, if one runs in this process."""
    running = _ingesters.get(os.path.realpath(db_path))
    return running.status if running is not None else None
