"""Project-side rules of the gauge stand-in: env properties and which spec files/scenarios run.

Owns `env/<name>/*.properties` loading with gauge's precedence (named envs, then `default`, then
built-in defaults; a non-empty OS environment variable wins, reference gauge.md §3.2), argument
resolution (files, recursive directories, `file:LINE` spans, de-duplication, §2.6), and the per-scenario
filters (`--tags`, `--scenario`, data-table rows). Specs are read by the stand-in's own reader
(`gauge_reader`), never by the plugin's parser (DESIGN.md). Must not print.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from pytest_streamstress.testing.standins.gauge_model import Row
from pytest_streamstress.testing.standins.gauge_run import Execution
from pytest_streamstress.testing.standins.gauge_spec import Scenario, Spec, Step, Table
from pytest_streamstress.testing.standins.gauge_tags import TagExpression
from pytest_streamstress.testing.standins.gauge_walk import go_walk

log = logging.getLogger(__name__)

BUILTIN_PROPERTIES: Final = {
    "gauge_specs_dir": "specs",
    "gauge_reports_dir": "reports",
    "overwrite_reports": "true",
    "logs_directory": "logs",
    "screenshot_on_failure": "true",
    "save_execution_result": "false",
    "csv_delimiter": ",",
    "allow_multiline_step": "false",
    "gauge_spec_file_extensions": ".spec, .md",
    "allow_case_sensitive_tags": "false",
    "gauge_screenshots_dir": ".gauge/screenshots",
}
_LINE_ARG: Final = re.compile(r"(?i)^(.*\.(?:spec|md)):([0-9]+)$")
_VAR: Final = re.compile(r"\$\{([^}]*)\}")


class GaugeFatal(Exception):
    """A fatal gauge error: printed in gauge's `Error ---` block, exit 1."""


