"""Serving a generated history and driving it in headless Chromium (shared by the dashboard tests).

Each test module provides a `documents` fixture (the generated results.json documents); the site
built from them (`site_dir`) is served on 127.0.0.1 (`site_url`) or opened as a file, and `page` is a
fresh Chromium page that fails the test on any JavaScript error and leaves a screenshot in
test-output/screenshots/.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_streamstress.history.store import add_run
from pytest_streamstress.report.site import build_site
from pytest_streamstress.testing.histories import write_results_dirs

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).parents[2] / "test-output" / "screenshots"
WAIT_MS = 15_000


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output clean; the browser reports failed loads itself."""


def build_history_site(documents: list[dict[str, Any]], root: Path) -> Path:
    """The site of these results.json documents, built the way a session builds it; its folder."""
    for folder in write_results_dirs(documents, root / "results"):
        add_run(root / "site", folder / "results.json")
    build_site(root / "site", root / "site")
    return root / "site"


@pytest.fixture
def make_site(tmp_path: Path) -> Any:
    """Build another site in the test's own folder: `make_site(documents)` -> its folder."""
    return lambda documents: build_history_site(documents, tmp_path)


@pytest.fixture(scope="module")
def site_dir(documents: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_history_site(documents, tmp_path_factory.mktemp("dashboard"))


@pytest.fixture(scope="module")
def site_url(site_dir: Path) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(site_dir))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright (python) is not installed")
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed at /usr/bin/chromium")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.set_default_timeout(WAIT_MS)
    yield opened
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    opened.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert errors == [], "the page raised JavaScript errors"
