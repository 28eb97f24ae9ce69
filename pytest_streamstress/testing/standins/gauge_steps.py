"""How the gauge stand-in turns a step token into a `Step`: parameters, inline tables, data files.

Owns gauge's step rules that need context (G parser/specparser.go CreateStepUsingLookup,
stepParser.go createStepArg, convert.go validateTableRows; reference gauge.md §2.3, §2.4): a
`<name>` must name a data-table column (a concept step: a parameter of its concept) or it is
"Dynamic parameter <name> could not be resolved"; `<file:x>` and `<table:x.csv>` must name a
readable file under the project root; an unknown prefix is treated as a dynamic name; a table cell
`<name>` that resolves to nothing only warns in gauge, so it stays as written here. `DataFiles` is
the one place that reads those files (and the CSV of `table: x.csv`, with Go's encoding/csv rules:
`#` comment lines, blank lines skipped, every record as wide as the first). Used by `gauge_reader`
and `gauge_concepts`.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from pytest_streamstress.testing.standins.gauge_lines import Token
from pytest_streamstress.testing.standins.gauge_spec import Problem, Step, StepArg, Table

log = logging.getLogger(__name__)

SPECIAL_PREFIXES: Final = ("file", "table")


class DataFileError(Exception):
    """A data file gauge cannot use; the text is gauge's reason (e.g. `File /p/x.csv doesn't exist.`)."""


class DataFiles:
    """Data files relative to the project root (gauge's util.GetPathToFile; absolute paths stay)."""

    def __init__(self, root: Path, *, csv_delimiter: str = ",") -> None:
        self.root = root
        self.delimiter = csv_delimiter[:1] or ","

    def read(self, name: str) -> str:
        path = self.root / name
        if not path.exists():
            raise DataFileError(f"File {path} doesn't exist.")
        try:
            return path.read_bytes().decode("utf-8", errors="replace")
        except OSError:
            raise DataFileError(f"Failed to read the file {path}.") from None

    def table(self, name: str, line: int) -> Table | None:
        """The CSV as a table at `line`; None for a file without records (gauge: no table at all)."""
        records = _csv_records(self.read(name), self.delimiter)
        if not records:
            return None
        width = len(records[0])
        rows = tuple(tuple(record[:width]) for record in records[1:])
        return Table(headers=tuple(records[0]), rows=rows, line=line)


def _csv_records(text: str, delimiter: str) -> list[list[str]]:
    numbers: list[int] = []

    def lines() -> Iterator[str]:
        for number, line in enumerate(text.splitlines(keepends=True), start=1):
            numbers.append(number)
            if not line.startswith("#"):
                yield line

    records: list[list[str]] = []
    try:
        for record in csv.reader(lines(), delimiter=delimiter, strict=True):
            if record and records and len(record) != len(records[0]):
                raise DataFileError(f"record on line {numbers[-1]}: wrong number of fields")
            if record:
                records.append(record)
    except csv.Error as exc:
        raise DataFileError(f"parse error on line {numbers[-1] if numbers else 1}: {exc}") from None
    return records


def special_kind(param: str) -> str:
    """`file` for `<file: x>`; "" when the prefix is none gauge knows (then it is a dynamic name)."""
    prefix = param.split(":", 1)[0].strip()
    return prefix if prefix in SPECIAL_PREFIXES else ""


@dataclass(slots=True)
class TableDraft:
    headers: tuple[str, ...]
    line: int
    rows: list[tuple[str, ...]] = field(default_factory=list)

    def add_row(self, cells: tuple[str, ...]) -> None:
        """Gauge's toHeaderSizeRow: extra cells are dropped, missing ones are empty."""
        width = len(self.headers)
        self.rows.append(cells[:width] + ("",) * (width - len(cells)))

    def freeze(self) -> Table:
        return Table(headers=self.headers, rows=tuple(self.rows), line=self.line)


@dataclass(slots=True)
class StepDraft:
    """A step while its inline table is still being read."""

    token: Token
    args: tuple[StepArg, ...]
    table: TableDraft | None = None

    def add_table(self, header: Token) -> None:
        self.table = TableDraft(headers=header.cells, line=header.line)

    def freeze(self, concept_steps: tuple[Step, ...] = ()) -> Step:
        token = self.token
        return Step(
            text=token.value,
            line=token.line,
            value=token.pattern + (" {}" if self.table is not None else ""),
            args=self.args,
            table=self.table.freeze() if self.table is not None else None,
            concept_steps=concept_steps,
        )


class StepMaker:
    """Makes `StepDraft`s for one file and collects the problems gauge reports about them."""

    def __init__(self, path: Path, files: DataFiles | None) -> None:
        self.path = path
        self.files = files
        self.problems: list[Problem] = []

    def step(self, token: Token, names: frozenset[str] | None) -> StepDraft:
        """`names`: the data-table columns (or concept parameters) a `<name>` may use; None: any."""
        if token.block is not None:
            return StepDraft(token, (StepArg(kind="multiline", value=token.block),))
        args = tuple(self._arg(token, kind, text, names) for kind, text in token.params)
        return StepDraft(token, args)

    def _arg(self, token: Token, kind: str, text: str, names: frozenset[str] | None) -> StepArg:
        if kind == "static":
            return StepArg(kind="static", value=text)
        if kind == "special" and special_kind(text):
            if not self._readable(text):
                self._unresolved(token, text)
            return StepArg(kind="special", value=text)
        if names is not None and text not in names:
            self._unresolved(token, text)
        return StepArg(kind="dynamic", value=text)

    def _readable(self, param: str) -> bool:
        if self.files is None:
            return True
        kind, name = (part.strip() for part in param.split(":", 1))
        try:
            if kind == "table":
                self.files.table(name, 0)
            else:
                self.files.read(name)
        except DataFileError:
            return False
        return True

    def _unresolved(self, token: Token, name: str) -> None:
        message = f"Dynamic parameter <{name}> could not be resolved"
        self.problems.append(Problem(self.path, token.line, message, token.text))

    def check_cells(self, row: Token) -> None:
        """A `<file:x>` cell must name a readable file (G convert.go validateTableRows)."""
        for cell in row.cells:
            param = cell[1:-1]
            if cell.startswith("<") and cell.endswith(">") and param.startswith("file:"):
                name = param.removeprefix("file:").strip()
                if not self._readable(param):
                    message = f"Dynamic param <{param}> could not be resolved, Missing file: {name}"
                    self.problems.append(Problem(self.path, row.line, message, row.text))
