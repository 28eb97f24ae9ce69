"""Benchmark: our JUnit reader (gauge/junit.py, junitparser) against plain ElementTree.iterparse.

Generates a 50,000-testcase result.xml in xml-report v0.5.3's format (reference gauge.md §5.2: no
XML declaration, tabs, Go escaping, one failure in ten), then times, in the same run, `read_junit`
against a bare `xml.etree.ElementTree.iterparse` loop that counts the same testcase and failure
elements. Prints both times, the ratio and each one's peak memory (tracemalloc). The goal is a
ratio under 3x; the last line says so. Run: `.venv/bin/python bench/results.py [--cases N]`.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
import tracemalloc
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from pytest_streamstress.gauge.junit import read_junit

GOAL = 3.0


def generate(cases: int, per_suite: int = 100) -> str:
    parts = ["<testsuites>"]
    suites = max(1, cases // per_suite)
    for s in range(suites):
        parts.append(
            f'\n\t<testsuite id="{s + 1}" tests="{per_suite}" failures="{per_suite // 10}"'
            f' package="/root/release-tests/specs/area{s}/spec{s}.spec" time="95.310"'
            f' timestamp="2026-06-29T10:16:40" name="Spec heading {s}" errors="0" hostname="ci">'
            "\n\t\t<properties></properties>"
        )
        for c in range(per_suite):
            name = f"Scenario {c} of spec {s} &amp; more: PIPELINES-{s % 99:02d}-TC{c:02d}"
            if c % 10 == 0:
                message = (
                    f"Create&#xA;Step Execution Failure: &#39;[assertion failed: &#xA;Command:  oc create -f"
                    f" /root/release-tests/testdata/x{c}.yaml -n releasetest-9fz1c&#xA;ExitCode: 1]&#39;"
                )
                parts.append(
                    f'\n\t\t<testcase classname="Spec heading {s}" name="{name}" time="54.288">'
                    f'\n\t\t\t<failure message="{message}" type="{message}">'
                    "&#x9;/root/go/pkg/mod/testing.go:40"
                    "&#xA;github.com/openshift-pipelines/release-tests/pkg/cmd.testsuitAdaptor.Log(...)&#xA;"
                    "&#x9;/root/release-tests/pkg/cmd/cmd.go:31 +0x1b4&#xA;</failure>\n\t\t</testcase>"
                )
            else:
                parts.append(
                    f'\n\t\t<testcase classname="Spec heading {s}" name="{name}" time="41.022"></testcase>'
                )
        parts.append("\n\t\t<system-out></system-out>\n\t\t<system-err></system-err>\n\t</testsuite>")
    parts.append("\n</testsuites>")
    return "".join(parts)


def baseline(path: Path) -> tuple[int, int]:
    cases = failures = 0
    for _event, element in ET.iterparse(path):
        if element.tag == "testcase":
            cases += 1
        elif element.tag == "failure":
            failures += 1
    return cases, failures


def ours(path: Path) -> tuple[int, int]:
    report = read_junit(path)
    cases = sum(len(suite.cases) for suite in report.suites)
    failures = sum(1 for suite in report.suites for case in suite.cases if case.message)
    return cases, failures


def timed_pairs(path: Path, repeat: int) -> tuple[float, float, float, tuple[int, int], tuple[int, int]]:
    """Alternate baseline and ours, so load on a shared machine hits both alike; median of pair ratios."""
    base_times: list[float] = []
    our_times: list[float] = []
    base_counts = our_counts = (0, 0)
    for _ in range(repeat):
        for fn, sink in ((baseline, base_times), (ours, our_times)):
            gc.collect()
            start = time.perf_counter()
            counts = fn(path)
            sink.append(time.perf_counter() - start)
            if fn is baseline:
                base_counts = counts
            else:
                our_counts = counts
    ratios = sorted(o / b for o, b in zip(our_times, base_times, strict=True))
    return _median(base_times), _median(our_times), ratios[len(ratios) // 2], base_counts, our_counts


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def peak_memory(fn: Callable[[Path], tuple[int, int]], path: Path) -> int:
    gc.collect()
    tracemalloc.start()
    fn(path)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "result.xml"
        path.write_text(generate(args.cases), encoding="utf-8")
        print(f"result.xml: {args.cases} testcases, {path.stat().st_size / 1e6:.1f} MB")
        base_s, our_s, ratio, base_counts, our_counts = timed_pairs(path, args.repeat)
        if base_counts != our_counts:
            raise SystemExit(f"counts differ: iterparse {base_counts}, ours {our_counts}")
        base_peak = peak_memory(baseline, path)
        our_peak = peak_memory(ours, path)
    print(f"iterparse: {base_s * 1000:.0f} ms, peak {base_peak / 1e6:.1f} MB")
    print(f"ours (junitparser): {our_s * 1000:.0f} ms, peak {our_peak / 1e6:.1f} MB")
    print(
        f"counted {base_counts[0]} testcases, {base_counts[1]} failures;"
        f" median of {args.repeat} alternating pairs"
    )
    print(f"junit parse time: {ratio:.2f}x iterparse (goal <{GOAL:g}x)")


if __name__ == "__main__":
    main()
