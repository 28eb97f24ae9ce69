"""What one gauge run said about its scenarios: the xml-report JUnit file first, the console second.

Owns reading gauge's two result formats and merging them into one `model.ScenarioOutcome` per
scenario. It is pure: text (or one file read) in, values out; it never starts gauge, touches pytest
or categorizes (STYLE R13). The traps it handles are the ones reference gauge.md lists:

- The JUnit file (xml-report v0.5.3, reference §5) is read with junitparser. Testsuites are matched
  by their `package` attribute (the absolute spec path), never by `name`: three release-tests specs
  share one heading (§1.9). Suite order is random (§1.8), so nothing depends on it.
- A failing BeforeSpec leaves a testsuite with `failures="1"` and no testcase (§1.11): every
  selected scenario of that spec becomes an ERROR, never a silent pass.
- Retries are invisible in the XML (§1.7, gauge #1607): attempts are counted from the console,
  where every attempt repeats the scenario block (#1370).
- release-tests' own skip is a failure whose message starts with `[SKIPPED]` (§1.15); gauge's
  validation skip is a `<skipped>` element. Both become SKIPPED with the reason.
- The console format parsed here is the simple console with `--verbose` (§4.5), which `gauge/run.py`
  always asks for: no ANSI codes, no line rewriting, one `  ## heading` line per attempt and the
  failure block indented by 8 (steps), 4 (scenario hooks) or 2 (spec hooks). Runner output lines
  (release-tests' `log.Printf`) interleave anywhere and are ignored. Scenario headings are found by
  matching the headings we know from the spec model, because runner text may share their line (§1.3).
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final, Literal, NamedTuple, Protocol

from junitparser import Attr, JUnitXml, JUnitXmlError, TestCase, TestSuite
from junitparser import Failure as JFailure
from junitparser import Skipped as JSkipped

from pytest_streamstress.model import FailingStep, ResultSource, ScenarioOutcome, Status

log = logging.getLogger(__name__)

SKIP_MARK: Final = "[SKIPPED]"
_FAILURE_KINDS: Final = re.compile(
    r"^(?P<subject>.*?)\n(?P<kind>Step Execution|Concept Execution|Step Pre Hook|Step Post Hook|"
    r"Scenario Pre Hook|Scenario Post Hook) Failure: '(?P<error>.*)'\s*$",
    re.DOTALL,
)
_SUMMARY: Final = re.compile(r"^Specifications:\t")
_LOCATION: Final = re.compile(r"^(?P<path>.+?)(?::(?P<line>\d+))?$")
_NO_SPECS: Final = "No specifications found in"


class UnreadableResults(ValueError):
    """The JUnit file is missing, truncated or not xml-report's format; the caller falls back to stdout."""


# --- JUnit XML -----------------------------------------------------------------------------------


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

    kind: Literal["step", "concept", "step-hook", "scenario-hook", "other"]
    subject: str
    """The step text as written (for steps), the scenario heading (for scenario hooks)."""
    error: str


def parse_failure_message(message: str) -> ParsedFailure:
    """`Create\\nStep Execution Failure: '<error>'` -> kind step, subject Create (reference §5.3)."""
    found = _FAILURE_KINDS.match(message)
    if found is None:
        return ParsedFailure(kind="other", subject="", error=message)
    kind_text = found.group("kind")
    kind: Literal["step", "concept", "step-hook", "scenario-hook", "other"]
    if kind_text == "Step Execution":
        kind = "step"
    elif kind_text == "Concept Execution":
        kind = "concept"
    elif kind_text.startswith("Step"):
        kind = "step-hook"
    else:
        kind = "scenario-hook"
    return ParsedFailure(kind=kind, subject=found.group("subject"), error=found.group("error"))


def skip_reason(error: str) -> str | None:
    """The reason of release-tests' `[SKIPPED] [KNOWN BUG: ...]` failures; None for a real failure.

    release-tests' adaptor wraps errors in `[...]` (reference §4.8), so `[[SKIPPED] ...]` counts too.
    """
    text = error.strip()
    while text.startswith("[") and not text.startswith(SKIP_MARK):
        text = text[1:].lstrip()
    if not text.startswith(SKIP_MARK):
        return None
    reason = text
    if error.strip().startswith("[") and not error.strip().startswith(SKIP_MARK) and reason.endswith("]"):
        reason = reason[:-1]
    return reason.strip()


