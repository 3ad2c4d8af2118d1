"""What the streaming tests share: real ``tierscope`` processes, LiteLLM records, HTTP posts, exact totals."""

from __future__ import annotations

import gzip
import json
import os
import queue
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

TIERSCOPE = str(Path(sys.executable).parent / "tierscope")
REPO = Path(__file__).resolve().parent.parent
WAIT_SECONDS = 30.0
# The owner the dashboard runs (dashboard/ingester.py), as a process of its own that a test can SIGKILL.
DASHBOARD_OWNER = (
    "import sys, threading\n"
    "from tierscope.dashboard import ingester\n"
    "con = ingester.open_database(sys.argv[1])\n"
    "ingester.ensure_started(con, sys.argv[1])\n"
    "print('owner', flush=True)\n"
    "threading.Event().wait()\n"
)


def litellm_record(
    request_id: str, input_tokens: int, output_tokens: int, started: float = 1_795_000_000.0
) -> dict[str, Any]:
    """A StandardLoggingPayload with the fields tierscope reads (and LiteLLM's sniffed keys)."""
    return {
        "id": request_id,
        "trace_id": f"trace-{request_id}",
        "call_type": "acompletion",
        "status": "success",
        "response_cost": 0.0001,
        "custom_llm_provider": "openai",
        "model": "gpt-4o-mini",
        "model_group": "tier1",
        "prompt_tokens": input_tokens,
        "completion_tokens": output_tokens,
        "total_tokens": input_tokens + output_tokens,
        "startTime": started,
        "endTime": started + 0.4,
        "request_tags": ["task_type:classification"],
        "metadata": {"user_api_key_team_alias": "support"},
    }


def records(prefix: str, count: int, start: int = 0) -> list[dict[str, Any]]:
    """``count`` records with ids ``prefix-N`` and token counts that differ per record."""
    return [litellm_record(f"{prefix}-{n}", 100 + n % 97, 1 + n % 13) for n in range(start, start + count)]


