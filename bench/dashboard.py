"""Benchmark: our dashboard against Allure 3 and pytest-html, on one 365-run x 200-scenario history.

All three show the same generated history (pytest_streamstress.testing.histories, with verdicts):
- ours: the site of all 365 runs (add_run + build_site), its default page (the morning page) and
  its test grid;
- Allure 3: our own --allure-results writer (report/allure.py) for the newest run, the 364 earlier
  runs as Allure 3's history file (its documented JSON Lines format, written here; feeding 364 runs
  through `allure history` takes over 20 minutes), then the real `allure generate` (npm `allure`,
  tools/allure; skipped with a note when node or the CLI is missing);
- pytest-html 4: a real pytest session whose tests are the newest run's 200 scenarios with their
  outcomes and durations, `--html --self-contained-html` (pytest-html keeps no history).

Each is served by a threaded http.server on 127.0.0.1 and loaded in one headless Chromium, a fresh
browser context per load (cold cache), the targets interleaved, requests off 127.0.0.1 aborted
(Allure's report asks Google Tag Manager). One init script in every page takes the same timing
point: the first frame painted after the first visible result (a test row, or on our morning page
a test's line), i.e. the first contentful paint of the results (MutationObserver, then
requestAnimationFrame, then setTimeout 0), in ms since navigation start. Bytes before it: Resource
Timing of everything finished by then. Filters: from dispatching the event to the frame painted after
the visible row count changed (Allure's search box waits 150 ms by design; that counts).

Goals (issue 20): first render at most 0.5x the fastest peer, a filter under 50 ms, under 1 MB before
first render. The last line is the first render against the fastest peer.
Run: `.venv/bin/python bench/dashboard.py [--runs N] [--scenarios N] [--repeat N]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import hashlib
import http.server
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_streamstress._infra import proc as _proc
from pytest_streamstress.history.store import add_run
from pytest_streamstress.report import allure
from pytest_streamstress.report.results_json import ScenarioRecord
from pytest_streamstress.report.site import build_site
from pytest_streamstress.testing.histories import CATEGORIES, generate_run, write_results_dirs
from pytest_streamstress.testing.morning import add_verdict

ROOT = Path(__file__).resolve().parents[1]
ALLURE_CLI = Path(os.environ.get("STREAMSTRESS_ALLURE_CLI", ROOT / "tools/allure/node_modules/allure/cli.js"))
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 1000}
FIRST_RENDER_GOAL = 0.5
FILTER_GOAL_MS = 50.0
BYTES_GOAL = 1_000_000
SEARCH = "triggers"
LOAD_TIMEOUT_MS = 300_000


@dataclass
class Target:
    name: str
    root: Path
    path: str
    rows: str
    """CSS selector of one result as the page shows it."""
    search: str | None = None
    status: tuple[str, str, str] | None = None
    """(kind, selector, value) of the 'failed only' filter."""
    note: str = ""
    peer: bool = True
    samples: dict[str, list[float]] = field(default_factory=dict)
    blocked: set[str] = field(default_factory=set)


FCP = """() => {
  const [entry] = performance.getEntriesByName('first-contentful-paint');
  return entry ? entry.startTime : window.__bench.fcp;
}"""

INIT = """
(() => {
  const SEL = %s;
  const P = window.__bench = { fcp: 0, rowsAt: 0 };
  try { performance.setResourceTimingBufferSize(100000); } catch (e) {}
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.name === 'first-contentful-paint') P.fcp = e.startTime;
  }).observe({ type: 'paint', buffered: true });
  const visible = (el) => el.getClientRects().length > 0;
  P.visibleRows = () => Array.prototype.filter.call(document.querySelectorAll(SEL), visible).length;
  const check = () => {
    if (P.seen) return;
    for (const row of document.querySelectorAll(SEL)) {
      if (visible(row)) {
        P.seen = true;
        obs.disconnect();
        requestAnimationFrame(() => setTimeout(() => { P.rowsAt = performance.now(); }, 0));
        return;
      }
    }
  };
  const obs = new MutationObserver(check);
  obs.observe(document, { childList: true, subtree: true, attributes: true });
  P.timeFilter = (kind, selector, value) => new Promise((resolve) => {
    const el = document.querySelector(selector);
    if (!el) { resolve(NaN); return; }
    const before = P.visibleRows();
    let done = false;
    const finish = () => {
      if (done || P.visibleRows() === before) return;
      done = true;
      mo.disconnect();
      requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - t0), 0));
    };
    const mo = new MutationObserver(finish);
    mo.observe(document.body, { childList: true, subtree: true, attributes: true, characterData: true });
    const t0 = performance.now();
    if (kind === 'click') el.click();
    else {
      el.value = value;
      el.dispatchEvent(new Event(kind === 'select' ? 'change' : 'input', { bubbles: true }));
    }
    finish();
    setTimeout(() => { if (!done) { done = true; mo.disconnect(); resolve(NaN); } }, 30000);
  });
})();
"""

BYTES = """(limit) => {
  const nav = performance.getEntriesByType('navigation')[0];
  let total = nav.decodedBodySize;
  for (const r of performance.getEntriesByType('resource')) {
    if (r.responseEnd <= limit) total += r.decodedBodySize;
  }
  return total;
}"""


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


# ------------------------------------------------------------------ the history, three times


def history(runs: int, scenarios: int) -> list[dict[str, Any]]:
    documents = [generate_run(i, runs=runs, scenarios=scenarios) for i in range(runs)]
    for document in documents:
        add_verdict(document)
    return documents


def build_ours(documents: list[dict[str, Any]], root: Path) -> tuple[Path, dict[str, float]]:
    folders = write_results_dirs(documents, root / "results")
    site = root / "site"
    for folder in folders[:-1]:
        add_run(site, folder / "results.json")
    started = time.perf_counter()
    build_site(site, site)
    full = time.perf_counter() - started
    started = time.perf_counter()
    add_run(site, folders[-1] / "results.json")
    build_site(site, site)
    return site, {"full_build_s": full, "add_run_s": time.perf_counter() - started}


def _allure_run(document: dict[str, Any]) -> allure.AllureRun:
    return allure.AllureRun(
        run_id=document["run_id"],
        started_at=dt.datetime.fromisoformat(document["started_at"].replace("Z", "+00:00")),
        label=document.get("label", ""),
        emulated=document["emulated"],
        cluster=document["cluster"]["kind"],
        components=tuple((c["name"], c["commit"]["sha"]) for c in document["components"]),
        verdict=document["status"],
    )


def _records(document: dict[str, Any]) -> list[ScenarioRecord]:
    return [ScenarioRecord.from_json(scenario) for scenario in document["scenarios"]]


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()  # Allure's ids, not security


def allure_history_line(document: dict[str, Any], name: str) -> dict[str, Any]:
    """One report of Allure 3's history file (allurereport.org, "How it works: history files"):
    tests keyed by historyId = md5(testCaseId) + "." + md5 of the (no) parameters."""
    run = _allure_run(document)
    results = [allure.result_of(record, run=run) for record in _records(document)]
    tests = {}
    for result in results:
        history_id = f"{_md5(result['testCaseId'])}.{_md5('')}"
        details = result["statusDetails"]
        tests[history_id] = {
            "id": _md5(result["uuid"]),
            "name": result["name"],
            "fullName": result["fullName"],
            "environment": "default",
            "status": result["status"],
            "start": result["start"],
            "stop": result["stop"],
            "duration": result["stop"] - result["start"],
            "labels": result["labels"],
            "url": "",
            "historyId": history_id,
            "reportLinks": [],
            **({"message": details["message"]} if "message" in details else {}),
            **({"trace": details["trace"]} if "trace" in details else {}),
        }
    return {
        "uuid": _md5(f"report/{document['run_id']}"),
        "name": name,
        "timestamp": _allure_run(document).started_at.timestamp() * 1000 + document["duration_s"] * 1000,
        "knownTestCaseIds": sorted({_md5(r["testCaseId"]) for r in results}),
        "testResults": tests,
        "metrics": {},
        "url": "",
    }


def build_allure(documents: list[dict[str, Any]], root: Path) -> tuple[Path | None, str]:
    node = shutil.which("node")
    if node is None or not ALLURE_CLI.is_file():
        return None, "skipped: " + (
            "node is not installed" if node is None else f"no Allure CLI at {ALLURE_CLI}"
        )
    folder = root / "allure"
    newest = documents[-1]
    allure.write_results(
        folder / "results",
        _records(newest),
        run=_allure_run(newest),
        categories=list(CATEGORIES),
        steps={},
    )
    history_file = folder / "history.jsonl"
    with history_file.open("w", encoding="utf-8") as out:
        for document in documents[:-1]:
            out.write(json.dumps(allure_history_line(document, "streamstress"), separators=(",", ":")) + "\n")
    categories = json.loads((folder / "results" / "categories.json").read_text())
    config = folder / "allurerc.json"
    config.write_text(
        json.dumps(
            {
                "name": "streamstress",
                "output": str(folder / "report"),
                "historyPath": str(history_file),
                "categories": categories,
            }
        )
    )
    started = time.perf_counter()
    done = _proc.run(
        [node, str(ALLURE_CLI), "generate", str(folder / "results"), "--config", str(config)],
        timeout=600,
        cwd=folder,
        env={**os.environ, "NO_COLOR": "1"},
    )
    if not done.ok:
        return None, f"skipped: allure generate failed: {done.tail()}"
    return folder / "report", f"allure generate {time.perf_counter() - started:.1f} s"


PEER_CONFTEST = """
import json
from pathlib import Path
import pytest

