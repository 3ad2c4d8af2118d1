"""Screenshots of every dashboard page at 1440x900, for the README: ``make screenshots``.

Loads the demo (``tierscope demo --no-dashboard``, the sample logs and profiling run) into a temporary database,
serves the dashboard on it and saves one PNG per page under ``docs/screenshots/`` (``--out``), named after the page.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser_support import PAGES, chromium, open_page, serve
from tests.conftest import SAMPLE_LOGS

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
VIEWPORT = {"width": 1440, "height": 900}


def file_name(title: str) -> str:
    return title.lower().replace(" ", "_").replace("-", "") + ".png"


def take(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="tierscope-screenshots-") as folder:
        database = Path(folder) / "demo.duckdb"
        subprocess.run(
            [sys.executable, "-m", "tierscope", "demo", "--no-dashboard", "--db", str(database)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        with serve(database, SAMPLE_LOGS / "budgets.yaml") as url, sync_playwright() as playwright:
            browser = chromium(playwright)
            context = browser.new_context(viewport=VIEWPORT)
            page = context.new_page()
            for path, title, _texts in PAGES:
                open_page(page, f"{url}/{path}", title)
                target = out / file_name(title)
                page.screenshot(path=str(target))
                written.append(target)
            browser.close()
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the PNG files (default docs/screenshots)")
    args = parser.parse_args()
    for path in take(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
