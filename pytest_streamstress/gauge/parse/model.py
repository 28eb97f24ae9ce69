"""The Gauge spec model: frozen values other modules code against (brief SPEC_MODEL.md, STYLE R10).

`spec.py` re-exports every name here; import them from there. Pure data plus `ConceptIndex`, which
expands concept steps recursively and rejects circular concepts. No parsing, no I/O.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pytest_streamstress.errors import SpecSyntaxError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    line: int
    """Line of the header row (1-based), or of the `table:` line for an external table."""
    external: str = ""
    """For `table: data.csv`: the path as written (relative to the project root). Headers and rows are
    the CSV's when the parser was given a project root (`parse_spec_file`), else empty."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StepArg:
    kind: Literal["static", "dynamic", "special", "table", "multiline"]
    value: str
    """Static text / dynamic name / `file:x.txt` / "" for an inline table / the text of a `\"\"\"` block.

    A `multiline` argument (gauge v1.6.28: a `\"\"\"` block right after the step line, proto
    `Parameter_Multiline_String`) does not change the step value: `* Post` + block has value `Post`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    text: str
    """The step line after `*`, trimmed, as written (gauge's ActualText)."""
    line: int
    value: str
    """Step identity: parameters replaced by `{}`; an inline table adds ` {}`."""
    args: tuple[StepArg, ...]
    table: Table | None = None
    concept_steps: tuple[Step, ...] = ()
    """Non-empty when this step is a concept: its steps, expanded recursively (lines in the .cpt)."""
    path: Path | None = None

    @property
    def is_concept(self) -> bool:
        return bool(self.concept_steps)


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    heading: str
    line: int
    span_end: int
    """Last line of gauge's span for `spec:LINE`: the line before the next heading, or the last token."""
    tags: tuple[str, ...]
    spec_tags: tuple[str, ...]
    steps: tuple[Step, ...]
    data_table: Table | None = None
    spec_path: Path
    spec_heading: str

    @property
    def all_tags(self) -> tuple[str, ...]:
        """Spec tags then the scenario's own, de-duplicated case-insensitively, first spelling kept."""
        seen: set[str] = set()
        out: list[str] = []
        for tag in (*self.spec_tags, *self.tags):
            key = tag.lower()
            if key not in seen:
                seen.add(key)
                out.append(tag)
        return tuple(out)


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
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Concept:
    heading: str
    line: int
    path: Path
    value: str
    params: tuple[str, ...]
    steps: tuple[Step, ...]
    """The concept's steps as written (not expanded); `ConceptIndex.expand` expands them."""


class ConceptIndex:
    """Concepts by step value; expansion is recursive and memoised, circular concepts are errors."""

    def __init__(self, concepts: Iterable[Concept] = ()) -> None:
        self._by_value: dict[str, Concept] = {}
        self._expanded: dict[str, tuple[Step, ...]] = {}
        for concept in concepts:
            if concept.value in self._by_value:
                raise SpecSyntaxError(
                    "Duplicate concept definition found",
                    path=concept.path,
                    line=concept.line,
                    text=concept.heading,
                )
            self._by_value[concept.value] = concept
        for concept in self._by_value.values():
            self.expand_value(concept.value)

    def __len__(self) -> int:
        return len(self._by_value)

    def __contains__(self, value: object) -> bool:
        return value in self._by_value

    def __iter__(self) -> Iterator[Concept]:
        return iter(self._by_value.values())

    def get(self, value: str) -> Concept | None:
        return self._by_value.get(value)

    def expand_value(self, value: str, _stack: tuple[str, ...] = ()) -> tuple[Step, ...]:
        """The steps of concept `value`, nested concepts expanded; () when `value` is no concept."""
        if value in self._expanded:
            return self._expanded[value]
        concept = self._by_value.get(value)
        if concept is None:
            return ()
        stack = (*_stack, value)
        steps: list[Step] = []
        for step in concept.steps:
            if step.value in stack:
                raise SpecSyntaxError(
                    f'Circular reference found in concept. "{concept.heading}" => {step.path}:{step.line}',
                    path=concept.path,
                    line=concept.line,
                    hint="a concept must not use itself, directly or through other concepts",
                )
            inner = self.expand_value(step.value, stack)
            steps.append(_with_concept(step, inner) if inner else step)
        self._expanded[value] = tuple(steps)
        return self._expanded[value]

    def expand(self, step: Step) -> Step:
        inner = self.expand_value(step.value)
        return _with_concept(step, inner) if inner else step


def _with_concept(step: Step, inner: tuple[Step, ...]) -> Step:
    return Step(
        text=step.text,
        line=step.line,
        value=step.value,
        args=step.args,
        table=step.table,
        concept_steps=inner,
        path=step.path,
    )
