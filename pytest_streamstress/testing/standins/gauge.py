"""The `gauge` stand-in executable: `gauge run`, `gauge version`, `gauge -v` (gauge 1.6.28, xml-report 0.5.3).

Tests put it first on PATH (`install_standins`). It takes the real command line, reads the specs
with its own reader (`gauge_reader`, never the plugin's parser: DESIGN.md), decides each scenario's
outcome from the TOML file named by `$GAUGE_STANDIN_OUTCOMES` (every scenario passes without it),
prints gauge's console, writes result.xml, `.gauge/*.json` and `logs/gauge.log`, and exits with
gauge's codes (reference gauge.md §2.6, §3-§6, §9; docs/standins.md).
It must not know which test calls it. Being an executable, it prints (its output is the product).
"""

from __future__ import annotations

import json
import logging
import os
import random
import sys
from collections.abc import Callable
from pathlib import Path

from pytest_streamstress.testing.standins import gauge_concepts, gauge_files, gauge_reader
from pytest_streamstress.testing.standins.gauge_cli import (
    ROOT_USAGE,
    RUN_USAGE,
    RunOptions,
    UsageError,
    fatal_text,
    parse_run_args,
    version_text,
)
from pytest_streamstress.testing.standins.gauge_console import make_console
from pytest_streamstress.testing.standins.gauge_model import SpecResult, count, go_duration
from pytest_streamstress.testing.standins.gauge_outcomes import OutcomeFileError, Outcomes, load_outcomes
from pytest_streamstress.testing.standins.gauge_project import (
    Filters,
    GaugeExit,
    GaugeFatal,
    executions,
    load_properties,
    resolve_args,
)
from pytest_streamstress.testing.standins.gauge_run import Executor, OutcomeMismatch, SelectedSpec
from pytest_streamstress.testing.standins.gauge_spec import Problem, SpecError
from pytest_streamstress.testing.standins.gauge_steps import DataFiles
from pytest_streamstress.testing.standins.gauge_tags import (
    TagExpression,
    TagExpressionError,
    parse_tag_expression,
)

log = logging.getLogger(__name__)

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


def _out(text: str) -> None:
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.buffer.flush()


