"""Sharded wall time on the emulator: one run of a 24-scenario suite with 4 shards against 1 (issue 23).

The bench writes a Gauge suite (specs of 2-4 scenarios; every scenario really sleeps, `sleep_s` in
the gauge stand-in's outcome file, 4-6 s by default, uneven) and runs it twice as a user would on
the embedded emulated cluster, where a Job's pods are local processes running the real plugin:

    pytest --streamstress --cluster emulated --in-cluster --shards N --skip-build --skip-deploy ...

once with `--shards 1` and once with `--shards 4` (one Indexed Job of four pods, merged into one
run). Only N differs on the command line: same suite, session, emulator start and Job controller.
The product makes no Indexed Job of one shard: `--shards 1` is its one-pod path, a plain Job whose
log the session follows to the end, which ends no later than the sharded path's wait, so the
baseline is not slowed to flatter the ratio. Wall time runs from starting the session to its line
saying the results were collected (one pod) or merged (four); both runs' results.json must hold
every scenario, passed, or the bench stops: a figure from a broken run would mean nothing.

Two cores run the session, its emulator and every pod (each a pytest with the plugin, each spec a
gauge stand-in process): pod start-up is paid in parallel with 4 shards and counted as it is.
The table says where the time went: the session before its launch line (the emulator's start,
collection, the plan), start-up (the launch line to the first scenario), each shard's scenarios and
what they sleep (the slowest shard's sleep is the floor; whole specs per shard, no history: an
equal split by scenario count), and wind-down (the last scenario's end to the results line).

    python bench/shards.py [--scenarios 24] [--shards 4] [--sleep 5.0]

The last line is `sharded wall time: <v>x one shard (goal 0.35x)`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import tempfile
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from pytest_streamstress._infra import proc as _proc

GOAL: Final = 0.35
"""Four pods should take little more than a quarter of one pod's time: 0.25 plus start-up and balance."""
SPEC_SIZES: Final = (3, 4, 2, 3, 4, 2, 3, 3)
"""Scenarios per spec, cycled: whole specs go to one shard, so shards cannot all be equal."""
SEED: Final = 23
SESSION_TIMEOUT_S: Final = 900.0
"""One session's bound: a hung run fails the bench instead of blocking the machine."""
LAUNCHED: Final = re.compile(r"streamstress: Job launched: [a-z0-9-]+/([a-z0-9-]+)")
FINISHED: Final = re.compile(r"streamstress: (merged \d+ shards|emulated Job finished)")
SHARD_LINE: Final = re.compile(r"streamstress: shard (\d+): pod ")
SCRUBBED_ENV: Final = ("KUBECONFIG", "GITHUB_TOKEN", "GH_TOKEN", "STREAMSTRESS_EMULATOR_KUBECONFIG")
"""The session must start its own emulator and publish nothing."""


def write_suite(root: Path, *, scenarios: int, sleep_s: float, seed: int = SEED) -> dict[str, float]:
    """A Gauge project of `scenarios` scenarios under `root` and its stand-in outcome file
    (`root.parent / "outcomes.toml"`); returns each scenario's id and the seconds it sleeps."""
    rng = random.Random(seed)
    (root / "specs").mkdir(parents=True, exist_ok=True)
    (root / "manifest.json").write_text('{"Language": "go", "Plugins": ["xml-report"]}\n')
    seconds: dict[str, float] = {}
    spec_no = 0
    while len(seconds) < scenarios:
        spec_no += 1
        count = min(SPEC_SIZES[(spec_no - 1) % len(SPEC_SIZES)], scenarios - len(seconds))
        parts = [f"# Bench spec {spec_no}\n"]
        for n in range(1, count + 1):
            scenario_id = f"BENCH-{spec_no:02d}-TC{n:02d}"
            seconds[scenario_id] = round(sleep_s * rng.uniform(0.8, 1.2), 1)
            heading = f"## Bench {spec_no} scenario {n}: {scenario_id}"
            parts.append(f'\n{heading}\nTags: e2e\n* Create "s{n}.yaml"\n')
        (root / "specs" / f"bench-{spec_no:02d}.spec").write_text("".join(parts))
    (root.parent / "outcomes.toml").write_text(
        "".join(
            f'[[scenario]]\nmatch = "{scenario_id}$"\nstatus = "pass"\nsleep_s = {value}\n\n'
            for scenario_id, value in seconds.items()
        )
    )
    return seconds


@dataclass
class Run:
    """One session's timings (seconds since it started) and what its results.json holds."""

    shards: int
    launched_s: float = 0.0
    finished_s: float = 0.0
    launched_at: float = 0.0
    """Wall-clock time of the launch line, to set against results.json's scenario stamps."""
    finished_at: float = 0.0
    first_started_at: float = 0.0
    last_finished_at: float = 0.0
    job: str = ""
    shard_s: list[float] = field(default_factory=list)
    """Each shard's first scenario start to its last scenario end, from the merged results.json."""
    shard_sleep_s: list[float] = field(default_factory=list)
    """What each shard's scenarios sleep: the slowest is the floor no start-up or wait can beat."""
    scenarios: int = 0


