"""Benchmark: the dashboard on a history of 365 runs x 200 scenarios, beside pytest-html on one run.

Generates the history (pytest_streamstress.testing.histories), then measures in the same run:
- site build time: a full build (index from 365 run files) and the incremental publish step
  (one run added to a 364-run history: add_run + build_site);
- bytes the page loads before its first render (Resource Timing of headless Chromium);
- time to first render (navigation start to the first frame painted after the app's first render)
  and to apply a filter (category on the test grid, search on the trends; from the input event to
  the next painted frame), each the median of several;
- peer: pytest-html 4 generating a self-contained report of a 200-test pytest run (report time =
  median run with --html minus median run without), and that report's time to its load event in Chromium.
Goals (issue 7): first render < 1 s, filter < 100 ms, < 2 MB before first render. The last line
is the first render against the 1 s budget. Run: `.venv/bin/python bench/dashboard.py [--runs N]`.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pytest_streamstress._infra import proc as _proc
from pytest_streamstress.history.store import INDEX_FILE, add_run, update_index
from pytest_streamstress.report.site import build_site
from pytest_streamstress.testing.histories import generate_run, write_results_dirs

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FIRST_RENDER_GOAL_MS = 1000.0
FILTER_GOAL_MS = 100.0
BYTES_GOAL = 2_000_000


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve(root: Path) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


BYTES_BEFORE = """(limit) => {
  const nav = performance.getEntriesByType('navigation')[0];
  let total = nav.decodedBodySize;
  for (const r of performance.getEntriesByType('resource')) {
    if (r.startTime < limit) total += r.decodedBodySize;
  }
  return total;
}"""

APPLY = """([testid, value]) => {
  const input = document.querySelector(`[data-testid="${testid}"]`);
  const t0 = performance.now();
  input.value = value;
  input.dispatchEvent(new Event(input.tagName === 'SELECT' ? 'change' : 'input', {bubbles: true}));
  // until the next frame: style, layout and paint of the new DOM count too
  return new Promise(done => requestAnimationFrame(() => setTimeout(() => done(performance.now() - t0), 0)));
}"""


def measure_dashboard(browser: Any, url: str, repeat: int) -> dict[str, float]:
    firsts, loaded, grid_filters, chart_filters = [], [], [], []
    for _ in range(repeat):
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        page.wait_for_selector("html[data-ready]")
        page.wait_for_function("window.__streamstress.firstFrameAt > 0")
        first = page.evaluate("window.__streamstress.firstFrameAt")
        firsts.append(first)
        loaded.append(page.evaluate(BYTES_BEFORE, first))
        chart_filters.append(page.evaluate(APPLY, ["filter-search", "pipeline"]))
        page.evaluate(APPLY, ["filter-search", ""])
        page.get_by_test_id("tab-grid").click()
        page.wait_for_selector('html[data-ready="grid"]')
        grid_filters.append(page.evaluate(APPLY, ["filter-category", "upstream-regression"]))
        page.evaluate(APPLY, ["filter-category", ""])
        page.close()
    return {
        "first_ms": statistics.median(firsts),
        "bytes": statistics.median(loaded),
        "grid_filter_ms": statistics.median(grid_filters),
        "chart_filter_ms": statistics.median(chart_filters),
    }


PEER_TESTS = """
import pytest

@pytest.mark.parametrize("n", range({count}))
def test_scenario(n):
    if n % 10 == 1:
        raise AssertionError("step failed in scenario %d: expected Succeeded, got Failed" % n)
    if n % 20 == 4:
        pytest.skip("not on this platform")
