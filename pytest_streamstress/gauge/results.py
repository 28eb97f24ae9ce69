"""What one gauge run said about its scenarios: one `model.ScenarioOutcome` per scenario it was asked for.

Owns the merge of gauge's two result formats, read by `junit.py` (xml-report's JUnit file, first)
and `console.py` (the simple console, second), and what to say about a scenario neither reported.
It is pure: values in, values out; it never starts gauge, touches pytest or categorizes (STYLE R13).
The traps it handles are the ones reference gauge.md lists:

- A failing BeforeSpec leaves a testsuite with `failures="1"` and no testcase (§1.11): every
  selected scenario of that spec becomes an ERROR, never a silent pass.
- Retries are invisible in the XML (§1.7, gauge #1607): attempts are counted from the console,
  where every attempt repeats the scenario block (#1370). A data-driven scenario repeats its block
  once per row too, under the same heading: only the blocks of the item's own row count
  (`executions_of`), so a second row is never taken for a retry, nor a passing one for flaky.
- release-tests' own skip is a failure whose message starts with `[SKIPPED]` (§1.15); gauge's
  validation skip is a `<skipped>` element. Both become SKIPPED with the reason.

`gauge/execute.py` imports the readers' names from here too (`read_junit`, `parse_console`,
`UnreadableResults`): they stay importable from this module.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final, Protocol

from pytest_streamstress.gauge.console import ConsoleAttempt, ConsoleFailure, ConsoleReport, parse_console
from pytest_streamstress.gauge.junit import (
    CaseResult,
    DataRow,
    JUnitReport,
    Naming,
    ParsedFailure,
    SuiteResult,
    UnreadableResults,
    case_name,
    parse_failure_message,
    read_junit,
)
from pytest_streamstress.model import (
    FailingStep,
    HarnessFailure,
    HarnessKind,
    ResultSource,
    ScenarioOutcome,
    Status,
)

__all__ = [
    "AFTER_SPEC_KEY",
    "SKIP_MARK",
    "ConsoleReport",
    "JUnitReport",
    "RunFacts",
    "StepLike",
    "UnreadableResults",
    "Wanted",
    "find_step_line",
    "harness_failure",
    "merge_outcomes",
    "parse_console",
    "parse_failure_message",
    "read_junit",
    "skip_reason",
]

log = logging.getLogger(__name__)

SKIP_MARK: Final = "[SKIPPED]"
AFTER_SPEC_KEY: Final = "\nAfterSpec"
"""`merge_outcomes`' key for the spec's failed AfterSpec hook, beside the scenarios' keys (a heading
never holds a newline, so no scenario can have it)."""


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
    """xml-report's testcase name (`junit.case_name`: differs from the heading only for a data row);
    default: the heading."""
    data_row: DataRow | None = None
    """The data rows of this execution: its testcase name in the naming the report uses."""
    steps: Sequence[StepLike] = ()
    """Context, own and teardown steps, in run order: where a failing step's line is looked up."""

    @property
    def key(self) -> str:
        return self.junit_name or self.heading

    @property
    def row_values(self) -> tuple[tuple[str, str], ...]:
        """(column, value) of the data row(s), spec table's first, as gauge prints them before a run."""
        if self.data_row is None:
            return ()
        rows = (self.data_row.spec, self.data_row.scenario)
        return tuple(pair for row in rows if row is not None for pair in row.values)

    def name_in(self, naming: Naming) -> str:
        """The testcase name an xml-report of that naming gives this execution."""
        return self.key if self.data_row is None else case_name(self.heading, self.data_row, naming=naming)


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
    outcomes: dict[str, ScenarioOutcome] = {}
    for scenario in wanted:
        attempts = executions_of(scenario, wanted, console)
        case = by_name.get(scenario.name_in(suite.naming)) if suite else None
        if case is not None:
            outcome = _from_case(case, scenario, attempts)
        elif suite is not None and suite.failures > 0 and not suite.cases and facts.timed_out_after is None:
            outcome = _before_spec_failed(console)
        else:
            outcome = _from_console(scenario, attempts) or _unreported(scenario, console, facts)
        outcomes[scenario.key] = _stamped(outcome, facts)
    after_spec = _after_spec_failed(suite, console)
    if after_spec is not None:
        outcomes[AFTER_SPEC_KEY] = _stamped(after_spec, facts)
    if junit is None and junit_problem:
        log.info("gauge results for %s came from stdout: %s", spec_rel, junit_problem)
    return outcomes


