"""Classification over generated histories with known answers."""

from __future__ import annotations

from pytest_streamstress.history.classify import Verdict, alert_state, classify_run, count_flips
from pytest_streamstress.history.model import RunOutcomes, scenario_identity
from pytest_streamstress.model import Status


def _runs(pattern: dict[str, str]) -> list[RunOutcomes]:
    """Each test's history as a string: P pass, F fail, S skipped, - absent; all strings equally long."""
    length = len(next(iter(pattern.values())))
    letters = {"P": Status.PASSED, "F": Status.FAILED, "E": Status.ERROR, "S": Status.SKIPPED}
    runs = []
    for index in range(length):
        outcomes = {test: letters[s[index]] for test, s in pattern.items() if s[index] != "-"}
        runs.append(
            RunOutcomes(run_id=f"run-{index:02d}", timestamp=f"2026-11-{index + 1:02d}", outcomes=outcomes)
        )
    return runs


def _verdicts(pattern: dict[str, str]) -> dict[str, Verdict]:
    runs = _runs(pattern)
    return {c.test: c.verdict for c in classify_run(runs[-1], runs[:-1])}


def test_each_verdict_on_a_known_history() -> None:
    verdicts = _verdicts(
        {
            "new-failure": "PPPPF",
            "still-failing": "PPFFF",
            "fixed": "PPFFP",
            "passing": "PPPPP",
            "new-test": "----F",
            "skipped": "PPPPS",
            "flaky": "PFPFP",
            "removed": "PPPP-",
        }
    )
    assert verdicts == {
        "new-failure": Verdict.NEW_FAILURE,
        "still-failing": Verdict.STILL_FAILING,
        "fixed": Verdict.FIXED,
        "passing": Verdict.PASSING,
        "new-test": Verdict.NEW_TEST,
        "skipped": Verdict.SKIPPED,
        "flaky": Verdict.FLAKY,
        "removed": Verdict.REMOVED,
    }


def test_still_failing_says_since_which_run_and_for_how_long() -> None:
    runs = _runs({"t": "PPFFF"})
    (result,) = classify_run(runs[-1], runs[:-1])
    assert (result.failing_since, result.streak) == ("run-02", 3)


def test_a_pass_on_retry_is_flaky_even_with_a_clean_history() -> None:
    runs = _runs({"t": "PPPPP"})
    current = RunOutcomes(run_id="now", timestamp="", outcomes={"t": Status.PASSED}, flaky=frozenset({"t"}))
    (result,) = classify_run(current, runs)
    assert result.verdict is Verdict.FLAKY


def test_failure_streaks_of_three_are_breakage_not_flakiness() -> None:
    assert count_flips(["pass", "fail", "fail", "fail", "pass", "pass"]) == 0
    assert count_flips(["pass", "fail", "pass", "fail", "pass"]) == 4
    assert count_flips(["pass", "fail", "fail", "pass"]) == 2


def test_alert_opens_after_three_failures_and_closes_after_two_passes() -> None:
    assert alert_state(["pass", "fail", "fail", "fail"]) is True
    assert alert_state(["fail", "fail", "fail", "pass"]) is True
    assert alert_state(["fail", "fail", "fail", "pass", "pass"]) is False
    assert alert_state(["fail", "fail"]) is False


def test_identity_uses_the_case_id_so_a_renamed_heading_keeps_its_history() -> None:
    old = scenario_identity("specs/pipelines/run.spec", "Run sample pipeline: PIPELINES-03-TC01")
    new = scenario_identity("specs/pipelines/run.spec", "Run the sample pipeline again: PIPELINES-03-TC01")
    assert old == new == "specs/pipelines/run.spec::PIPELINES-03-TC01"
    assert scenario_identity("specs/x.spec", "Test the functionality of hub resolvers") == (
        "specs/x.spec::Test the functionality of hub resolvers"
    )
    assert (
        scenario_identity("specs/a.spec", "Prune: PIPELINES-36-TC-07") == "specs/a.spec::PIPELINES-36-TC-07"
    )


def test_a_rerun_asked_another_way_removes_nothing() -> None:
    """A `-k` rerun of one scenario listed the suite's six others as "removed tests"."""
    import dataclasses

    nightly, rerun = _runs({"a": "PP", "b": "P-", "c": "F-"})
    narrowed = dataclasses.replace(rerun, selection="-k a")
    assert {c.test: c.verdict for c in classify_run(narrowed, [nightly])} == {"a": Verdict.PASSING}
    later = dataclasses.replace(rerun, run_id="run-09")
    removed = {c.test for c in classify_run(later, [nightly, narrowed]) if c.verdict is Verdict.REMOVED}
    assert removed == {"b", "c"}, "a nightly that lost scenarios still says so, past the rerun"
