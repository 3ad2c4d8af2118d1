"""Driving the dashboard in a real browser: the dashboard served by ``cli.dashboard_process.run`` in a child process,
Debian's Chromium driven by Playwright (never a browser Playwright downloads), and a page opened and left to settle.

Shared by tests/test_browser.py and tests/screenshots.py (``make screenshots``).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, Playwright, expect

from tierscope.cli import dashboard_process

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 90_000
# url path, page title, texts the page must show
PAGES = [
    (
        "",
        "Overview",
        ["Spend", "Daily spend by served tier", "Largest savings", "Spend by task type", "This month", "Forecast"],
    ),
    ("task_costs", "Task costs", ["Download CSV", "One task type in detail", "Models that served it"]),
    (
        "breakdown",
        "Users and models",
        ["Spend by user", "Spend by model", "Cost, latency and errors per task type and model", "What prompt caching"],
    ),
    ("anomalies", "Spend anomalies", ["Flagged days", "One task type · team, day by day"]),
    ("calls", "Calls", ["Served tier", "Next page", "Download CSV"]),
    ("tier_mix", "Tier mix", ["Requested tier × served tier", "Where escalated and fallen-back traffic went"]),
    ("drift", "Escalation drift", ["Flagged now", "more than 15% above its baseline", "Escalation rate per window"]),
    (
        "whatif",
        "What-if",
        [
            "Scenario: the current map, edited",
            "Savings per task type",
            "Compare saved scenarios",
            "LiteLLM proxy config",
        ],
    ),
    (
        "profiling",
        "Profiling",
        ["Pass rate per task type and tier", "Recommended tier per task type", "Save as scenario", "Monthly cost"],
    ),
    ("audit", "Task profile audit", ["Task types with warnings", "What to look at", "The audit warns about"]),
    (
        "router",
        "Router audit",
        [
            "Per task type and router tier",
            "Risk: task types sent to a tier profiling does not pass",
            "Cost by router tier",
        ],
    ),
    ("data", "Data", ["Upload logs", "Up to 200 MB per file", "Ingest history", "Quarantine", "Price book"]),
]
BUSY = '() => !!document.querySelector(\'[data-testid="stStatusWidget"], [data-testid="stSkeleton"]\')'


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((dashboard_process.ADDRESS, 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve(database: Path, budgets: Path | None = None) -> Iterator[str]:
    """`dashboard_process.run` (what `tierscope dashboard` calls) serving ``database`` (with ``budgets``); yields its
    URL, stops it afterwards."""
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from tierscope.cli.dashboard_process import run; "
            "sys.exit(run(sys.argv[1], int(sys.argv[2]), None, None, open_browser=False, budgets=sys.argv[3] or None))",
            str(database),
            str(port),
            str(budgets or ""),
        ],
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://{dashboard_process.ADDRESS}:{port}"
    try:
        if not dashboard_process.wait_until_ready(url, server):
            server.kill()
            output = server.stdout.read().decode() if server.stdout else ""
            raise RuntimeError(f"the dashboard did not start:\n{output}")
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def chromium(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)


def settle(page: Page) -> None:
    """Wait until Streamlit has finished running the script and drawing (no running indicator, no skeletons)."""
    deadline = time.monotonic() + WAIT_MS / 1000
    quiet = 0
    while quiet < 4:
        if time.monotonic() > deadline:
            raise TimeoutError("the page kept running")
        quiet = 0 if page.evaluate(BUSY) else quiet + 1
        page.wait_for_timeout(200)


def open_page(page: Page, url: str, title: str) -> None:
    page.goto(url)
    heading = page.get_by_role("heading", name=title, exact=True)
    expect(heading).to_be_visible(timeout=WAIT_MS)
    settle(page)