# --- the simple console ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsoleFailure:
    """A failure block: `Failed Step:`/`Specification:` for steps, only the message for hooks."""

    step: str = ""
    location: str = ""
    """`specs/x.spec:42` as printed; no line for a step inside a concept."""
    line: int | None = None
    message: str = ""
    trace: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsoleAttempt:
    """One printed scenario block; a retried scenario has one per attempt (gauge #1370)."""

    heading: str
    failure: ConsoleFailure | None = None
    complete: bool = False
    """False when the output ended inside this block (gauge crashed or was killed)."""
    first_line: int = 0
    last_line: int = 0
    """Index range of the block in the console lines, for the failure view's log tail."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsoleReport:
    lines: tuple[str, ...]
    attempts: tuple[ConsoleAttempt, ...] = ()
    spec_failure: ConsoleFailure | None = None
    """A spec-level hook failure (BeforeSpec): printed at indent 2 before any scenario."""
    finished: bool = False
    """The `Specifications:` summary was printed: every block is complete."""
    nothing_selected: bool = False

    def attempts_of(self, heading: str) -> tuple[ConsoleAttempt, ...]:
        return tuple(a for a in self.attempts if a.heading == heading)

    def block_of(self, heading: str) -> tuple[str, ...]:
        """The console lines of the scenario's last attempt."""
        found = self.attempts_of(heading)
        if not found:
            return ()
        last = found[-1]
        block = list(self.lines[last.first_line : last.last_line + 1])
        for index, line in enumerate(block):
            if line.startswith("Successfully generated"):  # the plugins' end-of-run messages (§4.6)
                block = block[:index]
                break
        while block and not block[-1].strip():
            block.pop()
        return tuple(block)


def parse_console(text: str, *, headings: Sequence[str]) -> ConsoleReport:
    """Split the simple console into scenario attempts and read each failure block."""
    lines = tuple(text.replace("\r\n", "\n").split("\n"))
    ordered = sorted(set(headings), key=len, reverse=True)
    starts: list[tuple[int, str]] = []
    summary_at: int | None = None
    nothing_selected = False
    for index, line in enumerate(lines):
        if summary_at is None and _SUMMARY.match(line):
            summary_at = index
        if line.startswith(_NO_SPECS):
            nothing_selected = True
        if line.startswith("  ## "):
            heading = _heading_of(line[5:], ordered)
            if heading is not None:
                starts.append((index, heading))
    first_scenario = starts[0][0] if starts else (summary_at if summary_at is not None else len(lines))
    spec_failure = _failure_in(lines, 0, first_scenario, indents=range(2, 3))
    attempts: list[ConsoleAttempt] = []
    end_of_run = summary_at if summary_at is not None else len(lines)
    for position, (start, heading) in enumerate(starts):
        following = starts[position + 1][0] if position + 1 < len(starts) else None
        stop = following if following is not None else end_of_run
        complete = following is not None or summary_at is not None or _spec_ended(lines, start, stop)
        failure = _failure_in(lines, start + 1, stop, indents=range(4, 64))
        attempts.append(
            ConsoleAttempt(
                heading=heading,
                failure=failure,
                complete=complete,
                first_line=start,
                last_line=max(start, stop - 1),
            )
        )
    return ConsoleReport(
        lines=lines,
        attempts=tuple(attempts),
        spec_failure=spec_failure,
        finished=summary_at is not None,
        nothing_selected=nothing_selected,
    )


def _heading_of(rest: str, ordered: Sequence[str]) -> str | None:
    """The known heading a `  ## ` line starts with; runner output may follow it after whitespace (§1.3)."""
    for heading in ordered:
        if rest.startswith(heading) and (len(rest) == len(heading) or rest[len(heading)].isspace()):
            return heading
    return None


def _spec_ended(lines: Sequence[str], start: int, stop: int) -> bool:
    """A spec's output ends with a blank line and the plugins' `Successfully generated` messages."""
    return any(line.startswith("Successfully generated") for line in lines[start:stop])


def _failure_in(lines: Sequence[str], start: int, stop: int, *, indents: range) -> ConsoleFailure | None:
    """The first failure block in `lines[start:stop]` whose indent is in `indents`.

    Step blocks sit at 8 (deeper inside concepts), scenario-hook blocks at 4, spec-hook blocks at 2
    (reference §4.1); a `Failed Step:` block wins over a hook's bare `Error Message:`.
    """
    for label in ("Failed Step: ", "Error Message: "):
        for index in range(start, stop):
            line = lines[index]
            body = line.lstrip(" ")
            if body.startswith(label) and len(line) - len(body) in indents:
                return _read_block(lines, index, stop, " " * (len(line) - len(body)))
    return None


def _continues(lines: Sequence[str], position: int, stop: int, pad: str) -> bool:
    for later in range(position + 1, stop):
        if lines[later]:
            return lines[later].startswith(pad) and not lines[later].lstrip(" ").startswith("* ")
    return False


