"""Gauge's three text consoles as the stand-in prints them (reference gauge.md §4.2-§4.5, §4.8).

Owns the bytes: default coloured (one mark per step, ANSI codes even into a pipe unless `TERM=dumb`),
verbose coloured (`* step<TAB> ...[PASS]`), simple (`--simple-console`, forced by `-p`, with the
`[runner:  N] ` prefix), failure blocks and hook-failure blocks with gauge's indents, runner output
written raw. It must not decide outcomes or know about the outcome file: the executor calls the event
methods in the order gauge's reporter would see them.
"""

from __future__ import annotations

import abc
import logging
from dataclasses import dataclass
from typing import BinaryIO, Final

from pytest_streamstress.testing.standins.gauge_model import HookFailure, Row, ScenarioResult, StepFailure
from pytest_streamstress.testing.standins.gauge_spec import Table

log = logging.getLogger(__name__)

CYAN: Final = "36"
YELLOW: Final = "33"
GREEN: Final = "32"
RED: Final = "31"
MAGENTA: Final = "35"
RESET: Final = "\x1b[0m"
PASS_MARK: Final = " \u2714"
FAIL_MARK: Final = " \u2718"

SCENARIO_INDENT: Final = 2
STEP_INDENT: Final = 4
ERROR_INDENT: Final = 2


def indent(text: str, spaces: int) -> str:
    """gauge's indent: every line (empty ones too) gets the prefix."""
    pad = " " * spaces
    return "\n".join(pad + line for line in text.split("\n"))


def format_table(table_headers: tuple[str, ...], rows: tuple[tuple[str, ...], ...], spaces: int) -> list[str]:
    """gauge's table text: columns padded to the widest cell, a dash separator under the header."""
    widths = [len(h) for h in table_headers]
    for row in rows:
        for i, cell in enumerate(row[: len(widths)]):
            widths[i] = max(widths[i], len(cell))
    pad = " " * spaces

    def line(cells: tuple[str, ...]) -> str:
        padded = [(cells[i] if i < len(cells) else "").ljust(w) for i, w in enumerate(widths)]
        return pad + "|" + "|".join(padded) + "|"

    return [
        line(table_headers),
        pad + "|" + "|".join("-" * w for w in widths) + "|",
        *(line(r) for r in rows),
    ]


def step_failure_block(failure: StepFailure, spec_rel: str) -> str:
    """The un-indented failure block (§4.3); a step inside a concept has no `:line`."""
    where = spec_rel if failure.in_concept else f"{spec_rel}:{failure.line}"
    return (
        f"Failed Step: {failure.text}\nSpecification: {where}\nError Message: {failure.message}\n"
        f"Stacktrace: \n{failure.trace}"
    )


def _step_indent(view: StepView) -> int:
    """A step's indent: scenario 2 + step 4, 4 more per concept level (consoleFormatter.go:16-19)."""
    return SCENARIO_INDENT + STEP_INDENT + STEP_INDENT * view.depth


def hook_block(failure: HookFailure | StepFailure, spaces: int) -> str:
    """`Error Message:` + `Stacktrace:` fragments, each ending in a newline (formatErrorFragment)."""
    return (
        indent(f"Error Message: {failure.message}", spaces)
        + "\n"
        + indent(f"Stacktrace: \n{failure.trace}", spaces)
        + "\n"
    )


@dataclass(frozen=True, slots=True)
class StepView:
    """A step as the console shows it: resolved text, its inline table, its concept depth."""

    text: str
    table: Table | None
    depth: int