class GaugeExit(Exception):
    """A plain message line and an exit code (e.g. `Specs directory x does not exist.`)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def parse_properties(text: str) -> dict[str, str]:
    """Java-style properties as magiconair/properties reads them: trailing value spaces are kept (#1674)."""
    props: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.lstrip()
        if not line or line[0] in "#!":
            continue
        match = re.match(r"([^=:\s]+)\s*[=:\s]\s*(.*)$", line)
        if match is None:
            props[line.strip()] = ""
            continue
        props[match.group(1)] = match.group(2)
    return props


def load_properties(root: Path, envs: str, environ: Mapping[str, str]) -> dict[str, str]:
    """Named envs first, `default` fills gaps, built-ins last; a non-empty OS variable wins over all."""
    env_root = root / "env"
    names = [n.strip() for n in envs.split(",") if n.strip()] or ["default"]
    merged: dict[str, str] = {}
    for name in [*names, "default"]:
        directory = env_root / name
        if not directory.is_dir():
            if name == "default":
                continue
            raise GaugeFatal(f'Failed to load env. "{name}" environment does not exist')
        for path in go_walk(directory, wanted=lambda p: p.suffix == ".properties"):
            for key, value in parse_properties(path.read_text(encoding="utf-8")).items():
                merged.setdefault(key, value)
    for key, value in BUILTIN_PROPERTIES.items():
        merged.setdefault(key, value)
    for key in list(merged):
        if environ.get(key):
            merged[key] = environ[key]
    missing: list[str] = []

    def expand(match: re.Match[str]) -> str:
        name = match.group(1)
        value = environ.get(name) or merged.get(name)
        if value is None:
            missing.append(name)
            return match.group(0)
        return value

    for key, value in list(merged.items()):
        merged[key] = _VAR.sub(expand, value)
    if missing:
        raise GaugeFatal(f"[{', '.join(sorted(set(missing)))}] env variable(s) are not set")
    return merged


@dataclass(slots=True)
class FileSelection:
    """One spec file: whole (lines empty and whole=True) or only the scenarios spanning `lines`."""

    path: Path
    whole: bool = False
    lines: list[int] = field(default_factory=list)


def resolve_args(args: list[str], cwd: Path, extensions: tuple[str, ...]) -> list[FileSelection]:
    """Files in first-appearance order; a whole-file argument wins over `file:LINE` arguments for it."""
    selections: dict[Path, FileSelection] = {}
    for arg in args:
        match = _LINE_ARG.match(arg)
        raw, line = (match.group(1), int(match.group(2))) if match else (arg, None)
        path = Path(os.path.abspath(cwd / raw))  # noqa: PTH100 - Go filepath.Abs keeps symlinks
        if not path.exists():
            raise GaugeExit(f"Specs directory {raw} does not exist.", 1)
        if path.is_dir():
            files = go_walk(path, wanted=lambda p: p.name.lower().endswith(extensions))
            if not files:
                raise GaugeExit(f"No specifications found in {raw}.", 1)
        else:
            files = [path]
        for file in files:
            selection = selections.setdefault(file, FileSelection(file))
            if line is None:
                selection.whole = True
            else:
                selection.lines.append(line)
    return list(selections.values())


def _uses_columns(steps: tuple[Step, ...], columns: set[str]) -> bool:
    for step in steps:
        if any(a.kind == "dynamic" and a.value in columns for a in step.args):
            return True
        if step.concept_steps and _uses_columns(step.concept_steps, columns):
            return True
    return False


def parse_table_rows(text: str, count: int) -> list[int]:
    """`--table-rows`: `2-4` or `1,3` (1-based); out-of-range is a fatal error like gauge's."""
    if not text:
        return list(range(1, count + 1))
    rows: list[int] = []
    try:
        if "-" in text:
            first, last = (int(x) for x in text.split("-", 1))
            rows = list(range(first, last + 1))
        else:
            rows = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise GaugeFatal(f"Table rows validation failed. Invalid table rows range: {text}") from None
    if any(r < 1 or r > count for r in rows):
        raise GaugeFatal(
            f"Table rows range validation failed => Table rows range '{text}' is out of table range"
        )
    return rows


def _rows(table: Table, selected: list[int], kind: Literal["spec", "scenario"]) -> list[Row]:
    return [Row(index=i, headers=table.headers, cells=table.rows[i - 1], table=kind) for i in selected]


@dataclass(frozen=True, slots=True)
class Filters:
    tags: TagExpression | None
    scenarios: tuple[str, ...]
    table_rows: str


def executions(spec: Spec, selection: FileSelection, filters: Filters) -> tuple[Execution, ...]:
    """The scenario executions of one spec after spans, tags, --scenario and data rows (§2.4, §2.6)."""
    chosen: list[Scenario] = []
    for scenario in spec.scenarios:
        if not selection.whole and not any(scenario.line <= n <= scenario.span_end for n in selection.lines):
            continue
        if filters.tags is not None and not filters.tags.matches(scenario.all_tags):
            continue
        if filters.scenarios and scenario.heading not in filters.scenarios:
            continue
        chosen.append(scenario)
    table = spec.data_table if spec.data_table is not None and spec.data_table.rows else None
    columns = set(table.headers) if table is not None else set()
    spec_wide = table is not None and _uses_columns(spec.context_steps + spec.teardown_steps, columns)
    result: list[Execution] = []
    for scenario in chosen:
        if scenario.data_table is not None and scenario.data_table.rows:
            own = scenario.data_table
            rows = _rows(own, list(range(1, len(own.rows) + 1)), "scenario")
            result.extend(Execution(scenario, r) for r in rows)
        elif table is not None and (spec_wide or _uses_columns(scenario.steps, columns)):
            result.extend(
                Execution(scenario, r)
                for r in _rows(table, parse_table_rows(filters.table_rows, len(table.rows)), "spec")
            )
        else:
            result.append(Execution(scenario))
    return tuple(result)