def run_session(workdir: Path, root: Path, *, shards: int, seconds: Mapping[str, float]) -> Run:
    """`pytest --streamstress --cluster emulated --in-cluster --shards N` on the suite; stops the bench
    unless the session succeeds and its results hold every scenario of the suite, passed."""
    results = workdir / f"results-{shards}"
    argv = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "--streamstress",
        "--cluster=emulated",
        "--in-cluster",
        f"--shards={shards}",
        "--skip-build",
        "--skip-deploy",
        "--no-auto-setup",
        f"--release-tests-dir={root}",
        f"--results-dir={results}",
    ]
    env = {key: value for key, value in os.environ.items() if key not in SCRUBBED_ENV}
    env["GAUGE_STANDIN_OUTCOMES"] = str(root.parent / "outcomes.toml")
    run = Run(shards=shards)
    started = time.monotonic()

    def on_line(_stream: str, line: str) -> None:
        if (launched := LAUNCHED.search(line)) is not None:
            run.job = launched.group(1)
            run.launched_s, run.launched_at = time.monotonic() - started, time.time()
        elif FINISHED.search(line) is not None:
            run.finished_s, run.finished_at = time.monotonic() - started, time.time()
        if launched is not None or FINISHED.search(line) or SHARD_LINE.search(line):
            print(f"  {time.monotonic() - started:6.1f}s {line.strip()}", flush=True)

    done = _proc.spawn(argv, env=env, cwd=workdir, on_line=on_line).wait(
        timeout=SESSION_TIMEOUT_S, what=f"the {shards}-shard session"
    )
    if done.returncode != 0 or not run.finished_s or not run.job:
        sys.exit(f"the {shards}-shard session failed (exit {done.returncode}):\n{done.tail(40)}")
    document: dict[str, Any] = json.loads((results / "in-cluster" / run.job / "results.json").read_text())
    check_results(document, shards=shards, suite=seconds)
    run.scenarios = len(document["scenarios"])
    by_shard: dict[int, list[dict[str, Any]]] = {}
    for scenario in document["scenarios"]:
        by_shard.setdefault(int(scenario.get("shard") or 0), []).append(scenario)
    for _index, ran in sorted(by_shard.items()):
        start, end = _span(ran)
        run.shard_s.append(end - start)
        run.shard_sleep_s.append(sum(seconds[scenario["scenario"].rsplit(" ", 1)[-1]] for scenario in ran))
    run.first_started_at, run.last_finished_at = _span(document["scenarios"])
    return run


def check_results(document: dict[str, Any], *, shards: int, suite: Collection[str]) -> None:
    """Stop the bench unless every scenario of the suite ran exactly once and passed, and with more than
    one shard, unless every shard finished (a lost shard's scenarios would be errors anyway)."""
    ran = sorted(scenario["scenario"].rsplit(" ", 1)[-1] for scenario in document["scenarios"])
    problems = [] if ran == sorted(suite) else [f"ran {len(ran)} scenarios, not the suite's {len(suite)}"]
    statuses = {scenario["status"] for scenario in document["scenarios"]}
    if statuses != {"passed"}:
        problems.append(f"statuses {sorted(statuses)}")
    summaries = (document.get("shards") or {}).get("summaries") or []
    if shards > 1 and [s["status"] for s in summaries] != ["finished"] * shards:
        problems.append(
            f"shards {[(s['index'], s['status']) for s in summaries]}, expected {shards} finished"
        )
    if problems:
        sys.exit(f"the {shards}-shard run is broken: {'; '.join(problems)}")


def _span(scenarios: Sequence[dict[str, Any]]) -> tuple[float, float]:
    """The first scenario's start and the last one's end, in epoch seconds (results.json's UTC stamps)."""

    def parse(text: str) -> float:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()

    return min(parse(s["started_at"]) for s in scenarios), max(parse(s["finished_at"]) for s in scenarios)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scenarios", type=int, default=24, help="scenarios in the suite")
    parser.add_argument("--shards", type=int, default=4, help="shards of the sharded run")
    parser.add_argument("--sleep", type=float, default=5.0, help="mean seconds a scenario sleeps (+-20%%)")
    args = parser.parse_args(argv)
    if args.scenarios < 1 or args.shards < 2 or args.sleep <= 0:
        parser.error("--scenarios must be >= 1, --shards >= 2 and --sleep > 0")
    return args


def show(runs: Sequence[Run]) -> None:
    """The table: where each run's time went between the launch and its results."""
    print(
        f"{'shards':>6}{'session s':>11}{'launch->results s':>19}{'start-up s':>12}{'wind-down s':>13}"
        f"{'scenarios':>11}  per shard: scenarios s (sleep s)"
    )
    for run in runs:
        pairs = zip(run.shard_s, run.shard_sleep_s, strict=True)
        per_shard = " ".join(f"{span:.1f} ({sleep:.1f})" for span, sleep in pairs)
        print(
            f"{run.shards:>6}{run.finished_s:11.1f}{run.finished_s - run.launched_s:19.1f}"
            f"{run.first_started_at - run.launched_at:12.1f}{run.finished_at - run.last_finished_at:13.1f}"
            f"{run.scenarios:>11}  {per_shard}"
        )
    print(
        "start-up: the launch line to the first scenario's start; wind-down: the last scenario's end"
        " to the results line"
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="streamstress-bench-shards-") as tmp:
        workdir = Path(tmp)
        (workdir / "pytest.ini").write_text("[pytest]\n")
        seconds = write_suite(workdir / "suite", scenarios=args.scenarios, sleep_s=args.sleep)
        total = sum(seconds.values())
        specs = len(list((workdir / "suite" / "specs").glob("*.spec")))
        print(f"suite: {len(seconds)} scenarios in {specs} specs, {total:.1f} s of sleep in all")
        runs = []
        for shards in (1, args.shards):
            print(f"running with {shards} shard(s) on the emulated cluster ...", flush=True)
            runs.append(run_session(workdir, workdir / "suite", shards=shards, seconds=seconds))
        show(runs)
        one, sharded = runs
        print(f"sharded wall time: {sharded.finished_s / one.finished_s:.2f}x one shard (goal {GOAL:.2f}x)")


if __name__ == "__main__":
    main()
