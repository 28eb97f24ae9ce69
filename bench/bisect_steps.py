"""Benchmark: bisect steps taken against log2 of the range, for ranges of 8, 64 and 512 commits.

Runs the real engine (`pytest_streamstress.history.bisection.run_bisect`, step cache on disk included) with a
`StepRunner` that answers from a planted culprit at random positions (seeded), once without
unbuildable commits and once with 10% of the commits skipped (they do not build, as `git bisect
skip`). A step here is one build-deploy-test, so steps are the cost that matters; the confirmation
run of the culprit's parent is counted separately. The baseline is the information-theoretic
ceil(log2(range)) in the same run. The goal is a mean of bisect steps <= 1.2x log2(range) without
skips; the last line says so. Run: `.venv/bin/python bench/bisect.py [--trials N] [--seed S]`.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import tempfile
from pathlib import Path

from pytest_streamstress.history.bisection import StepCache, StepOutcome, cache_path, run_bisect

GOAL = 1.2
SIZES = (8, 64, 512)


class PlantedRunner:
    def __init__(self, commits: list[str], first_bad: int, unbuildable: set[str]) -> None:
        self.position = {sha: index for index, sha in enumerate(commits)}
        self.first_bad = first_bad
        self.unbuildable = unbuildable

    def run(self, sha: str) -> StepOutcome:
        if sha in self.unbuildable:
            return StepOutcome.skip("build failed")
        return StepOutcome.failed() if self.position[sha] >= self.first_bad else StepOutcome.passed()


def one(size: int, rng: random.Random, state: Path, skip_share: float) -> tuple[int, int, bool]:
    """(bisect steps, all steps, culprit found exactly) for one planted culprit."""
    commits = [f"{rng.getrandbits(160):040x}" for _ in range(size + 1)]
    first_bad = rng.randint(1, size)
    unbuildable = {sha for sha in commits[1:-1] if rng.random() < skip_share and sha != commits[first_bad]}
    path = cache_path(state, "bench", commits[0], commits[-1])
    cache = StepCache(path, component="bench", scenario="s", commits=commits)
    result = run_bisect(
        commits,
        component="bench",
        scenario="s",
        runner=PlantedRunner(commits, first_bad, unbuildable),
        cache=cache,
    )
    found = result.culprit == commits[first_bad] or commits[first_bad] in result.suspects
    return result.bisect_steps, len(result.steps), found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    worst_ratio = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        print(
            f"{'range':>6} {'log2':>5} {'skips':>6} {'mean steps':>11} {'max':>4} {'ratio':>6}"
            f" {'+confirm':>9} {'found':>6}"
        )
        for size in SIZES:
            baseline = math.ceil(math.log2(size))
            for skip_share in (0.0, 0.1):
                runs = [one(size, rng, state, skip_share) for _ in range(args.trials)]
                steps = [r[0] for r in runs]
                ratio = statistics.mean(steps) / baseline
                found = sum(1 for r in runs if r[2]) / len(runs)
                extra = statistics.mean(r[1] - r[0] for r in runs)
                print(
                    f"{size:>6} {baseline:>5} {skip_share:>6.0%} {statistics.mean(steps):>11.2f}"
                    f" {max(steps):>4} {ratio:>5.2f}x {extra:>9.2f} {found:>6.0%}"
                )
                if skip_share == 0.0:
                    worst_ratio = max(worst_ratio, ratio)
    verdict = "ok" if worst_ratio <= GOAL else "MISSED"
    print(f"bisect steps: {worst_ratio:.2f}x log2(range) (goal <={GOAL}x) {verdict}")
    return 0 if worst_ratio <= GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
