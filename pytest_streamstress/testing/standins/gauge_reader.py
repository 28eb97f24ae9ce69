"""Stage two of the gauge stand-in's spec reading: tokens in, a `Spec` or gauge's parse problems out.

Follows gauge v1.6.28's converters and checks (G parser/convert.go, specparser.go; reference gauge.md
§2.2-§2.4): one spec heading; scenarios after it with case-insensitively unique headings; one `Tags:`
line per spec and per scenario (a continued or directly repeated line adds to it); steps before the
first scenario are context steps, steps after a `___` line are teardown steps; a table right after
a step is its inline table, any other table (or `table: x.csv`) is the spec's or the scenario's data
table, a second one is ignored; a scenario spans from its heading to the line before the next one.
Problems come in gauge's order: the lexer's, then the first failed check of the whole spec, then the
converters'. Files are read only by `read_spec_file` (and `DataFiles`). Nothing is shared with the
plugin's parser (DESIGN.md).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pytest_streamstress.testing.standins import gauge_lines
from pytest_streamstress.testing.standins.gauge_concepts import ConceptBook
from pytest_streamstress.testing.standins.gauge_lines import Token
from pytest_streamstress.testing.standins.gauge_spec import Problem, Scenario, Spec, SpecError, Step, Table
from pytest_streamstress.testing.standins.gauge_steps import (
    DataFileError,
    DataFiles,
    StepDraft,
    StepMaker,
    TableDraft,
)

log = logging.getLogger(__name__)


class _In(enum.Flag):
    """Gauge's converter state (G parser/lex.go scope constants)."""

    NOTHING = 0
    SPEC = enum.auto()
    SCENARIO = enum.auto()
    STEP = enum.auto()
    CONTEXT = enum.auto()
    TEARDOWN = enum.auto()
    TABLE = enum.auto()
    SEPARATOR = enum.auto()
    TAGS = enum.auto()
    COMMENT = enum.auto()
    KEYWORD = enum.auto()


_BODY = _In.SPEC | _In.SCENARIO | _In.STEP | _In.CONTEXT | _In.TEARDOWN
_ONE_TABLE = "Multiple data table present, ignoring table"


@dataclass(slots=True)
class _ScenarioDraft:
    heading: Token
    span_end: int
    tags: list[str] = field(default_factory=list)
    steps: list[StepDraft] = field(default_factory=list)
    table: TableDraft | None = None


def _is_separator(cells: tuple[str, ...]) -> bool:
    filled = [cell for cell in cells if cell]
    return bool(filled) and all(cell == "-" * len(cell) for cell in filled)


