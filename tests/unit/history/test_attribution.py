"""Attribution: an upstream verdict needs a component that moved since the scenario last passed."""

from __future__ import annotations

from pytest_streamstress.history.attribution import attribute, usual_scenarios
from pytest_streamstress.history.model import RunOutcomes
from pytest_streamstress.model import Status

TEST = "specs/a.spec::PIPELINES-01-TC01"


def run(run_id: str, status: Status, commits: dict[str, str], *, complete: bool = True) -> RunOutcomes:
    return RunOutcomes(
        run_id=run_id, timestamp=run_id, outcomes={TEST: status}, components=commits, complete=complete
    )


def test_unchanged_components_since_the_last_pass_blame_nothing_upstream() -> None:
    found = attribute(TEST, current={"pipeline": "a1"}, runs=[run("r1", Status.PASSED, {"pipeline": "a1"})])
    assert found.upstream_changed is False
    assert found.evidence == "every built component is unchanged since r1, where it passed (pipeline at a1)"


def test_a_moved_component_is_named_with_both_commits() -> None:
    found = attribute(
        TEST,
        current={"pipeline": "b2", "triggers": "t1"},
        runs=[run("r1", Status.PASSED, {"pipeline": "a1", "triggers": "t1"})],
    )
    assert found.upstream_changed is True
    assert found.evidence == "changed since r1, where it passed: pipeline a1->b2"


def test_the_last_pass_counts_not_the_failures_after_it() -> None:
    runs = [run("r1", Status.PASSED, {"pipeline": "a1"}), run("r2", Status.FAILED, {"pipeline": "b2"})]
    assert attribute(TEST, current={"pipeline": "b2"}, runs=runs).upstream_changed is True


def test_no_history_or_no_built_commit_leaves_the_verdict_to_the_rules() -> None:
    assert attribute(TEST, current={"pipeline": "a1"}, runs=[]).upstream_changed is None
    assert attribute(TEST, current={}, runs=[run("r1", Status.PASSED, {})]).upstream_changed is None


def test_the_usual_scenario_count_is_the_median_of_scored_runs() -> None:
    def sized(n: int, complete: bool = True) -> RunOutcomes:
        outcomes = {f"t{i}": Status.PASSED for i in range(n)}
        return RunOutcomes(run_id=str(n), timestamp="", outcomes=outcomes, complete=complete)

    assert usual_scenarios([sized(10), sized(12), sized(11), sized(2, complete=False)]) == 11
    assert usual_scenarios([]) is None
