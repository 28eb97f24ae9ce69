"""report/failed_install.py: which failures follow a failed install scenario (no gauge, no session)."""

from __future__ import annotations

import pytest

from pytest_streamstress.model import Categorization, FailingStep, Status
from pytest_streamstress.report.failed_install import refile_after_failed_install
from pytest_streamstress.report.results_json import ScenarioRecord


def record(
    name: str,
    *,
    status: Status = Status.FAILED,
    rule: str = "default",
    category: str = "upstream-regression",
    tags: tuple[str, ...] = ("e2e",),
    started: str | None = "2026-12-07T02:00:10Z",
) -> ScenarioRecord:
    return ScenarioRecord(
        nodeid=f"specs/{name}.spec::{name}",
        spec=f"specs/{name}.spec",
        scenario=name,
        line=3,
        tags=tags,
        status=status,
        message="first line\nsecond line",
        failing_step=FailingStep(text="Validate hub deployment", line=5),
        category=None if status is Status.PASSED else Categorization(category=category, rule=rule),
        started_at=started,
    )


def install(status: Status = Status.FAILED, started: str | None = "2026-12-07T02:00:00Z") -> ScenarioRecord:
    return record("olm", status=status, tags=("Install", "admin"), started=started)


def run(*records: ScenarioRecord, first: bool = True) -> tuple[list[str], dict[str, ScenarioRecord]]:
    by_id = {r.nodeid: r for r in records}
    return refile_after_failed_install(by_id, install_ran_first=first), by_id


def test_only_the_default_rule_s_upstream_regressions_after_the_failed_install_move() -> None:
    moved, records = run(
        install(),
        record("hub"),
        record("panic", rule="controller-panic"),
        record("gap", category="config-gap", rule="secret-missing"),
        record("ok", status=Status.PASSED),
    )
    assert moved == ["specs/hub.spec::hub"]
    hub = records["specs/hub.spec::hub"].category
    assert hub is not None and (hub.category, hub.rule, hub.field) == (
        "unattributed",
        "after-failed-install",
        "run",
    )
    assert hub.evidence.startswith(
        "the install scenario 'olm' (specs/olm.spec:3) failed at step 'Validate hub deployment': first line;"
    )
    olm = records["specs/olm.spec::olm"].category
    assert olm is not None and olm.category == "upstream-regression", "the install scenario keeps its own"


@pytest.mark.parametrize("status", [Status.PASSED, Status.SKIPPED])
def test_an_install_scenario_that_did_not_fail_moves_nothing(status: Status) -> None:
    moved, _ = run(install(status), record("hub"))
    assert moved == []


def test_a_failure_that_started_before_the_install_scenario_keeps_its_verdict() -> None:
    moved, _ = run(install(), record("hub", started="2026-12-07T01:59:00Z"), first=False)
    assert moved == []


@pytest.mark.parametrize(("first", "expected"), [(True, 1), (False, 0)])
def test_without_start_times_only_an_install_scenario_run_first_counts(first: bool, expected: int) -> None:
    moved, _ = run(install(started=None), record("hub", started=None), first=first)
    assert len(moved) == expected
