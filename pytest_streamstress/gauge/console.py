"""gauge's simple console with `--verbose` (reference gauge.md §4.5): the stdout fallback for results.

`gauge/execute.py` always asks for this console: no ANSI codes, no line rewriting, one `  ## heading`
line per attempt (a retried scenario prints its block again, gauge #1370) and the failure block
indented by 8 (steps, deeper inside concepts), 4 (scenario hooks) or 2 (spec hooks, §4.1). Runner
output lines (release-tests' `log.Printf`) interleave anywhere and are ignored. Scenario headings are
found by matching the headings we know from the spec model, because runner text may share their line
(§1.3). Pure: text in, values out; which source wins for a scenario is `results.py`'s decision.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Final, Literal, NamedTuple

_SUMMARY: Final = re.compile(r"^Specifications:\t")
_LOCATION: Final = re.compile(r"^(?P<path>.+?)(?::(?P<line>\d+))?$")
_NO_SPECS: Final = "No specifications found in"
_PLUGIN_MESSAGE: Final = "Successfully generated"
"""The start of the report plugins' end-of-run messages (§4.6)."""


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
    row: tuple[tuple[str, str], ...] = ()
    """The data row this execution ran with, (column, value) as gauge printed it before the heading
    (spec table's row first, then the scenario table's); empty for a scenario without one."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsoleReport:
    lines: tuple[str, ...]
    attempts: tuple[ConsoleAttempt, ...] = ()
    spec_failure: ConsoleFailure | None = None
    """A spec-level hook failure (BeforeSpec): printed at indent 2 before any scenario."""
    after_spec_failure: ConsoleFailure | None = None
    """A spec-level hook failure printed at indent 2 after scenarios ran: the AfterSpec hook (gauge
    v1.6.28 reporter/simpleConsole.go:45-54 prints spec hook failures when the spec ends)."""
    finished: bool = False
    """The `Specifications:` summary was printed: every block is complete."""
    nothing_selected: bool = False

    def attempts_of(self, heading: str) -> tuple[ConsoleAttempt, ...]:
        """Every block of `heading`: each attempt, and for a data-driven scenario each row's too."""
        return tuple(a for a in self.attempts if a.heading == heading)

    def attempts_for(self, heading: str, row: Sequence[tuple[str, str]]) -> tuple[ConsoleAttempt, ...]:
        """The blocks of one execution of `heading`: the attempts of the data row `row` (all blocks for
        a scenario without rows). A row gauge did not print (another console) matches nothing."""
        found = self.attempts_of(heading)
        if not row:
            return found
        wanted = tuple((column.strip(), value.strip()) for column, value in row)
        return tuple(a for a in found if a.row == wanted)

    def block_of(self, heading: str) -> tuple[str, ...]:
        """The console lines of the scenario's last attempt."""
        found = self.attempts_of(heading)
        if not found:
            return ()
        last = found[-1]
        block = list(self.lines[last.first_line : last.last_line + 1])
        for index, line in enumerate(block):
            if line.startswith(_PLUGIN_MESSAGE):
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
    rows = [_row_before(lines, start) for start, _heading in starts]
    for position, (start, heading) in enumerate(starts):
        following = starts[position + 1][0] if position + 1 < len(starts) else None
        stop = following if following is not None else end_of_run
        if following is not None:
            stop = rows[position + 1][0]  # the next execution's data row is not part of this block
        complete = following is not None or summary_at is not None or _spec_ended(lines, start, stop)
        failure = _failure_in(lines, start + 1, stop, indents=range(4, 64))
        attempts.append(
            ConsoleAttempt(
                heading=heading,
                failure=failure,
                complete=complete,
                first_line=start,
                last_line=max(start, stop - 1),
                row=rows[position][1],
            )
        )
    after_spec = _failure_in(lines, starts[0][0] + 1, end_of_run, indents=range(2, 3)) if starts else None
    return ConsoleReport(
        lines=lines,
        attempts=tuple(attempts),
        spec_failure=spec_failure,
        after_spec_failure=after_spec,
        finished=summary_at is not None,
        nothing_selected=nothing_selected,
    )


class ConsoleProgress:
    """Where a running gauge process is, from its console as it streams (issue 22: the heartbeat).

    Fed line by line; counts scenario blocks as they start (a retry or a table row starts one more,
    so the count is capped at `total`) and remembers the current heading.
    """

    def __init__(self, headings: Sequence[str]) -> None:
        self.ordered = sorted(set(headings), key=len, reverse=True)
        self.total = len(headings)
        self.started = 0
        self.current = ""

    def feed(self, line: str) -> None:
        text = line.strip()
        if text.startswith("## "):
            heading = _heading_of(text[3:], self.ordered)
            if heading is not None:
                self.started += 1
                self.current = heading

    def describe(self) -> str:
        """`scenario 3/7 "Run sample pipeline"`, or `starting` before the first scenario."""
        if not self.current:
            return f"starting ({self.total} scenario(s))"
        return f'scenario {min(self.started, self.total)}/{self.total} "{self.current}"'


def _heading_of(rest: str, ordered: Sequence[str]) -> str | None:
    """The known heading a `  ## ` line starts with; runner output may follow it after whitespace (§1.3)."""
    for heading in ordered:
        if rest.startswith(heading) and (len(rest) == len(heading) or rest[len(heading)].isspace()):
            return heading
    return None


