"""xml-report's JUnit file (v0.5.3 to v1.0.1, reference gauge.md §5): reading it and its naming.

Owns everything xml-report names: a `<testsuite>` per spec file, found by its `package`
attribute (the absolute spec path), never by `name`, because three release-tests specs share one
heading (§1.9); suite order is random (§1.8), so nothing depends on it. A `<testcase>` per scenario
(its last attempt, §1.7), named after the heading, plus the data-table row for a data-driven one
(§5.4), in one of two namings that a report shows by its row markers (`naming_of`): v0.5.3
` <row>: [col: val] …`, v0.5.4 to v1.0.1 ` | SpecRow: N: [col: val] …` and/or ` ScnRow: M: …`
(getgauge/xml-report builder/xmlReportBuilder.go, v0.5.3:195-212 and v1.0.1:195-215). A failure
message is `<subject>\\n<Kind> Failure: '<error>'` (§5.3; v1.0.1:314-327), where a step inside a
concept has the kinds `Concept Execution`, `Concept Pre Hook` and `Concept Post Hook`
(v1.0.1:303-305). Read with junitparser. Pure: one file read in, values out; merging with the
console is `results.py`'s job.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, NamedTuple

from junitparser import Attr, JUnitXml, JUnitXmlError, TestCase, TestSuite
from junitparser import Failure as JFailure
from junitparser import Skipped as JSkipped

from pytest_streamstress.model import Status

log = logging.getLogger(__name__)

FailureKind = Literal["step", "concept", "step-hook", "concept-hook", "scenario-hook", "other"]

_FAILURE_KINDS: Final = re.compile(
    r"^(?P<subject>.*?)\n(?P<kind>Step Execution|Concept Execution|Step Pre Hook|Step Post Hook|"
    r"Concept Pre Hook|Concept Post Hook|Scenario Pre Hook|Scenario Post Hook) Failure: '(?P<error>.*)'\s*$",
    re.DOTALL,
)
_KIND_OF: Final[dict[str, FailureKind]] = {
    "Step Execution": "step",
    "Concept Execution": "concept",
    "Step Pre Hook": "step-hook",
    "Step Post Hook": "step-hook",
    "Concept Pre Hook": "concept-hook",
    "Concept Post Hook": "concept-hook",
    "Scenario Pre Hook": "scenario-hook",
    "Scenario Post Hook": "scenario-hook",
}

Naming = Literal["0.5.3", "0.5.4"]
"""How a report names data-table rows: `0.5.3`, or `0.5.4` for v0.5.4 up to v1.0.1 (same code)."""
ROW_MARKER: Final = re.compile(r" \| (?:SpecRow|ScnRow): [0-9]+: ")
"""What only a v0.5.4+ data-row testcase name holds (builder/xmlReportBuilder.go v1.0.1:205-213)."""


class UnreadableResults(ValueError):
    """The JUnit file is missing, truncated or not xml-report's format; the caller falls back to stdout."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TableRow:
    """One row of one data table: its 1-based number in that table and its cells by column."""

    number: int
    values: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class DataRow:
    """The data rows one execution of a scenario ran with (gauge.md §2.4): a spec-table row, a
    scenario-table row, or one of each when a scenario with its own table uses the spec's."""

    spec: TableRow | None = None
    scenario: TableRow | None = None


def _cells(row: TableRow) -> str:
    return " ".join(f"[{column}: {value}]" for column, value in row.values)


def case_name(heading: str, row: DataRow | None = None, *, naming: Naming = "0.5.3") -> str:
    """xml-report's testcase name for a scenario, or one data-row execution of it (§5.4).

    `0.5.4` (v0.5.4 to v1.0.1, builder/xmlReportBuilder.go v1.0.1:200-213): ` |` then ` SpecRow: N:
    [col: val] …` for the spec table's row and ` ScnRow: M: …` for the scenario table's. `0.5.3`
    (v0.5.3:200-211): ` N: [col: val] …` where N is the spec table's row, 1 when there is none (gauge
    passes the spec row index for a scenario-table row too), and the cells are the spec table's row,
    or for a scenario-table row its one-row table read at the spec row's index, so only a first spec
    row (or none) shows the scenario row's cells (gauge v1.6.28 parser/dataTableSpecs.go:116-118).
    """
    if row is None or (row.spec is None and row.scenario is None):
        return heading
    if naming == "0.5.4":
        text = ""
        if row.spec is not None:
            text += f" SpecRow: {row.spec.number}: {_cells(row.spec)}"
        if row.scenario is not None:
            text += f" ScnRow: {row.scenario.number}: {_cells(row.scenario)}"
        return f"{heading} |{text}"
    number = row.spec.number if row.spec is not None else 1
    if row.scenario is not None:
        return f"{heading} {number}: {_cells(row.scenario) if number == 1 else ''}"
    return f"{heading} {number}: {_cells(row.spec) if row.spec is not None else ''}"