def lines(batch: Iterable[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(record).encode() + b"\n" for record in batch)


@dataclass(frozen=True)
class Totals:
    calls: int
    distinct_ids: int
    input_tokens: int
    output_tokens: int


def expected(sent: Iterable[dict[str, Any]]) -> Totals:
    batch = list(sent)
    return Totals(
        calls=len(batch),
        distinct_ids=len({record["id"] for record in batch}),
        input_tokens=sum(int(record["prompt_tokens"]) for record in batch),
        output_tokens=sum(int(record["completion_tokens"]) for record in batch),
    )


def stored(db: Path, prefix: str = "") -> Totals:
    """What the database holds (opened read-only: no tierscope process may hold it)."""
    with duckdb.connect(str(db), read_only=True) as con:
        [row] = con.execute(
            "select count(*), count(distinct request_id), coalesce(sum(input_tokens), 0), "
            "coalesce(sum(output_tokens), 0) from calls where starts_with(request_id, $prefix)",
            {"prefix": prefix},
        ).fetchall()
    return Totals(*(int(value) for value in row))


def database_free(db: Path) -> bool:
    """Whether no process holds the database (a SIGKILLed process's children may take a moment to go)."""
    try:
        duckdb.connect(str(db), read_only=True).close()
    except duckdb.IOException:
        return False
    return True


def ledger_duplicates(db: Path) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return int(con.execute("select coalesce(sum(duplicates), 0) from ingests").fetchall()[0][0])


def wait_until(condition: Callable[[], bool], timeout: float = WAIT_SECONDS, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


class Running:
    """A real process whose stdout lines are collected as they come (JSON lines parsed into events)."""

    def __init__(self, argv: Sequence[str], env: dict[str, str] | None = None) -> None:
        self.argv = list(argv)
        self.process = subprocess.Popen(
            self.argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env={**os.environ, **(env or {})},
        )
        self.lines: list[str] = []
        self.errors: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        threading.Thread(target=self._read_errors, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def _read_errors(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.errors.put(line)

    def stderr(self) -> str:
        return "".join(self.errors.queue)

    def events(self) -> list[dict[str, Any]]:
        parsed = []
        for line in list(self.lines):
            try:
                parsed.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return parsed

    def wait_for_event(self, accept: Callable[[dict[str, Any]], bool], timeout: float = WAIT_SECONDS) -> dict[str, Any]:
        found: list[dict[str, Any]] = []

        def seen() -> bool:
            if self.process.poll() is not None and not any(accept(event) for event in self.events()):
                raise AssertionError(f"{self.argv[:3]} exited ({self.process.returncode}): {self.stderr()}")
            found[:] = [event for event in self.events() if accept(event)]
            return bool(found)

        wait_until(seen, timeout, f"an event from {self.argv[1:3]}")
        return found[0]

    def loaded(self) -> int:
        """Rows loaded so far, as the watcher reported them (tailed batches and spool groups)."""
        return sum(int(event.get("loaded", 0)) for event in self.events() if event.get("event") in ("loaded", "spool"))

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=WAIT_SECONDS)

    def settle(self) -> None:
        """SIGKILL it if it still runs, and collect the rest of its output."""
        if self.process.poll() is None:
            self.kill()
        self._reader.join(timeout=5)

    def stop(self) -> int:
        """SIGTERM, then wait for the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        status = self.process.wait(timeout=WAIT_SECONDS)
        self._reader.join(timeout=5)
        return status


def watch(folder: Path, db: Path, *extra: str) -> Running:
    return Running([TIERSCOPE, "watch", str(folder), "--db", str(db), "--json", "--interval", "0.1", *extra])


def watch_once(folder: Path, db: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TIERSCOPE, "watch", str(folder), "--db", str(db), "--json", "--once", *extra],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        check=True,
    )


def serve(db: Path, *extra: str, env: dict[str, str] | None = None) -> tuple[Running, str]:
    """Start ``tierscope serve`` on a free loopback port; returns the process and its base URL."""
    running = Running([TIERSCOPE, "serve", "--db", str(db), "--port", "0", "--json", *extra], env)
    event = running.wait_for_event(lambda event: "url" in event)
    return running, str(event["url"])


def dashboard_owner(db: Path, env: dict[str, str] | None = None) -> Running:
    """The dashboard's owner code (open as owner, background ingester, read endpoint) in a process of its own."""
    running = Running([sys.executable, "-c", DASHBOARD_OWNER, str(db)], env)
    wait_until(lambda: "owner" in running.lines, what="the dashboard owner to open the database")
    return running


def post(
    url: str, body: bytes, content_type: str = "application/json", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    """POST and return (status, JSON answer), for errors too."""
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": content_type, **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=WAIT_SECONDS) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def health(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{url}/health", timeout=WAIT_SECONDS) as response:
        answer: dict[str, Any] = json.loads(response.read())
        return answer


class RotatingLog:
    """An application's log in a folder, written as logging setups do: appended, rotated (renamed, optionally
    compressed), copy-truncated and rewritten. Every record written is kept, with unique ids."""

    OPERATIONS = ("append", "append", "append", "append", "rotate", "compress", "copytruncate", "rewrite")

    def __init__(self, folder: Path, rng: random.Random, per_write: int = 40) -> None:
        self.folder = folder
        self.rng = rng
        self.per_write = per_write
        self.current = folder / "app.jsonl"
        self.written: list[dict[str, Any]] = []
        self.rotations = 0

    def _next(self) -> list[dict[str, Any]]:
        batch = records("line", self.per_write, start=len(self.written))
        self.written.extend(batch)
        return batch

    def _append(self, path: Path) -> None:
        with path.open("ab") as handle:
            handle.write(lines(self._next()))

    def _rotated(self) -> Path:
        self.rotations += 1
        return self.folder / f"app.jsonl.{self.rotations}"

    def step(self) -> str:
        """One operation, chosen by the seeded generator; returns its name."""
        operation = self.rng.choice(self.OPERATIONS)
        if operation == "rotate" and self.current.exists():  # renamed; the writer still finishes a line into it
            rotated = self._rotated()
            os.rename(self.current, rotated)
            self._append(rotated)
        elif operation == "compress" and self.current.exists():  # renamed, then compressed (the original removed)
            rotated = self._rotated()
            os.rename(self.current, rotated)
            with rotated.open("rb") as source, gzip.open(f"{rotated}.gz", "wb") as target:
                shutil.copyfileobj(source, target)
            rotated.unlink()
        elif operation == "copytruncate" and self.current.exists():
            shutil.copyfile(self.current, self._rotated())
            with self.current.open("r+b") as handle:
                handle.truncate(0)
        elif operation == "rewrite" and self.current.exists():  # the same lines, the first KiB kept, the rest moved
            kept = self.current.read_bytes().splitlines(keepends=True)
            head = next((index for index in range(len(kept)) if len(b"".join(kept[: index + 1])) > 1024), len(kept))
            rest = kept[head + 1 :]
            self.rng.shuffle(rest)
            with self.current.open("r+b") as handle:
                handle.truncate(0)
                handle.write(b"".join(kept[: head + 1] + rest))
        self._append(self.current)
        return operation