_TABLE_PAD: Final = "   |"
"""gauge prints a data row as a one-row table 3 spaces in (formatter/formatter.go:25,121-160)."""


def _row_before(lines: Sequence[str], start: int) -> tuple[int, tuple[tuple[str, str], ...]]:
    """The data-row tables printed right before the heading at `start` (gauge v1.6.28
    reporter/reporter.go:138-147 prints the spec table's row, then the scenario table's, before each
    execution, so also before every retry) and the index where they begin (`start` if none)."""
    begin = start
    index = start - 1
    while index >= 0 and (not lines[index].strip() or _is_table_line(lines[index])):
        if lines[index].strip():
            begin = index
        index -= 1
    while begin < start and not lines[begin].strip():
        begin += 1
    table = [line for line in lines[begin:start] if line.strip()]
    pairs: list[tuple[str, str]] = []
    position = 0
    while position + 3 <= len(table) and _is_separator(table[position + 1]):
        headers, cells = _cells(table[position]), _cells(table[position + 2])
        pairs.extend(zip(headers, cells, strict=False))
        position += 3
    if position != len(table):
        return start, ()  # not gauge's row tables: leave those lines in the previous block
    return begin, tuple(pairs)


def _is_table_line(line: str) -> bool:
    return line.startswith(_TABLE_PAD) and line.rstrip().endswith("|")


def _is_separator(line: str) -> bool:
    return all(set(cell) <= {"-"} for cell in _cells(line))


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip()[1:-1].split("|")]


def _spec_ended(lines: Sequence[str], start: int, stop: int) -> bool:
    """A spec's output ends with a blank line and the plugins' `Successfully generated` messages."""
    return any(line.startswith(_PLUGIN_MESSAGE) for line in lines[start:stop])


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
                failure = _read_block(lines, index, stop, " " * (len(line) - len(body)))
                return failure if failure.step else _hooked_step(lines, start, index, failure)
    return None


def _hooked_step(lines: Sequence[str], start: int, index: int, failure: ConsoleFailure) -> ConsoleFailure:
    """A failed step hook prints only its message, 2 deeper than its step's `* step` line (gauge
    v1.6.28 reporter/simpleConsole.go:89-111): that line names the step (no spec line is printed)."""
    pad = len(lines[index]) - len(lines[index].lstrip(" ")) - 2
    if pad < 6:  # a scenario (4) or spec (2) hook: no step to name
        return failure
    for position in range(index - 1, start - 1, -1):
        if lines[position].startswith(" " * pad + "* "):
            return replace(failure, step=lines[position][pad + 2 :].strip())
    return failure


# --- one failure block (§4.3): labelled sections in a fixed order ----------------------------------

_Section = Literal["", "step", "location", "message", "trace"]
"""Where the block reader is: before any label, then after each label in turn."""


class _Label(NamedTuple):
    text: str
    """What the section's first line starts with (`exact`: what it is, trailing spaces aside)."""
    after: frozenset[_Section]
    """The sections the label may follow; anywhere else the line is plain text of the section."""
    section: _Section
    exact: bool = False


_LABELS: Final = (
    _Label("Failed Step: ", frozenset({""}), "step"),
    _Label("Specification: ", frozenset({"", "step"}), "location"),
    _Label("Error Message: ", frozenset({"", "step", "location"}), "message"),
    _Label("Stacktrace:", frozenset({"message"}), "trace", exact=True),
)
_MULTILINE: Final[frozenset[_Section]] = frozenset({"message", "trace"})
"""Sections whose following lines belong to them; `Failed Step:` and `Specification:` are one line."""


@dataclass(slots=True)
class _BlockReader:
    section: _Section = ""
    texts: dict[_Section, list[str]] = field(default_factory=dict)

    def feed(self, body: str) -> None:
        for label in _LABELS:
            if self.section in label.after and _starts(body, label):
                self.section = label.section
                self.texts[label.section] = [] if label.exact else [body[len(label.text) :]]
                return
        if self.section in _MULTILINE:
            self.texts[self.section].append(body)

    def failure(self) -> ConsoleFailure:
        location = self._first("location").strip()
        found = _LOCATION.match(location)
        return ConsoleFailure(
            step=self._first("step").strip(),
            location=location,
            line=int(found.group("line")) if found is not None and found.group("line") else None,
            message="\n".join(self.texts.get("message", ())).rstrip(),
            trace="\n".join(self.texts.get("trace", ())).rstrip(),
        )

    def _first(self, section: _Section) -> str:
        return self.texts.get(section, [""])[0]


def _starts(body: str, label: _Label) -> bool:
    return body.rstrip() == label.text if label.exact else body.startswith(label.text)


def _read_block(lines: Sequence[str], index: int, stop: int, pad: str) -> ConsoleFailure:
    reader = _BlockReader()
    for position in range(index, stop):
        raw = lines[position]
        if not raw and _continues(lines, position, stop, pad):
            raw = pad  # an unpadded blank line inside the block (gauge pads them; be lenient)
        if not raw.startswith(pad) or not raw:
            break  # gauge pads every line of a block: anything else is past its end
        reader.feed(raw[len(pad) :])
    return reader.failure()


def _continues(lines: Sequence[str], position: int, stop: int, pad: str) -> bool:
    for later in range(position + 1, stop):
        if lines[later]:
            return lines[later].startswith(pad) and not lines[later].lstrip(" ").startswith("* ")
    return False
