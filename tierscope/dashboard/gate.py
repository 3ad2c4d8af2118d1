"""Reader priority inside the dashboard process: page queries go first, the background ingester steps aside.

The page queries and the ingester (``dashboard/ingester.py``) run on cursors of one DuckDB connection, so they share
one thread pool; on a small machine a page query that runs next to a load takes twice as long. A page query marks
itself active for as long as it runs (:meth:`ReaderGate.reading`); before each statement the ingester waits while
one is active, and for :data:`LINGER_SECONDS` after the last one ends (a page runs its queries back to back), but
for at most a bounded time per pass (:meth:`ReaderGate.wait_turn`), so loading always progresses.

One gate per process (:data:`GATE`), used by ``dashboard/cache.py``, the ingester and ``benchmarks/bench_stream.py``.
No Streamlit here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

# After the last page query ends, the ingester waits this long more: the next query of the same page run follows
# within a few milliseconds of Python, and should not find a load statement in its way.
LINGER_SECONDS = 0.05
# How often a waiting ingester looks at its stop flag.
_POLL_SECONDS = 0.05


class ReaderGate:
    """Counts the page queries running in this process; lets a background writer wait until there are none."""

    def __init__(self, linger: float = LINGER_SECONDS) -> None:
        self.linger = linger
        self._condition = threading.Condition()
        self._active = 0
        self._last_ended = float("-inf")

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Mark a page query as running for the duration of the block (re-entrant, any thread)."""
        with self._condition:
            self._active += 1
        try:
            yield
        finally:
            with self._condition:
                self._active -= 1
                self._last_ended = time.monotonic()
                self._condition.notify_all()

    def active(self) -> int:
        """How many page queries run now."""
        with self._condition:
            return self._active

    def quiet_for(self) -> float:
        """Seconds since the last page query ended (0.0 while one runs; infinite if none ever ran)."""
        with self._condition:
            return 0.0 if self._active else time.monotonic() - self._last_ended

    def _readers_hold(self, now: float) -> float:
        """0 when the writer may go; else how long to wait at most before looking again (under the lock)."""
        if self._active:
            return _POLL_SECONDS
        return max(0.0, self._last_ended + self.linger - now)

    def wait_turn(self, timeout: float, should_stop: Callable[[], bool] = lambda: False) -> float:
        """Wait until no page query runs (and none ended within ``linger``), for at most ``timeout`` seconds, or
        until ``should_stop()``; returns the seconds waited."""
        started = time.monotonic()
        deadline = started + timeout
        with self._condition:
            while True:
                now = time.monotonic()
                hold = self._readers_hold(now)
                if hold <= 0 or now >= deadline or should_stop():
                    return now - started
                self._condition.wait(min(hold, _POLL_SECONDS, deadline - now))


GATE = ReaderGate()


def reading() -> AbstractContextManager[None]:
    """``with gate.reading():`` around a page query (the process's one gate)."""
    return GATE.reading()
