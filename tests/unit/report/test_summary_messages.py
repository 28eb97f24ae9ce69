"""The terminal summary shows what a failure message says, not only its first line (issue 21 gap 6)."""

from __future__ import annotations

from pathlib import Path

from pytest_streamstress.model import Categorization, Status
from pytest_streamstress.report.results_json import ScenarioRecord
from pytest_streamstress.report.summary import message_lines, summary_lines

COMMAND = (
    "Command:  oc create -f /root/release-tests/testdata/negative/pull-request.yaml -n releasetest-9fz1c"
)
ASSERTION = f"[assertion failed: \n{COMMAND}\nExitCode: 1\nError:    exit status 1\nStdout:   \n"
PANIC = (
    "panic: runtime error: invalid memory address or nil pointer dereference\n"
    "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x1a2b3c]\n"
    "\n"
    "goroutine 1 [running]:\n"
    "main.main()\n"
)


WAIT = (
    "error waiting for pipeline run finally-run to finish \n"
    '"finally-run" failed \n'
    "pipelinerun logs: \n"
    "[cleanup : step-cleanup] panic: runtime error: index out of range [1] with length 1\n"
    "pipelinerun events: \n"
)


def test_the_lines_after_a_bare_first_line_are_shown_up_to_three_without_headers() -> None:
    assert message_lines(ASSERTION, width=200) == [COMMAND, "ExitCode: 1", "Error:    exit status 1"]


def test_a_failed_pipelineruns_task_log_line_is_shown() -> None:
    assert message_lines(WAIT, width=200) == [
        "error waiting for pipeline run finally-run to finish",
        '"finally-run" failed',
        "[cleanup : step-cleanup] panic: runtime error: index out of range [1] with length 1",
    ]


def test_a_message_of_headers_only_is_still_shown() -> None:
    assert message_lines("[assertion failed: \nStdout:", width=80) == ["[assertion failed:", "Stdout:"]


def test_blank_lines_and_headers_do_not_count_and_a_panic_keeps_its_signal_line() -> None:
    assert message_lines(PANIC, width=200) == [
        "panic: runtime error: invalid memory address or nil pointer dereference",
        "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x1a2b3c]",
        "main.main()",
    ]


def test_each_line_is_cut_to_the_terminal_width_after_the_indent() -> None:
    lines = message_lines(ASSERTION, width=60)
    assert lines[0] == COMMAND[:53] + "…"
    assert all(len(line) <= 60 - 6 for line in lines)


def test_a_one_line_message_stays_one_line() -> None:
    assert message_lines('secret "git-credentials" not found', width=80) == [
        'secret "git-credentials" not found'
    ]


def failed(scenario: str, message: str, category: str, *, status: Status = Status.FAILED) -> ScenarioRecord:
    return ScenarioRecord(
        nodeid=f"specs/a.spec::{scenario}",
        spec="specs/a.spec",
        scenario=scenario,
        line=7,
        tags=(),
        status=status,
        message=message,
        category=Categorization(category=category, rule="r"),
    )


def test_the_summary_entry_shows_the_message_lines_under_the_scenario() -> None:
    record = failed("Run: PIPELINES-02-TC02", "expected: 2\ngot: 3\nbut wanted more", "config-gap")
    lines = summary_lines(
        [record], labels={}, fail_on=("all",), results_path=Path("/r/results.json"), width=80
    )
    start = lines.index("  specs/a.spec::Run: PIPELINES-02-TC02 [config-gap]")
    assert lines[start + 1 : start + 4] == ["      expected: 2", "      got: 3", "      but wanted more"]


def test_a_harness_failure_shows_its_cause_and_the_end_of_gauges_output() -> None:
    """Gauge's output ends where it broke; its first lines are only the spec's heading."""
    tail = ["# Verify PipelineRuns", "  ## Run sample pipeline", "  * step one", "  * step two"]
    tail += ["  ## Pipelinerun with finally tasks", "  * Validate Operator", "  * Verify pipelinerun"]
    cause = "gauge was killed by SIGKILL (signal 9) in the middle of this scenario; last output:"
    record = failed("Finally: PIPELINES-02-TC03", "\n".join([cause, *tail]), "harness", status=Status.ERROR)
    lines = summary_lines([record], labels={}, fail_on=("all",), results_path=None, width=120)
    start = lines.index(f"    {cause}")
    assert lines[start : start + 6] == [f"    {cause}", "    …", *(f"    {line}" for line in tail[-4:])]