class _SpecReader:
    """Gauge's converters, one method per token kind; `state` decides where a token belongs."""

    def __init__(self, path: Path, files: DataFiles | None) -> None:
        self.path = path
        self.files = files
        self.maker = StepMaker(path, files)
        self.state = _In.NOTHING
        self.heading: Token | None = None
        self.has_items = False
        self.tags: list[str] = []
        self.context: list[StepDraft] = []
        self.teardown: list[StepDraft] = []
        self.scenarios: list[_ScenarioDraft] = []
        self.table: TableDraft | None = None

    @property
    def problems(self) -> list[Problem]:
        return self.maker.problems

    def problem(self, token: Token, message: str) -> None:
        self.problems.append(Problem(self.path, token.line, message, token.text))

    def apply(self, token: Token) -> None:
        handlers: dict[str, Callable[[Token], None]] = {
            "spec": self.spec,
            "scenario": self.scenario,
            "step": self.step,
            "comment": self.comment,
            "table_header": self.table_header,
            "table_row": self.table_row,
            "tags": self.tag_line,
            "table_file": self.table_file,
            "teardown": self.teardown_line,
        }
        handlers[token.kind](token)

    def names(self, scenario: _ScenarioDraft | None) -> frozenset[str]:
        """The columns a `<name>` may use: the spec's data table, and the scenario's for its steps."""
        tables = [self.table, scenario.table if scenario is not None else None]
        return frozenset(header for table in tables if table is not None for header in table.headers)

    def spec(self, token: Token) -> None:
        if self.heading is not None:
            self.problem(token, "Multiple spec headings found in same file")
            return
        self.heading, self.has_items = token, True
        self.state |= _In.SPEC

    def scenario(self, token: Token) -> None:
        if self.heading is None:
            self.problem(token, "Scenario should be defined after the spec heading")
            return
        for other in self.scenarios:
            if other.heading.value.casefold() == token.value.casefold():
                message = (
                    f"Duplicate scenario definition '{other.heading.value}' found in the same specification"
                )
                self.problem(token, message)
                return
        if self.scenarios:
            self.scenarios[-1].span_end = token.line - 1
        self.scenarios.append(_ScenarioDraft(token, token.line))
        self.has_items = True
        self.state = (self.state & _In.SPEC) | _In.SCENARIO

    def step(self, token: Token) -> None:
        if _In.SCENARIO in self.state:
            scenario = self.scenarios[-1]
            scenario.steps.append(self.maker.step(token, self.names(scenario)))
            self.state = (self.state & (_In.SPEC | _In.SCENARIO)) | _In.STEP
        elif _In.SPEC in self.state and _In.TEARDOWN not in self.state:
            self.context.append(self.maker.step(token, self.names(None)))
            self.state = (self.state & _In.SPEC) | _In.CONTEXT
        elif _In.TEARDOWN in self.state:
            self.teardown.append(self.maker.step(token, self.names(None)))
            self.state &= _In.SPEC | _In.TEARDOWN
        else:
            return  # a step before the spec heading: no converter takes it
        self.has_items = True

    def comment(self, token: Token) -> None:
        self.has_items = True
        self.state = (self.state & (_In.SPEC | _In.SCENARIO | _In.TEARDOWN)) | _In.COMMENT

    def _owner(self) -> StepDraft | None:
        """The step an inline table belongs to, by state: scenario step, context step, teardown step."""
        if _In.STEP in self.state:
            return self.scenarios[-1].steps[-1]
        if _In.CONTEXT in self.state:
            return self.context[-1]
        if _In.TEARDOWN in self.state:
            return self.teardown[-1] if self.teardown else None
        return None

    def table_header(self, token: Token) -> None:
        if _In.SPEC not in self.state:
            return
        self.has_items = True
        owner = self._owner()
        # Without an owning step, a table after `___` but before any teardown step is a comment (it
        # belongs to nothing); elsewhere it is the scenario's or the spec's data table.
        in_steps = bool(self.state & (_In.STEP | _In.CONTEXT | _In.TEARDOWN))
        if owner is not None:
            owner.add_table(token)
        elif not in_steps and not self._data_table(TableDraft(headers=token.cells, line=token.line)):
            return
        self.state = (self.state & _BODY) | _In.TABLE

    def _data_table(self, table: TableDraft) -> bool:
        """Make `table` the scenario's or the spec's data table; False (ignored) if it has one."""
        if _In.SCENARIO in self.state:
            scenario = self.scenarios[-1]
            if scenario.table is not None:
                return False
            scenario.table = table
        elif self.table is not None:
            return False
        else:
            self.table = table
        return True

    def table_row(self, token: Token) -> None:
        self.has_items = True
        if _In.TABLE not in self.state:
            self.state &= _BODY | _In.TABLE | _In.SEPARATOR  # a row without a header is a comment
            return
        if _is_separator(token.cells) and _In.SEPARATOR not in self.state:
            self.state |= _In.SEPARATOR
        else:
            self.maker.check_cells(token)
            table = self._row_table()
            if table is not None:
                table.add_row(token.cells)
        self.state &= _BODY | _In.TABLE | _In.SEPARATOR

    def _row_table(self) -> TableDraft | None:
        owner = self._owner()
        if owner is not None or self.state & (_In.STEP | _In.CONTEXT | _In.TEARDOWN):
            return owner.table if owner is not None else None
        return self.scenarios[-1].table if _In.SCENARIO in self.state else self.table

    def tag_line(self, token: Token) -> None:
        self.has_items = True
        scenario = _In.SCENARIO in self.state
        tags = self.scenarios[-1].tags if scenario else self.tags
        if tags and _In.TAGS not in self.state:
            self.problem(
                token, f"Tags can be defined only once per {'scenario' if scenario else 'specification'}"
            )
            return
        tags.extend(token.cells)
        self.state |= _In.TAGS

    def table_file(self, token: Token) -> None:
        """`table: x.csv`: an external data table, read from the project root."""
        name = token.value.removeprefix("table:").strip()
        try:
            table = self.files.table(name, token.line) if self.files is not None else None
        except DataFileError as exc:
            self.problem(token, f"Could not resolve table. {exc}")
            return
        self.has_items = True
        if _In.SCENARIO not in self.state and _In.SPEC not in self.state:
            return  # gauge warns: "Data table not associated with spec or scenario"
        draft = TableDraft(headers=table.headers, line=token.line, rows=list(table.rows)) if table else None
        if draft is not None and not self._data_table(draft):
            return
        self.state = (self.state & (_In.SPEC | _In.SCENARIO)) | _In.KEYWORD

    def teardown_line(self, token: Token) -> None:
        self.has_items = True
        self.state = (self.state & _In.SPEC) | _In.TEARDOWN

    def check(self) -> Problem | None:
        """Gauge's validateSpec: the first thing that makes the whole spec unusable."""
        if not self.has_items:
            return Problem(self.path, 1, "Spec does not have any elements")
        if self.heading is None:
            return Problem(self.path, 1, "Spec heading not found")
        if not self.heading.value.strip():
            return Problem(self.path, self.heading.line, "Spec heading should have at least one character")
        if self.table is not None and not self.table.rows:
            return Problem(self.path, self.table.line, "Data table should have at least 1 data row")
        if not self.scenarios:
            return Problem(self.path, self.heading.line, "Spec should have at least one scenario")
        for scenario in self.scenarios:
            if not scenario.steps:
                return Problem(self.path, scenario.heading.line, "Scenario should have at least one step")
        return None

    def freeze(self, concepts: ConceptBook) -> Spec:
        assert self.heading is not None

        def steps(drafts: list[StepDraft]) -> tuple[Step, ...]:
            return tuple(concepts.expand(draft.freeze()) for draft in drafts)

        def table(draft: TableDraft | None) -> Table | None:
            return draft.freeze() if draft is not None else None

        spec_tags = tuple(self.tags)
        scenarios = tuple(
            Scenario(
                heading=s.heading.value,
                line=s.heading.line,
                span_end=s.span_end,
                tags=tuple(s.tags),
                spec_tags=spec_tags,
                steps=steps(s.steps),
                data_table=table(s.table),
            )
            for s in self.scenarios
        )
        return Spec(
            path=self.path,
            heading=self.heading.value,
            heading_line=self.heading.line,
            tags=spec_tags,
            context_steps=steps(self.context),
            teardown_steps=steps(self.teardown),
            scenarios=scenarios,
            data_table=table(self.table),
        )