CASES = json.loads((Path(__file__).parent / "cases.json").read_text(encoding="utf-8"))


@pytest.fixture
def case(request):
    data = CASES[request.param]
    if data["status"] == "error":
        raise RuntimeError(data["message"])
    return data


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if hasattr(item, "callspec"):
        data = CASES[item.callspec.params["case"]]
        phase = "setup" if data["status"] in ("error", "skipped") else "call"
        report.duration = data["duration_s"] if call.when == phase else 0.0
    return report
"""

PEER_TESTS = """
import pytest
from conftest import CASES


@pytest.mark.parametrize("case", range(len(CASES)), ids=[c["id"] for c in CASES], indirect=True)
def test_scenario(case):
    if case["status"] == "skipped":
        pytest.skip("not on this platform")
    if case["status"] == "failed":
        raise AssertionError(case["message"])
"""


def build_pytest_html(document: dict[str, Any], root: Path) -> tuple[Path, str]:
    """pytest-html's report of the newest run: its 200 scenarios as 200 tests with their outcomes."""
    project = root / "pytest-html"
    project.mkdir()
    cases = [
        {
            "id": f"{s['spec']}::{s['scenario']}",
            "status": s["status"],
            "message": s.get("message") or "",
            "duration_s": s["duration_s"],
        }
        for s in document["scenarios"]
    ]
    (project / "cases.json").write_text(json.dumps(cases))
    (project / "conftest.py").write_text(PEER_CONFTEST)
    (project / "test_scenarios.py").write_text(PEER_TESTS)
    (project / "pytest.ini").write_text("[pytest]\naddopts =\n")
    argv = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:streamstress",
        "-p",
        "no:randomly",
        "--html=report.html",
        "--self-contained-html",
        "test_scenarios.py",
    ]
    started = time.perf_counter()
    _proc.run(argv, timeout=600, cwd=project)
    return project, f"pytest session with --html {time.perf_counter() - started:.1f} s"