def naming_of(names: Iterable[str]) -> Naming:
    """The naming a report uses, told by the row markers only a v0.5.4+ data-row name has.

    A report without data rows names every testcase by its heading in both, so `0.5.3` is right.
    """
    return "0.5.4" if any(ROW_MARKER.search(name) for name in names) else "0.5.3"


class _GaugeSuite(TestSuite):  # type: ignore[misc]  # TestSuite is Any to mypy here
    """xml-report's testsuite carries the absolute spec path in `package` (reference §5.2)."""

    package = Attr()


class CaseResult(NamedTuple):
    """One `<testcase>`: a scenario's last attempt (reference §5.2-5.4).

    A NamedTuple, not a frozen dataclass: 50,000 of these are built per big result.xml and a
    frozen dataclass's `__init__` costs more than the XML parse (bench/results.py).
    """

    name: str
    status: Status
    """PASSED, FAILED or SKIPPED (validation skip); `[SKIPPED]` failures stay FAILED here."""
    duration_s: float = 0.0
    message: str = ""
    """The raw failure message, `<step>\\nStep Execution Failure: '<error>'`, or the skip message."""
    trace: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SuiteResult:
    """One `<testsuite>`: one spec file."""

    package: str
    name: str
    failures: int
    cases: tuple[CaseResult, ...]
    naming: Naming = "0.5.3"
    """The data-row naming of the xml-report that wrote it (`naming_of` its testcase names)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class JUnitReport:
    suites: tuple[SuiteResult, ...]

    def suite_for(self, spec_rel: str, project_dirs: Sequence[Path]) -> SuiteResult | None:
        """The suite of one spec, by its `package` path; None when gauge wrote none for it."""
        wanted = Path(spec_rel)
        for suite in self.suites:
            package = Path(suite.package)
            for root in project_dirs:
                try:
                    if package.relative_to(root) == wanted:
                        return suite
                except ValueError:
                    continue
        return None


def read_junit(path: Path) -> JUnitReport:
    """Parse xml-report's result.xml; raise `UnreadableResults` saying why it cannot be used."""
    if not path.is_file():
        raise UnreadableResults(f"{path} does not exist")
    try:
        document = JUnitXml.fromfile(str(path))
    except (ET.ParseError, JUnitXmlError, UnicodeDecodeError) as exc:
        raise UnreadableResults(f"{path} is not readable JUnit XML: {exc}") from exc
    suites: list[SuiteResult] = []
    for raw_suite in document:
        suite = _GaugeSuite.fromelem(raw_suite)
        package = suite.package
        if not package:
            raise UnreadableResults(
                f"{path}: a testsuite has no 'package' attribute; not xml-report's format"
            )
        cases = tuple(_case(case) for case in suite)
        suites.append(
            SuiteResult(
                package=str(package),
                name=str(suite.name or ""),
                failures=_int(suite.failures),
                cases=cases,
                naming=naming_of(case.name for case in cases),
            )
        )
    return JUnitReport(suites=tuple(suites))


def _int(text: object) -> int:
    try:
        return int(str(text or 0))
    except ValueError:
        return 0


def _case(case: TestCase) -> CaseResult:
    name = case.name or ""
    try:
        duration = case.time or 0.0
    except ValueError:  # a time attribute that is not a number: keep the case, drop the time
        duration = 0.0
    for result in case.result:
        if isinstance(result, JFailure):
            return CaseResult(name, Status.FAILED, duration, result.message or "", result.text or "")
        if isinstance(result, JSkipped):
            return CaseResult(name, Status.SKIPPED, duration, result.message or "")
    return CaseResult(name, Status.PASSED, duration)


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedFailure:
    """A failure message taken apart: what failed (a step, a concept step, a hook) and gauge's error."""

    kind: FailureKind
    subject: str
    """The step text as written (for steps), the scenario heading (for scenario hooks)."""
    error: str


def parse_failure_message(message: str) -> ParsedFailure:
    """`Create\\nStep Execution Failure: '<error>'` -> kind step, subject Create (reference §5.3)."""
    found = _FAILURE_KINDS.match(message)
    if found is None:
        return ParsedFailure(kind="other", subject="", error=message)
    return ParsedFailure(
        kind=_KIND_OF[found.group("kind")], subject=found.group("subject"), error=found.group("error")
    )
