"""The Gauge spec and concept parser's public face (STYLE R13, R14; brief SPEC_MODEL.md).

Text in, frozen dataclasses out, in two stages: `lexer.tokenize` classifies lines with their numbers,
`convert.Converter` ports gauge's converters (G parser/convert.go, specparser.go; reference gauge.md
§2) into the model of `specmodel.py`, which this module re-exports; concepts (conceptParser.go) are
parsed here and expanded where a step's value matches. A malformed file raises
`SpecSyntaxError(path, line)` with gauge's own message. Files are read only by `parse_spec_file`
(the spec, and the CSV of an external `table: x.csv` data table, relative to the project root as
gauge's util.GetPathToFile resolves it) and `load_concepts`; nothing here knows pytest, subprocesses
or the cluster. Other helpers code against these names: keep them.

Deliberate differences from gauge, all about I/O a pure parser must not do: `<file:x>`/`<table:x>`
are recorded, not read (the files are checked when the scenario runs); `parse_spec` (text only) reads
no `table: x.csv` either: without a loader it records the path with empty headers and rows and then
accepts any dynamic parameter unchecked. `gauge_data_dir` is not applied (always the project root).
"""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from pytest_streamstress.errors import SpecSyntaxError
from pytest_streamstress.gauge.parse import lexer, step_text
from pytest_streamstress.gauge.parse.convert import Converter, StepDraft, TableLoader, TableLoadError
from pytest_streamstress.gauge.parse.lexer import Token
from pytest_streamstress.gauge.parse.model import Concept, ConceptIndex, Scenario, Spec, Step, StepArg, Table

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
    "read_csv_table",
]

log = logging.getLogger(__name__)

CONCEPT_SKIP_DIRS: Final = frozenset({"env", "reports", "logs", "gauge_bin", "node_modules"})
"""Directories gauge never searches for `.cpt` files (plus every dot-directory; reference §2.5)."""


def parse_spec(
    text: str, *, path: Path, concepts: ConceptIndex | None = None, tables: TableLoader | None = None
) -> Spec:
    """Parse one spec file's text; raises `SpecSyntaxError` naming the first bad line (gauge's message).

    `tables` reads an external `table: x.csv` (None: the path is only recorded, see the module doc).
    """
    tokens = lexer.tokenize(text)
    converter = Converter(path, tables)
    for token in tokens:
        converter.apply(token)
    converter.validate(tokens[-1].line if tokens else 1)
    converter.raise_problems()
    return converter.freeze(concepts)


def parse_spec_file(
    path: Path,
    *,
    concepts: ConceptIndex | None = None,
    project_root: Path | None = None,
    csv_delimiter: str = ",",
) -> Spec:
    """Read (UTF-8, BOM tolerated) and parse; an unreadable file is a `SpecSyntaxError` at line 1.

    External `table: x.csv` tables are read from `project_root` (default: `find_project_root(path)`;
    none found: recorded only); a missing or malformed CSV is gauge's "Could not resolve table from
    table: x.csv" at the `table:` line, the hint naming the file and the reason.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecSyntaxError(f"cannot read spec file: {exc}", path=path, line=1) from exc
    root = project_root if project_root is not None else find_project_root(path)
    tables = None if root is None else _csv_tables(root, csv_delimiter)
    return parse_spec(text, path=path, concepts=concepts, tables=tables)


def _csv_tables(root: Path, delimiter: str) -> TableLoader:
    """`table: <path>` -> the CSV at `<project root>/<path>` (an absolute path stays as it is)."""

    def load(external: str) -> tuple[list[str], list[tuple[str, ...]]]:
        return read_csv_table(root / external, delimiter=delimiter)

    return load


def read_csv_table(csv_path: Path, *, delimiter: str = ",") -> tuple[list[str], list[tuple[str, ...]]]:  # noqa: C901
    """A CSV data table as gauge's convertCsvToTable reads it: (header cells, rows), cells as written.

    Like Go's encoding/csv with `Comment = '#'`: blank lines and lines starting with `#` are skipped,
    every record must have as many fields as the header. Raises `TableLoadError` naming the file.
    """
    try:
        text = csv_path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise TableLoadError(f"{csv_path}: no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise TableLoadError(f"{csv_path}: cannot read it: {reason}") from exc
    numbers: list[int] = []

    def kept_lines() -> Iterator[str]:
        for number, line in enumerate(text.splitlines(keepends=True), start=1):
            if not line.startswith("#"):
                numbers.append(number)
                yield line

    records: list[list[str]] = []
    reader = csv.reader(kept_lines(), delimiter=delimiter[:1] or ",", strict=True)
    try:
        for record in reader:
            if not record:
                continue
            if records and len(record) != len(records[0]):
                raise TableLoadError(
                    f"{csv_path}: record on line {numbers[reader.line_num - 1]}: wrong number of fields "
                    f"({len(record)}, the header has {len(records[0])})"
                )
            records.append(record)
    except csv.Error as exc:
        raise TableLoadError(f"{csv_path}: line {numbers[reader.line_num - 1]}: {exc}") from exc
    if not records:
        raise TableLoadError(f"{csv_path}: the file is empty (it needs a header row and a data row)")
    return records[0], [tuple(record) for record in records[1:]]


# --- concepts (G parser/conceptParser.go) ----------------------------------------------------------


def _concept_heading(token: Token, path: Path) -> tuple[str, tuple[str, ...]]:
    heading = token.value
    try:
        value, args, kinds = step_text.parse_step_text(heading)
    except ValueError as exc:
        raise SpecSyntaxError(str(exc), path=path, line=token.line, text=heading) from exc
    if any(kind != "dynamic" for kind in kinds):
        raise SpecSyntaxError(
            "Concept heading can have only Dynamic Parameters", path=path, line=token.line, text=heading
        )
    return value, tuple(args)


def parse_concepts(text: str, *, path: Path) -> tuple[Concept, ...]:  # noqa: C901
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