"""


def measure_peer(root: Path, browser: Any, count: int) -> dict[str, float]:
    project = root / "peer"
    project.mkdir()
    (project / "test_peer.py").write_text(PEER_TESTS.format(count=count))
    base = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:streamstress",
        "test_peer.py",
    ]

    def timed(argv: list[str]) -> float:
        samples = []
        for _ in range(3):
            started = time.perf_counter()
            _proc.run(argv, timeout=300, cwd=project)
            samples.append(time.perf_counter() - started)
        return statistics.median(samples)

    plain = timed(base)
    with_html = timed([*base, "--html=report.html", "--self-contained-html"])
    with serve(project) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        loads = []
        for _ in range(3):
            page.goto(f"{url}/report.html", wait_until="load")
            loads.append(page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd"))
        size = (project / "report.html").stat().st_size
        page.close()
    return {
        "report_s": max(0.0, with_html - plain),
        "first_ms": statistics.median(loads),
        "bytes": size,
        "plain_s": plain,
        "html_s": with_html,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=365)
    parser.add_argument("--scenarios", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as temp:
        root = Path(temp)
        started = time.perf_counter()
        documents = [generate_run(i, runs=args.runs, scenarios=args.scenarios) for i in range(args.runs)]
        folders = write_results_dirs(documents, root / "results")
        del documents
        generated = time.perf_counter() - started
        site = root / "site"
        for folder in folders[:-1]:
            add_run(site, folder / "results.json")
        started = time.perf_counter()
        build_site(site, site)
        full_build = time.perf_counter() - started
        started = time.perf_counter()
        add_run(site, folders[-1] / "results.json")
        build_site(site, site)
        incremental = time.perf_counter() - started
        runs_bytes = sum(p.stat().st_size for p in site.glob("runs/*/results.json"))
        index_bytes = (site / INDEX_FILE).stat().st_size
        assert len(update_index(site).runs) == args.runs
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            with serve(site) as url:
                ours = measure_dashboard(browser, f"{url}/index.html", args.repeat)
            peer = measure_peer(root, browser, args.scenarios)
            browser.close()
    print(
        f"history: {args.runs} runs x {args.scenarios} scenarios, run files {runs_bytes / 1e6:.1f} MB,"
        f" index.json {index_bytes / 1e6:.2f} MB (generated in {generated:.1f} s)"
    )
    print(f"site build: full {full_build * 1000:.0f} ms, one run added {incremental * 1000:.0f} ms")
    print(f"{'':34}{f'dashboard ({args.runs} runs)':>24}{'pytest-html (1 run)':>24}")
    print(f"{'report generation':34}{incremental * 1000:>21.0f} ms{peer['report_s'] * 1000:>21.0f} ms")
    print(f"{'bytes before first render':34}{ours['bytes'] / 1e6:>21.2f} MB{peer['bytes'] / 1e6:>21.2f} MB")
    print(f"{'time to first render':34}{ours['first_ms']:>21.0f} ms{peer['first_ms']:>21.0f} ms")
    print(f"{'filter: category on the grid':34}{ours['grid_filter_ms']:>21.1f} ms{'':>24}")
    print(f"{'filter: search on the trends':34}{ours['chart_filter_ms']:>21.1f} ms{'':>24}")
    print(
        f"(pytest-html: a 200-test session takes {peer['html_s'] * 1000:.0f} ms with --html and"
        f" {peer['plain_s'] * 1000:.0f} ms without; report generation is the difference, 0 within noise)"
    )
    print(
        f"goals: first render <{FIRST_RENDER_GOAL_MS:.0f} ms, filter <{FILTER_GOAL_MS:.0f} ms,"
        f" <{BYTES_GOAL / 1e6:.0f} MB before first render (median of {args.repeat})"
    )
    print(
        f"dashboard filter: {max(ours['grid_filter_ms'], ours['chart_filter_ms']) / FILTER_GOAL_MS:.2f}x"
        f" 100 ms budget (goal <1x)"
    )
    print(f"dashboard bytes before first render: {ours['bytes'] / BYTES_GOAL:.2f}x 2 MB budget (goal <1x)")
    print(f"dashboard first render: {ours['first_ms'] / FIRST_RENDER_GOAL_MS:.2f}x 1 s budget (goal <1x)")


if __name__ == "__main__":
    main()