def _read_block(lines: Sequence[str], index: int, stop: int, pad: str) -> ConsoleFailure:  # noqa: C901
    step = location = ""
    line_no: int | None = None
    message: list[str] = []
    trace: list[str] = []
    section = ""
    for position in range(index, stop):
        raw = lines[position]
        if not raw and _continues(lines, position, stop, pad):
            raw = pad  # an unpadded blank line inside the block (gauge pads them; be lenient)
        if not raw or not raw.startswith(pad):
            break  # gauge pads every line of a block: anything else is past its end
        body = raw[len(pad) :] if raw.startswith(pad) else ""
        if body.startswith("Failed Step: ") and section == "":
            step = body[len("Failed Step: ") :].strip()
            section = "step"
        elif body.startswith("Specification: ") and section in {"", "step"}:
            location = body[len("Specification: ") :].strip()
            found = _LOCATION.match(location)
            if found is not None and found.group("line"):
                line_no = int(found.group("line"))
            section = "location"
        elif body.startswith("Error Message: ") and section in {"", "step", "location"}:
            message.append(body[len("Error Message: ") :])
            section = "message"
        elif body.rstrip() == "Stacktrace:" and section == "message":
            section = "trace"
        elif section == "message":
            message.append(body)
        elif section == "trace":
            trace.append(body)
    return ConsoleFailure(
        step=step,
        location=location,
        line=line_no,
        message="\n".join(message).rstrip(),
        trace="\n".join(trace).rstrip(),
    )


# --- merging ---------------------------------------------------------------------------------------


