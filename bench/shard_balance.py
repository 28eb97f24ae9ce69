"""Shard balancing (issue 23): the history-balanced plan's makespan against an equal split.

A seeded history shaped like release-tests (60 specs of 1-8 scenarios; each spec has its own cost
per scenario, log-normal around a minute, so a few specs are long; each run adds 15 % noise per
scenario) is split in two: the older runs make the plan, the newest run is what "happens" next.
(testing/histories.py draws every duration afresh per run, so its history predicts nothing.)
For N shards the bench plans twice with profile/shards.py, once with the older runs' per-spec
durations (longest first onto the least-loaded shard) and once without a history (an equal split by
scenario count), and measures each plan's makespan, the slowest shard, with the newest run's real
durations: the plan never sees the run it is judged on. The ideal is the newest run's total / N.

    python bench/shard_balance.py [--shards 4] [--runs 8] [--specs 60] [--seeds 5]

The last line is `sharded makespan: <v>x an equal split (goal <g>x)`, the median over the seeds.
"""

from __future__ import annotations

import argparse
import random
import statistics
from collections.abc import Mapping, Sequence
from typing import Any, Final

from pytest_streamstress.history.store.durations import spec_durations
from pytest_streamstress.profile.shards import PlannedScenario, PlannedSpec, ShardPlan, plan_shards

GOAL: Final = 0.90
"""The balanced plan should save at least a tenth of the night over splitting by scenario count."""


def planned_specs(document: Mapping[str, Any], durations: Mapping[str, float]) -> list[PlannedSpec]:
    """The run's specs in file order, each with its scenarios and the history's expected seconds."""
    by_spec: dict[str, list[PlannedScenario]] = {}
    for scenario in document["scenarios"]:
        by_spec.setdefault(scenario["spec"], []).append(
            PlannedScenario(nodeid=scenario["nodeid"], scenario=scenario["scenario"], line=scenario["line"])
        )
    return [
        PlannedSpec(spec=spec, scenarios=tuple(scenarios), expected_s=durations.get(spec))
        for spec, scenarios in sorted(by_spec.items())
    ]


def makespan(plan: ShardPlan, actual: Mapping[str, float]) -> float:
    """The slowest shard's real time: what the night waits for."""
    return max(sum(actual.get(spec.spec, 0.0) for spec in shard.specs) for shard in plan.shards)


def history(seed: int, *, runs: int, specs: int) -> list[dict[str, Any]]:
    """`runs` minimal results.json documents (what spec_durations reads), oldest first."""
    rng = random.Random(seed)
    suite = [
        (f"specs/area-{index:02d}.spec", rng.randint(1, 8), rng.lognormvariate(4.1, 1.0))
        for index in range(specs)
    ]
    return [
        {
            "status": "passed",
            "scenarios": [
                {
                    "nodeid": f"{spec}::s{i}",
                    "spec": spec,
                    "scenario": f"s{i}",
                    "line": 3 + i,
                    "duration_s": max(1.0, rng.gauss(cost, 0.15 * cost)),
                }
                for spec, count, cost in suite
                for i in range(count)
            ],
        }
        for _ in range(runs)
    ]


def one_seed(seed: int, *, shards: int, runs: int, specs: int) -> tuple[float, float, float]:
    """(balanced, equal, ideal) makespans in seconds for one seeded history."""
    documents = history(seed, runs=runs, specs=specs)
    older, newest = documents[:-1], documents[-1]
    actual: dict[str, float] = {}
    for scenario in newest["scenarios"]:
        actual[scenario["spec"]] = actual.get(scenario["spec"], 0.0) + float(scenario["duration_s"])
    balanced = plan_shards(planned_specs(newest, spec_durations(older)), count=shards)
    equal = plan_shards(planned_specs(newest, {}), count=shards)
    assert balanced.basis == "history" and equal.basis == "equal"
    return makespan(balanced, actual), makespan(equal, actual), sum(actual.values()) / shards


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--specs", type=int, default=60)
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args(argv)
    ratios, ideals = [], []
    print(f"{'seed':>4}{'balanced min':>14}{'equal min':>11}{'ideal min':>11}{'ratio':>8}")
    for seed in range(args.seeds):
        balanced, equal, ideal = one_seed(seed, shards=args.shards, runs=args.runs, specs=args.specs)
        ratios.append(balanced / equal)
        ideals.append(balanced / ideal)
        print(f"{seed:>4}{balanced / 60:14.1f}{equal / 60:11.1f}{ideal / 60:11.1f}{balanced / equal:8.2f}")
    print(f"balanced makespan against the ideal (total / {args.shards}): {statistics.median(ideals):.2f}x")
    print(
        f"sharded makespan ({args.shards} shards, history-balanced): {statistics.median(ratios):.2f}x"
        f" an equal split by scenario count (goal {GOAL:.2f}x)"
    )


if __name__ == "__main__":
    main()
