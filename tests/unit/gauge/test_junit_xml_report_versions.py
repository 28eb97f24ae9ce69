"""xml-report from v0.5.3 to v1.0.1 (getgauge/xml-report builder/xmlReportBuilder.go): row naming and
concept hook failures, read by gauge/junit.py and matched to items by gauge/results.py.

The names below are written by hand from the plugin's code (v0.5.3:195-212, v1.0.1:195-215), the
way the real plugin prints them; the naming is told apart only by v0.5.4's row markers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_streamstress.gauge.console import parse_console
from pytest_streamstress.gauge.junit import (
    DataRow,
    TableRow,
    case_name,
    naming_of,
    parse_failure_message,
    read_junit,
)
from pytest_streamstress.gauge.results import RunFacts, Wanted, merge_outcomes
from pytest_streamstress.model import Status

ROOT = Path("/root/release-tests")
ALICE = TableRow(number=1, values=(("name", "Alice"), ("id", "1")))
BOB = TableRow(number=2, values=(("name", "Bob"), ("id", "2")))
SIZE_M = TableRow(number=2, values=(("size", "M"),))


def _suite(*names_and_failures: tuple[str, str]) -> str:
    cases = []
    for name, failure in names_and_failures:
        if failure:
            cases.append(
                f'\t\t<testcase classname="Data" name="{name}" time="1.000">\n'
                f'\t\t\t<failure message="{failure}" type="{failure}">trace</failure>\n\t\t</testcase>'
            )
        else:
            cases.append(f'\t\t<testcase classname="Data" name="{name}" time="1.000"></testcase>')
    return (
        '<testsuites>\n\t<testsuite id="1" tests="2" failures="1" package="/root/release-tests/specs/dd.spec"'
        ' time="2.000" timestamp="2026-06-29T10:16:40" name="Data" errors="0" hostname="ci">\n'
        "\t\t<properties></properties>\n" + "\n".join(cases) + "\n"
        "\t\t<system-out></system-out>\n\t\t<system-err></system-err>\n\t</testsuite>\n</testsuites>"
    )


@pytest.mark.parametrize(
    ("row", "naming", "name"),
    [
        (DataRow(spec=ALICE), "0.5.3", "Say hello 1: [name: Alice] [id: 1]"),
        (DataRow(spec=ALICE), "0.5.4", "Say hello | SpecRow: 1: [name: Alice] [id: 1]"),
        (DataRow(scenario=SIZE_M), "0.5.4", "Say hello | ScnRow: 2: [size: M]"),
        (DataRow(scenario=SIZE_M), "0.5.3", "Say hello 1: [size: M]"),
        (
            DataRow(spec=BOB, scenario=SIZE_M),
            "0.5.4",
            "Say hello | SpecRow: 2: [name: Bob] [id: 2] ScnRow: 2: [size: M]",
        ),
        (DataRow(spec=BOB, scenario=SIZE_M), "0.5.3", "Say hello 2: "),
        (None, "0.5.4", "Say hello"),
    ],
    ids=[
        "spec-0.5.3",
        "spec-0.5.4",
        "scenario-0.5.4",
        "scenario-0.5.3",
        "both-0.5.4",
        "both-0.5.3",
        "no-row",
    ],
)
def test_testcase_name_follows_the_plugin_version(row: DataRow | None, naming: str, name: str) -> None:
    assert case_name("Say hello", row, naming=naming) == name  # type: ignore[arg-type]  # a Naming literal


def test_naming_is_told_by_the_row_markers() -> None:
    assert naming_of(["Plain", "Say hello | SpecRow: 1: [name: Alice]"]) == "0.5.4"
    assert naming_of(["Plain", "Say hello | ScnRow: 3: [size: L]"]) == "0.5.4"
    assert naming_of(["Plain", "Say hello 1: [name: Alice]"]) == "0.5.3"
    assert naming_of(["A heading with | SpecRow in it"]) == "0.5.3"


@pytest.mark.parametrize(
    "names",
    [
        ("Say hello 1: [name: Alice] [id: 1]", "Say hello 2: [name: Bob] [id: 2]"),
        ("Say hello | SpecRow: 1: [name: Alice] [id: 1]", "Say hello | SpecRow: 2: [name: Bob] [id: 2]"),
    ],
    ids=["xml-report-0.5.3", "xml-report-1.0.1"],
)
def test_each_data_row_item_gets_its_own_testcase_in_either_naming(
    tmp_path: Path, names: tuple[str, str]
) -> None:
    path = tmp_path / "result.xml"
    path.write_text(
        _suite(
            (names[0], ""), (names[1], "Say hello to &lt;name&gt;&#xA;Step Execution Failure: &#39;no&#39;")
        )
    )
    wanted = [
        Wanted(
            heading="Say hello",
            junit_name=case_name("Say hello", DataRow(spec=row)),
            data_row=DataRow(spec=row),
        )
        for row in (ALICE, BOB)
    ]
    outcomes = merge_outcomes(
        wanted,
        spec_rel="specs/dd.spec",
        project_dirs=[ROOT],
        junit=read_junit(path),
        junit_problem="",
        console=parse_console("", headings=["Say hello"]),
        facts=RunFacts(exit_code=1),
    )
    assert [outcomes[w.key].status for w in wanted] == [Status.PASSED, Status.FAILED]
    assert outcomes[wanted[1].key].message == "no"


@pytest.mark.parametrize(
    ("message", "kind", "subject", "error"),
    [
        (
            "Say hi\nConcept Pre Hook Failure: 'before step: db down'",
            "concept-hook",
            "Say hi",
            "before step: db down",
        ),
        (
            "Say bye\nConcept Post Hook Failure: 'after step: leak'",
            "concept-hook",
            "Say bye",
            "after step: leak",
        ),
        ("Create\nStep Pre Hook Failure: 'x'", "step-hook", "Create", "x"),
        ("Create\nStep Post Hook Failure: 'y'", "step-hook", "Create", "y"),
        ("Heading\nScenario Post Hook Failure: 'z'", "scenario-hook", "Heading", "z"),
    ],
    ids=["concept-pre", "concept-post", "step-pre", "step-post", "scenario-post"],
)
def test_hook_failure_messages_name_the_hook_and_what_it_ran_around(
    message: str, kind: str, subject: str, error: str
) -> None:
    parsed = parse_failure_message(message)
    assert (parsed.kind, parsed.subject, parsed.error) == (kind, subject, error)


def test_concept_hook_failure_names_the_inner_step_without_a_line(tmp_path: Path) -> None:
    path = tmp_path / "result.xml"
    failure = "Say hi&#xA;Concept Pre Hook Failure: &#39;secrets &#34;x&#34; not found&#39;"
    path.write_text(_suite(("Uses concept", failure)))
    wanted = [Wanted(heading="Uses concept")]
    outcome = merge_outcomes(
        wanted,
        spec_rel="specs/dd.spec",
        project_dirs=[ROOT],
        junit=read_junit(path),
        junit_problem="",
        console=parse_console("", headings=["Uses concept"]),
        facts=RunFacts(exit_code=1),
    )["Uses concept"]
    assert outcome.status is Status.FAILED
    assert outcome.failing_step is not None
    assert (outcome.failing_step.text, outcome.failing_step.line) == ("Say hi", None)
    assert outcome.message == 'secrets "x" not found'


CONCEPT_HOOK_CONSOLE = "\n".join(
    [
        "# Concept spec",
        "  ## Uses concept",
        "      * Greet everyone",
        "          * Say hi",
        "          * Say bye",
        "            Error Message: before step: db down",
        "            Stacktrace: ",
        "            t1",
        "",
        "Specifications:\t1 executed\t0 passed\t1 failed\t0 skipped",
    ]
)


def test_console_fallback_names_the_step_whose_hook_failed(tmp_path: Path) -> None:
    """Without result.xml: a step hook prints only its message, under its step's `* ` line."""
    outcome = merge_outcomes(
        [Wanted(heading="Uses concept")],
        spec_rel="specs/c.spec",
        project_dirs=[ROOT],
        junit=None,
        junit_problem="no result.xml",
        console=parse_console(CONCEPT_HOOK_CONSOLE, headings=["Uses concept"]),
        facts=RunFacts(exit_code=1),
    )["Uses concept"]
    assert outcome.status is Status.FAILED
    assert outcome.failing_step is not None
    assert (outcome.failing_step.text, outcome.failing_step.line) == ("Say bye", None)
    assert outcome.message == "before step: db down"
