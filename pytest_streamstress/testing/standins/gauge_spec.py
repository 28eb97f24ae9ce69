"""The gauge stand-in's spec model: the frozen values its own reader builds and its executor runs.

Owns only data: tables, steps (with their parameters, inline table, and the expanded steps of a
concept), scenarios (with gauge's `file:LINE` span and their tags), specs, concepts, and the parse
problems gauge prints as `[ParseError] <file>:<line> <message> => '<text>'` (G parser/result.go).
Reading is `gauge_lines` (stage one), `gauge_steps`, `gauge_concepts` and `gauge_reader` (stage
two). Nothing here is shared with the plugin's parser (DESIGN.md: a stand-in that shares the
product's parser cannot catch its bugs).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

log = logging.getLogger(__name__)

ArgKind = Literal["static", "dynamic", "special", "multiline"]


@dataclass(frozen=True, slots=True, kw_only=True)
class StepArg:
    kind: ArgKind
    value: str
    """The static text, the dynamic name, `file:x.txt` as written, or the text of a `\"\"\"` block."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    """Cells as written, each row cut or padded (with "") to the header's width, as gauge does."""
    line: int
    """The header row's line, or the `table:` line of an external CSV table."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    text: str
    """The step line after `*`, trimmed (gauge's ActualText): what failure blocks and XML show."""
    line: int
    value: str
    """Gauge's step value: each parameter replaced by `{}`, plus ` {}` for an inline table."""
    args: tuple[StepArg, ...] = ()
    table: Table | None = None
    concept_steps: tuple[Step, ...] = ()
    """The steps of the concept this step calls, expanded all the way down (lines in the .cpt)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    heading: str
    line: int
    span_end: int
    """`spec:LINE` selects this scenario for heading line <= LINE <= span_end (gauge's Span)."""
    tags: tuple[str, ...]
    spec_tags: tuple[str, ...]
    steps: tuple[Step, ...]
    data_table: Table | None = None

    @property
    def all_tags(self) -> tuple[str, ...]:
        """The scenario's own tags and the ones it inherits from its spec (what `--tags` tests)."""
        return self.tags + self.spec_tags


@dataclass(frozen=True, slots=True, kw_only=True)
class Spec:
    path: Path
    heading: str
    heading_line: int
    tags: tuple[str, ...]
    context_steps: tuple[Step, ...]
    teardown_steps: tuple[Step, ...]
    scenarios: tuple[Scenario, ...]
    data_table: Table | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Concept:
    heading: str
    """The heading text without `#` (gauge shows it in concept errors)."""
    line: int
    path: Path
    value: str
    params: tuple[str, ...]
    steps: tuple[Step, ...]
    """As written in the .cpt file; `gauge_concepts.ConceptBook` expands nested concepts."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One parse error, shown like gauge's ParseError: `<file>:<line> <message> => '<text>'`."""

    path: Path
    line: int
    message: str
    text: str = ""

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.message} => '{self.text}'"


class SpecError(Exception):
    """A spec or concept file gauge would refuse; `problems` in gauge's order (there is at least one)."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))
