"""The dashboard process owns the database (DESIGN §7); this module opens it as the owner and loads the spool.

:func:`open_database` first claims ownership in the spool folder (``.owner-claim``, this process's id), so a
``tierscope watch`` holding the database hands it over within one interval, and retries while the lock is held for
up to :data:`HANDOVER_SECONDS`. :func:`ensure_started` then starts one background thread per database and process:
every :data:`INTERVAL_SECONDS` it drains the spool (what ``tierscope serve``, ``tierscope ingest`` and ``tierscope
watch`` handed over while the dashboard held the database) through a cursor of its own, and brings the derived
tables up to date (``refresh_derived``) so pages see the new calls. No Streamlit here: ``dashboard/cache.py`` calls
it once, and the benchmark runs it in-process as the dashboard would.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import threading
import time
from dataclasses import dataclass, field

import duckdb

from ingest.load import IngestResult, with_transaction
from ingest.spool import Spool, drain, is_lock_error, spool_dir
from queries.db import connect, refresh_derived

HANDOVER_SECONDS = 15.0
INTERVAL_SECONDS = 1.0
# The longest the ingester loads before it refreshes the derived tables (a large backlog becomes visible in steps).
LOAD_BUDGET_SECONDS = 2.0

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
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class Ingester:
    """A daemon thread draining one spool into the database through its own cursor."""

    def __init__(self, con: duckdb.DuckDBPyConnection, spool: Spool, interval: float = INTERVAL_SECONDS) -> None:
        self.cursor = con.cursor()
        self.cursor.execute("set enable_progress_bar_print = false")
        self.spool = spool
        self.interval = interval
        self.status = IngesterStatus(spool=str(spool.folder))
        self.stopping = threading.Event()
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
        """Load what waits in the spool (for up to LOAD_BUDGET_SECONDS), then refresh; returns files loaded."""
        deadline = time.monotonic() + LOAD_BUDGET_SECONDS
        results = drain(
            self.cursor,
            self.spool,
            on_result=self._loaded,
            should_stop=lambda: self.stopping.is_set() or time.monotonic() > deadline,
        )
        if results:
            with_transaction(self.cursor, refresh_derived)
        return len(results)

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                busy = self.drain_once() > 0 and bool(self.spool.pending())
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
_ingesters_lock = threading.Lock()


@atexit.register
def _stop_all() -> None:
    """Let each ingester finish its step before the interpreter goes: a daemon thread stopped inside a DuckDB call
    at exit aborts the process."""
    for running in list(_ingesters.values()):
        running.stop()


def ensure_started(con: duckdb.DuckDBPyConnection, db_path: str) -> Ingester | None:
    """The process's one ingester for ``db_path`` (started on first call; None for an in-memory database)."""
    if db_path == ":memory:":
        return None
    key = os.path.realpath(db_path)
    with _ingesters_lock:
        running = _ingesters.get(key)
        if running is None or not running.thread.is_alive():
            running = _ingesters[key] = Ingester(con, Spool(spool_dir(db_path))).start()
        return running


def status(db_path: str) -> IngesterStatus | None:
    """The running ingester's status for ``db_path``, if one runs in this process."""
    running = _ingesters.get(os.path.realpath(db_path))
    return running.status if running is not None else None
