"""The bisection engine with a fake `StepRunner` at the declared seam (R34 allows a fake of our Protocol).

The fake plays an upstream where every commit from a planted one on fails the scenario; some
commits may not build (skip) and a commit's outcome may be scripted to flip (a flake).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path

import pytest

from pytest_streamstress.errors import ConfigError
from pytest_streamstress.history.bisection import (
    Step,
    StepCache,
    StepOutcome,
    Verdict,
    cache_path,
    describe_steps,
    next_index,
    run_bisect,
)

SCENARIO = "specs/pipelines/run.spec::PIPELINES-01-TC01"


def shas(count: int) -> list[str]:
    """good (index 0), then `count` later commits; the last one is the known bad."""
    return [f"{index:040x}" for index in range(count + 1)]


class PlantedRunner:
    """Commits at or after `first_bad` fail; `unbuildable` ones skip; `flips` override one answer."""

    def __init__(
        self,
        commits: list[str],
        first_bad: int,
        *,
        unbuildable: Iterable[int] = (),
        flips: dict[int, list[Verdict]] | None = None,
        stop_after: int | None = None,
    ) -> None:
        self.commits = commits
        self.first_bad = first_bad
        self.unbuildable = {commits[i] for i in unbuildable}
        self.flips = {commits[i]: list(v) for i, v in (flips or {}).items()}
        self.stop_after = stop_after
        self.calls: list[str] = []

    def run(self, sha: str) -> StepOutcome:
        if self.stop_after is not None and len(self.calls) >= self.stop_after:
            raise KeyboardInterrupt  # the bisect is killed while the next step runs
        self.calls.append(sha)
        if sha in self.unbuildable:
            return StepOutcome.skip("build failed")
        if self.flips.get(sha):
            return StepOutcome(verdict=self.flips[sha].pop(0), detail="scripted")
        if self.commits.index(sha) >= self.first_bad:
            return StepOutcome.failed("scenario failed")
        return StepOutcome.passed("scenario passed")


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 10.0
        return self.now


def cache_for(tmp_path: Path, commits: list[str], scenario: str = SCENARIO) -> StepCache:
    return StepCache(
        cache_path(tmp_path, "pipeline", commits[0], commits[-1]),
        component="pipeline",
        scenario=scenario,
        commits=commits,
    )


@pytest.mark.parametrize("planted", range(1, 17), ids=lambda p: f"culprit-at-{p}")
def test_bisect_finds_the_planted_commit_anywhere_in_sixteen(tmp_path: Path, planted: int) -> None:
    commits = shas(16)
    runner = PlantedRunner(commits, planted)

    result = run_bisect(
        commits, component="pipeline", scenario=SCENARIO, runner=runner, cache=cache_for(tmp_path, commits)
    )

    assert result.culprit == commits[planted]
    assert result.is_confirmed
    assert result.bisect_steps <= math.ceil(math.log2(16))
    assert len(runner.calls) <= 5


def test_culprit_is_confirmed_by_running_its_parent_once_more(tmp_path: Path) -> None:
    commits = shas(8)
    runner = PlantedRunner(commits, 5)

    result = run_bisect(
        commits, component="pipeline", scenario=SCENARIO, runner=runner, cache=cache_for(tmp_path, commits)
    )

    assert result.confirmation is not None
    assert (result.confirmation.sha, result.confirmation.kind) == (commits[4], "confirm")
    assert runner.calls.count(commits[4]) == 2
    assert runner.calls[-1] == commits[4]


def test_interrupted_bisect_resumes_without_repeating_steps(tmp_path: Path) -> None:
    commits = shas(16)
    killed = PlantedRunner(commits, 11, stop_after=2)
    with pytest.raises(KeyboardInterrupt):
        run_bisect(
            commits,
            component="pipeline",
            scenario=SCENARIO,
            runner=killed,
            cache=cache_for(tmp_path, commits),
        )
    resumed = PlantedRunner(commits, 11)

    result = run_bisect(
        commits, component="pipeline", scenario=SCENARIO, runner=resumed, cache=cache_for(tmp_path, commits)
    )

    assert result.culprit == commits[11]
    assert not set(killed.calls) & set(resumed.calls[:-1])  # only the confirmation may repeat a commit
    assert [s.cached for s in result.steps[:2]] == [True, True]
    assert result.bisect_steps == 4


def test_rerun_of_a_finished_bisect_runs_nothing(tmp_path: Path) -> None:
    commits = shas(16)
    first = run_bisect(
        commits,
        component="pipeline",
        scenario=SCENARIO,
        runner=PlantedRunner(commits, 3),
        cache=cache_for(tmp_path, commits),
    )
    again = PlantedRunner(commits, 3)

    second = run_bisect(
        commits, component="pipeline", scenario=SCENARIO, runner=again, cache=cache_for(tmp_path, commits)
    )

    assert again.calls == []
    assert (second.culprit, second.new_steps, len(second.steps)) == (first.culprit, 0, len(first.steps))


def test_another_scenario_does_not_reuse_the_cached_steps(tmp_path: Path) -> None:
    commits = shas(8)
    run_bisect(
        commits,
        component="pipeline",
        scenario=SCENARIO,
        runner=PlantedRunner(commits, 3),
        cache=cache_for(tmp_path, commits),
    )
    other = PlantedRunner(commits, 6)

    result = run_bisect(
        commits,
        component="pipeline",
        scenario="specs/x.spec::other",
        runner=other,
        cache=cache_for(tmp_path, commits, scenario="specs/x.spec::other"),
    )

    assert result.culprit == commits[6]
    assert other.calls


def test_commit_that_does_not_build_is_skipped_for_a_neighbour(tmp_path: Path) -> None:
    commits = shas(16)
    runner = PlantedRunner(commits, 11, unbuildable=[8])

    result = run_bisect(
        commits, component="pipeline", scenario=SCENARIO, runner=runner, cache=cache_for(tmp_path, commits)
    )

    assert result.culprit == commits[11]
    assert runner.calls[:2] == [commits[8], commits[7]]
    assert result.steps[0].verdict is Verdict.SKIP


def test_only_skipped_commits_left_names_every_suspect(tmp_path: Path) -> None:
    commits = shas(8)
    runner = PlantedRunner(commits, 5, unbuildable=[4])

    result = run_bisect(
        commits, component="pipeline", scenario=SCENARIO, runner=runner, cache=cache_for(tmp_path, commits)
    )

    assert result.culprit is None
    assert result.suspects == (commits[4], commits[5])
    assert "could not be tested" in result.notes[0]


def test_parent_failing_again_leaves_the_culprit_unconfirmed(tmp_path: Path) -> None:
    commits = shas(4)
    runner = PlantedRunner(commits, 3, flips={2: [Verdict.GOOD, Verdict.BAD]})

    result = run_bisect(
        commits, component="pipeline", scenario=SCENARIO, runner=runner, cache=cache_for(tmp_path, commits)
    )

    assert result.culprit == commits[3]
    assert not result.is_confirmed
    assert "flaky" in result.notes[0]


def test_time_spent_counts_the_steps_of_earlier_invocations(tmp_path: Path) -> None:
    commits = shas(16)
    with pytest.raises(KeyboardInterrupt):
        run_bisect(
            commits,
            component="pipeline",
            scenario=SCENARIO,
            runner=PlantedRunner(commits, 11, stop_after=2),
            cache=cache_for(tmp_path, commits),
            clock=FakeClock(),
        )

    result = run_bisect(
        commits,
        component="pipeline",
        scenario=SCENARIO,
        runner=PlantedRunner(commits, 11),
        cache=cache_for(tmp_path, commits),
        clock=FakeClock(),
    )

    assert [s.duration_s for s in result.steps] == [10.0] * len(result.steps)
    assert result.time_spent_s == 10.0 * len(result.steps)


def test_unreadable_state_file_names_the_file_and_the_fix(tmp_path: Path) -> None:
    commits = shas(4)
    path = cache_path(tmp_path, "pipeline", commits[0], commits[-1])
    path.write_text("{not json", encoding="utf-8")

    with pytest.raises(ConfigError, match="bisect state file cannot be read") as caught:
        cache_for(tmp_path, commits)

    assert str(path) in str(caught.value)
    assert "delete it" in caught.value.hint


def test_changed_commit_list_starts_over(tmp_path: Path) -> None:
    commits = shas(8)
    run_bisect(
        commits,
        component="pipeline",
        scenario=SCENARIO,
        runner=PlantedRunner(commits, 3),
        cache=cache_for(tmp_path, commits),
    )
    rewritten = [commits[0], *[f"{i:040x}" for i in range(100, 107)], commits[-1]]
    runner = PlantedRunner(rewritten, 2)

    result = run_bisect(
        rewritten,
        component="pipeline",
        scenario=SCENARIO,
        runner=runner,
        cache=cache_for(tmp_path, rewritten),
    )

    assert result.culprit == rewritten[2]
    assert all(not s.cached for s in result.steps)


def test_state_file_records_every_step_as_json(tmp_path: Path) -> None:
    commits = shas(4)
    run_bisect(
        commits,
        component="pipeline",
        scenario=SCENARIO,
        runner=PlantedRunner(commits, 2),
        cache=cache_for(tmp_path, commits),
    )

    doc = json.loads(cache_path(tmp_path, "pipeline", commits[0], commits[-1]).read_text(encoding="utf-8"))

    steps = doc["scenarios"][SCENARIO]["steps"]
    assert [(s["sha"], s["kind"], s["verdict"]) for s in steps] == [
        (commits[2], "step", "bad"),
        (commits[1], "step", "good"),
        (commits[1], "confirm", "good"),
    ]


def test_a_range_of_one_commit_needs_only_the_confirmation(tmp_path: Path) -> None:
    commits = shas(1)
    runner = PlantedRunner(commits, 1)

    result = run_bisect(
        commits, component="pipeline", scenario=SCENARIO, runner=runner, cache=cache_for(tmp_path, commits)
    )

    assert (result.culprit, runner.calls) == (commits[1], [commits[0]])


def test_a_single_commit_is_no_range() -> None:
    with pytest.raises(ConfigError, match="good and a later bad"):
        run_bisect(
            ["a" * 40],
            component="pipeline",
            scenario=SCENARIO,
            runner=PlantedRunner(["a" * 40], 0),
            cache=StepCache(Path("unused.json"), component="pipeline", scenario=SCENARIO, commits=["a" * 40]),
        )


@pytest.mark.parametrize(
    ("known", "expected"),
    [
        ({}, (0, 8, 4)),
        ({4: Verdict.GOOD}, (4, 8, 6)),
        ({4: Verdict.BAD}, (0, 4, 2)),
        ({4: Verdict.SKIP}, (0, 8, 3)),
        ({4: Verdict.SKIP, 3: Verdict.SKIP}, (0, 8, 5)),
        ({6: Verdict.GOOD, 7: Verdict.BAD}, (6, 7, None)),
    ],
    ids=["middle", "good-moves-low", "bad-moves-high", "skip-nearest-lower", "skip-nearest-upper", "done"],
)
def test_next_commit_is_the_untested_one_nearest_the_middle(
    known: dict[int, Verdict], expected: tuple[int, int, int | None]
) -> None:
    commits = shas(8)

    assert next_index(commits, {commits[i]: v for i, v in known.items()}) == expected


def test_step_lines_mark_cached_steps_and_the_confirmation() -> None:
    steps = [
        Step(
            sha="a" * 40,
            kind="step",
            verdict=Verdict.BAD,
            detail="failed",
            duration_s=1.0,
            finished_at="",
            cached=True,
        ),
        Step(sha="b" * 40, kind="confirm", verdict=Verdict.GOOD, detail="", duration_s=2.0, finished_at=""),
    ]

    assert describe_steps(steps) == [
        f"  1. step {'a' * 12} bad (cached) in 1.0s: failed",
        f"  2. confirm parent {'b' * 12} good in 2.0s",
    ]


def test_progress_of_a_resumed_bisect_replays_the_cached_steps_in_order(tmp_path: Path) -> None:
    commits = shas(16)
    with pytest.raises(KeyboardInterrupt):
        run_bisect(
            commits,
            component="pipeline",
            scenario=SCENARIO,
            runner=PlantedRunner(commits, 11, stop_after=2),
            cache=cache_for(tmp_path, commits),
        )
    seen: list[tuple[bool, int]] = []

    run_bisect(
        commits,
        component="pipeline",
        scenario=SCENARIO,
        runner=PlantedRunner(commits, 11),
        cache=cache_for(tmp_path, commits),
        on_step=lambda step, lo, hi: seen.append((step.cached, hi - lo)),
    )

    assert seen[:3] == [(True, 8), (True, 4), (False, 2)]
