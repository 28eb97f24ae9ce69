"""gauge/junit.py, gauge/console.py and their merge (gauge/results.py), as in reference gauge.md §4-§5."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pytest_streamstress.gauge.console import ConsoleReport, parse_console
from pytest_streamstress.gauge.junit import (
    DataRow,
    TableRow,
    UnreadableResults,
    case_name,
    parse_failure_message,
    read_junit,
)
from pytest_streamstress.gauge.results import RunFacts, Wanted, merge_outcomes, skip_reason
from pytest_streamstress.model import ResultSource, Status

ROOT = Path("/root/release-tests")
TC01 = "Run Pipeline with a non-existent ServiceAccount: PIPELINES-02-TC01"
TC02 = "Run Task with a non-existent ServiceAccount: PIPELINES-02-TC02"

SUITE_FAIL = (
    '\t<testsuite id="{id}" tests="2" failures="1" package="/root/release-tests/specs/pipelines/fail.spec"'
    ' time="95.310" timestamp="2026-06-29T10:16:40" name="Verify Pipeline Failures" errors="0"'
    ' hostname="ci">\n'
    "\t\t<properties></properties>\n"
    f'\t\t<testcase classname="Verify Pipeline Failures" name="{TC01}" time="41.022"></testcase>\n'
    f'\t\t<testcase classname="Verify Pipeline Failures" name="{TC02}" time="54.288">\n'
    '\t\t\t<failure message="Create&#xA;Step Execution Failure: &#39;[assertion failed: &#xA;Command:  oc'
    ' create -f x.yaml&#xA;ExitCode: 1]&#39;" type="Create&#xA;Step Execution Failure: &#39;[assertion'
    ' failed]&#39;">&#x9;/root/go/pkg/mod/gauge-go/testing.go:40&#xA;pkg/cmd.Log(...)&#xA;</failure>\n'
    "\t\t</testcase>\n"
    "\t\t<system-out></system-out>\n"
    "\t\t<system-err></system-err>\n"
    "\t</testsuite>"
)
SUITE_SAME_HEADING = (
    '\t<testsuite id="{id}" tests="1" failures="0" package="/root/release-tests/specs/pac/pac.spec"'
    ' time="1.000" timestamp="2026-06-29T10:16:40" name="Verify Pipeline Failures" errors="0"'
    ' hostname="ci">\n'
    "\t\t<properties></properties>\n"
    f'\t\t<testcase classname="Verify Pipeline Failures" name="{TC02}" time="1.000"></testcase>\n'
    "\t\t<system-out></system-out>\n\t\t<system-err></system-err>\n\t</testsuite>"
)


@dataclass(frozen=True)
class FakeStep:
    """A step as the spec model gives it (the Protocol seam StepLike)."""

    text: str
    line: int
    concept_steps: tuple[FakeStep, ...] = field(default=())


FAIL_STEPS = (
    FakeStep("Validate Operator should be installed", 7),
    FakeStep('Verify ServiceAccount "foobar" does not exist', 33),
    FakeStep("Create", 35),
    FakeStep("Create", 42),
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "result.xml"
    path.write_text(text, encoding="utf-8")
    return path


def merged(junit_text: str | None, console_text: str, tmp_path: Path, wanted: list[Wanted], **facts: object):
    junit = read_junit(write(tmp_path, junit_text)) if junit_text is not None else None
    console = parse_console(console_text, headings=[w.heading for w in wanted])
    return merge_outcomes(
        wanted,
        spec_rel="specs/pipelines/fail.spec",
        project_dirs=[ROOT],
        junit=junit,
        junit_problem="" if junit is not None else "no result.xml",
        console=console,
        facts=RunFacts(
            exit_code=facts.get("exit_code", 1),
            timed_out_after=facts.get("timed_out_after"),  # type: ignore[arg-type]
            tail=str(facts.get("tail", "")),
        ),
    )


SIMPLE_FAIL_CONSOLE = "\n".join(
    [
        "# Verify Pipeline Failures",
        f"  ## {TC01}",
        '2026/06/29 10:15:02 output: Now using project "releasetest-7xk2q"',
        "      * Validate Operator should be installed",
        '      * Verify ServiceAccount "foobar" does not exist',
        f"  ## {TC02}",
        "      * Validate Operator should be installed",
        "      * Create",
        "      * Create",
        " " * 8,
        "        Failed Step: Create",
        "        Specification: specs/pipelines/fail.spec:42",
        "        Error Message: [assertion failed: ",
        "        Command:  oc create -f x.yaml",
        "",  # gauge pads blank lines of a block; an unpadded one must not end it
        "        ExitCode: 1]",
        "        Stacktrace: ",
        "        \t/root/go/pkg/mod/gauge-go/testing.go:40",
        "        pkg/cmd.Log(...)",
        "",
        "Successfully generated xml-report to => /root/release-tests/reports/xml-report",
        "",
        "Specifications:\t1 executed\t0 passed\t1 failed\t0 skipped",
        "Scenarios:\t2 executed\t1 passed\t1 failed\t0 skipped",
        "",
        "Total time taken: 1m35.310s",
    ]
)


def test_suites_are_matched_by_package_not_by_name_and_in_any_order(tmp_path: Path) -> None:
    text = (
        "<testsuites>\n"
        + SUITE_SAME_HEADING.format(id=1)
        + "\n"
        + SUITE_FAIL.format(id=2)
        + "\n</testsuites>"
    )
    report = read_junit(write(tmp_path, text))
    suite = report.suite_for("specs/pipelines/fail.spec", [ROOT])
    assert suite is not None
    assert suite.package == "/root/release-tests/specs/pipelines/fail.spec"
    assert [c.status for c in suite.cases] == [Status.PASSED, Status.FAILED]


def test_failure_message_gives_the_step_and_gauges_error() -> None:
    parsed = parse_failure_message("Create\nStep Execution Failure: '[assertion failed: \nExitCode: 1]'")
    assert (parsed.kind, parsed.subject, parsed.error) == (
        "step",
        "Create",
        "[assertion failed: \nExitCode: 1]",
    )


def test_testcase_name_is_the_heading_plus_row_and_cells_for_a_data_row() -> None:
    row = DataRow(spec=TableRow(number=1, values=(("id", "1"), ("name", "Alice"))))
    assert case_name(TC01) == TC01
    assert case_name("Say hello", row) == "Say hello 1: [id: 1] [name: Alice]"


def test_scenario_hook_failure_message_names_the_hook() -> None:
    parsed = parse_failure_message(
        f"{TC02}\nScenario Pre Hook Failure: 'service account 'pipeline' not available'"
    )
    assert parsed.kind == "scenario-hook"
    assert parsed.error == "service account 'pipeline' not available"


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        ("[SKIPPED] [KNOWN BUG: SRVKP-1234]", "[SKIPPED] [KNOWN BUG: SRVKP-1234]"),
        ("[[SKIPPED] [KNOWN BUG: SRVKP-1234]]", "[SKIPPED] [KNOWN BUG: SRVKP-1234]"),
        ("[assertion failed: [SKIPPED] later]", None),
    ],
    ids=["plain", "wrapped-by-adaptor", "not-at-start"],
)
def test_skip_reason_is_read_only_from_a_leading_skipped_mark(error: str, reason: str | None) -> None:
    assert skip_reason(error) == reason


def test_failed_scenario_from_junit_has_step_line_from_the_console(tmp_path: Path) -> None:
    wanted = [Wanted(heading=TC01, steps=FAIL_STEPS), Wanted(heading=TC02, steps=FAIL_STEPS)]
    outcomes = merged(
        "<testsuites>\n" + SUITE_FAIL.format(id=1) + "\n</testsuites>", SIMPLE_FAIL_CONSOLE, tmp_path, wanted
    )
    failed = outcomes[TC02]
    assert failed.status is Status.FAILED
    assert failed.source is ResultSource.JUNIT
    assert failed.failing_step is not None
    assert (failed.failing_step.text, failed.failing_step.line) == ("Create", 42)
    assert failed.message.startswith("[assertion failed: ")
    assert "testing.go:40" in failed.trace
    assert failed.duration_s == pytest.approx(54.288)
    assert outcomes[TC01].status is Status.PASSED


def test_before_spec_failure_makes_every_scenario_an_error_not_a_pass(tmp_path: Path) -> None:
    suite = (
        '<testsuites>\n\t<testsuite id="1" tests="0" failures="1"'
        ' package="/root/release-tests/specs/pipelines/'
        'fail.spec" time="0.100" timestamp="t" name="Verify Pipeline Failures" errors="0" hostname="ci">\n'
        "\t\t<properties></properties>\n\t\t<system-out></system-out>\n\t\t<system-err></system-err>\n"
        "\t</testsuite>\n</testsuites>"
    )
    console = (
        "# Verify Pipeline Failures\n  Error Message: pruner settings could not be saved\n"
        "  Stacktrace: \n  x.go:1\n\n"
    )
    outcomes = merged(suite, console, tmp_path, [Wanted(heading=TC01), Wanted(heading=TC02)])
    assert {o.status for o in outcomes.values()} == {Status.ERROR}
    assert "pruner settings could not be saved" in outcomes[TC01].message
    assert "BeforeSpec" in outcomes[TC02].message


def test_truncated_xml_is_unreadable(tmp_path: Path) -> None:
    text = "<testsuites>\n" + SUITE_FAIL.format(id=1)[:300]
    with pytest.raises(UnreadableResults, match="not readable JUnit XML"):
        read_junit(write(tmp_path, text))


def test_console_is_the_fallback_when_there_is_no_xml(tmp_path: Path) -> None:
    wanted = [Wanted(heading=TC01, steps=FAIL_STEPS), Wanted(heading=TC02, steps=FAIL_STEPS)]
    outcomes = merged(None, SIMPLE_FAIL_CONSOLE, tmp_path, wanted)
    assert outcomes[TC01].status is Status.PASSED
    assert outcomes[TC01].source is ResultSource.STDOUT
    failed = outcomes[TC02]
    assert (failed.status, failed.source) == (Status.FAILED, ResultSource.STDOUT)
    assert failed.failing_step is not None and failed.failing_step.line == 42
    assert failed.message == "[assertion failed: \nCommand:  oc create -f x.yaml\n\nExitCode: 1]"
    assert failed.trace.splitlines() == ["\t/root/go/pkg/mod/gauge-go/testing.go:40", "pkg/cmd.Log(...)"]


def test_retried_scenario_that_passed_last_is_flaky_with_attempts_counted(tmp_path: Path) -> None:
    console = "\n".join(
        [
            "# Verify Pipeline Failures",
            f"  ## {TC01}",
            "      * Create",
            " " * 8,
            "        Failed Step: Create",
            "        Specification: specs/pipelines/fail.spec:35",
            "        Error Message: flaked",
            "        Stacktrace: ",
            "        x.go:1",
            f"  ## {TC01}",
            "      * Create",
            "",
            "Specifications:\t1 executed\t1 passed\t0 failed\t0 skipped",
        ]
    )
    xml = "<testsuites>\n" + SUITE_FAIL.format(id=1) + "\n</testsuites>"
    outcome = merged(xml, console, tmp_path, [Wanted(heading=TC01)])[TC01]
    assert (outcome.status, outcome.attempts, outcome.flaky) == (Status.PASSED, 2, True)


def test_timed_out_run_errors_unreported_scenarios_with_the_last_output(tmp_path: Path) -> None:
    console = f"# Verify Pipeline Failures\n  ## {TC01}\n      * Create\n  ## {TC02}\n      * Create\n"
    outcomes = merged(
        None,
        console,
        tmp_path,
        [Wanted(heading=TC01), Wanted(heading=TC02)],
        exit_code=None,
        timed_out_after=2.0,
        tail="      * Create",
    )
    assert outcomes[TC01].status is Status.PASSED  # its block was closed by the next heading
    assert outcomes[TC02].status is Status.ERROR
    assert outcomes[TC02].message == "gauge timed out after 2s (--gauge-timeout); last output:\n* Create"
    assert outcomes[TC02].harness is not None and outcomes[TC02].harness.kind == "timeout"
    assert outcomes[TC02].source is ResultSource.NONE


def test_crash_mid_scenario_is_an_error_naming_the_exit_code(tmp_path: Path) -> None:
    console = f"# Verify Pipeline Failures\n  ## {TC01}\n      * Create\n"
    outcome = merged(None, console, tmp_path, [Wanted(heading=TC01), Wanted(heading=TC02)], exit_code=139)
    assert outcome[TC01].status is Status.ERROR
    assert "gauge exited with code 139 in the middle of this scenario" in outcome[TC01].message
    assert "without reporting this scenario" in outcome[TC02].message


def test_skipped_failure_becomes_a_skip_with_its_reason(tmp_path: Path) -> None:
    xml = (
        '<testsuites>\n\t<testsuite id="1" tests="1" failures="1"'
        ' package="/root/release-tests/specs/pipelines/'
        'fail.spec" time="1" timestamp="t" name="N" errors="0" hostname="h">\n'
        f'\t\t<testcase classname="N" name="{TC01}" time="1.000">\n'
        '\t\t\t<failure message="Skip if OCP &gt;= &#34;4.20&#34;&#xA;Step Execution Failure: &#39;[SKIPPED]'
        ' [KNOWN BUG: SRVKP-11139]&#39;" type="x">trace</failure>\n\t\t</testcase>\n\t</testsuite>'
        "\n</testsuites>"
    )
    outcome = merged(xml, "", tmp_path, [Wanted(heading=TC01)])[TC01]
    assert (outcome.status, outcome.message) == (Status.SKIPPED, "[SKIPPED] [KNOWN BUG: SRVKP-11139]")


def test_validation_skip_in_xml_is_a_skip(tmp_path: Path) -> None:
    xml = (
        '<testsuites>\n\t<testsuite id="1" tests="1" failures="0"'
        ' package="/root/release-tests/specs/pipelines/'
        'fail.spec" time="0" timestamp="t" name="N" errors="0" skipped="1" hostname="h">\n'
        f'\t\t<testcase classname="N" name="{TC01}" time="0.000">\n'
        '\t\t\t<skipped message="/root/release-tests/specs/pipelines/fail.spec:28'
        " Step implementation not found"
        ' =&gt; &#39;Download&#39;"></skipped>\n\t\t</testcase>\n\t</testsuite>\n</testsuites>'
    )
    outcome = merged(xml, "", tmp_path, [Wanted(heading=TC01)])[TC01]
    assert outcome.status is Status.SKIPPED
    assert "Step implementation not found" in outcome.message


def test_heading_line_with_runner_output_after_it_is_still_a_scenario_start() -> None:
    report = parse_console(
        f"  ## {TC01}\t2026/06/29 10:15:02 output: x\n\nSpecifications:\t", headings=[TC01]
    )
    assert isinstance(report, ConsoleReport)
    assert [a.heading for a in report.attempts] == [TC01]
    assert report.finished


def test_step_inside_a_concept_has_no_line() -> None:
    console = "\n".join(
        [
            f"  ## {TC01}",
            "      * Add Event listener",
            "          * Create",
            " " * 12,
            "            Failed Step: Create",
            "            Specification: specs/triggers/eventlistener.spec",
            "            Error Message: boom",
            "            Stacktrace: ",
            "            x.go:1",
            "",
        ]
    )
    failure = parse_console(console, headings=[TC01]).attempts[0].failure
    assert failure is not None
    assert (failure.step, failure.line, failure.message) == ("Create", None, "boom")


def test_scenario_hook_failure_in_console_has_no_step() -> None:
    console = (
        f"  ## {TC02}\n    Error Message: service account 'pipeline' not available\n"
        "    Stacktrace: \n    x.go:1\n\n"
    )
    failure = parse_console(console, headings=[TC02]).attempts[0].failure
    assert failure is not None
    assert (failure.step, failure.message) == ("", "service account 'pipeline' not available")
