"""The gauge stand-in's concepts: `.cpt` files found, read, checked and expanded (reference gauge.md §2.5).

Follows gauge v1.6.28 (G parser/conceptParser.go, util/fileUtils.go): concept files are every
`*.cpt` under the project root except dot-directories and the root's `env`, `reports`, `logs` and
`gauge_bin` (and the reports/logs directories the properties name), and nothing inside a symbolically
linked directory (Go's Walk, gauge_walk); each `# heading` (only
`<dynamic>` parameters) is a concept whose `* steps` may use those parameters and call other
concepts. Gauge reports every problem: a concept without steps, a step or table outside a concept,
a scenario heading, both places of a duplicate concept, both ends of a circular reference. A spec
step whose value equals a concept's value is expanded into the concept's steps, recursively.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from pytest_streamstress.testing.standins import gauge_lines
from pytest_streamstress.testing.standins.gauge_lines import Token
from pytest_streamstress.testing.standins.gauge_spec import Concept, Problem, SpecError, Step
from pytest_streamstress.testing.standins.gauge_steps import DataFiles, StepDraft, StepMaker, special_kind
from pytest_streamstress.testing.standins.gauge_walk import go_walk

log = logging.getLogger(__name__)

ROOT_SKIPS: Final = ("env", "reports", "logs", "gauge_bin")


class _In(enum.Flag):
    """The concept parser's state (G parser/lex.go scope constants it uses)."""

    NOTHING = 0
    CONCEPT = enum.auto()
    STEP = enum.auto()
    TABLE = enum.auto()
    SEPARATOR = enum.auto()
    COMMENT = enum.auto()


@dataclass(slots=True)
class _Draft:
    heading: Token
    value: str
    params: tuple[str, ...]
    steps: list[StepDraft] = field(default_factory=list)

    def freeze(self, path: Path) -> Concept:
        return Concept(
            heading=self.heading.value,
            line=self.heading.line,
            path=path,
            value=self.value,
            params=self.params,
            steps=tuple(step.freeze() for step in self.steps),
        )


def _heading(token: Token, path: Path) -> _Draft | Problem:
    """Gauge ignores a heading's own text errors (then the raw text is the value) but wants only
    `<dynamic>` parameters; an unknown `<x:y>` prefix counts as dynamic."""
    try:
        value, params = gauge_lines.parse_step_text(token.value)
    except ValueError:
        value, params = token.value, ()
    names: list[str] = []
    for kind, name in params:
        if kind == "static" or (kind == "special" and special_kind(name)):
            return Problem(path, token.line, "Concept heading can have only Dynamic Parameters", token.value)
        names.append(name)
    return _Draft(token, value, tuple(names))


def _is_separator(cells: tuple[str, ...]) -> bool:
    filled = [cell for cell in cells if cell]
    return bool(filled) and all(cell == "-" * len(cell) for cell in filled)


class _ConceptReader:
    def __init__(self, path: Path, files: DataFiles | None) -> None:
        self.path = path
        self.maker = StepMaker(path, files)
        self.state = _In.NOTHING
        self.current: _Draft | None = None
        self.concepts: list[Concept] = []

    @property
    def problems(self) -> list[Problem]:
        return self.maker.problems

    def problem(self, token: Token, message: str, text: str | None = None) -> None:
        self.problems.append(Problem(self.path, token.line, message, token.text if text is None else text))

    def apply(self, token: Token) -> None:
        if token.kind == "spec":
            self.heading(token)
        elif token.kind == "step":
            self.step(token)
        elif token.kind == "table_header":
            if self.current is None or _In.STEP not in self.state:
                self.problem(token, "Table doesn't belong to any step")
                return
            self.current.steps[-1].add_table(token)
            self.state |= _In.TABLE
        elif token.kind == "scenario":
            self.problem(token, "Scenario Heading is not allowed in concept file")
        elif token.kind == "table_row":
            self.row(token)
        else:
            self.state = (self.state & _In.CONCEPT) | _In.COMMENT

    def heading(self, token: Token) -> None:
        """A new heading closes the current concept; one without steps is an error and, as in gauge,
        the new heading is then skipped (its steps go to the unfinished concept)."""
        if self.current is not None and self.state & (_In.CONCEPT | _In.STEP):
            if not self.current.steps:
                self.problem(
                    self.current.heading, "Concept should have at least one step", self.current.heading.value
                )
                return
            self.concepts.append(self.current.freeze(self.path))
        self.current, self.state = None, _In.NOTHING
        draft = _heading(token, self.path)
        if isinstance(draft, Problem):
            self.problems.append(draft)
            return
        self.current, self.state = draft, _In.CONCEPT

    def step(self, token: Token) -> None:
        if self.current is None or _In.CONCEPT not in self.state:
            self.problem(token, "Step is not defined inside a concept heading")
            return
        self.current.steps.append(self.maker.step(token, frozenset(self.current.params)))
        self.state |= _In.STEP

    def row(self, token: Token) -> None:
        if _is_separator(token.cells) and _In.SEPARATOR not in self.state:
            self.state |= _In.SEPARATOR
        elif self.current is not None and _In.STEP in self.state:
            table = self.current.steps[-1].table
            if table is not None:
                table.add_row(token.cells)

    def finish(self) -> list[Concept]:
        """A last concept without steps is an error and then gauge keeps none of the file's concepts."""
        if self.current is not None and not self.current.steps:
            self.problem(
                self.current.heading, "Concept should have at least one step", self.current.heading.value
            )
            return []
        if self.current is not None:
            self.concepts.append(self.current.freeze(self.path))
        return self.concepts


