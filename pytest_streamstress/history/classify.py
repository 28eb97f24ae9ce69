"""History-aware classification of every test in a run: new failure, still failing, fixed, flaky...

Pure: a run and the runs before it in, one `TestClass` per test out. Flakiness is either a pass on
retry in this run, or flips between pass and fail over the last K runs, where failure streaks of 3
or more are breakage, not flakiness, and are left out before counting flips. Alerts follow TestGrid:
N consecutive failures open one, M consecutive passes close it.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from pytest_streamstress.history.model import FAILING, RunOutcomes
from pytest_streamstress.model import Status

FLAKE_WINDOW: Final = 10
FLAKE_MIN_FLIPS: Final = 3
BREAKAGE_STREAK: Final = 3
ALERT_OPEN_AFTER: Final = 3
ALERT_CLOSE_AFTER: Final = 2


class Verdict(enum.Enum):
    NEW_FAILURE = "new-failure"
    STILL_FAILING = "still-failing"
    FIXED = "fixed"
    FLAKY = "flaky"
    NEW_TEST = "new-test"
    REMOVED = "removed"
    PASSING = "passing"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True, kw_only=True)
class TestClass:
    test: str
    verdict: Verdict
    failing_since: str = ""
    """Run id where the current failure streak started (still-failing and new-failure)."""
    streak: int = 0
    """Length of the current failure streak, this run included."""
    flips: int = 0
    alert_open: bool = False


def _status_sequence(test: str, runs: Sequence[RunOutcomes]) -> list[tuple[str, str]]:
    """(run id, pass|fail) for the runs that ran the test (skips and absences left out), oldest first."""
    sequence: list[tuple[str, str]] = []
    for run in runs:
        status = run.outcomes.get(test)
        if status is Status.PASSED:
            sequence.append((run.run_id, "pass"))
        elif status in FAILING:
            sequence.append((run.run_id, "fail"))
    return sequence


def count_flips(sequence: Sequence[str], *, breakage_streak: int = BREAKAGE_STREAK) -> int:
    """Pass/fail flips after removing failure streaks of `breakage_streak` or more."""
    kept: list[str] = []
    index = 0
    while index < len(sequence):
        if sequence[index] == "fail":
            end = index
            while end < len(sequence) and sequence[end] == "fail":
                end += 1
            if end - index < breakage_streak:
                kept.extend(sequence[index:end])
            index = end
        else:
            kept.append(sequence[index])
            index += 1
    return sum(1 for a, b in itertools.pairwise(kept) if a != b)


def alert_state(
    sequence: Sequence[str], *, open_after: int = ALERT_OPEN_AFTER, close_after: int = ALERT_CLOSE_AFTER
) -> bool:
    """TestGrid-style: open after N failures in a row, close after M passes in a row."""
    is_open = False
    fails = passes = 0
    for status in sequence:
        if status == "fail":
            fails, passes = fails + 1, 0
            if fails >= open_after:
                is_open = True
        else:
            passes, fails = passes + 1, 0
            if passes >= close_after:
                is_open = False
    return is_open


def classify_run(
    current: RunOutcomes,
    history: Sequence[RunOutcomes],
    *,
    flake_window: int = FLAKE_WINDOW,
    flake_min_flips: int = FLAKE_MIN_FLIPS,
) -> tuple[TestClass, ...]:
    """Every test of `current`, plus the tests the previous run asked the same way had and this one
    dropped (a `-k` rerun of one scenario did not remove the suite's other scenarios)."""
    alike = [run for run in history if run.selection == current.selection]
    previous_run = alike[-1] if alike else None
    results: list[TestClass] = []
    for test, status in sorted(current.outcomes.items()):
        past = _status_sequence(test, history)
        full = (
            [*past, (current.run_id, "pass" if status is Status.PASSED else "fail")]
            if status is not Status.SKIPPED
            else past
        )
        flips = count_flips([s for _r, s in full[-flake_window:]])
        streak_start, streak = _failure_streak(full)
        alert = alert_state([s for _r, s in full])
        if status is Status.SKIPPED:
            verdict = Verdict.SKIPPED
        elif not any(test in run.outcomes for run in history):
            verdict = Verdict.NEW_TEST
        elif test in current.flaky or flips >= flake_min_flips:
            verdict = Verdict.FLAKY
        elif status in FAILING:
            verdict = Verdict.STILL_FAILING if past and past[-1][1] == "fail" else Verdict.NEW_FAILURE
        elif past and past[-1][1] == "fail":
            verdict = Verdict.FIXED
        else:
            verdict = Verdict.PASSING
        results.append(
            TestClass(
                test=test,
                verdict=verdict,
                failing_since=streak_start if status in FAILING else "",
                streak=streak if status in FAILING else 0,
                flips=flips,
                alert_open=alert,
            )
        )
    if previous_run is not None:
        for test in sorted(set(previous_run.outcomes) - set(current.outcomes)):
            results.append(TestClass(test=test, verdict=Verdict.REMOVED))
    return tuple(results)


def _failure_streak(sequence: Sequence[tuple[str, str]]) -> tuple[str, int]:
    streak = 0
    start = ""
    for run_id, status in reversed(sequence):
        if status != "fail":
            break
        streak += 1
        start = run_id
    return start, streak
