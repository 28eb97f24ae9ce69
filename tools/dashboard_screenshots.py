"""Screenshots of the dashboard for the README and docs/dashboard.md (docs/dashboard-*.png).

Builds the site of testing/morning.py's generated history (30 nights, 40 scenarios; its newest run
brings two new upstream regressions, a new config gap and a fix) and photographs each view in
headless Chromium, opened as a file as a user would after a run; then the same nights on two
clusters (`fleet_history`), its grid of the tests failing now, a row group per cluster. Run after
changing the page: `.venv/bin/python tools/dashboard_screenshots.py` (needs /usr/bin/chromium and
playwright).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from pytest_streamstress.history.store import add_run
from pytest_streamstress.report.site import build_site
from pytest_streamstress.testing.histories import write_results_dirs
from pytest_streamstress.testing.morning import fleet_history, morning_history

DOCS = Path(__file__).resolve().parents[1] / "docs"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
VIEWS = (
    ("dashboard-morning.png", "", 1800),
    ("dashboard-grid.png", "view=grid", 1000),
    ("dashboard-run.png", "view=run", 1300),
)
FLEET_VIEWS = (("dashboard-clusters.png", "view=grid&status=failed", 1000),)


def build(root: Path, documents: list[dict[str, Any]]) -> Path:
    for folder in write_results_dirs(documents, root / "results"):
        add_run(root / "site", folder / "results.json")
    return build_site(root / "site", root / "site")


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="screenshots-") as temp:
        root = Path(temp)
        sites = (
            (build(root / "morning", morning_history(30, 40)), VIEWS),
            (build(root / "fleet", fleet_history(30, 40)), FLEET_VIEWS),
        )
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for page_file, views in sites:
                shoot(browser, page_file, views)
            browser.close()
    for name, _, _ in (*VIEWS, *FLEET_VIEWS):
        print(DOCS / name)  # noqa: T201  # a tool's output


def shoot(browser: Any, page_file: Path, views: tuple[tuple[str, str, int], ...]) -> None:
    for name, view, height in views:
        page = browser.new_page(viewport={"width": 1400, "height": height})
        page.goto(page_file.as_uri() + (f"#{view}" if view else ""))
        page.wait_for_selector("html[data-ready]")
        if view == "view=run":
            page.wait_for_selector('[data-testid="run-table"][data-loaded]')
        page.wait_for_timeout(300)
        page.screenshot(path=str(DOCS / name))
        page.close()


if __name__ == "__main__":
    main()