def read_concepts(
    text: str, *, path: Path, files: DataFiles | None = None
) -> tuple[list[Concept], list[Problem]]:
    """The concepts of one `.cpt` file and the problems gauge reports about it (lexer's first)."""
    reader = _ConceptReader(path, files)
    tokens = gauge_lines.tokenize(text)
    lexed = [Problem(path, t.line, t.problem, t.value) for t in tokens if t.problem]
    for token in tokens:
        reader.apply(token)
    concepts = reader.finish()
    return concepts, lexed + reader.problems


class ConceptBook:
    """Concepts by step value. `expand` replaces a step that calls a concept by one with its steps."""

    def __init__(self, concepts: Iterable[Concept] = ()) -> None:
        self.by_value = {concept.value: concept for concept in concepts}

    def __len__(self) -> int:
        return len(self.by_value)

    def __contains__(self, value: object) -> bool:
        return value in self.by_value

    def expand(self, step: Step, _calling: tuple[str, ...] = ()) -> Step:
        concept = self.by_value.get(step.value)
        if concept is None or step.value in _calling:
            return step
        inner = tuple(self.expand(s, (*_calling, step.value)) for s in concept.steps)
        return Step(
            text=step.text,
            line=step.line,
            value=step.value,
            args=step.args,
            table=step.table,
            concept_steps=inner,
        )


def concept_files(root: Path, *, skip: Iterable[Path] = ()) -> list[Path]:
    """`*.cpt` under `root` as gauge's Walk finds them: dot-directories, gauge's own places and linked
    directories are not entered (util/fileUtils.go:90-99, gauge_walk)."""
    skipped = {root / name for name in ROOT_SKIPS} | {root / path for path in skip}
    return go_walk(
        root,
        wanted=lambda p: p.suffix.lower() == ".cpt",
        skip_dir=lambda p: p.name.startswith(".") or p in skipped,
    )


def _duplicates(concepts: list[Concept]) -> Iterator[Problem]:
    """Gauge names both places of a duplicate and keeps the later concept."""
    seen: dict[str, Concept] = {}
    for concept in concepts:
        if concept.value in seen:
            first = seen[concept.value]
            yield Problem(concept.path, concept.line, "Duplicate concept definition found", concept.heading)
            yield Problem(first.path, first.line, "Duplicate concept definition found", first.heading)
        seen[concept.value] = concept


def _cycle(book: ConceptBook, concept: Concept, calling: dict[str, Concept]) -> list[Problem]:
    """Gauge's checkCircularReferencing: both ends of the first step that calls back up the chain."""
    calling = {**calling, concept.value: concept}
    for step in concept.steps:
        if step.value in calling:
            for value in calling:  # gauge removes every concept of the chain from its dictionary
                book.by_value.pop(value, None)
            return [
                Problem(
                    concept.path, step.line, _circular(concept.heading, concept.path, concept.line), step.text
                ),
                Problem(
                    concept.path, concept.line, _circular(step.text, concept.path, step.line), concept.heading
                ),
            ]
        inner = book.by_value.get(step.value)
        if inner is not None and (found := _cycle(book, inner, calling)):
            return found
    return []


def _circular(text: str, path: Path, line: int) -> str:
    return f'Circular reference found in concept. "{text}" => {path}:{line}'


def load_concepts(root: Path, *, files: DataFiles | None = None, skip: Iterable[Path] = ()) -> ConceptBook:
    """Every concept of the project; raises `SpecError` with all of gauge's problems (exit code 3)."""
    concepts: list[Concept] = []
    problems: list[Problem] = []
    for path in concept_files(root, skip=skip):
        text = path.read_bytes().decode("utf-8", errors="replace")
        found, trouble = read_concepts(text, path=path, files=files)
        concepts.extend(found)
        problems.extend(trouble)
    problems.extend(_duplicates(concepts))
    book = ConceptBook(concepts)
    for concept in list(book.by_value.values()):
        if concept.value in book:
            problems.extend(_cycle(book, concept, {}))
    if problems:
        raise SpecError(problems)
    log.debug("loaded %d concepts under %s", len(book), root)
    return book
