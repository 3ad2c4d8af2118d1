"""The process behind ``tierscope dashboard``: ``streamlit run dashboard/app.py`` in a child process, on the loopback
address. Process management for a command, so it lives with the CLI; it starts the app by its file and imports
nothing of the dashboard.

The database and config files travel to the app as TIERSCOPE_DB / TIERSCOPE_PRICES / TIERSCOPE_ROUTING (absolute
paths). Streamlit runs from the dashboard package's folder so that ``.streamlit/config.toml`` (headless, upload
limit, no usage statistics) applies wherever the command was typed.

The child holds the database, so it must not outlive this process: SIGTERM and SIGINT are passed on to it, it gets
:data:`STOP_SECONDS` to shut down (its ingester finishes its step), then it is killed; its owner file goes with it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import webbrowser
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
# Streamlit reads .streamlit/config.toml from its working folder: the one shipped beside app.py
APP_DIR = APP.parent
ADDRESS = "127.0.0.1"
DEFAULT_PORT = 8501
READY_SECONDS = 60.0
STOP_SECONDS = 10.0


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((ADDRESS, port))
        except OSError:
            return False
    return True


def free_port(preferred: int = DEFAULT_PORT) -> int:
    """``preferred`` when nothing listens on it, else a port the system picks."""
    if _port_is_free(preferred):
        return preferred
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((ADDRESS, 0))
        return int(probe.getsockname()[1])


def command(port: int) -> list[str]:
    """The Streamlit command line for the app on ``port``."""
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.address", ADDRESS,
        "--server.port", str(port),
        "--server.headless", "true",
    ]  # fmt: skip


def environment(db_path: str, prices: str | None, routing: str | None, budgets: str | None = None) -> dict[str, str]:
    """The child's environment: this one plus the database and config paths, made absolute."""
    env = dict(os.environ, TIERSCOPE_DB=str(Path(db_path).resolve()))
    for name, path in (("TIERSCOPE_PRICES", prices), ("TIERSCOPE_ROUTING", routing), ("TIERSCOPE_BUDGETS", budgets)):
        if path:
            env[name] = str(Path(path).resolve())
    return env


def wait_until_ready(url: str, process: subprocess.Popen[bytes], timeout: float = READY_SECONDS) -> bool:
    """Whether the app answered its health check before ``timeout`` seconds (False if the process ended)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.3)
    return False


def run(
    db_path: str,
    port: int | None,
    prices: str | None,
    routing: str | None,
    open_browser: bool = True,
    budgets: str | None = None,
) -> int:
    """Serve the dashboard on ``db_path`` until interrupted; return Streamlit's exit status (0 once stopped by
    SIGTERM or Ctrl+C)."""
    from tierscope.queries.owner import advert_path

    port = port or free_port()
    url = f"http://{ADDRESS}:{port}"
    stopping = threading.Event()
    children: list[subprocess.Popen[bytes]] = []

    def forward(signum: int, _: object) -> None:
        stopping.set()
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    # Before the child starts: a signal in between must not end this process and leave the child behind.
    previous = {signum: signal.signal(signum, forward) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        process = subprocess.Popen(command(port), env=environment(db_path, prices, routing, budgets), cwd=APP_DIR)
    except BaseException:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        raise
    children.append(process)
    if stopping.is_set():
        process.terminate()
    print(f"tierscope dashboard on {url} (database {Path(db_path).resolve()}); Ctrl+C stops it", flush=True)
    if open_browser:

        def open_when_ready() -> None:
            if wait_until_ready(url, process):
                webbrowser.open(url)

        threading.Thread(target=open_when_ready, daemon=True).start()
    try:
        status = _wait(process, stopping)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _remove_advert(advert_path(db_path), process.pid)
    return 0 if stopping.is_set() else status


def _wait(process: subprocess.Popen[bytes], stopping: threading.Event) -> int:
    """The child's exit status; once asked to stop, it gets STOP_SECONDS, then it is killed."""
    deadline = None
    while True:
        if stopping.is_set() and deadline is None:
            deadline = time.monotonic() + STOP_SECONDS
        try:
            return process.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            if deadline is not None and time.monotonic() > deadline:
                process.kill()
                return process.wait()


def _remove_advert(path: Path, pid: int) -> None:
    """The owner file of a child that did not get to remove it (it was killed)."""
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == pid:
            path.unlink()
    except (FileNotFoundError, ValueError):
        return