# ------------------------------------------------------------------ measuring


def load_once(browser: Any, target: Target, url: str) -> None:
    context = browser.new_context(viewport=VIEWPORT)

    def route(request: Any) -> None:
        if request.request.url.startswith(("http://127.0.0.1", "data:", "blob:")):
            request.continue_()
        else:
            target.blocked.add(request.request.url.split("?")[0])
            request.abort()

    context.route("**/*", route)
    context.add_init_script(INIT % json.dumps(target.rows))
    page = context.new_page()
    try:
        page.goto(url + target.path, wait_until="commit", timeout=LOAD_TIMEOUT_MS)
        page.wait_for_function(
            "window.__bench && window.__bench.rowsAt > 0", timeout=LOAD_TIMEOUT_MS, polling=50
        )
        rows = page.evaluate("window.__bench.rowsAt")
        samples = target.samples
        samples.setdefault("render", []).append(rows)
        samples.setdefault("bytes", []).append(page.evaluate(BYTES, rows))
        page.wait_for_load_state("load", timeout=LOAD_TIMEOUT_MS)
        page.wait_for_timeout(300)  # let work scheduled after the first render settle before filtering
        # Read here, not when the results painted: Chromium reports the paint entry after the frame is
        # presented, which on a fast page (ours: the morning page) comes after rowsAt, so it read 0.
        samples.setdefault("fcp", []).append(page.evaluate(FCP))
        if target.search:
            ms = page.evaluate("([s, v]) => __bench.timeFilter('input', s, v)", [target.search, SEARCH])
            samples.setdefault("search", []).append(ms)
            page.evaluate(
                "(s) => { const el = document.querySelector(s); el.value = '';"
                " el.dispatchEvent(new Event('input', {bubbles: true})); }",
                target.search,
            )
            page.wait_for_timeout(400)
        if target.status:
            kind, selector, value = target.status
            samples.setdefault("status", []).append(
                page.evaluate("([k, s, v]) => __bench.timeFilter(k, s, v)", [kind, selector, value])
            )
    finally:
        context.close()


