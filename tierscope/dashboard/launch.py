"""Starting the dashboard: ``streamlit run dashboard/app.py`` in a child process, on the loopback address.

The database and config files travel to the app as TIERSCOPE_DB / TIERSCOPE_PRICES / TIERSCOPE_ROUTING (absolute
paths). Streamlit runs from this package's folder so that ``.streamlit/config.toml`` (headless, upload limit, no
usage statistics) applies wherever the command was typed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import webbrowser
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"
# Streamlit reads .streamlit/config.toml from its working folder: the one shipped beside app.py
APP_DIR = APP.parent
ADDRESS = "127.0.0.1"
DEFAULT_PORT = 8501
READY_SECONDS = 60.0


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


def environment(db_path: str, prices: str | None, routing: str | None) -> dict[str, str]:
    """The child's environment: this one plus the database and config paths, made absolute."""
    env = dict(os.environ, TIERSCOPE_DB=str(Path(db_path).resolve()))
    if prices:
        env["TIERSCOPE_PRICES"] = str(Path(prices).resolve())
    if routing:
        env["TIERSCOPE_ROUTING"] = str(Path(routing).resolve())
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


def run(db_path: str, port: int | None, prices: str | None, routing: str | None, open_browser: bool = True) -> int:
    """Serve the dashboard on ``db_path`` until interrupted; return Streamlit's exit status (0 after Ctrl+C)."""
    port = port or free_port()
    url = f"http://{ADDRESS}:{port}"
    process = subprocess.Popen(command(port), env=environment(db_path, prices, routing), cwd=APP_DIR)
    print(f"tierscope dashboard on {url} (database {Path(db_path).resolve()}); Ctrl+C stops it", flush=True)
    if open_browser:

        def open_when_ready() -> None:
            if wait_until_ready(url, process):
                webbrowser.open(url)

        threading.Thread(target=open_when_ready, daemon=True).start()
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        return 0
