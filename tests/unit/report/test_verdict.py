"""The verdict: one decision, and the sentence always says what the exit code does (issue 18 part 1)."""

from __future__ import annotations

import re

import pytest

from pytest_streamstress.model import HARNESS, Categorization, Restore, RestoreState, Status
from pytest_streamstress.report.results_json import RunError, ScenarioRecord
from pytest_streamstress.report.verdict import RunState, after_restore, decide
from pytest_streamstress.run.interrupted import stopped_during


def record(name: str, status: Status, category: str | None = None, evidence: str = "") -> ScenarioRecord:
    return ScenarioRecord(
        nodeid=f"specs/a.spec::{name}",
        spec="specs/a.spec",
        scenario=name,
        line=1,
        tags=(),
        status=status,
        category=None if category is None else Categorization(category=category, rule="r", evidence=evidence),
    )


MIXED = (
    record("ok", Status.PASSED),
    record("regression", Status.FAILED, "upstream-regression"),
    record("gap", Status.FAILED, "config-gap"),
    record("known gap", Status.FAILED, "config-gap"),
)
FAIL_ON_VALUES = [
    ("all",),
    ("none",),
    ("upstream-regression",),
    ("config-gap",),
    ("platform-issue",),
    ("upstream-regression", "config-gap"),
    ("all", "-known"),
    ("config-gap", "-known"),
]


@pytest.mark.parametrize("fail_on", FAIL_ON_VALUES, ids=[",".join(v) for v in FAIL_ON_VALUES])
def test_the_sentence_states_the_exit_code_for_every_fail_on_value(fail_on: tuple[str, ...]) -> None:
    verdict = decide(MIXED, RunState(fail_on=fail_on, known={"specs/a.spec::known gap"}))
    stated = re.search(r"; exit (\d+)$", verdict.sentence)
    assert stated is not None and int(stated.group(1)) == verdict.exit_code
    assert verdict.exit_code == (1 if verdict.gating else 0)
    assert verdict.status == ("failed" if verdict.gating else "passed")
    assert verdict.gating + verdict.excused == 3
    if verdict.gating == 0:
        assert "none gates the job" in verdict.sentence
    else:
        assert f"{verdict.gating} failure" in verdict.sentence


def test_fail_on_upstream_regression_gates_only_the_regression() -> None:
    verdict = decide(MIXED, RunState(fail_on=("upstream-regression",)))
    assert (verdict.gating, verdict.excused) == (1, 2)
    assert verdict.sentence == (
        "FAILED: 1 failure fails the job (--fail-on upstream-regression); 2 more outside --fail-on; exit 1"
    )


@pytest.mark.parametrize("fail_on", FAIL_ON_VALUES, ids=[",".join(v) for v in FAIL_ON_VALUES])
def test_a_broken_harness_is_incomplete_and_fails_whatever_fail_on_says(fail_on: tuple[str, ...]) -> None:
    crashed = (
        record("ok", Status.PASSED),
        record("lost", Status.ERROR, HARNESS, "gauge was killed by SIGSEGV (signal 11) without reporting"),
    )
    verdict = decide(crashed, RunState(fail_on=fail_on))
    assert (verdict.status, verdict.exit_code, verdict.harness) == ("incomplete", 1, 1)
    assert "gauge was killed by SIGSEGV" in verdict.sentence
    assert verdict.sentence.endswith(", whatever --fail-on says; exit 1")
    assert not verdict.scored


def test_a_run_of_fewer_than_three_quarters_of_the_usual_scenarios_is_incomplete() -> None:
    few = tuple(record(f"s{i}", Status.PASSED) for i in range(7))
    assert decide(few, RunState(fail_on=("none",), usual_scenarios=10)).status == "incomplete"
    assert decide(few, RunState(fail_on=("none",), usual_scenarios=9)).status == "passed"


@pytest.mark.parametrize("fail_on", FAIL_ON_VALUES, ids=[",".join(v) for v in FAIL_ON_VALUES])
def test_a_run_pytest_stopped_early_is_incomplete_whatever_fail_on_says(fail_on: tuple[str, ...]) -> None:
    ran = (record("ok", Status.PASSED), record("broke", Status.FAILED, "config-gap", "secret missing"))
    state = RunState(
        fail_on=fail_on, stopped_early="stopping after 1 failures", collected=7, not_run=5, usual_scenarios=7
    )
    verdict = decide(ran, state)
    assert (verdict.status, verdict.exit_code, verdict.harness) == ("incomplete", 1, 0)
    assert verdict.reasons == (
        "pytest stopped the session early (stopping after 1 failures): 5 of 7 scenarios did not run,"
        " so the run is not scored",
    )
    assert not verdict.scored