class Console(abc.ABC):
    """Base: the writer and the event methods every console implements (no-ops by default)."""

    def __init__(self, out: BinaryIO, *, color: bool, prefix: str = "") -> None:
        self._out = out
        self._color = color
        self.prefix = prefix
        self.spec_rel = ""

    def write(self, text: str) -> None:
        """One write (one `[runner:  N] ` prefix with -p), flushed so a crash or hang keeps the output."""
        self._out.write((self.prefix + text).encode("utf-8"))
        self._out.flush()

    def piece(self, text: str, color: str | None) -> None:
        """A go-colortext piece: `ESC[0;3Xm` + text + `ESC[0m` (no colour: text + reset)."""
        if not self._color:
            self.write(text)
        elif color is None:
            self.write(text + RESET)
        else:
            self.write(f"\x1b[0;{color}m{text}{RESET}")

    def runner(self, lines: list[str]) -> None:
        """Runner output: every line trimmed, blank ones dropped, written as it comes (§4.7)."""
        for line in lines:
            for part in line.split("\n"):
                if part.strip():
                    self.write(part.strip() + "\n")

    def spec_start(self, heading: str) -> None:
        self.piece(f"# {heading}\n", CYAN)

    def spec_end(self, before_spec: HookFailure | None, after_spec: HookFailure | None = None) -> None:
        """BeforeSpec, then AfterSpec hook failures (indent 2), a blank line (verboseColoredConsole.go:48)."""
        for hook in (before_spec, after_spec):
            if hook is not None:
                self.piece(hook_block(hook, ERROR_INDENT), RED)
        self.piece("\n", None)

    def data_row(self, row: Row) -> None:
        lines = format_table(row.headers, (row.cells,), 3)
        self.piece("\n" + "\n".join(lines) + "\n", None)

    @abc.abstractmethod
    def scenario_start(self, heading: str) -> None:
        """Each console prints this its own way."""

    def concept_start(self, view: StepView) -> None:
        """Only the verbose console shows concept lines."""
        return  # a deliberate no-op default, not an abstract method

    def step_start(self, view: StepView) -> None:
        """Only the simple console with --verbose prints a step when it starts."""
        return  # a deliberate no-op default, not an abstract method

    @abc.abstractmethod
    def step_end(self, view: StepView, failure: StepFailure | None) -> None:
        """Each console prints this its own way."""

    @abc.abstractmethod
    def scenario_end(self, result: ScenarioResult) -> None:
        """Each console prints this its own way."""


class ColoredConsole(Console):
    """The default console: `  ## heading<TAB>` then ` ✔`/` ✘` per step, the failure block at scenario end."""

    def __init__(self, out: BinaryIO, *, color: bool, prefix: str = "") -> None:
        super().__init__(out, color=color, prefix=prefix)
        self._failures: list[str] = []

    def spec_end(self, before_spec: HookFailure | None, after_spec: HookFailure | None = None) -> None:
        """Each spec hook failure after a newline (coloredConsole.go:45-53, printHookFailureCC)."""
        for hook in (before_spec, after_spec):
            if hook is not None:
                self.piece("\n" + hook_block(hook, ERROR_INDENT), RED)
        self.piece("\n", None)

    def scenario_start(self, heading: str) -> None:
        self._failures = []
        self.piece(indent(f"## {heading}\t", SCENARIO_INDENT), YELLOW)

    def step_end(self, view: StepView, failure: StepFailure | None) -> None:
        """A mark, unless a step hook failed: then the hook's message at once (coloredConsole.go:90-117)."""
        if failure is not None and failure.hook:
            self.piece("\n" + hook_block(failure, _step_indent(view) + ERROR_INDENT), RED)
            return
        self.piece(FAIL_MARK if failure is not None else PASS_MARK, RED if failure is not None else GREEN)
        if failure is not None:
            block = step_failure_block(failure, self.spec_rel)
            self._failures.append(indent(block, SCENARIO_INDENT + STEP_INDENT + ERROR_INDENT))

    def scenario_end(self, result: ScenarioResult) -> None:
        if result.hook_failure is not None:
            self.piece("\n" + hook_block(result.hook_failure, SCENARIO_INDENT + ERROR_INDENT), RED)
        elif self._failures:
            self.piece("\n" + "\n".join(self._failures) + "\n", RED)
        else:
            self.piece("\n", None)
        if result.post_hook_failure is not None:
            self.piece("\n" + hook_block(result.post_hook_failure, SCENARIO_INDENT + ERROR_INDENT), RED)
        self._failures = []


