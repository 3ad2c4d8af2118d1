"""The dashboard in a real browser: ``dashboard.launch.run`` serves a fixture database, Debian's Chromium (driven by
Playwright, never a browser Playwright downloads) visits every page, and a screenshot of each is saved under the
test's temporary folder.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import SAMPLE_LOGS
from tierscope.dashboard import launch
from tierscope.ingest.profiling import load_profiling
from tierscope.queries import api
from tierscope.queries.api import Scope
from tierscope.queries.db import connect

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)"
)

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
    ("", "Overview", ["Spend", "Daily spend by served tier", "Largest savings opportunity", "Spend by task type"]),
    ("task_costs", "Task costs", ["Download CSV", "One task type in detail", "Models that served it"]),
    ("tier_mix", "Tier mix", ["Requested tier × served tier", "Where escalated and fallen-back traffic went"]),
    ("drift", "Escalation drift", ["Flagged now", "more than 15% above its baseline", "Escalation rate per window"]),
    ("data", "Data", ["Upload logs", "Up to 200 MB per file", "Ingest history", "Quarantine", "Price book"]),
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
]
# Pages that show tables but no chart.
TABLE_PAGES = {"data", "audit"}
BUSY = '() => !!document.querySelector(\'[data-testid="stStatusWidget"], [data-testid="stSkeleton"]\')'


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((launch.ADDRESS, 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def dashboard_url(sample_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`launch.run` (what `tierscope dashboard` calls) serving a copy of the demo-month database, with the sample
    profiling run loaded as `tierscope demo` does."""
    database = tmp_path_factory.mktemp("browser") / "dashboard.duckdb"
    shutil.copy(sample_db_path, database)
    con = connect(database)
    load_profiling(con, SAMPLE_LOGS / "profiling_results.jsonl")
    con.close()
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from tierscope.dashboard.launch import run; "
            "sys.exit(run(sys.argv[1], int(sys.argv[2]), None, None, open_browser=False))",
            str(database),
            str(port),
        ],
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://{launch.ADDRESS}:{port}"
    try:
        if not launch.wait_until_ready(url, server):
            server.kill()
            output = server.stdout.read().decode() if server.stdout else ""
            pytest.fail(f"the dashboard did not start:\n{output}")
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 2400})
    yield context.new_page()
    context.close()


def settle(page: Page) -> None:
    """Wait until Streamlit has finished running the script and drawing (no running indicator, no skeletons)."""
    deadline = time.monotonic() + WAIT_MS / 1000
    quiet = 0
    while quiet < 4:
        assert time.monotonic() < deadline, "the page kept running"
        quiet = 0 if page.evaluate(BUSY) else quiet + 1
        page.wait_for_timeout(200)


def open_page(page: Page, url: str, title: str) -> None:
    page.goto(url)
    heading = page.get_by_role("heading", name=title, exact=True)
    expect(heading).to_be_visible(timeout=WAIT_MS)
    settle(page)


@pytest.mark.parametrize(("path", "title", "expected"), PAGES, ids=[title for _, title, _ in PAGES])
def test_every_page_renders_in_the_browser(
    dashboard_url: str, page: Page, tmp_path: Path, path: str, title: str, expected: list[str]
) -> None:
    open_page(page, f"{dashboard_url}/{path}", title)
    for text in expected:
        expect(page.get_by_text(text).first).to_be_visible()
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator(".js-plotly-plot").count() > 0 or path in TABLE_PAGES
    screenshot = tmp_path / f"{title.lower().replace(' ', '_')}.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000


def test_a_shared_link_keeps_its_filters_across_pages(
    dashboard_url: str, page: Page, tmp_path: Path, sample_db: duckdb.DuckDBPyConnection
) -> None:
    values = api.filter_values(sample_db)
    task_type = values.filter(pl.col("dimension") == "task_type")["value"][0]
    open_page(page, f"{dashboard_url}/task_costs?task={task_type}", "Task costs")
    expect(page.locator('[data-testid="stDataFrame"]').first).to_contain_text(task_type)
    page.get_by_role("link", name="Overview").click()
    expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible(timeout=WAIT_MS)
    settle(page)
    assert f"task={task_type}" in page.url
    expect(page.get_by_text(f"task types: {task_type}").first).to_be_visible()
    page.screenshot(path=str(tmp_path / "overview_filtered.png"), full_page=True)


def test_a_link_that_matches_nothing_says_so(
    dashboard_url: str, page: Page, sample_db: duckdb.DuckDBPyConnection
) -> None:
    values = api.filter_values(sample_db)
    task_types = set(values.filter(pl.col("dimension") == "task_type")["value"])
    task_type, team = next(
        (missing, team)
        for team in values.filter(pl.col("dimension") == "team")["value"]
        for missing in sorted(task_types - set(api.task_costs(sample_db, Scope(teams=(team,)))["task_type"]))
    )
    open_page(page, f"{dashboard_url}/?task={task_type}&team={team}", "Overview")
    expect(page.get_by_text("No calls match these filters")).to_be_visible()
    assert page.locator('[data-testid="stException"]').count() == 0