@pytest.mark.parametrize("fail_on", FAIL_ON_VALUES, ids=[",".join(v) for v in FAIL_ON_VALUES])
def test_a_run_whose_images_changed_under_it_is_incomplete_whatever_fail_on_says(
    fail_on: tuple[str, ...],
) -> None:
    ran = (record("ok", Status.PASSED), record("broke", Status.FAILED, "upstream-regression", "exit 1"))
    moved = (
        "CSV x now sets IMAGE_PIPELINES_WEBHOOK=registry.redhat.io/w@sha256:a8258241bb7d, not this run's ..."
    )
    verdict = decide(ran, RunState(fail_on=fail_on, images_moved=moved))
    assert (verdict.status, verdict.exit_code) == ("incomplete", 1)
    assert verdict.reasons == (f"{moved}, so no failure can be blamed on this run's build",)
    assert not verdict.scored


@pytest.mark.parametrize("fail_on", FAIL_ON_VALUES, ids=[",".join(v) for v in FAIL_ON_VALUES])
def test_a_run_whose_cluster_stopped_answering_under_failures_is_incomplete_whatever_fail_on_says(
    fail_on: tuple[str, ...],
) -> None:
    ran = (record("ok", Status.PASSED), record("lost", Status.FAILED, "platform-issue", "did not answer"))
    lost = "the cluster's API did not answer from 21:58:03 to 21:58:40 UTC (HTTP 503); 1 failure in that time"
    verdict = decide(ran, RunState(fail_on=fail_on, cluster_lost=lost))
    assert (verdict.status, verdict.exit_code) == ("incomplete", 1)
    assert verdict.reasons == (f"{lost}, so they say nothing about upstream",)
    assert not verdict.scored


def test_a_precondition_error_gives_its_cause_as_the_reason_not_its_lead_line() -> None:
    lead = "cluster claim failed, so this scenario did not run:"
    cause = "another regression run holds this cluster: alice@laptop pid 4711 since ... (Lease ...)"
    errors = (RunError(phase="cluster claim", message=f"{lead}\n{cause}\n  hint: let it end"),)
    verdict = decide((), RunState(fail_on=("none",), errors=errors))
    assert verdict.sentence.startswith("ERROR: cluster claim failed, so the scenarios could not run as asked")
    assert verdict.reasons == (cause,)


def test_an_early_stop_after_the_last_scenario_leaves_the_verdict_to_the_failures() -> None:
    ran = (record("ok", Status.PASSED), record("broke", Status.FAILED, "config-gap", "secret missing"))
    state = RunState(fail_on=("none",), stopped_early="stopping after 1 failures", collected=2, not_run=0)
    assert decide(ran, state).status == "passed"


def test_a_build_failure_is_an_error_not_a_pass_even_with_fail_on_none() -> None:
    not_run = (record("a", Status.ERROR), record("b", Status.ERROR))
    verdict = decide(
        not_run, RunState(fail_on=("none",), errors=(RunError(phase="build", message="ko failed: exit 1"),))
    )
    assert (verdict.status, verdict.exit_code) == ("error", 1)
    assert verdict.sentence.startswith("ERROR: build failed")


def test_an_interruption_wins_and_names_the_signal() -> None:
    verdict = decide(MIXED, RunState(fail_on=("all",), interrupted=True, signal="SIGTERM"))
    assert (verdict.status, verdict.exit_code) == ("interrupted", 2)
    assert "SIGTERM" in verdict.sentence


@pytest.mark.parametrize(
    ("ran", "during", "collected", "where"),
    [
        (0, "build", 7, "during the build, before any of the 7 scenarios ran"),
        (0, "auto-setup", 1, "during auto-setup, before the only scenario ran"),
        (0, "cluster claim", 0, "while waiting for another regression run to let the cluster go"),
        (0, "", 7, "before any of the 7 scenarios ran"),  # an xdist controller: the workers ran the phases
        (3, "tests", 7, "after 3 of 7 scenarios"),
        (7, "tests", 7, "after all 7 scenarios"),
        (0, "deploy", None, "during the deploy"),
        (
            7,
            "confirm on shipped",
            7,
            "during the --confirm reruns on the shipped images (the operator runs them now),"
            " after all 7 scenarios",
        ),
    ],
)
def test_an_interruption_says_where_it_stopped(
    ran: int, during: str, collected: int | None, where: str
) -> None:
    records = tuple(record(f"s{n}", Status.PASSED) for n in range(ran))
    state = RunState(
        fail_on=("all",),
        interrupted=True,
        signal="SIGTERM",
        stopped_during=stopped_during(during),
        collected=collected,
    )
    verdict = decide(records, state)
    assert verdict.sentence == f"INTERRUPTED by SIGTERM {where}: the results so far are kept; exit 2"
    assert verdict.reasons == (where,)


