"""Stage two of the Gauge spec parser: tokens -> model (STYLE R14; G parser/convert.go, specparser.go).

A port of gauge's converter functions: one state bitmask, tokens applied in order, every problem kept
with its line so `spec.parse_spec` can raise the first one. Pure: no I/O of its own; an external
`table: x.csv` is read through the `TableLoader` the caller passes (`spec.parse_spec_file` passes one
that reads from the project root), and only recorded when there is none.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from pytest_streamstress.errors import SpecSyntaxError
from pytest_streamstress.gauge.parse import lexer, step_text
from pytest_streamstress.gauge.parse.lexer import Token
from pytest_streamstress.gauge.parse.model import ConceptIndex, Scenario, Spec, Step, StepArg, Table

log = logging.getLogger(__name__)

TableLoader = Callable[[str], tuple[list[str], list[tuple[str, ...]]]]
"""`table: <path>` -> (headers, rows); raises `TableLoadError` naming the file and the reason."""


class TableLoadError(Exception):
    """An external data table could not be read or parsed (the message names the file and why)."""


@dataclass(slots=True)
class StepDraft:
    token: Token
    args: list[StepArg]
    value: str
    headers: list[str] | None = None
    rows: list[tuple[str, ...]] = field(default_factory=list)
    table_line: int = 0

    def freeze(self, path: Path, concepts: ConceptIndex | None) -> Step:
        table = None
        if self.headers is not None:
            table = Table(headers=tuple(self.headers), rows=tuple(self.rows), line=self.table_line)
        step = Step(
            text=self.token.value,
            line=self.token.line,
            value=self.value,
            args=tuple(self.args),
            table=table,
            path=path,
        )
        return concepts.expand(step) if concepts is not None else step


@dataclass(slots=True)
class _TableDraft:
    line: int
    headers: list[str]
    rows: list[tuple[str, ...]] = field(default_factory=list)
    external: str = ""
    loaded: bool = True
    """False for an external table recorded without a loader: its columns are unknown."""

    def freeze(self) -> Table:
        return Table(
            headers=tuple(self.headers), rows=tuple(self.rows), line=self.line, external=self.external
        )


@dataclass(slots=True)
class _ScenarioDraft:
    token: Token
    span_end: int
    tags: list[str] | None = None
    steps: list[StepDraft] = field(default_factory=list)
    table: _TableDraft | None = None


@dataclass(frozen=True, slots=True)
class _Problem:
    line: int
    message: str
    text: str
    hint: str = ""


_SPEC: Final = 1
_SCENARIO: Final = 2
_STEP: Final = 4
_CONTEXT: Final = 8
_TEARDOWN: Final = 16
_TABLE: Final = 32
_TABLE_SEP: Final = 64
_TAGS: Final = 128


class Converter:
    """Port of gauge's converter functions: one state bitmask, tokens applied in order."""

    def __init__(self, path: Path, tables: TableLoader | None = None) -> None:
        self.path = path
        self.tables = tables
        self.state = 0
        self.heading: Token | None = None
        self.tags: list[str] | None = None
        self.context: list[StepDraft] = []
        self.teardown: list[StepDraft] = []
        self.scenarios: list[_ScenarioDraft] = []
        self.headings: dict[str, str] = {}
        self.table: _TableDraft | None = None
        self.has_items = False
        self.problems: list[_Problem] = []
        self.warnings: list[str] = []
        self.handlers: dict[str, Callable[[Token], None]] = {
            "spec": self.on_spec,
            "scenario": self.on_scenario,
            "step": self.on_step,
            "comment": self.on_comment,
            "tags": self.on_tags,
            "table_header": self.on_table_header,
            "table_row": self.on_table_row,
            "data_table": self.on_data_table,
            "teardown": self.on_teardown,
        }

    def error(self, token: Token, message: str, hint: str = "") -> None:
        self.problems.append(_Problem(token.line, message, token.raw.strip(), hint))

    def warn(self, token: Token, message: str) -> None:
        self.warnings.append(f"{self.path}:{token.line} {message}")

    def keep(self, *scopes: int) -> None:
        mask = 0
        for scope in scopes:
            mask |= scope
        self.state &= mask

    def apply(self, token: Token) -> None:
        for message in token.errors:
            self.error(token, message)
        if token.kind != "spec":
            self.has_items = True
        self.handlers[token.kind](token)

    def on_spec(self, token: Token) -> None:
        if self.heading is not None:
            self.error(token, "Multiple spec headings found in same file")
            return
        self.heading = token
        self.state |= _SPEC

    def on_scenario(self, token: Token) -> None:
        if self.heading is None:
            self.error(token, "Scenario should be defined after the spec heading")
            return
        key = token.value.lower()  # gauge compares headings case-insensitively (strings.EqualFold)
        if key in self.headings:
            first = self.headings[key]
            self.error(token, f"Duplicate scenario definition '{first}' found in the same specification")
            return
        self.headings[key] = token.value
        if self.scenarios:
            self.scenarios[-1].span_end = token.line - 1
        self.scenarios.append(_ScenarioDraft(token=token, span_end=token.span_end))
        self.keep(_SPEC)
        self.state |= _SCENARIO

    def _lookup(self, scenario: _ScenarioDraft | None) -> set[str] | None:
        """Column names a `<name>` may use; None means 'anything' (an external table)."""
        names: set[str] = set()
        for table in (self.table, scenario.table if scenario else None):
            if table is not None:
                if not table.loaded:
                    return None
                names.update(table.headers)
        return names

    def make_step(self, token: Token, lookup: set[str] | None) -> StepDraft:
        args: list[StepArg] = []
        for text, written in zip(token.args, token.arg_kinds, strict=True):
            kind: step_text.ArgKind = written
            if written == "special":
                kind, warnings = step_text.resolve_special(text)
                for message in warnings:
                    self.warn(token, message)
            if kind == "dynamic" and lookup is not None and text not in lookup:
                self.error(token, f"Dynamic parameter <{text}> could not be resolved")
            args.append(StepArg(kind=kind, value=text))
        if token.unterminated_multiline:
            self.warn(
                token,
                f"Multi-line string opened on line {token.unterminated_multiline} is never closed by a "
                "triple-quote line: gauge reads it and the lines after it as ordinary spec lines",
            )
        if token.multiline is not None:
            if args:
                # CreateStepUsingLookup (v1.6.28): a block is only an argument of a step without parameters.
                self.error(
                    token,
                    "Step text should not have '{static}' or '{dynamic}' or '{special}'",
                    hint='a step followed by a """ block must not have parameters in its own text',
                )
            else:
                args.append(StepArg(kind="multiline", value=token.multiline))
        return StepDraft(token=token, args=args, value=token.step_value)

    def on_step(self, token: Token) -> None:
        if self.state & _SCENARIO:
            scenario = self.scenarios[-1]
            scenario.steps.append(self.make_step(token, self._lookup(scenario)))
            self.keep(_SPEC, _SCENARIO)
            self.state |= _STEP
        elif self.state & _SPEC and not self.state & _TEARDOWN:
            self.context.append(self.make_step(token, self._lookup(None)))
            self.keep(_SPEC)
            self.state |= _CONTEXT
        elif self.state & _TEARDOWN:
            self.teardown.append(self.make_step(token, self._lookup(None)))
            self.keep(_SPEC, _TEARDOWN)
        else:
            self.warn(token, "Step before the spec heading is ignored")

    def on_comment(self, token: Token) -> None:
        self.keep(_SPEC, _SCENARIO, _TEARDOWN)

    def on_teardown(self, token: Token) -> None:
        self.keep(_SPEC)
        self.state |= _TEARDOWN

    def on_tags(self, token: Token) -> None:
        if self.state & _SCENARIO:
            scenario = self.scenarios[-1]
            if self.state & _TAGS and scenario.tags is not None:
                scenario.tags.extend(token.args)
            elif scenario.tags:
                self.error(token, "Tags can be defined only once per scenario")
                return
            else:
                scenario.tags = list(token.args)
        elif self.state & _TAGS and self.tags is not None:
            self.tags.extend(token.args)
        elif self.tags:
            self.error(token, "Tags can be defined only once per specification")
            return
        else:
            self.tags = list(token.args)
        self.state |= _TAGS

    def _step_for_table(self) -> StepDraft | None:
        if self.state & _STEP:
            return self.scenarios[-1].steps[-1]
        if self.state & _CONTEXT:
            return self.context[-1]
        if self.state & _TEARDOWN:
            return self.teardown[-1] if self.teardown else None
        return None

    def on_table_header(self, token: Token) -> None:
        if not self.state & _SPEC:
            return
        step = self._step_for_table()
        if step is not None:
            step.value += " {}"
            step.args.append(StepArg(kind="table", value=""))
            step.headers = list(token.args)
            step.table_line = token.line
        elif self.state & _TEARDOWN:
            return  # a table under `___` before any teardown step is a comment
        elif self.state & _SCENARIO:
            if self.scenarios[-1].table is not None:
                self.warn(token, "Multiple data table present, ignoring table")
                return
            self.scenarios[-1].table = _TableDraft(line=token.line, headers=list(token.args))
        elif self.table is not None:
            self.warn(token, "Multiple data table present, ignoring table")
            return
        else:
            self.table = _TableDraft(line=token.line, headers=list(token.args))
        self.keep(_SPEC, _SCENARIO, _STEP, _CONTEXT, _TEARDOWN)
        self.state |= _TABLE

    def on_table_row(self, token: Token) -> None:
        if not self.state & _TABLE:
            return  # a row nobody owns is a comment
        if not self.state & _TABLE_SEP and lexer.is_separator_row(token.args):
            self.state |= _TABLE_SEP
            return
        step = self._step_for_table()
        if step is not None:
            target_headers, rows = step.headers or [], step.rows
        else:
            table = self.scenarios[-1].table if self.state & _SCENARIO else self.table
            if table is None:
                return
            target_headers, rows = table.headers, table.rows
        rows.append(self.fit_row(token, len(target_headers)))

    def fit_row(self, token: Token, width: int) -> tuple[str, ...]:
        cells = token.args
        if len(cells) != width:
            fix = "empty cells are added" if len(cells) < width else "the extra cells are dropped"
            self.warn(
                token,
                f"table row has {len(cells)} cell{'' if len(cells) == 1 else 's'} but its header has {width};"
                f" gauge runs it anyway ({fix}): fix the row",
            )
            cells = (*cells, *("",) * width)[:width]
        return cells

    def on_data_table(self, token: Token) -> None:
        external = token.value.removeprefix("table:").strip()
        if not external:
            return
        draft = _TableDraft(line=token.line, headers=[], external=external, loaded=False)
        if self.tables is not None:
            try:
                draft.headers, draft.rows = self.tables(external)
                draft.loaded = True
            except TableLoadError as exc:
                # Kept unloaded (any <param> accepted) so this stays the file's only error.
                self.error(token, f"Could not resolve table from {token.raw.strip()}", hint=str(exc))
        if self.state & _SCENARIO:
            if self.scenarios[-1].table is not None:
                self.warn(token, "Multiple data table present, ignoring table")
                return
            self.scenarios[-1].table = draft
        elif self.state & _SPEC and self.table is None:
            self.table = draft
        elif self.state & _SPEC:
            self.warn(token, "Multiple data table present, ignoring table")
            return
        else:
            self.warn(token, "Data table not associated with spec or scenario")
            return
        self.keep(_SPEC, _SCENARIO)

    # --- the whole-file checks (specparser.go validateSpec), then freezing ---------------------------

    def validate(self, last_line: int) -> None:
        first: _Problem | None = None
        if not self.has_items:
            first = _Problem(1, "Spec does not have any elements", "")
        elif self.heading is None:
            first = _Problem(1, "Spec heading not found", "")
        elif not self.heading.value:
            first = _Problem(self.heading.line, "Spec heading should have at least one character", "")
        elif self.table is not None and self.table.loaded and self.table.headers and not self.table.rows:
            first = _Problem(self.table.line, "Data table should have at least 1 data row", "")
        elif not self.scenarios:
            first = _Problem(
                self.heading.line, "Spec should have at least one scenario", self.heading.raw.strip()
            )
        else:
            for scenario in self.scenarios:
                if not scenario.steps:
                    first = _Problem(
                        scenario.token.line,
                        "Scenario should have at least one step",
                        scenario.token.raw.strip(),
                    )
                    break
        if first is not None:
            self.problems.insert(0, first)
        if self.scenarios:
            self.scenarios[-1].span_end = last_line

    def raise_problems(self) -> None:
        if not self.problems:
            return
        problems = sorted(self.problems, key=lambda problem: problem.line)
        first = problems[0]
        hints = [first.hint] if first.hint else []
        if len(problems) > 1:
            also = "also: " + "; ".join(f"line {p.line}: {p.message}" for p in problems[1:6])
            if len(problems) > 6:
                also += f"; and {len(problems) - 6} more"
            hints.append(also)
        hint = "; ".join(hints)
        raise SpecSyntaxError(first.message, path=self.path, line=first.line, text=first.text, hint=hint)

    def freeze(self, concepts: ConceptIndex | None) -> Spec:
        assert self.heading is not None  # validate() reported a missing heading
        spec_tags = tuple(self.tags or ())
        scenarios = tuple(
            Scenario(
                heading=draft.token.value,
                line=draft.token.line,
                span_end=draft.span_end,
                tags=tuple(draft.tags or ()),
                spec_tags=spec_tags,
                steps=tuple(step.freeze(self.path, concepts) for step in draft.steps),
                data_table=draft.table.freeze() if draft.table else None,
                spec_path=self.path,
                spec_heading=self.heading.value,
            )
            for draft in self.scenarios
        )
        return Spec(
            path=self.path,
            heading=self.heading.value,
            heading_line=self.heading.line,
            tags=spec_tags,
            context_steps=tuple(step.freeze(self.path, concepts) for step in self.context),
            teardown_steps=tuple(step.freeze(self.path, concepts) for step in self.teardown),
            scenarios=scenarios,
            data_table=self.table.freeze() if self.table else None,
            warnings=tuple(self.warnings),
        )