class StepLike(Protocol):
    """What the merge needs of `gauge.spec.Step` (SPEC_MODEL.md), as a seam (STYLE R29)."""

    @property
    def text(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def concept_steps(self) -> Sequence[StepLike]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Wanted:
    """One selected scenario of the spec this gauge run served."""

    heading: str
    junit_name: str = ""
    """xml-report's testcase name (differs from the heading only for a data row); default: the heading."""
    steps: Sequence[StepLike] = ()

    @property
    def key(self) -> str:
        return self.junit_name or self.heading
    """Context, own and teardown steps, in run order: where a failing step's line is looked up."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunFacts:
    """How the gauge process ended, for the scenarios it never reported."""

    exit_code: int | None
    timed_out_after: float | None = None
    tail: str = ""
    log_path: Path | None = None
    started_at: float | None = None
    finished_at: float | None = None


def merge_outcomes(
    wanted: Sequence[Wanted],
    *,
    spec_rel: str,
    project_dirs: Sequence[Path],
    junit: JUnitReport | None,
    junit_problem: str,
    console: ConsoleReport,
    facts: RunFacts,
) -> dict[str, ScenarioOutcome]:
    """One outcome per wanted scenario, keyed by `Wanted.key`.

    JUnit when it has the scenario; else the console when it shows the scenario's block complete;
    else an ERROR saying why gauge never reported it (timeout, crash, BeforeSpec, nothing selected).
    """
    suite = junit.suite_for(spec_rel, project_dirs) if junit is not None else None
    by_name: Mapping[str, CaseResult] = {case.name: case for case in suite.cases} if suite else {}
    stamp: Callable[[ScenarioOutcome], ScenarioOutcome] = lambda outcome: replace(  # noqa: E731
        outcome, log_path=facts.log_path, started_at=facts.started_at, finished_at=facts.finished_at
    )
    outcomes: dict[str, ScenarioOutcome] = {}
    for scenario in wanted:
        attempts = console.attempts_of(scenario.heading)
        case = by_name.get(scenario.key)
        if case is not None:
            outcome = _from_case(case, scenario, attempts)
        elif suite is not None and suite.failures > 0 and not suite.cases and facts.timed_out_after is None:
            outcome = _before_spec_failed(console)
        else:
            outcome = _from_console(scenario, attempts) or _unreported(scenario, console, facts)
        outcomes[scenario.key] = stamp(outcome)
    if junit is None and junit_problem:
        log.info("gauge results for %s came from stdout: %s", spec_rel, junit_problem)
    return outcomes


def _flaky(status: Status, attempts: int) -> bool:
    return status is Status.PASSED and attempts > 1


def _from_case(case: CaseResult, scenario: Wanted, attempts: Sequence[ConsoleAttempt]) -> ScenarioOutcome:
    count = max(1, len(attempts))
    if case.status is Status.PASSED:
        return ScenarioOutcome(
            status=Status.PASSED,
            duration_s=case.duration_s,
            attempts=count,
            flaky=_flaky(Status.PASSED, count),
            source=ResultSource.JUNIT,
        )
    if case.status is Status.SKIPPED:
        return ScenarioOutcome(
            status=Status.SKIPPED,
            duration_s=case.duration_s,
            message=case.message,
            attempts=count,
            source=ResultSource.JUNIT,
        )
    parsed = parse_failure_message(case.message)
    reason = skip_reason(parsed.error)
    if reason is not None:
        return ScenarioOutcome(
            status=Status.SKIPPED,
            duration_s=case.duration_s,
            message=reason,
            attempts=count,
            source=ResultSource.JUNIT,
        )
    console_failure = attempts[-1].failure if attempts else None
    return ScenarioOutcome(
        status=Status.FAILED,
        duration_s=case.duration_s,
        failing_step=_failing_step(parsed, scenario, console_failure),
        message=parsed.error if parsed.kind != "other" else case.message,
        trace=case.trace,
        attempts=count,
        source=ResultSource.JUNIT,
    )


def _failing_step(
    parsed: ParsedFailure, scenario: Wanted, console: ConsoleFailure | None
) -> FailingStep | None:
    """The step and its spec line: the console's `Specification:` line wins, else the spec model."""
    if parsed.kind in {"scenario-hook", "other"}:
        if console is not None and console.step:
            return FailingStep(text=console.step, line=console.line)
        return None
    if console is not None and console.step == parsed.subject and console.line is not None:
        return FailingStep(text=parsed.subject, line=console.line)
    if parsed.kind == "concept":
        return FailingStep(text=parsed.subject, line=None)
    return FailingStep(text=parsed.subject, line=find_step_line(scenario.steps, parsed.subject))


def find_step_line(steps: Sequence[StepLike], text: str) -> int | None:
    """The line of the first step written as `text`; None when only a concept holds it (or nothing)."""
    for step in steps:
        if step.text == text:
            return step.line
    return None


def _from_console(scenario: Wanted, attempts: Sequence[ConsoleAttempt]) -> ScenarioOutcome | None:
    if not attempts or not attempts[-1].complete:
        return None
    last = attempts[-1]
    count = len(attempts)
    if last.failure is None:
        return ScenarioOutcome(
            status=Status.PASSED,
            attempts=count,
            flaky=_flaky(Status.PASSED, count),
            source=ResultSource.STDOUT,
        )
    failure = last.failure
    reason = skip_reason(failure.message)
    if reason is not None:
        return ScenarioOutcome(
            status=Status.SKIPPED, message=reason, attempts=count, source=ResultSource.STDOUT
        )
    step: FailingStep | None = None
    if failure.step:
        if failure.line is not None:
            step = FailingStep(text=failure.step, line=failure.line)
        elif failure.location:
            step = FailingStep(text=failure.step, line=None)  # inside a concept: gauge prints no line (§2.5)
        else:
            step = FailingStep(text=failure.step, line=find_step_line(scenario.steps, failure.step))
    return ScenarioOutcome(
        status=Status.FAILED,
        failing_step=step,
        message=failure.message,
        trace=failure.trace,
        attempts=count,
        source=ResultSource.STDOUT,
    )


def _before_spec_failed(console: ConsoleReport) -> ScenarioOutcome:
    hook = console.spec_failure
    detail = hook.message if hook is not None and hook.message else "see the gauge log"
    return ScenarioOutcome(
        status=Status.ERROR,
        message=f"BeforeSpec hook failed, so gauge ran no scenario of this spec: {detail}",
        trace=hook.trace if hook is not None else "",
        attempts=0,
        source=ResultSource.JUNIT,
    )


def _unreported(scenario: Wanted, console: ConsoleReport, facts: RunFacts) -> ScenarioOutcome:
    tail = facts.tail.strip()
    shown_tail = f"; last output:\n{tail}" if tail else ""
    if facts.timed_out_after is not None:
        message = f"gauge timed out after {facts.timed_out_after:g}s{shown_tail}"
    elif console.spec_failure is not None and not console.attempts:
        message = (
            f"BeforeSpec hook failed, so gauge ran no scenario of this spec: {console.spec_failure.message}"
        )
        return ScenarioOutcome(
            status=Status.ERROR,
            message=message,
            trace=console.spec_failure.trace,
            attempts=0,
            source=ResultSource.STDOUT,
        )
    elif console.nothing_selected:
        message = (
            "gauge selected no scenario for this item (it printed 'No specifications found')" + shown_tail
        )
    elif console.attempts_of(scenario.heading):
        message = f"gauge exited with code {facts.exit_code} in the middle of this scenario" + shown_tail
    else:
        message = f"gauge exited with code {facts.exit_code} without reporting this scenario{shown_tail}"
    return ScenarioOutcome(
        status=Status.ERROR,
        message=message,
        attempts=len(console.attempts_of(scenario.heading)),
        source=ResultSource.NONE,
    )