def test_an_interruption_with_nothing_known_says_only_the_signal() -> None:
    verdict = decide((), RunState(fail_on=("all",), interrupted=True))
    assert verdict.sentence == "INTERRUPTED by Ctrl-C: the results so far are kept; exit 2"
    assert verdict.reasons == ()


def test_a_failed_python_test_beside_the_scenarios_fails_the_run() -> None:
    verdict = decide((record("ok", Status.PASSED),), RunState(fail_on=("none",), other_failures=1))
    assert (verdict.status, verdict.exit_code) == ("failed", 1)
    assert "outside the Gauge scenarios" in verdict.sentence


def test_a_failed_after_spec_hook_fails_a_scored_run_whatever_fail_on_says() -> None:
    """The scenarios ran, so no precondition failed; gauge failed the spec, so the run is no pass."""
    hook = RunError(phase="after-spec", message="specs/prune.spec: failed to restore the pruner")
    verdict = decide((record("ok", Status.PASSED),), RunState(fail_on=("none",), errors=(hook,)))
    assert (verdict.status, verdict.exit_code, verdict.scored) == ("failed", 1, True)
    assert verdict.sentence == (
        "FAILED: the AfterSpec hook of 1 spec failed (specs/prune.spec: failed to restore the pruner); exit 1"
    )


def test_a_session_pytest_itself_ended_says_pytests_exit_code() -> None:
    """The sentence said "internal failed ...; exit 1" while the process exited 4."""
    from pytest_streamstress.report.verdict import pytest_error

    usage = decide((), RunState(fail_on=("all",), errors=(pytest_error(4),), exit_override=4))
    assert (usage.status, usage.exit_code) == ("error", 4)
    assert usage.sentence == (
        "ERROR: pytest rejected the command line (its ERROR line says why), so no scenario ran; exit 4"
    )
    internal = decide((), RunState(fail_on=("all",), errors=(pytest_error(3),), exit_override=3))
    assert internal.sentence == "ERROR: pytest itself failed, so the scenarios could not run as asked; exit 3"


@pytest.mark.parametrize("fail_on", FAIL_ON_VALUES, ids=[",".join(v) for v in FAIL_ON_VALUES])
@pytest.mark.parametrize("state", list(RestoreState), ids=[s.value for s in RestoreState])
def test_after_a_failed_restore_the_sentence_still_states_the_exit_code_and_it_is_never_0(
    fail_on: tuple[str, ...], state: RestoreState
) -> None:
    """A nightly whose --restore failed leaves the shared cluster on its images: it must not be green."""
    before = decide(MIXED, RunState(fail_on=fail_on, known={"specs/a.spec::known gap"}))
    after = after_restore(before, Restore(state=state, message="why"))
    stated = re.search(r"; exit (\d+)$", after.sentence)
    assert stated is not None and int(stated.group(1)) == after.exit_code
    assert after.status == before.status, "the scenarios are scored as usual"
    assert after.scored == before.scored
    left = state in {RestoreState.FAILED, RestoreState.CUT_OFF}
    assert after.restore_failed is left
    assert after.to_json()["restore_failed"] is left
    if left:
        assert after.exit_code == 1
        assert after.sentence.count("; exit ") == 1
        lead = before.sentence.removesuffix(f"; exit {before.exit_code}")
        assert after.sentence.startswith(f"{lead}; --restore ")
        assert "this run's images" in after.sentence
    else:
        assert after == before


def test_a_failed_restore_keeps_an_interrupted_run_s_exit_code() -> None:
    before = decide(MIXED, RunState(fail_on=("all",), interrupted=True, signal="SIGTERM"))
    after = after_restore(before, Restore(state=RestoreState.CUT_OFF, message="bounded by --stop-timeout"))
    assert (before.exit_code, after.exit_code) == (2, 2)
    assert after.sentence.endswith(
        "; --restore was cut off, so the cluster may still run this run's images; exit 2"
    )


def test_without_a_restore_the_verdict_is_unchanged() -> None:
    before = decide(MIXED, RunState(fail_on=("none",)))
    assert after_restore(before, None) is before