def _err(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()


def main(argv: list[str], prog: str = "gauge") -> int:
    """Entry point of the PATH wrapper written by `install_standins`."""
    if not argv or argv[0] in ("-h", "--help", "help"):
        _out(ROOT_USAGE)
        return 0
    if argv[0] in ("version", "-v", "--version"):
        _out(version_text())
        return 0
    if argv[0] != "run":
        _err(f'Error: unknown command "{argv[0]}" for "{prog}"\nRun \'{prog} --help\' for usage.\n')
        return 1
    try:
        options = parse_run_args(argv[1:])
    except UsageError as exc:
        _err(f"Error: {exc}\n{RUN_USAGE}")
        return 1
    if options.flag("help"):
        _out("Run a Gauge specification\n\n" + RUN_USAGE)
        return 0
    try:
        return _run(options, argv)
    except GaugeFatal as exc:
        _out(fatal_text(str(exc)))
        return 1
    except GaugeExit as exc:
        _out(exc.message + "\n")
        return exc.code
    except (OutcomeFileError, OutcomeMismatch) as exc:
        _err(f"gauge stand-in: {exc}\n")
        return 1


def _check_options(options: RunOptions) -> None:
    if options.text("log-level") not in LOG_LEVELS:
        raise GaugeFatal(
            f"Invalid log level '{options.text('log-level')}'. Use one of {', '.join(LOG_LEVELS)}"
        )
    if options.number("max-retries-count") < 1:
        raise GaugeExit("Invalid Command. flag --max-retries-count should be greater than 0", 1)
    if options.text("retry-only") and options.number("max-retries-count") == 1:
        raise GaugeExit("Invalid Command. flag --retry-only can be used only with --max-retry-count", 1)
    if options.flag("machine-readable"):
        raise GaugeExit("gauge stand-in: --machine-readable is not emulated (see docs/standins.md)", 1)
    if options.flag("repeat"):
        raise GaugeExit("gauge stand-in: --repeat is not emulated (see docs/standins.md)", 1)
    if options.flag("failed") and options.args:
        raise GaugeExit("Invalid Command. Usage: gauge run --failed", 1)


def _tag_expr(text: str, what: str) -> TagExpression | None:
    if not text:
        return None
    try:
        return parse_tag_expression(text)
    except TagExpressionError as exc:
        raise GaugeFatal(str(exc)) from None


def _project_root(options: RunOptions) -> Path:
    directory = Path(options.text("dir"))
    if options.text("dir") != ".":
        directory.mkdir(parents=True, exist_ok=True)
        os.chdir(directory)
    cwd = Path.cwd()
    root = gauge_reader.find_project_root(cwd)
    if root is None and options.args:
        first = os.path.abspath(options.args[0].split(":")[0])  # noqa: PTH100 - Go filepath.Abs keeps symlinks
        root = gauge_reader.find_project_root(Path(first))
    if root is None:
        raise GaugeFatal(f"Failed to find project directory: {cwd}")
    return root


def _parse_errors(problems: tuple[Problem, ...]) -> str:
    """Gauge prints every problem of a file: `[ParseError] <abs path>:<line> <message> => '<text>'`."""
    return "".join(f"[ParseError] {problem}\n" for problem in problems)


def _failed_args(state_dir: Path) -> list[str]:
    try:
        data = json.loads((state_dir / ".gauge" / "failures.json").read_text(encoding="utf-8"))
        items = [str(i) for i in data.get("FailedItems") or []]
    except (OSError, ValueError, AttributeError):
        items = []
    if not items:
        raise GaugeExit("No failed tests found.", 1)
    return items


def _quiet(_text: str) -> None:
    """Debug lines below `--log-level=debug` go nowhere."""


def _run(options: RunOptions, argv: list[str]) -> int:
    _check_options(options)
    root = _project_root(options)
    props = load_properties(root, options.text("env"), os.environ)
    state_dir = Path(os.environ.get("GAUGE_STANDIN_STATE_DIR") or root)
    logs_dir = Path(props["logs_directory"])
    gauge_log = gauge_files.GaugeLog(
        (logs_dir if logs_dir.is_absolute() else root / logs_dir) / "gauge.log", root
    )
    debug: Callable[[str], None] = _out if options.text("log-level") == "debug" else _quiet
    outcomes_env = os.environ.get("GAUGE_STANDIN_OUTCOMES")
    outcomes = load_outcomes(Path(outcomes_env) if outcomes_env else None)
    tags = _tag_expr(options.text("tags"), "--tags")
    retry_only = _tag_expr(options.text("retry-only"), "--retry-only")
    gauge_log(f"Gauge stand-in {' '.join(argv)} in {root}")
    files = DataFiles(root, csv_delimiter=props["csv_delimiter"])
    own_dirs = (Path(props["gauge_reports_dir"]), Path(props["logs_directory"]))
    try:
        concepts = gauge_concepts.load_concepts(root, files=files, skip=own_dirs)
    except SpecError as exc:
        _out(_parse_errors(exc.problems))
        return 3
    args = _failed_args(state_dir) if options.flag("failed") else list(options.args)
    if not args:
        args = [props["gauge_specs_dir"]]
    extensions = tuple(e.strip().lower() for e in props["gauge_spec_file_extensions"].split(",") if e.strip())
    selections = resolve_args(args, Path.cwd(), extensions)
    sort = options.text("sort")
    if sort == "alpha":
        selections.sort(key=lambda s: str(s.path))
    elif sort == "random":
        random.Random(options.number("random-seed") or None).shuffle(selections)
    filters = Filters(
        tags=tags, scenarios=tuple(options.items("scenario")), table_rows=options.text("table-rows")
    )
    if tags is not None:
        debug(f"Applying tags filter: {options.text('tags')}\n")
    selected: list[SelectedSpec] = []
    parse_failed: list[SpecResult] = []
    for selection in selections:
        try:
            spec = gauge_reader.read_spec_file(selection.path, concepts=concepts, files=files)
        except SpecError as exc:
            _out(_parse_errors(exc.problems))
            errors = tuple(str(problem) for problem in exc.problems)
            parse_failed.append(
                SpecResult(path=selection.path, heading=_heading_guess(selection.path), parse_errors=errors)
            )
            continue
        runs = executions(spec, selection, filters)
        if runs or (not selection.whole and tags is None and not filters.scenarios):
            selected.append(SelectedSpec(spec, runs, os.path.relpath(spec.path, root)))
    for name in filters.scenarios:
        if not any(e.scenario.heading == name for s in selected for e in s.executions):
            _out(f'Warning: scenario name - "{name}" not found\n')
    if not selected and not parse_failed:
        _out(f"No specifications found in {', '.join(args)}.\n")
        return 0
    debug("The following specifications satisfy filter criteria:\n")
    for item in selected:
        debug(item.rel + "\n")
    return _execute(
        options=options,
        argv=argv,
        root=root,
        props=props,
        state_dir=state_dir,
        gauge_log=gauge_log,
        outcomes=outcomes,
        retry_only=retry_only,
        selected=selected,
        parse_failed=parse_failed,
    )


def _heading_guess(path: Path) -> str:
    try:
        for line in path.read_text(encoding="utf-8-sig").splitlines():
            text = line.strip()
            if text.startswith("#") and not text.startswith("##"):
                return text.lstrip("#").strip()
    except (OSError, UnicodeDecodeError):
        pass
    return ""


def _execute(
    *,
    options: RunOptions,
    argv: list[str],
    root: Path,
    props: dict[str, str],
    state_dir: Path,
    gauge_log: gauge_files.GaugeLog,
    outcomes: Outcomes,
    retry_only: TagExpression | None,
    selected: list[SelectedSpec],
    parse_failed: list[SpecResult],
) -> int:
    parallel = options.flag("parallel")
    streams = max(1, options.number("n")) if parallel else 1
    color = os.environ.get("TERM") != "dumb"
    consoles = [
        make_console(
            sys.stdout.buffer,
            simple=options.flag("simple-console"),
            verbose=options.flag("verbose"),
            color=color,
            stream=(i + 1) if parallel else None,
        )
        for i in range(streams)
    ]
    record_env = os.environ.get("GAUGE_STANDIN_RECORD")
    executor = Executor(
        console=consoles[0],
        outcomes=outcomes,
        max_attempts=options.number("max-retries-count"),
        retry_only=retry_only,
        record=Path(record_env) if record_env else None,
        gauge_log=gauge_log,
    )
    skips = executor.validation_skips(selected)
    for reason in skips.values():
        _out(f"[ValidationError] {reason}\n")
    if skips and not options.flag("hide-suggestion"):
        _out(_suggestions(selected, skips))
    debug = options.text("log-level") == "debug"
    if debug:
        _out("Run started\n")
    gauge_log("Run started")
    results: list[SpecResult] = []
    for index, item in enumerate(selected):
        executor.console = consoles[index % streams]
        own = {e: reason for (s, e), reason in skips.items() if s == index}
        results.append(executor.run_spec(item, own))
    results.extend(parse_failed)
    gauge_files.plugin_messages(root, props, outcomes, results)
    counts = count(results)
    _out(
        f"Specifications:\t{counts.specs_executed} executed\t{counts.specs_passed} passed\t"
        f"{counts.specs_failed} failed\t{counts.specs_skipped} skipped\n"
        f"Scenarios:\t{counts.scenarios_executed} executed\t{counts.scenarios_passed} passed\t"
        f"{counts.scenarios_failed} failed\t{counts.scenarios_skipped} skipped\n\n"
        f"Total time taken: {go_duration(executor.total_time_s)}\n"
    )
    gauge_files.write_state(state_dir, argv, results, root)
    gauge_log(f"Run finished: {counts.scenarios_failed} scenario(s) failed")
    if outcomes.run.exit_code is not None:
        return outcomes.run.exit_code
    if parse_failed:
        return 2
    if counts.specs_failed and not options.flag("fail-safe"):
        return 1
    return 0


def _suggestions(selected: list[SelectedSpec], skips: dict[tuple[int, int], str]) -> str:
    steps: list[str] = []
    for reason in skips.values():
        text = reason.split(" => '", 1)[1][:-1]
        if text not in steps:
            steps.append(text)
    stubs = "".join(f'\nvar _ = gauge.Step("{t}", func() {{\n\t//implement me\n}})\n' for t in steps)
    return (
        "Add the following missing implementations to fix `Step implementation not found` errors.\n"
        + stubs
        + "\n"
    )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