def executions_of(
    scenario: Wanted, wanted: Sequence[Wanted], console: ConsoleReport
) -> tuple[ConsoleAttempt, ...]:
    """The console blocks of this one execution: its attempts, never another data row's run.

    A data-driven scenario prints one block per row under the same heading, so counting blocks by
    heading would call every row after the first a retry (and a passing one flaky). gauge prints the
    row before each block (console.py `ConsoleAttempt.row`). Rows with equal cells print alike: they
    are told apart by order only when each ran once; otherwise no block is claimed (attempts unknown).
    """
    row = scenario.row_values
    if not row:
        return console.attempts_of(scenario.heading)
    blocks = console.attempts_of(scenario.heading)
    if blocks and not any(block.row for block in blocks):  # a console that prints no rows: by order
        twins = [w for w in wanted if w.heading == scenario.heading]
        blocks_for_twins = blocks
    else:
        twins = [w for w in wanted if w.heading == scenario.heading and w.row_values == row]
        blocks_for_twins = console.attempts_for(scenario.heading, row)
    if len(twins) <= 1:
        return blocks_for_twins
    if len(blocks_for_twins) != len(twins):
        return ()
    position = next(index for index, twin in enumerate(twins) if twin is scenario)
    return (blocks_for_twins[position],)


def _stamped(outcome: ScenarioOutcome, facts: RunFacts) -> ScenarioOutcome:
    """Every outcome of one gauge run shares its log and its start and end."""
    return replace(
        outcome, log_path=facts.log_path, started_at=facts.started_at, finished_at=facts.finished_at
    )


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
    if parsed.kind in {"concept", "concept-hook"}:
        return FailingStep(text=parsed.subject, line=None)  # a step inside a concept: no line (§2.5)
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


def _after_spec_failed(suite: SuiteResult | None, console: ConsoleReport) -> ScenarioOutcome | None:
    """The spec's AfterSpec hook failed after its scenarios ran; None when it did not (or none ran).

    The scenarios keep their own results; xml-report has no testcase for the hook, it only counts it
    in the suite's `failures` (XR builder/xmlReportBuilder.go v1.0.1:132, the same in 0.5.3), and the
    console prints its message at indent 2 when the spec ends. Either tells; the console says what.
    """
    hook = console.after_spec_failure
    failed_cases = sum(1 for case in suite.cases if case.status is Status.FAILED) if suite else 0
    counted = suite is not None and bool(suite.cases) and suite.failures > failed_cases
    if hook is None and not counted:
        return None
    message = (
        hook.message
        if hook is not None and hook.message
        else (
            "xml-report counts a spec-level failure beyond its failed scenarios; gauge's log says which hook"
        )
    )
    return ScenarioOutcome(
        status=Status.ERROR,
        message=message,
        trace=hook.trace if hook is not None else "",
        attempts=0,
        source=ResultSource.STDOUT if hook is not None else ResultSource.JUNIT,
    )


def _unreported(scenario: Wanted, console: ConsoleReport, facts: RunFacts) -> ScenarioOutcome:
    """Gauge never reported this scenario: a BeforeSpec failure (a test verdict) or a broken harness."""
    if facts.timed_out_after is None and console.spec_failure is not None and not console.attempts:
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
    seen = console.attempts_for(scenario.heading, scenario.row_values)
    harness = harness_failure(facts, console=console, started=bool(seen))
    tail = facts.tail.strip()
    return ScenarioOutcome(
        status=Status.ERROR,
        message=harness.cause + (f"; last output:\n{tail}" if tail else ""),
        attempts=len(seen),
        source=ResultSource.NONE,
        harness=harness,
    )


def harness_failure(facts: RunFacts, *, console: ConsoleReport, started: bool) -> HarnessFailure:
    """Why gauge left a scenario without a result: killed at the timeout, by a signal, or it just ended.

    A negative exit code is a signal (Popen's convention): gauge's own Go panic ends in SIGSEGV or
    exit code 2, never in a step failure, which is how it is told apart from a panic quoted by a step.
    """
    where = " in the middle of this scenario" if started else " without reporting this scenario"
    if facts.timed_out_after is not None:
        return HarnessFailure(
            kind="timeout", cause=f"gauge timed out after {facts.timed_out_after:g}s (--gauge-timeout)"
        )
    if console.nothing_selected:
        return HarnessFailure(
            kind="nothing-selected",
            cause="gauge selected no scenario for this item (it printed 'No specifications found')",
        )
    code = facts.exit_code
    if code is not None and code < 0:
        name = _signal_name(-code)
        return HarnessFailure(kind="signal", cause=f"gauge was killed by {name}{where}")
    kind: HarnessKind = "exit" if started else "unreported"
    return HarnessFailure(kind=kind, cause=f"gauge exited with code {code}{where}")


def _signal_name(number: int) -> str:
    try:
        return f"{signal.Signals(number).name} (signal {number})"
    except ValueError:
        return f"signal {number}"
