"""Gauge specs as pytest collectors and scenarios as pytest items (STYLE R9; issue 2 item 5).

Owns: which files are specs, node ids, one item per scenario (per data row when data-driven) and
Gauge tags as registered markers. It parses through `parse.spec` and never runs gauge: an item's
setup, run and failure view go to the `ScenarioDriver` the session hands in (run/scenarios.py
fills it), so this room never learns how a session builds, deploys or runs gauge.

Node ids are relative to the Gauge project root (the directory holding manifest.json), even when it
is outside rootdir or in the pytest cache: `specs/pipelines/run.spec::Run sample pipeline: …`.
A data-driven scenario yields one item per row, named like a pytest parametrization:
`<heading>[<row>]` (1-based), so `spec::<heading>` selects every row and `spec::<heading>[2]` one;
`ScenarioItem.data_row` says which table rows it runs with (the spec table's, the scenario table's or
both), from which `junit.case_name` gives xml-report's testcase name in either naming.

Gauge tag -> marker name: lower-cased (gauge compares tags case-insensitively), spaces removed,
every character other than `a-z 0-9 _ . - / +` replaced by `_`; a `gauge_` prefix goes on names that
would trigger a pytest or plugin behaviour (`skip`, `xfail`, `parametrize`, …), on the `-m` keywords
`and`/`or`/`not`, and on names starting with `_` (which pytest refuses).
So `linux/amd64`, `to-do`, `skip-4.14` stay as they are (`-m "linux/amd64"` works), `Admin` is `admin`.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

import pytest

from pytest_streamstress.errors import ScenarioFailed, SpecSyntaxError
from pytest_streamstress.gauge import junit
from pytest_streamstress.gauge.parse import spec
from pytest_streamstress.gauge.parse.spec import ConceptIndex, Scenario, Spec, Step, Table
from pytest_streamstress.gauge.parse.tags import TagExpression

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr, TracebackStyle

log = logging.getLogger(__name__)

SPEC_SUFFIXES: Final = frozenset({".spec"})
"""Gauge also reads `.md` in its specs dir; we collect `.spec` only, so READMEs never become tests."""
RESERVED_MARKERS: Final = frozenset(
    {
        "skip",
        "skipif",
        "xfail",
        "parametrize",
        "usefixtures",
        "filterwarnings",
        "tryfirst",
        "trylast",
        "xdist_group",
        "timeout",
        "flaky",
        "asyncio",
        "anyio",
        "no_cover",
        "and",
        "or",
        "not",
    }
)
_MARKER_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_.-/+")


def marker_name(tag: str) -> str:
    """The pytest marker for a Gauge tag (mapping in the module docstring)."""
    name = "".join(char if char in _MARKER_CHARS else "_" for char in tag.replace(" ", "").lower())
    # pytest refuses marker names starting with "_"; a prefix keeps such a tag selectable.
    return f"gauge_{name}" if name in RESERVED_MARKERS or name.startswith("_") else name


class ScenarioDriver(Protocol):
    """What a scenario item does when pytest sets it up, runs it and shows its failure.

    The seam between collection and the session (R29): run/scenarios.py builds and deploys once,
    runs the spec's gauge process and keeps the outcome; tests of collection alone may pass a fake.
    """

    def setup(self, item: ScenarioItem) -> None: ...

    def runtest(self, item: ScenarioItem) -> None: ...

    def teardown(self, item: ScenarioItem) -> None:
        """After the item: raise for what failed after its scenario (the spec's AfterSpec hook)."""

    def repr_failure(
        self, item: ScenarioItem, excinfo: pytest.ExceptionInfo[BaseException]
    ) -> str | TerminalRepr: ...


@dataclass(slots=True)
class CollectionState:
    """Per-session collection state; the session makes one and hands it to every `SpecFile`."""

    driver: ScenarioDriver
    expression: TagExpression | None
    concepts: dict[Path, ConceptIndex | SpecSyntaxError] = field(default_factory=dict)
    roots: dict[Path, Path | None] = field(default_factory=dict)
    markers: dict[str, pytest.MarkDecorator] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    """Parse warnings of every collected spec (gauge runs such specs; the summary shows them)."""
    """Registered marker per Gauge tag as written (the mapping runs once per distinct tag)."""

    def project_root(self, directory: Path) -> Path | None:
        if directory not in self.roots:
            self.roots[directory] = spec.find_project_root(directory)
        return self.roots[directory]

    def concepts_for(self, root: Path) -> ConceptIndex:
        if root not in self.concepts:
            try:
                self.concepts[root] = spec.load_concepts(root)
            except SpecSyntaxError as exc:
                self.concepts[root] = exc
        found = self.concepts[root]
        if isinstance(found, SpecSyntaxError):
            raise found
        return found

    def mark(self, item: pytest.Item, tags: Iterable[str], config: pytest.Config) -> None:
        for tag in tags:
            decorator = self.markers.get(tag)
            if decorator is None:
                name = marker_name(tag)
                # Registered before use, so --strict-markers accepts it (MarkGenerator re-reads the ini).
                config.addinivalue_line("markers", f"{name}: Gauge tag '{tag}'")
                decorator = self.markers[tag] = getattr(pytest.mark, name)
            item.add_marker(decorator)


def deselect_by_tags(items: list[pytest.Item], expression: TagExpression) -> list[pytest.Item]:
    """`--gauge-tags`: drop scenarios whose tags (own + spec's) fail the expression; returns the dropped."""
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        if isinstance(item, ScenarioItem) and not expression.matches(item.scenario.all_tags):
            dropped.append(item)
        else:
            kept.append(item)
    items[:] = kept
    return dropped


def spec_file(parent: pytest.Collector, file_path: Path, state: CollectionState) -> SpecFile | None:
    """A `SpecFile` for a `.spec` file (node id relative to the Gauge project root); None otherwise."""
    if file_path.suffix not in SPEC_SUFFIXES:
        return None
    root = state.project_root(file_path.parent)
    if root is None:
        return SpecFile.from_parent(parent, path=file_path, state=state)  # collect() reports it
    nodeid = file_path.relative_to(root).as_posix()
    return SpecFile.from_parent(parent, path=file_path, nodeid=nodeid, state=state)


class SpecFile(pytest.File):
    """One `.spec` file; a malformed file is one collection error naming file and line (R9)."""

    def __init__(self, *, state: CollectionState, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.state = state

    def collect(self) -> Iterator[ScenarioItem | SpecErrorItem]:
        state = self.state
        root = state.project_root(self.path.parent)
        if root is None:
            raise SpecSyntaxError(
                "not inside a Gauge project: no manifest.json in this or any parent directory",
                path=self.path,
                line=1,
                hint="gauge needs the project root; use --release-tests-dir",
            )
        # External `table: x.csv` data tables are read by the parser, from this project root.
        try:
            parsed = spec.parse_spec_file(self.path, concepts=state.concepts_for(root), project_root=root)
        except SpecSyntaxError as exc:
            # gauge reports a spec it cannot parse and runs the others: one error item, not a
            # collection error that would stop the whole night (issue 22).
            nodeid = f"{self.nodeid}::{PARSE_ERROR}"
            yield SpecErrorItem.from_parent(self, name=PARSE_ERROR, nodeid=nodeid, error=exc)
            return
        for warning in parsed.warnings:
            # A pytest warning, not a log line: the warnings summary shows it by default (also from
            # xdist workers). gauge runs such a spec (a short table row is padded, a long one cut:
            # G gauge/table.go toHeaderSizeRow), so it stays a warning, not an error.
            self.warn(GaugeSpecWarning(warning))
            state.warnings.append(warning)
        spec_table = parsed.data_table
        for scenario in parsed.scenarios:
            scenario_table = scenario.data_table
            for row, values, data_row in _rows(parsed, scenario, spec_table, scenario_table):
                name = scenario.heading if row is None else f"{scenario.heading}[{row}]"
                item = ScenarioItem.from_parent(
                    self,
                    name=name,
                    nodeid=f"{self.nodeid}::{name}",
                    scenario=scenario,
                    spec=parsed,
                    project_root=root,
                    row=row,
                    row_values=values,
                    data_row=data_row,
                    driver=state.driver,
                )
                state.mark(item, scenario.all_tags, self.config)
                yield item

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: TracebackStyle | None = None
    ) -> str | TerminalRepr:
        if isinstance(excinfo.value, SpecSyntaxError):
            return str(excinfo.value)  # file:line: message, never a Python traceback (R9, R21)
        return super().repr_failure(excinfo)


class ScenarioItem(pytest.Item):
    """One Gauge scenario (one data row of it when data-driven); its driver runs it."""

    def __init__(
        self,
        *,
        scenario: Scenario,
        spec: Spec,
        project_root: Path,
        row: int | None = None,
        row_values: tuple[tuple[str, str], ...] = (),
        data_row: junit.DataRow | None = None,
        driver: ScenarioDriver,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.driver = driver
        self.scenario = scenario
        self.spec = spec
        self.project_root = project_root
        self.row = row
        self.row_values = row_values
        self.data_row = data_row

    @property
    def spec_relpath(self) -> str:
        """The spec path relative to the project root, `/`-separated (what gauge prints and takes)."""
        return self.path.relative_to(self.project_root).as_posix()

    @property
    def gauge_arg(self) -> str:
        """The `gauge run` argument that selects exactly this scenario: `specs/x.spec:<heading line>`."""
        return f"{self.spec_relpath}:{self.scenario.line}"

    @property
    def junit_name(self) -> str:
        """xml-report v0.5.3's testcase name for this scenario or data row: the item's result key."""
        return junit.case_name(self.scenario.heading, self.data_row)

    def setup(self) -> None:
        self.driver.setup(self)

    def runtest(self) -> None:
        self.driver.runtest(self)

    def teardown(self) -> None:
        self.driver.teardown(self)

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: TracebackStyle | None = None
    ) -> str | TerminalRepr:
        if isinstance(excinfo.value, ScenarioFailed):
            return self.driver.repr_failure(self, excinfo)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.scenario.line - 1, f"scenario: {self.scenario.heading}"


class GaugeSpecWarning(pytest.PytestWarning):
    """Something gauge accepts in a spec but probably should not (a table row with the wrong cell count)."""


PARSE_ERROR: Final = "ParseError"
"""The name of a spec's error item: gauge prints `[ParseError] <file>:<line> <message>`."""


class SpecErrorItem(pytest.Item):
    """A spec gauge would reject: one error for the file with gauge's wording; the other specs run."""

    def __init__(self, *, error: SpecSyntaxError, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error

    @property
    def spec_relpath(self) -> str:
        return self.nodeid.split("::")[0]

    def setup(self) -> None:
        raise self.error

    def runtest(self) -> None:  # pragma: no cover - setup always raises
        raise self.error

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: TracebackStyle | None = None
    ) -> str | TerminalRepr:
        if isinstance(excinfo.value, SpecSyntaxError):
            return f"[{PARSE_ERROR}] {excinfo.value}\n(gauge skips this spec and runs the others)"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, max(0, self.error.line - 1), f"spec: {self.error.reason}"


# --- data-driven scenarios (reference gauge.md §2.4) ------------------------------------------------


def _uses(steps: Iterable[Step], columns: set[str]) -> bool:
    for step in steps:
        if any(arg.kind == "dynamic" and arg.value in columns for arg in step.args):
            return True
        if step.table is not None and any(
            cell.startswith("<") and cell.endswith(">") and cell[1:-1] in columns
            for row in step.table.rows
            for cell in row
        ):
            return True
    return False


def _applies(table: Table | None, steps: Iterable[Step]) -> bool:
    return table is not None and bool(table.rows) and _uses(steps, set(table.headers))


def _rows(
    parsed: Spec, scenario: Scenario, spec_table: Table | None, scenario_table: Table | None
) -> list[tuple[int | None, tuple[tuple[str, str], ...], junit.DataRow | None]]:
    """(row number, column values, which table rows) per item: gauge repeats a scenario per row of
    each table it uses."""
    tables: list[tuple[str, Table]] = []
    shared = (*parsed.context_steps, *parsed.teardown_steps)
    if spec_table is not None and (_applies(spec_table, shared) or _applies(spec_table, scenario.steps)):
        tables.append(("spec", spec_table))
    if scenario_table is not None and scenario_table.rows:
        tables.append(("scenario", scenario_table))
    if not tables:
        return [(None, (), None)]
    combos = itertools.product(*(enumerate(table.rows, start=1) for _, table in tables))
    out: list[tuple[int | None, tuple[tuple[str, str], ...], junit.DataRow | None]] = []
    for number, combo in enumerate(combos, start=1):
        rows = {
            kind: junit.TableRow(number=index, values=tuple(zip(table.headers, row, strict=False)))
            for (kind, table), (index, row) in zip(tables, combo, strict=True)
        }
        values = tuple(pair for row in rows.values() for pair in row.values)
        out.append((number, values, junit.DataRow(spec=rows.get("spec"), scenario=rows.get("scenario"))))
    return out