def read_spec(
    text: str, *, path: Path, concepts: ConceptBook | None = None, files: DataFiles | None = None
) -> Spec:
    """Read one spec's text; raises `SpecError` with every problem gauge would print for it.

    `files` reads `table: x.csv` and checks `<file:x>` (None: no data files; `table:` lines give
    no table and file parameters are not checked).
    """
    reader = _SpecReader(path, files)
    tokens = gauge_lines.tokenize(text)
    for token in tokens:
        reader.apply(token)
    if reader.scenarios:
        reader.scenarios[-1].span_end = tokens[-1].line
    lexed = [Problem(path, token.line, token.problem, token.value) for token in tokens if token.problem]
    checked = reader.check()
    problems = lexed + ([checked] if checked is not None else []) + reader.problems
    if problems:
        raise SpecError(problems)
    return reader.freeze(concepts if concepts is not None else ConceptBook())


def read_spec_file(
    path: Path, *, concepts: ConceptBook | None = None, files: DataFiles | None = None
) -> Spec:
    """Read the file as gauge does (bytes as UTF-8; a BOM is not removed) and then `read_spec`."""
    try:
        text = path.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        raise SpecError([Problem(path, 0, f"Failed to read the file {path}. {exc.strerror}")]) from exc
    return read_spec(text, path=path, concepts=concepts, files=files)


def find_project_root(start: Path) -> Path | None:
    """The nearest directory upward from `start` holding `manifest.json` (GC common.go)."""
    here = start if start.is_dir() else start.parent
    for candidate in (here, *here.parents):
        if (candidate / "manifest.json").is_file():
            return candidate
    return None