class VerboseConsole(Console):
    """`--verbose`: a heading line, then `      * step<TAB> ...[PASS]` after each step finishes."""

    def scenario_start(self, heading: str) -> None:
        self.piece(indent(f"## {heading}\t", SCENARIO_INDENT) + "\n", YELLOW)

    def concept_start(self, view: StepView) -> None:
        self.piece(" " * _step_indent(view) + f"* {view.text}\n", MAGENTA)

    def step_end(self, view: StepView, failure: StepFailure | None) -> None:
        """`* step<TAB> ...[PASS|FAIL]`; with a failed step hook no verdict, then the hook's message
        (verboseColoredConsole.go:94-127)."""
        spaces = _step_indent(view)
        hooked = failure is not None and bool(failure.hook)
        verdict = "\n" if hooked else "\t ...[FAIL]\n" if failure is not None else "\t ...[PASS]\n"
        color = None if hooked else RED if failure is not None else GREEN
        text = " " * spaces + f"* {view.text}"
        if view.table is not None:
            rows = format_table(view.table.headers, view.table.rows, spaces + 3)
            text += " \n" + " " * spaces + "\n" + "\n".join(rows)
        self.piece(text + verdict, color)
        self.piece("", color)
        if failure is not None and hooked:
            self.piece(hook_block(failure, spaces + ERROR_INDENT), RED)
        elif failure is not None:
            block = step_failure_block(failure, self.spec_rel)
            self.piece(indent("\n" + block, spaces + ERROR_INDENT) + "\n", RED)

    def scenario_end(self, result: ScenarioResult) -> None:
        for hook in (result.hook_failure, result.post_hook_failure):
            if hook is not None:
                self.piece(hook_block(hook, SCENARIO_INDENT + ERROR_INDENT), RED)


class SimpleConsole(Console):
    """`--simple-console` (and `-p`): plain text, steps only with --verbose, failure blocks as they happen."""

    def __init__(self, out: BinaryIO, *, verbose: bool, prefix: str = "") -> None:
        super().__init__(out, color=False, prefix=prefix)
        self._verbose = verbose

    def spec_start(self, heading: str) -> None:
        self.write(f"# {heading}\n")

    def spec_end(self, before_spec: HookFailure | None, after_spec: HookFailure | None = None) -> None:
        for hook in (before_spec, after_spec):
            if hook is not None:
                self.write(hook_block(hook, ERROR_INDENT))
        self.write("\n")

    def data_row(self, row: Row) -> None:
        self.write("\n" + "\n".join(format_table(row.headers, (row.cells,), 3)) + "\n")

    def scenario_start(self, heading: str) -> None:
        self.write(indent(f"## {heading}", SCENARIO_INDENT) + "\n")

    def concept_start(self, view: StepView) -> None:
        """With --verbose the concept's own line too (simpleConsole.go:113-121)."""
        self.step_start(view)

    def step_start(self, view: StepView) -> None:
        if self._verbose:
            self.write(" " * _step_indent(view) + f"* {view.text.strip()}\n")

    def step_end(self, view: StepView, failure: StepFailure | None) -> None:
        """The failure block, or only a failed step hook's message (simpleConsole.go:89-111)."""
        spaces = _step_indent(view) + ERROR_INDENT
        if failure is not None and failure.hook:
            self.write(hook_block(failure, spaces))
        elif failure is not None:
            self.write(indent("\n" + step_failure_block(failure, self.spec_rel), spaces) + "\n")

    def scenario_end(self, result: ScenarioResult) -> None:
        for hook in (result.hook_failure, result.post_hook_failure):
            if hook is not None:
                self.write(hook_block(hook, SCENARIO_INDENT + ERROR_INDENT))


def make_console(
    out: BinaryIO, *, simple: bool, verbose: bool, color: bool, stream: int | None = None
) -> Console:
    """Pick the reporter like gauge (§4.1): -p/--simple-console: simple; --verbose: verbose; else coloured."""
    prefix = f"[runner: {stream:2d}] " if stream is not None else ""
    if simple or stream is not None:
        return SimpleConsole(out, verbose=verbose, prefix=prefix)
    if verbose:
        return VerboseConsole(out, color=color)
    return ColoredConsole(out, color=color)
