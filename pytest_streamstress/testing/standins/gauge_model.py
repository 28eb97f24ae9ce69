"""Result values of one stand-in `gauge run`: what the executor decided and console, XML, state files show.

Owns only plain data (one scenario execution, one spec) and gauge's count rules (reference gauge.md §4.6).
It must not print, write files or read the outcome file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

log = logging.getLogger(__name__)

ScenarioStatus = Literal["pass", "fail", "skip"]
StepHook = Literal["", "pre", "post"]
"""Where a step failed: in the step itself (""), its BeforeStep hook ("pre") or its AfterStep hook."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StepFailure:
    """A failed step: what the console failure block and the XML `<failure>` say."""

    text: str
    """The step line as written after `*` (gauge's ActualText), without its inline table."""
    line: int
    kind: Literal["context", "scenario", "teardown"]
    in_concept: bool
    message: str
    trace: str
    hook: StepHook = ""
    """A step hook failure: the console shows only the hook's message (gauge reporter/simpleConsole.go
    printHookFailureSC), xml-report names it `Step|Concept Pre|Post Hook Failure`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HookFailure:
    message: str
    trace: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    """One data-table row a data-driven scenario ran with (1-based index in its table)."""

    index: int
    headers: tuple[str, ...]
    cells: tuple[str, ...]
    table: Literal["spec", "scenario"] = "spec"
    """Whose table: xml-report 0.5.4+ names a spec row `SpecRow`, a scenario row `ScnRow`."""


@dataclass(slots=True, kw_only=True)
class ScenarioResult:
    """The last attempt of one scenario execution (one data row)."""

    heading: str
    line: int
    status: ScenarioStatus
    duration_s: float
    attempts: int = 1
    failure: StepFailure | None = None
    hook_failure: HookFailure | None = None
    """BeforeScenario failed: no step ran."""
    post_hook_failure: HookFailure | None = None
    """AfterScenario failed (after the steps, whatever they did)."""
    skip_reasons: tuple[str, ...] = ()
    row: Row | None = None


@dataclass(slots=True, kw_only=True)
class SpecResult:
    path: Path
    heading: str
    scenarios: list[ScenarioResult] = field(default_factory=list)
    before_spec_failure: HookFailure | None = None
    after_spec_failure: HookFailure | None = None
    parse_errors: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        return (
            bool(self.parse_errors)
            or self.before_spec_failure is not None
            or self.after_spec_failure is not None
            or any(s.status == "fail" for s in self.scenarios)
        )

    @property
    def hook_failures(self) -> int:
        """Spec-level hook failures, which xml-report adds to `failures` (v1.0.1 xmlReportBuilder.go:132)."""
        return (self.before_spec_failure is not None) + (self.after_spec_failure is not None)

    @property
    def skipped(self) -> bool:
        """All scenarios skipped (or none selected), no hook/parse failure: gauge counts the spec skipped."""
        if self.failed:
            return False
        return all(s.status == "skip" for s in self.scenarios)

    @property
    def duration_s(self) -> float:
        return sum(s.duration_s for s in self.scenarios)


@dataclass(frozen=True, slots=True, kw_only=True)
class Counts:
    specs_executed: int
    specs_passed: int
    specs_failed: int
    specs_skipped: int
    scenarios_executed: int
    scenarios_passed: int
    scenarios_failed: int
    scenarios_skipped: int


def count(specs: list[SpecResult]) -> Counts:
    """gauge.md §4.6: executed = all - skipped, passed = executed - failed."""
    specs_skipped = sum(1 for s in specs if s.skipped)
    specs_failed = sum(1 for s in specs if s.failed)
    specs_executed = len(specs) - specs_skipped
    scenarios = [sc for s in specs for sc in s.scenarios]
    sc_skipped = sum(1 for sc in scenarios if sc.status == "skip")
    sc_failed = sum(1 for sc in scenarios if sc.status == "fail")
    sc_executed = len(scenarios) - sc_skipped
    return Counts(
        specs_executed=specs_executed,
        specs_passed=specs_executed - specs_failed,
        specs_failed=specs_failed,
        specs_skipped=specs_skipped,
        scenarios_executed=sc_executed,
        scenarios_passed=sc_executed - sc_failed,
        scenarios_failed=sc_failed,
        scenarios_skipped=sc_skipped,
    )


def go_duration(seconds: float) -> str:
    """Go `Duration.String()` of a millisecond-rounded duration: `950ms`, `5.907s`, `1m0s`, `1h2m3.4s`."""
    ms = round(seconds * 1000)
    if ms == 0:
        return "0s"
    if ms < 1000:
        return f"{ms}ms"
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, frac = divmod(rest, 1000)
    text = str(secs) + ("." + f"{frac:03d}".rstrip("0") if frac else "") + "s"
    if hours or minutes:
        text = f"{minutes}m" + text
    if hours:
        text = f"{hours}h" + text
    return text
