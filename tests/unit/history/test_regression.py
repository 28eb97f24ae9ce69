"""Statistical regressions with Sippy's guards, on generated nightly histories."""

from __future__ import annotations

from pytest_streamstress.history.model import RunOutcomes
from pytest_streamstress.history.regression import complete_runs, detect_regressions
from pytest_streamstress.model import Status


def _history(
    statuses: str, *, test: str = "specs/pipelines/run.spec::T1", others: int = 4
) -> list[RunOutcomes]:
    runs = []
    for index, status in enumerate(statuses):
        outcomes = {test: Status.PASSED if status == "P" else Status.FAILED}
        outcomes.update({f"specs/triggers/x.spec::O{i}": Status.PASSED for i in range(others)})
        runs.append(RunOutcomes(run_id=f"r{index}", timestamp="", outcomes=outcomes))
    return runs


def test_a_drop_from_always_to_seven_in_ten_is_flagged() -> None:
    found = detect_regressions(_history("P" * 20 + "PPFPPFPPFP"))
    (test,) = [r for r in found if not r.subject.startswith("component:")]
    assert test.subject == "specs/pipelines/run.spec::T1"
    assert (test.recent_pass, test.recent_fail, test.basis_pass, test.basis_fail) == (7, 3, 20, 0)
    assert test.p_value == 720 / 24360 or abs(test.p_value - 720 / 24360) < 1e-12
    assert {r.subject for r in found} == {"specs/pipelines/run.spec::T1", "component:pipelines"}


def test_two_failures_are_below_the_minimum_and_not_flagged() -> None:
    assert detect_regressions(_history("P" * 20 + "PPFPPPPPFP")) == ()


def test_a_test_that_always_failed_did_not_regress() -> None:
    assert detect_regressions(_history("F" * 30)) == ()


def test_incomplete_runs_are_left_out() -> None:
    runs = _history("P" * 29)
    runs.append(
        RunOutcomes(run_id="tiny", timestamp="", outcomes={"specs/pipelines/run.spec::T1": Status.FAILED})
    )
    assert runs[-1] not in complete_runs(runs)