def median(values: list[float] | None) -> float:
    clean = [v for v in values or [] if v == v]
    return statistics.median(clean) if clean else float("nan")


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
        documents = history(args.runs, args.scenarios)
        generated = time.perf_counter() - started
        site, builds = build_ours(documents, root)
        allure_report, allure_note = build_allure(documents, root)
        html_project, html_note = build_pytest_html(documents[-1], root)
        targets = [
            Target(
                "ours",
                site,
                "/index.html",
                '[data-testid="morning"] [data-key]',
                peer=False,
                note="the default page (the morning page), its first test line",
            ),
            Target(
                "ours, test grid",
                site,
                "/index.html#view=grid",
                '[data-testid="grid-row"]',
                search='[data-testid="filter-search"]',
                status=("select", '[data-testid="filter-status"]', "failed"),
                peer=False,
                note="tests x the newest 60 runs; filter: latest outcome failed",
            ),
            Target(
                "pytest-html 4",
                html_project,
                "/report.html",
                "#results-table tbody.results-table-row > tr",
                status=("click", 'input[name="filter_checkbox"][data-test-result="passed"]', ""),
                note="the newest run's 200 tests; filter: hide passed",
            ),
        ]
        if allure_report is not None:
            targets.insert(
                2,
                Target(
                    "Allure 3",
                    allure_report,
                    "/index.html",
                    '[data-testid="tree-leaf"]',
                    search='[data-testid="search-input"]',
                    status=("click", '[data-testid="tab-failed"]', ""),
                    note="newest run + 364 runs of history; filter: the Failed tab",
                ),
            )
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            version = browser.version
            with serve(site) as ours_url, serve(html_project) as html_url:
                urls = {"ours": ours_url, "ours, test grid": ours_url, "pytest-html 4": html_url}
                report_server = serve(allure_report) if allure_report is not None else None
                if report_server is not None:
                    urls["Allure 3"] = report_server.__enter__()
                try:
                    for _ in range(args.repeat):
                        for target in targets:
                            load_once(browser, target, urls[target.name])
                finally:
                    if report_server is not None:
                        report_server.__exit__(None, None, None)
            browser.close()
    load = open("/proc/loadavg").read().split()[0]  # noqa: SIM115, PTH123  # one read, Linux only
    print(
        f"history: {args.runs} runs x {args.scenarios} scenarios (generated in {generated:.1f} s);"
        f" Chromium {version}; load average {load} on {os.cpu_count()} cores"
    )
    print(
        f"our site: full build {builds['full_build_s']:.1f} s, one run added {builds['add_run_s']:.1f} s;"
        f" Allure: {allure_note}; pytest-html: {html_note}"
    )
    print(
        f"\nmedian of {args.repeat} cold loads, ms since navigation start;"
        " filters from the event to the painted frame"
    )
    print(f"{'target':18}{'results painted':>17}{'FCP':>8}{'MB before':>11}{'search':>9}{'failed only':>13}")
    for t in targets:
        s = t.samples
        search = f"{median(s.get('search')):9.0f}" if t.search else f"{'n/a':>9}"
        status = f"{median(s.get('status')):13.0f}" if t.status else f"{'n/a':>13}"
        print(
            f"{t.name:18}{median(s.get('render')):17.0f}{median(s.get('fcp')):8.0f}"
            f"{median(s.get('bytes')) / 1e6:11.2f}{search}{status}"
        )
    for t in targets:
        print(f"  {t.name}: {t.note}" + (f"; blocked: {', '.join(sorted(t.blocked))}" if t.blocked else ""))
    ours = targets[0]
    grid = targets[1]
    peers = [t for t in targets if t.peer and t.samples.get("render")]
    fastest = min(peers, key=lambda t: median(t.samples["render"]))
    worst_filter = max(median(grid.samples.get("search")), median(grid.samples.get("status")))
    print(
        f"dashboard filter: {worst_filter:.0f} ms, the slower of search and status on the grid"
        f" (goal <{FILTER_GOAL_MS:.0f} ms)"
    )
    print(
        f"dashboard bytes before first render: {median(ours.samples['bytes']) / 1e6:.2f} MB"
        f" (goal <{BYTES_GOAL / 1e6:.0f} MB)"
    )
    ratio = median(ours.samples["render"]) / median(fastest.samples["render"])
    print(f"dashboard first render: {ratio:.2f}x fastest peer ({fastest.name}) (goal {FIRST_RENDER_GOAL}x)")


if __name__ == "__main__":
    main()
