"""Statistical regressions: a pass rate that dropped, caught even when the test still passes sometimes.

Sippy's component-readiness guards, tuned for one run a night instead of hundreds a week: compare
the last `recent` runs with the `basis` runs before them with a one-sided Fisher exact test;
flag only at 95% significance, with at least a 5-point drop and at least 3 failures in the recent
window; runs that ran under 75% of the usual number of scenarios are incomplete and left out. With
`recent=10, basis=20` a test that went from always passing to 7 of 10 is flagged (p ~= 0.03),
while one failure a week is not (see docs/analysis.md for the worked numbers).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from pytest_streamstress.history.fisher import fisher_exact_less
from pytest_streamstress.history.model import FAILING, RunOutcomes
from pytest_streamstress.model import Status

RECENT_RUNS: Final = 10
BASIS_RUNS: Final = 20
SIGNIFICANCE: Final = 0.05
MIN_DROP: Final = 0.05
MIN_FAILURES: Final = 3
COMPLETE_SHARE: Final = 0.75


@dataclass(frozen=True, slots=True, kw_only=True)
class Regression:
    subject: str
    """A test identity, or `component:<name>`."""
    recent_pass: int
    recent_fail: int
    basis_pass: int
    basis_fail: int
    p_value: float

    @property
    def recent_rate(self) -> float:
        return self.recent_pass / max(1, self.recent_pass + self.recent_fail)

    @property
    def basis_rate(self) -> float:
        return self.basis_pass / max(1, self.basis_pass + self.basis_fail)


def complete_runs(runs: Sequence[RunOutcomes], *, share: float = COMPLETE_SHARE) -> list[RunOutcomes]:
    """Runs that ran at least `share` of the usual (median) number of scenarios."""
    if not runs:
        return []
    usual = statistics.median(len(run.outcomes) for run in runs)
    return [run for run in runs if run.complete and len(run.outcomes) >= share * usual]


def _counts(
    runs: Sequence[RunOutcomes], keys: Callable[[RunOutcomes], Mapping[str, Status]]
) -> dict[str, list[int]]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for run in runs:
        for subject, status in keys(run).items():
            if status is Status.PASSED:
                counts[subject][0] += 1
            elif status in FAILING:
                counts[subject][1] += 1
    return counts


def _judge(
    subject: str,
    recent: list[int],
    basis: list[int],
    *,
    significance: float,
    min_drop: float,
    min_failures: int,
) -> Regression | None:
    rp, rf = recent
    bp, bf = basis
    if rf < min_failures or bp + bf == 0 or rp + rf == 0:
        return None
    if bp / (bp + bf) - rp / (rp + rf) < min_drop:
        return None
    p_value = fisher_exact_less(rp, rf, bp, bf)
    if p_value >= significance:
        return None
    return Regression(
        subject=subject, recent_pass=rp, recent_fail=rf, basis_pass=bp, basis_fail=bf, p_value=p_value
    )


def detect_regressions(
    runs: Sequence[RunOutcomes],
    *,
    recent: int = RECENT_RUNS,
    basis: int = BASIS_RUNS,
    significance: float = SIGNIFICANCE,
    min_drop: float = MIN_DROP,
    min_failures: int = MIN_FAILURES,
    component_of: Callable[[str], str] | None = None,
) -> tuple[Regression, ...]:
    """Per test and per component; `runs` ends with the current run."""
    usable = complete_runs(runs)
    recent_runs = usable[-recent:]
    basis_runs = usable[-(recent + basis) : -recent] if len(usable) > recent else []
    if not basis_runs:
        return ()
    found: list[Regression] = []
    recent_tests = _counts(recent_runs, lambda run: run.outcomes)
    basis_tests = _counts(basis_runs, lambda run: run.outcomes)
    for subject in sorted(recent_tests):
        verdict = _judge(
            subject,
            recent_tests[subject],
            basis_tests.get(subject, [0, 0]),
            significance=significance,
            min_drop=min_drop,
            min_failures=min_failures,
        )
        if verdict is not None:
            found.append(verdict)
    group = component_of or component_of_test

    def by_component(run: RunOutcomes) -> dict[str, Status]:
        # A component fails in a run when any of its tests failed: one signal per run, not per test.
        result: dict[str, Status] = {}
        for test, status in run.outcomes.items():
            key = "component:" + group(test)
            if status in FAILING or result.get(key) not in FAILING:
                result[key] = status if status is not Status.SKIPPED else result.get(key, Status.SKIPPED)
        return result

    recent_components = _counts(recent_runs, by_component)
    basis_components = _counts(basis_runs, by_component)
    for subject in sorted(recent_components):
        verdict = _judge(
            subject,
            recent_components[subject],
            basis_components.get(subject, [0, 0]),
            significance=significance,
            min_drop=min_drop,
            min_failures=min_failures,
        )
        if verdict is not None:
            found.append(verdict)
    return tuple(found)


def component_of_test(test: str) -> str:
    """`specs/pipelines/run.spec::X` -> `pipelines`; top-level specs group as `suite`."""
    path = test.split("::", 1)[0]
    parts = path.split("/")
    if len(parts) >= 3 and parts[0] == "specs":
        return parts[1]
    return "suite"
