"""The Gauge spec and concept parser's public face (STYLE R13, R14; brief SPEC_MODEL.md).

Text in, frozen dataclasses out, in two stages: `lexer.tokenize` classifies lines with their numbers,
`convert.Converter` ports gauge's converters (G parser/convert.go, specparser.go; reference gauge.md
§2) into the model of `specmodel.py`, which this module re-exports; concepts (conceptParser.go) are
parsed here and expanded where a step's value matches. A malformed file raises
`SpecSyntaxError(path, line)` with gauge's own message. Files are read only by `parse_spec_file` and
`load_concepts`; nothing here knows pytest, subprocesses or the cluster. Other helpers code against
these names: keep them.

Deliberate differences from gauge, all about I/O a pure parser must not do: `<file:x>`/`<table:x>`
and `table: x.csv` are recorded, not read (the files are checked when the scenario runs), and a
dynamic parameter is accepted unchecked when its data table is external.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Final

from pytest_streamstress.errors import SpecSyntaxError

from . import lexer
from .convert import Converter, StepDraft
from .lexer import Token
from .specmodel import Concept, ConceptIndex, Scenario, Spec, Step, StepArg, Table

__all__ = [
    "CONCEPT_SKIP_DIRS",
    "Concept",
    "ConceptIndex",
    "Scenario",
    "Spec",
    "Step",
    "StepArg",
    "Table",
    "concept_files",
    "find_project_root",
    "load_concepts",
    "parse_concepts",
    "parse_spec",
    "parse_spec_file",
]

log = logging.getLogger(__name__)

CONCEPT_SKIP_DIRS: Final = frozenset({"env", "reports", "logs", "gauge_bin", "node_modules"})
"""Directories gauge never searches for `.cpt` files (plus every dot-directory; reference §2.5)."""


def parse_spec(text: str, *, path: Path, concepts: ConceptIndex | None = None) -> Spec:
    """Parse one spec file's text; raises `SpecSyntaxError` naming the first bad line (gauge's message)."""
    tokens = lexer.tokenize(text)
    converter = Converter(path)
    for token in tokens:
        converter.apply(token)
    converter.validate(tokens[-1].line if tokens else 1)
    converter.raise_problems()
    return converter.freeze(concepts)


def parse_spec_file(path: Path, *, concepts: ConceptIndex | None = None) -> Spec:
    """Read (UTF-8, BOM tolerated) and parse; an unreadable file is a `SpecSyntaxError` at line 1."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecSyntaxError(f"cannot read spec file: {exc}", path=path, line=1) from exc
    return parse_spec(text, path=path, concepts=concepts)


# --- concepts (G parser/conceptParser.go) ----------------------------------------------------------


def _concept_heading(token: Token, path: Path) -> tuple[str, tuple[str, ...]]:
    heading = token.value
    try:
        value, args, kinds = lexer.parse_step_text(heading)
    except ValueError as exc:
        raise SpecSyntaxError(str(exc), path=path, line=token.line, text=heading) from exc
    if any(kind != "dynamic" for kind in kinds):
        raise SpecSyntaxError(
            "Concept heading can have only Dynamic Parameters", path=path, line=token.line, text=heading
        )
    return value, tuple(args)


def parse_concepts(text: str, *, path: Path) -> tuple[Concept, ...]:
    """Every `# heading` + `* steps` block of a `.cpt` file; raises `SpecSyntaxError` on the first problem."""
    concepts: list[Concept] = []
    current: tuple[Token, str, tuple[str, ...]] | None = None
    steps: list[StepDraft] = []
    in_table = False
    helper = Converter(path)

    def close() -> None:
        if current is None:
            return
        token, value, params = current
        if not steps:
            raise SpecSyntaxError(
                "Concept should have at least one step", path=path, line=token.line, text=token.value
            )
        concepts.append(
            Concept(
                heading=token.value,
                line=token.line,
                path=path,
                value=value,
                params=params,
                steps=tuple(step.freeze(path, None) for step in steps),
            )
        )

    for token in lexer.tokenize(text):
        if token.errors and token.kind != "spec":
            raise SpecSyntaxError(token.errors[0], path=path, line=token.line, text=token.raw.strip())
        if token.kind == "spec":
            close()
            value, params = _concept_heading(token, path)
            current, steps, in_table = (token, value, params), [], False
        elif token.kind == "step":
            if current is None:
                raise SpecSyntaxError(
                    "Step is not defined inside a concept heading",
                    path=path,
                    line=token.line,
                    text=token.value,
                )
            steps.append(helper.make_step(token, set(current[2])))
            in_table = False
        elif token.kind == "table_header":
            if not steps:
                raise SpecSyntaxError(
                    "Table doesn't belong to any step", path=path, line=token.line, text=token.value
                )
            steps[-1].value += " {}"
            steps[-1].args.append(StepArg(kind="table", value=""))
            steps[-1].headers, steps[-1].table_line, in_table = list(token.args), token.line, True
        elif token.kind == "scenario":
            raise SpecSyntaxError(
                "Scenario Heading is not allowed in concept file",
                path=path,
                line=token.line,
                text=token.value,
            )
        elif token.kind == "table_row" and in_table and steps:
            if lexer.is_separator_row(token.args):
                continue
            steps[-1].rows.append(helper.fit_row(token, len(steps[-1].headers or [])))
    if helper.problems:
        first = helper.problems[0]
        raise SpecSyntaxError(first.message, path=path, line=first.line, text=first.text)
    close()
    return tuple(concepts)


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


def find_project_root(start: Path) -> Path | None:
    """Nearest directory upward from `start` (a file or directory) holding `manifest.json` (GC common.go)."""
    current = start if start.is_dir() else start.parent
    for candidate in (current, *current.parents):
        if (candidate / "manifest.json").is_file():
            return candidate
    return None
