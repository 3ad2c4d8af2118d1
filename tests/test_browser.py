"""The dashboard in a real browser: ``cli.dashboard_process.run`` serves a fixture database, Debian's Chromium (driven
by Playwright, never a browser Playwright downloads) visits every page, and a screenshot of each is saved under the
test's temporary folder.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.browser_support import CHROMIUM, PAGES, WAIT_MS, chromium, open_page, serve, settle
from tests.conftest import SAMPLE_LOGS
from tierscope.ingest.load import ingest_paths
from tierscope.ingest.profiling import load_profiling
from tierscope.queries import api
from tierscope.queries.api import Scope
from tierscope.queries.db import connect

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)"
)

# Pages that show tables but no chart.
TABLE_PAGES = {"data", "audit", "calls"}
# Per table on the page: its scroll width and visible width (glide's scroller), or null when not drawn (a tab or
# expander that is closed)
TABLE_WIDTHS = """() => [...document.querySelectorAll('[data-testid="stDataFrame"]')].map(frame => {
    const scroller = frame.querySelector('.dvn-scroller');
    return scroller ? [scroller.scrollWidth, scroller.clientWidth] : null;
})"""


@pytest.fixture(scope="module")
def dashboard_url(sample_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`dashboard_process.run` (what `tierscope dashboard` calls) serving a copy of the demo-month database, with the
    sample profiling run and the LiteLLM sample loaded as `tierscope demo` does."""
    database = tmp_path_factory.mktemp("browser") / "dashboard.duckdb"
    shutil.copy(sample_db_path, database)
    con = connect(database)
    load_profiling(con, SAMPLE_LOGS / "profiling_results.jsonl")
    ingest_paths(con, [SAMPLE_LOGS / "formats" / "litellm.jsonl"])  # calls a content router decided
    con.close()
    with serve(database, SAMPLE_LOGS / "budgets.yaml") as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        opened = chromium(playwright)
        yield opened
        opened.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    yield context.new_page()
    context.close()


@pytest.mark.parametrize(("path", "title", "expected"), PAGES, ids=[title for _, title, _ in PAGES])
def test_every_page_renders_in_the_browser(
    dashboard_url: str, page: Page, tmp_path: Path, path: str, title: str, expected: list[str]
) -> None:
    """Each page, visited once at 1440 x 900: its texts and charts show, nothing raises, no table scrolls sideways
    (a column cut off at the edge) on any of its tabs, and every request it makes (scripts, fonts, icons, the
    websocket, media) goes to the app's own origin."""
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    open_page(page, f"{dashboard_url}/{path}", title)
    for text in expected:
        expect(page.get_by_text(text).first).to_be_visible()
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator(".js-plotly-plot").count() > 0 or path in TABLE_PAGES
    screenshot = tmp_path / f"{title.lower().replace(' ', '_')}.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000

    too_wide: list[tuple[int, int]] = []
    tabs = page.get_by_role("tab")
    for index in range(max(tabs.count(), 1)):
        # the quarantine tab is laid out by the ingest work (not measured here)
        if tabs.count() and tabs.nth(index).inner_text() == "Quarantine":
            continue
        if tabs.count():
            tabs.nth(index).click()
            settle(page)
        drawn = [widths for widths in page.evaluate(TABLE_WIDTHS) if widths is not None]
        # a table on screen is measured (the scroller is found), so an empty list means "no table", not "no check"
        assert drawn or page.locator('[data-testid="stDataFrame"]:visible').count() == 0
        too_wide += [(scroll, visible) for scroll, visible in drawn if scroll > visible + 1]
    assert too_wide == []

    page.wait_for_timeout(500)  # late requests: the favicon, fonts of charts drawn last
    local = ("data:", "blob:", dashboard_url, dashboard_url.replace("http://", "ws://"))
    assert requested and [url for url in requested if not url.startswith(local)] == []


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


def test_a_clicked_bar_opens_the_calls_behind_it(
    dashboard_url: str, page: Page, tmp_path: Path, sample_db: duckdb.DuckDBPyConnection
) -> None:
    """Overview → click the newest day's bar of one tier → the Calls page lists that day's calls on that tier, with
    the page's filters kept, as many as the bar holds."""
    values = api.filter_values(sample_db)
    team = values.filter(pl.col("dimension") == "team")["value"][0]
    open_page(page, f"{dashboard_url}/?team={team}", "Overview")
    daily = page.locator(".js-plotly-plot").first
    bars = daily.locator(".barlayer .trace").first.locator(".point path")
    # the tallest bar of the first tier, clicked where a person would (Plotly's drag layer takes the click)
    boxes = [box for box in (bars.nth(index).bounding_box() for index in range(bars.count())) if box]
    box = max(boxes, key=lambda found: found["height"])
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.get_by_role("heading", name="Calls", exact=True)).to_be_visible(timeout=WAIT_MS)
    settle(page)
    assert f"team={team}" in page.url and "served_tier=" in page.url and "dates=" in page.url
    day = page.url.split("dates=")[1][:10]
    tier = page.url.split("served_tier=")[1].split("&")[0]
    scope = Scope(dt.date.fromisoformat(day), dt.date.fromisoformat(day) + dt.timedelta(days=1), teams=(team,))
    calls = api.calls_count(sample_db, scope, api.CallFilters(served_tiers=(tier,)))
    expect(page.get_by_text(f"{calls:,} call").first).to_be_visible()
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(tmp_path / "calls_from_a_bar.png"), full_page=True)


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
