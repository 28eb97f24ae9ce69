"""A failed AfterSpec hook in gauge's results (gauge/results.py): beside the scenarios, never instead.

xml-report has no testcase for it and only counts it in the suite's `failures` (getgauge/xml-report
builder/xmlReportBuilder.go v1.0.1:132); the simple console prints it at indent 2 at the spec's end.
"""

from __future__ import annotations

from pathlib import Path

from pytest_streamstress.gauge.console import parse_console
from pytest_streamstress.gauge.results import AFTER_SPEC_KEY, RunFacts, Wanted, merge_outcomes, read_junit
from pytest_streamstress.model import ResultSource, Status

ROOT = Path("/root/release-tests")
TC01 = "First: PIPELINES-91-TC01"
CONSOLE = "\n".join(
    [
        "# Auto prune",
        f"  ## {TC01}",
        '      * Create "a.yaml"',
        "  Error Message: failed to restore the pruner",
        "  Stacktrace: ",
        "  hooks.go:71",
        "",
        "Successfully generated xml-report to => /root/release-tests/reports/xml-report",
        "",
        "Specifications:\t1 executed\t0 passed\t1 failed\t0 skipped",
        "Scenarios:\t1 executed\t1 passed\t0 failed\t0 skipped",
    ]
)


def xml(failures: int) -> str:
    return (
        "<testsuites>\n"
        f'\t<testsuite id="1" tests="1" failures="{failures}" package="{ROOT}/specs/prune.spec" time="1.000"'
        ' timestamp="2026-06-29T10:16:40" name="Auto prune" errors="0" hostname="ci">\n'
        "\t\t<properties></properties>\n"
        f'\t\t<testcase classname="Auto prune" name="{TC01}" time="1.000"></testcase>\n'
        "\t\t<system-out></system-out>\n\t\t<system-err></system-err>\n\t</testsuite>\n</testsuites>"
    )


def merged(
    tmp_path: Path, *, failures: int, console: str
) -> dict[str, tuple[Status, str, str, ResultSource]]:
    path = tmp_path / "result.xml"
    path.write_text(xml(failures), encoding="utf-8")
    outcomes = merge_outcomes(
        [Wanted(heading=TC01)],
        spec_rel="specs/prune.spec",
        project_dirs=[ROOT],
        junit=read_junit(path),
        junit_problem="",
        console=parse_console(console, headings=[TC01]),
        facts=RunFacts(exit_code=1),
    )
    return {key: (o.status, o.message, o.trace, o.source) for key, o in outcomes.items()}


def test_the_hook_failure_comes_beside_the_passed_scenario_with_the_consoles_message(tmp_path: Path) -> None:
    assert merged(tmp_path, failures=1, console=CONSOLE) == {
        TC01: (Status.PASSED, "", "", ResultSource.JUNIT),
        AFTER_SPEC_KEY: (Status.ERROR, "failed to restore the pruner", "hooks.go:71", ResultSource.STDOUT),
    }


def test_a_suite_counting_more_failures_than_failed_scenarios_tells_even_without_the_console(
    tmp_path: Path,
) -> None:
    found = merged(tmp_path, failures=1, console=f"# Auto prune\n  ## {TC01}\n")
    assert found[AFTER_SPEC_KEY][0] is Status.ERROR
    assert found[AFTER_SPEC_KEY][3] is ResultSource.JUNIT


def test_no_hook_failure_adds_nothing(tmp_path: Path) -> None:
    console = CONSOLE.replace(
        "  Error Message: failed to restore the pruner\n  Stacktrace: \n  hooks.go:71\n", ""
    )
    assert set(merged(tmp_path, failures=0, console=console)) == {TC01}
