"""The Gauge spec and concept parser's public face (STYLE R13, R14; brief SPEC_MODEL.md).

Text in, frozen dataclasses out, in two stages: `lexer.tokenize` classifies lines with their numbers,
`convert.Converter` ports gauge's converters (G parser/convert.go, specparser.go; reference gauge.md
§2) into the model of `model.py`, which this module re-exports; concepts (conceptParser.go) are
parsed by `concepts.py`, also re-exported here, and expanded where a step's value matches. A
malformed file raises `SpecSyntaxError(path, line)` with gauge's own message. Files are read only by
`parse_spec_file` (the spec, and the CSV of an external `table: x.csv` data table, relative to the
project root as gauge's util.GetPathToFile resolves it) and `load_concepts`; nothing here knows
pytest, subprocesses or the cluster. Other helpers code against these names: keep them.

Deliberate differences from gauge, all about I/O a pure parser must not do: `<file:x>`/`<table:x>`
are recorded, not read (the files are checked when the scenario runs); `parse_spec` (text only) reads
no `table: x.csv` either: without a loader it records the path with empty headers and rows and then
accepts any dynamic parameter unchecked. `gauge_data_dir` is not applied (always the project root).
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

from pytest_streamstress.errors import SpecSyntaxError
from pytest_streamstress.gauge.parse import lexer
from pytest_streamstress.gauge.parse.concepts import (
    CONCEPT_SKIP_DIRS,
    concept_files,
    load_concepts,
    parse_concepts,
)
from pytest_streamstress.gauge.parse.convert import Converter, TableLoader, TableLoadError
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


def read_csv_table(csv_path: Path, *, delimiter: str = ",") -> tuple[list[str], list[tuple[str, ...]]]:
    """A CSV data table as gauge's convertCsvToTable reads it: (header cells, rows), cells as written.

    Raises `TableLoadError` naming the file: unreadable, malformed, or without a header row.
    """
    records = _csv_records(_read_table_text(csv_path), csv_path, delimiter[:1] or ",")
    if not records:
        raise TableLoadError(f"{csv_path}: the file is empty (it needs a header row and a data row)")
    return records[0], [tuple(record) for record in records[1:]]


def _read_table_text(csv_path: Path) -> str:
    try:
        return csv_path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise TableLoadError(f"{csv_path}: no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise TableLoadError(f"{csv_path}: cannot read it: {reason}") from exc


def _csv_records(text: str, csv_path: Path, delimiter: str) -> list[list[str]]:
    """Like Go's encoding/csv with `Comment = '#'`: blank lines and lines starting with `#` are skipped,
    every record must have as many fields as the first; problems name the file's own line numbers."""
    lines = enumerate(text.splitlines(keepends=True), start=1)
    kept = [(number, line) for number, line in lines if not line.startswith("#")]
    reader = csv.reader((line for _, line in kept), delimiter=delimiter, strict=True)
    records: list[list[str]] = []
    try:
        for record in reader:
            if not record:
                continue
            if records and len(record) != len(records[0]):
                raise TableLoadError(
                    f"{csv_path}: record on line {kept[reader.line_num - 1][0]}: wrong number of fields "
                    f"({len(record)}, the header has {len(records[0])})"
                )
            records.append(record)
    except csv.Error as exc:
        raise TableLoadError(f"{csv_path}: line {kept[reader.line_num - 1][0]}: {exc}") from exc
    return records


def find_project_root(start: Path) -> Path | None:
    """Nearest directory upward from `start` (a file or directory) holding `manifest.json` (GC common.go)."""
    current = start if start.is_dir() else start.parent
    for candidate in (current, *current.parents):
        if (candidate / "manifest.json").is_file():
            return candidate
    return None
