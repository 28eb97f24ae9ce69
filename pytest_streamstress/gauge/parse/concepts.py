"""Concept files (`.cpt`): where they are and what they define (G parser/conceptParser.go; reference §2.5).

A concept file is lexed like a spec (`lexer.tokenize`); gauge's ConceptParser then reads the tokens
with one handler per token kind: a `# heading` (dynamic parameters only) opens a concept, `* steps`
and their inline tables fill it, a scenario heading is an error, anything else is ignored. Steps
become frozen `Step`s through the spec converter's own step and row makers, so a concept step's
parameters, tables and `\"\"\"` blocks read exactly like a spec step's. The first problem is raised as
`SpecSyntaxError(path, line)` with gauge's message. `spec.py` re-exports the public names; only
`load_concepts` reads files.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from pytest_streamstress.errors import SpecSyntaxError
from pytest_streamstress.gauge.parse import lexer, step_text
from pytest_streamstress.gauge.parse.convert import Converter, StepDraft
from pytest_streamstress.gauge.parse.lexer import Token, TokenKind
from pytest_streamstress.gauge.parse.model import Concept, ConceptIndex, StepArg

log = logging.getLogger(__name__)

CONCEPT_SKIP_DIRS: Final = frozenset({"env", "reports", "logs", "gauge_bin", "node_modules"})
"""Directories gauge never searches for `.cpt` files (plus every dot-directory; reference §2.5)."""


@dataclass(slots=True)
class _ConceptDraft:
    heading: Token
    value: str
    params: tuple[str, ...]
    steps: list[StepDraft] = field(default_factory=list)


def _concept_heading(token: Token, path: Path) -> _ConceptDraft:
    heading = token.value
    try:
        value, args, kinds = step_text.parse_step_text(heading)
    except ValueError as exc:
        raise SpecSyntaxError(str(exc), path=path, line=token.line, text=heading) from exc
    if any(kind != "dynamic" for kind in kinds):
        raise SpecSyntaxError(
            "Concept heading can have only Dynamic Parameters", path=path, line=token.line, text=heading
        )
    return _ConceptDraft(heading=token, value=value, params=tuple(args))


class _ConceptReader:
    """ConceptParser.createConcepts: the tokens of one file in order, one handler per token kind."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.concepts: list[Concept] = []
        self.current: _ConceptDraft | None = None
        self.in_table = False
        """The last token added an inline table (header or rows) to the current concept's last step."""
        self.converter = Converter(path)
        """Makes steps and table rows the spec's way; collects their problems (unknown parameters)."""
        self.handlers: dict[TokenKind, Callable[[Token], None]] = {
            "spec": self.on_heading,
            "step": self.on_step,
            "table_header": self.on_table_header,
            "table_row": self.on_table_row,
            "scenario": self.on_scenario,
        }

    def read(self, tokens: Iterable[Token]) -> tuple[Concept, ...]:
        for token in tokens:
            if token.errors and token.kind != "spec":
                raise self.problem(token.errors[0], token, text=token.raw.strip())
            handler = self.handlers.get(token.kind)
            if handler is not None:
                handler(token)
        if self.converter.problems:
            first = self.converter.problems[0]
            raise SpecSyntaxError(first.message, path=self.path, line=first.line, text=first.text)
        self.close()
        return tuple(self.concepts)

    def problem(self, message: str, token: Token, *, text: str | None = None) -> SpecSyntaxError:
        shown = token.value if text is None else text
        return SpecSyntaxError(message, path=self.path, line=token.line, text=shown)

    def close(self) -> None:
        """The current concept is complete: it needs a step."""
        draft = self.current
        if draft is None:
            return
        if not draft.steps:
            raise self.problem("Concept should have at least one step", draft.heading)
        self.concepts.append(
            Concept(
                heading=draft.heading.value,
                line=draft.heading.line,
                path=self.path,
                value=draft.value,
                params=draft.params,
                steps=tuple(step.freeze(self.path, None) for step in draft.steps),
            )
        )

    def on_heading(self, token: Token) -> None:
        self.close()
        self.current = _concept_heading(token, self.path)
        self.in_table = False

    def on_step(self, token: Token) -> None:
        if self.current is None:
            raise self.problem("Step is not defined inside a concept heading", token)
        self.current.steps.append(self.converter.make_step(token, set(self.current.params)))
        self.in_table = False

    def on_table_header(self, token: Token) -> None:
        if self.current is None or not self.current.steps:
            raise self.problem("Table doesn't belong to any step", token)
        step = self.current.steps[-1]
        step.value += " {}"
        step.args.append(StepArg(kind="table", value=""))
        step.headers, step.table_line, self.in_table = list(token.args), token.line, True

    def on_table_row(self, token: Token) -> None:
        if not self.in_table or self.current is None or not self.current.steps:
            return
        if lexer.is_separator_row(token.args):
            return
        step = self.current.steps[-1]
        step.rows.append(self.converter.fit_row(token, len(step.headers or [])))

    def on_scenario(self, token: Token) -> None:
        raise self.problem("Scenario Heading is not allowed in concept file", token)


def parse_concepts(text: str, *, path: Path) -> tuple[Concept, ...]:
    """Every `# heading` + `* steps` block of a `.cpt` file; raises `SpecSyntaxError` on the first problem."""
    return _ConceptReader(path).read(lexer.tokenize(text))


def concept_files(project_root: Path) -> list[Path]:
    """`.cpt` files under the project root in lexical order, skipping dot-dirs and gauge's own dirs."""
    found: list[Path] = []
    for directory, dirnames, filenames in os.walk(project_root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in CONCEPT_SKIP_DIRS)
        found.extend(Path(directory, name) for name in sorted(filenames) if name.endswith(".cpt"))
    return found


def load_concepts(project_root: Path) -> ConceptIndex:
    """Parse every concept file of the project; duplicate or circular concepts raise `SpecSyntaxError`."""
    concepts: list[Concept] = []
    for path in concept_files(project_root):
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise SpecSyntaxError(f"cannot read concept file: {exc}", path=path, line=1) from exc
        concepts.extend(parse_concepts(text, path=path))
    log.debug("loaded %d concepts from %s", len(concepts), project_root)
    return ConceptIndex(concepts)
