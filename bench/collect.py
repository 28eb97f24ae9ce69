"""Benchmark: collecting Gauge specs as pytest items, against bare pytest in the same run (issue 2 item 7).

Times, in subprocesses and several repetitions each (median):
  * bare `pytest --collect-only -q` on an empty directory (the baseline),
  * `pytest --streamstress --collect-only -q --release-tests-dir <fixtures>` (the real 21-spec subset),
  * the same on a generated project of 10,000 scenarios shaped like release-tests (tags, context steps,
    inline tables, comments, a concept).
Prints the ratio to bare pytest and the cost per scenario above it, in wall time and in the child's
CPU time (user + system, from getrusage): CPU time is what the goal is judged on, because wall time on
a shared CI host swings with other load while the ratio and the CPU cost stay put. Goal: under 1 ms
per scenario.

Usage: .venv/bin/python bench/collect.py [--repeat 5] [--scenarios 10000] [--fixtures PATH]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from pytest_streamstress._infra import proc as _proc

REPO = Path(__file__).resolve().parents[1]
DEFAULT_FIXTURES = Path(
    os.environ.get("STREAMSTRESS_RELEASE_TESTS", REPO.parent / "shared" / "fixtures" / "release-tests")
)
PER_SPEC = 50
INI = "[pytest]\naddopts = -p no:cacheprovider\n"

SCENARIO = """\
## Generated scenario {n}: PIPELINES-{spec:02d}-TC{n:03d}
Tags: e2e, {kind}, non-admin{extra}
Component: Pipelines
Level: Integration
Type: Functional
Importance: Critical

Steps:
  * Verify ServiceAccount "pipeline" does exist
  * Create
      |S.NO|resource_dir                              |
      |----|------------------------------------------|
      |1   |testdata/pipelines/generated-{n}.yaml     |
  * Verify pipelinerun
      |S.NO|pipeline_run_name|status    |
      |----|-----------------|----------|
      |1   |run-{n}          |successful|
  * Add Event listener
  * Wait for "{n}" seconds

"""


def generate(root: Path, scenarios: int) -> int:
    """A release-tests-like project with `scenarios` scenarios; returns the number written."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "manifest.json").write_text('{"Language": "go", "Plugins": ["xml-report"]}\n')
    (root / "specs" / "concepts").mkdir(parents=True)
    (root / "specs" / "concepts" / "triggers.cpt").write_text(
        '# Add Event listener\n * Create "./testdata/triggers/eventlisteners/eventlistener.yaml"\n'
    )
    written = 0
    spec_no = 0
    while written < scenarios:
        spec_no += 1
        count = min(PER_SPEC, scenarios - written)
        parts = [
            f"PIPELINES-{spec_no:02d}\n# Generated spec {spec_no}\n\nPrecondition:\n",
            "  * Validate Operator should be installed\n\n",
        ]
        for n in range(1, count + 1):
            extra = ", sanity" if n % 2 else ", admin, linux/amd64"
            parts.append(
                SCENARIO.format(n=n, spec=spec_no, kind="pipelines" if n % 3 else "triggers", extra=extra)
            )
        directory = root / "specs" / f"group{spec_no % 10}"
        directory.mkdir(exist_ok=True)
        (directory / f"generated{spec_no}.spec").write_text("".join(parts))
        written += count
    return written


@dataclass(frozen=True)
class Timing:
    wall_s: float
    cpu_s: float
    """User + system CPU of the child: what our code costs, little disturbed by other load on the host."""


def time_run(argv: list[str], cwd: Path, *, expect_items: int | None) -> Timing:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = _proc.run(argv, timeout=600, cwd=cwd, what="pytest --collect-only")
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if expect_items is not None:
        items = sum(1 for line in done.stdout.splitlines() if "::" in line)
        if done.returncode != 0 or items != expect_items:
            sys.exit(
                f"unexpected result from {' '.join(argv)}: exit {done.returncode}, {items} items\n"
                + done.tail()
            )
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timing(wall_s=elapsed, cpu_s=cpu)


def median_of(argv: list[str], cwd: Path, repeat: int, expect_items: int | None) -> Timing:
    runs = [time_run(argv, cwd, expect_items=expect_items) for _ in range(repeat)]
    return Timing(
        wall_s=statistics.median(r.wall_s for r in runs), cpu_s=statistics.median(r.cpu_s for r in runs)
    )


def show(label: str, timing: Timing, bare: Timing) -> None:
    print(
        f"{label}: wall {timing.wall_s * 1000:.0f} ms = {timing.wall_s / bare.wall_s:.2f}x bare pytest;"
        f" cpu {timing.cpu_s * 1000:.0f} ms = {timing.cpu_s / bare.cpu_s:.2f}x bare pytest"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scenarios", type=int, default=10_000)
    parser.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES)
    args = parser.parse_args()
    run = [sys.executable, "-m", "pytest", "--collect-only", "-q"]
    with tempfile.TemporaryDirectory(prefix="streamstress-bench-") as tmp:
        empty, generated = Path(tmp, "empty"), Path(tmp, "generated")
        for directory in (empty, generated):
            directory.mkdir()
            (directory / "pytest.ini").write_text(INI)
        total = generate(generated / "project", args.scenarios)
        bare = median_of(run, empty, args.repeat, None)
        print(
            f"bare pytest --collect-only (empty dir, median of {args.repeat}):"
            f" wall {bare.wall_s * 1000:.0f} ms, cpu {bare.cpu_s * 1000:.0f} ms"
        )
        if (args.fixtures / "manifest.json").is_file():
            argv = [*run, "--streamstress", f"--release-tests-dir={args.fixtures}"]
            show(f"fixture suite ({args.fixtures})", median_of(argv, empty, args.repeat, None), bare)
        else:
            print(f"fixture suite: skipped, {args.fixtures} has no manifest.json")
        argv = [*run, "--streamstress", f"--release-tests-dir={generated / 'project'}"]
        big = median_of(argv, generated, args.repeat, total)
        show(f"generated suite ({total} scenarios)", big, bare)
        wall_ms = (big.wall_s - bare.wall_s) * 1000 / total
        cpu_ms = (big.cpu_s - bare.cpu_s) * 1000 / total
        print(
            f"collect cost: {wall_ms:.2f} ms/scenario wall, {cpu_ms:.2f} ms/scenario cpu"
            " above bare pytest (goal <1 ms)"
        )
        print(
            f"collection time: {big.cpu_s / bare.cpu_s:.2f}x bare pytest"
            f" (goal <1 ms/scenario: {cpu_ms:.2f} ms cpu)"
        )


if __name__ == "__main__":
    main()
