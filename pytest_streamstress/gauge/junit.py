"""xml-report's JUnit file (v0.5.3, reference gauge.md §5): reading it and its naming.

Owns everything xml-report v0.5.3 names: a `<testsuite>` per spec file, found by its `package`
attribute (the absolute spec path), never by `name`, because three release-tests specs share one
heading (§1.9); suite order is random (§1.8), so nothing depends on it. A `<testcase>` per scenario
(its last attempt, §1.7), named after the heading, plus ` <row>: [col: val] …` for a data-table row
(§5.4); a failure message `<subject>\\n<Kind> Failure: '<error>'` (§5.3). Read with junitparser.
Pure: one file read in, values out; merging with the console is `results.py`'s job.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, NamedTuple

from junitparser import Attr, JUnitXml, JUnitXmlError, TestCase, TestSuite
from junitparser import Failure as JFailure
from junitparser import Skipped as JSkipped

from pytest_streamstress.model import Status

log = logging.getLogger(__name__)

FailureKind = Literal["step", "concept", "step-hook", "scenario-hook", "other"]

_FAILURE_KINDS: Final = re.compile(
    r"^(?P<subject>.*?)\n(?P<kind>Step Execution|Concept Execution|Step Pre Hook|Step Post Hook|"
    r"Scenario Pre Hook|Scenario Post Hook) Failure: '(?P<error>.*)'\s*$",
    re.DOTALL,
)
_KIND_OF: Final[dict[str, FailureKind]] = {
    "Step Execution": "step",
    "Concept Execution": "concept",
    "Step Pre Hook": "step-hook",
    "Step Post Hook": "step-hook",
    "Scenario Pre Hook": "scenario-hook",
    "Scenario Post Hook": "scenario-hook",
}


class UnreadableResults(ValueError):
    """The JUnit file is missing, truncated or not xml-report's format; the caller falls back to stdout."""


def case_name(heading: str, row: int | None = None, row_values: Sequence[tuple[str, str]] = ()) -> str:
    """xml-report v0.5.3's testcase name: the heading, plus ` <row>: [col: val] …` for a data row (§5.4).

    v0.5.2 and older wrote only ` <row>`, v0.5.4 and v1.0.x ` | SpecRow: …`; release-tests pins v0.5.3.
    """
    if row is None:
        return heading
    cells = " ".join(f"[{column}: {value}]" for column, value in row_values)
    return f"{heading} {row}: {cells}"


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
