"""Allure results (report/allure.py): one scenario as a result document, the session files (pure)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path

import pytest

from pytest_streamstress.model import Categorization, Confirmation, FailingStep, Status
from pytest_streamstress.report import allure
from pytest_streamstress.report.results_json import ScenarioRecord

RUN = allure.AllureRun(
    run_id="run-20261206T020000Z-abcdef",
    started_at=dt.datetime(2026, 12, 6, 2, 0, tzinfo=dt.timezone.utc),
    emulated=True,
    cluster="emulated",
    components=(("pipeline", "f" * 40),),
    verdict="failed",
)
OUTLINE = (
    allure.StepOutline(text="Validate Operator should be installed", line=4),
    allure.StepOutline(
        text="Setup pipeline triggers",
        line=9,
        steps=(
            allure.StepOutline(text="Create secret"),
            allure.StepOutline(text="Apply the trigger binding"),
        ),
    ),
    allure.StepOutline(text="Verify pipelinerun", line=10),
)


def record(status: Status, **changes: object) -> ScenarioRecord:
    base = ScenarioRecord(
        nodeid="specs/pipelines/run.spec::Pipelinerun with finally tasks: DEMO-03-TC02",
        spec="specs/pipelines/run.spec",
        scenario="Pipelinerun with finally tasks: DEMO-03-TC02",
        line=24,
        tags=("e2e", "pipelines"),
        status=status,
        duration_s=41.2,
        started_at="2026-12-06T02:01:00Z",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]  # the test names real fields


UPSTREAM = Categorization(
    category="upstream-regression", rule="controller-panic", known_issue="https://x/SRVKP-1"
)


def test_history_id_and_test_case_id_are_the_scenario_id() -> None:
    result = allure.result_of(record(Status.PASSED), run=RUN)
    assert result["historyId"] == result["testCaseId"] == "specs/pipelines/run.spec::DEMO-03-TC02"


def test_a_result_carries_gauges_real_start_and_duration() -> None:
    result = allure.result_of(record(Status.PASSED), run=RUN)
    start = dt.datetime(2026, 12, 6, 2, 1, tzinfo=dt.timezone.utc).timestamp() * 1000
    assert (result["start"], result["stop"] - result["start"]) == (start, 41200)


@pytest.mark.parametrize(
    ("status", "category", "expected"),
    [
        (Status.PASSED, None, "passed"),
        (Status.SKIPPED, None, "skipped"),
        (Status.FAILED, UPSTREAM, "failed"),
        (Status.FAILED, Categorization(category="harness", rule="gauge-timeout"), "broken"),
        (Status.ERROR, None, "broken"),
    ],
    ids=["passed", "skipped", "failed-check", "harness-broke", "setup-error"],
)
def test_a_failed_check_is_failed_and_a_scenario_that_could_not_run_is_broken(
    status: Status, category: Categorization | None, expected: str
) -> None:
    assert allure.result_of(record(status, category=category), run=RUN)["status"] == expected


def test_steps_pass_up_to_the_failing_one_and_are_skipped_after_it() -> None:
    failed = record(
        Status.FAILED, category=UPSTREAM, failing_step=FailingStep(text="Verify pipelinerun", line=10)
    )
    steps = allure.result_of(failed, run=RUN, steps=OUTLINE)["steps"]
    assert [s["status"] for s in steps] == ["passed", "passed", "failed"]
    assert [c["status"] for c in steps[1]["steps"]] == ["passed", "passed"]
    assert "start" not in steps[0], "gauge reports no step durations: none are invented"


def test_a_failing_step_inside_a_concept_fails_the_concept_and_skips_what_follows() -> None:
    failed = record(Status.FAILED, category=UPSTREAM, failing_step=FailingStep(text="Create secret"))
    steps = allure.result_of(failed, run=RUN, steps=OUTLINE)["steps"]
    assert [s["status"] for s in steps] == ["passed", "failed", "skipped"]
    assert [c["status"] for c in steps[1]["steps"]] == ["failed", "skipped"]


def test_a_failure_no_step_explains_blames_no_step() -> None:
    failed = record(Status.ERROR, message="gauge was killed at --gauge-timeout")
    steps = allure.result_of(failed, run=RUN, steps=OUTLINE)["steps"]
    assert {s["status"] for s in steps} == {"unknown"}


def test_category_confirmation_and_emulated_are_labels_and_the_known_issue_a_link() -> None:
    confirmation = Confirmation(verdict="confirmed", reason="passes on the shipped images")
    result = allure.result_of(record(Status.FAILED, category=UPSTREAM, confirmation=confirmation), run=RUN)
    labels = {(label["name"], label["value"]) for label in result["labels"]}
    assert {
        ("category", "upstream-regression"),
        ("confirmation", "confirmed"),
        ("emulated", "true"),
    } <= labels
    assert result["links"] == [{"type": "issue", "name": "SRVKP-1", "url": "https://x/SRVKP-1"}]


def test_categories_json_matches_each_category_by_the_traces_marker_line() -> None:
    failed = allure.result_of(record(Status.FAILED, category=UPSTREAM, trace="at x.go:3"), run=RUN)
    entries = allure.categories_json(
        [("upstream-regression", "Upstream Regression"), ("config-gap", "Config Gap")]
    )
    matching = [e["name"] for e in entries if re.fullmatch(e["traceRegex"], failed["statusDetails"]["trace"])]
    assert matching == ["Upstream Regression"]


def test_environment_properties_name_the_run_the_cluster_and_each_commit() -> None:
    text = allure.environment_properties(RUN)
    assert "run_id=run-20261206T020000Z-abcdef\n" in text
    assert "emulated=true\n" in text and f"component.pipeline={'f' * 40}\n" in text


def test_writing_replaces_an_earlier_runs_files_and_leaves_others_alone(tmp_path: Path) -> None:
    (tmp_path / "old-result.json").write_text("{}")
    (tmp_path / "someone-elses.txt").write_text("keep")
    written = allure.write_results(
        tmp_path,
        [
            record(Status.PASSED),
            record(Status.FAILED, category=UPSTREAM, nodeid="specs/x.spec::Other", scenario="Other"),
        ],
        run=RUN,
        categories=[("upstream-regression", "Upstream Regression")],
        steps={},
    )
    results = sorted(p.name for p in tmp_path.glob("*-result.json"))
    assert written == len(results) == 2 and "old-result.json" not in results
    assert (tmp_path / "someone-elses.txt").read_text() == "keep"
    assert json.loads((tmp_path / "executor.json").read_text())["name"] == "pytest-streamstress"
