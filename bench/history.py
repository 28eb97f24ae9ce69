"""Benchmark: history analysis (classification, regressions, clusters) against merely loading the history.

365 nightly runs x 200 scenarios are written as results.json files; we time loading them (json parse
of every file) and, in the same run, loading plus the full analysis of the newest run. Headline:
analysis time as a multiple of load time (goal: under 2x).
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from pytest_streamstress.history.analyze import analyze

RUNS = 365
SCENARIOS = 200


def _write_history(root: Path) -> list[Path]:
    rng = random.Random(7)
    paths = []
    for run in range(RUNS):
        scenarios = []
        for index in range(SCENARIOS):
            case = f"PIPELINES-{index % 40:02d}-TC{index:02d}"
            failing = rng.random() < (0.3 if index % 17 == 0 and run > 340 else 0.03)
            scenarios.append(
                {
                    "nodeid": f"specs/s{index % 20}.spec::Scenario {index}: {case}",
                    "spec": f"specs/area{index % 5}/s{index % 20}.spec",
                    "scenario": f"Scenario {index}: {case}",
                    "line": index + 1,
                    "tags": ["e2e"],
                    "status": "failed" if failing else "passed",
                    "duration_s": 1.0,
                    "message": f'pipelinerun "run-{rng.randrange(999)}" failed in'
                    f" releasetest-{rng.randrange(10**5):05d}"
                    if failing
                    else "",
                }
            )
        doc = {
            "schema_version": 1,
            "run_id": f"run-2026{run:04d}T000000Z-abcdef",
            "started_at": f"d{run}",
            "scenarios": scenarios,
            "components": [],
        }
        path = root / f"{run:04d}.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        paths.append(path)
    return paths


def _load(paths: list[Path]) -> list[dict[str, object]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in paths]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = _write_history(Path(tmp))
        load_times, full_times = [], []
        for _ in range(3):
            start = time.perf_counter()
            _load(paths)
            load_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            docs = _load(paths)
            result = analyze(docs[-1], docs[:-1])
            full_times.append(time.perf_counter() - start)
        load = statistics.median(load_times)
        full = statistics.median(full_times)
        print(f"history: {RUNS} runs x {SCENARIOS} scenarios")
        print(f"load only:          {load:.3f} s")
        print(
            f"load + analysis:    {full:.3f} s  ({len(result.regressions)} regressions,"
            f" {len(result.clusters)} clusters)"
        )
        print(f"analysis time: {full / load:.2f}x load time (goal <2x)")


if __name__ == "__main__":
    sys.exit(main())
