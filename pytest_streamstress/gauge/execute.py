"""Running scenarios through gauge: one gauge process per spec file, its output, its results.

Owns the `gauge run` command line, the per-run reports/logs directories, the per-worker project
overlay, the timeout, and turning the merged results (`gauge/results.py`) into pytest outcomes:
pass, `pytest.skip`, or `ScenarioFailed` with the failure view (STYLE R22). It never spawns a
process itself (only `_proc.spawn`, R15), never parses gauge's formats (results.py does) and never
categorizes (the Recorder does, in the report hook).

Decisions, with their reasons:

- **One gauge process per spec file.** The first item of a spec to reach setup starts
  `gauge run --simple-console --verbose --hide-suggestion --env E [--max-retries-count=N+1]
  specs/x.spec:L1 specs/x.spec:L2 …` for every selected item of that spec in this process's session;
  the other items take their result from it. So BeforeSpec/AfterSpec and the runner's `sync.Once`
  checks run once per spec, as in a plain `gauge run` (reference gauge.md §6).
- **gauge runs in the item's setup**, so a scenario gauge never reported (timeout, crash, failed
  BeforeSpec, build/deploy failure) is a pytest *error*, and a scenario that ran and failed is a
  pytest *failure*. The first item's setup therefore carries the whole spec's duration.
- **The simple console with --verbose** (reference §4.5): no ANSI codes (§1.2), no line rewriting,
  a step line when each step starts (so the log shows where a scenario was), and it is what
  `-p` forces anyway. It is the stdout fallback's format (results.py).
- **Own directories per run.** `gauge_reports_dir`, `overwrite_reports=true` and `logs_directory`
  are set in the environment (which beats `env/*.properties`, §3.2) to a fresh
  `<results_dir>/gauge/<spec>-<random>/` directory, so a stale result.xml can never be read (§1.5).
- **xdist**: gauge's `.gauge/`, `logs/` and `reports/` clash between concurrent runs in one project
  (§3.4). Each worker runs gauge in its own overlay of the project: a directory of symlinks to every
  top-level entry of the real project except `.gauge`, `logs`, `reports` and `gauge_bin`, under
  `<results_dir>/gauge/projects/<worker id>/`. Cheap (no copy), and gauge's project-root lookup
  (nearest `manifest.json`) stops at the overlay. `-n` without an explicit `--dist` becomes
  `--dist loadfile`, which keeps every scenario of one spec on one worker in file order (a real
  spec's first scenario enables what the later ones need); node ids stay unchanged.
- Output streams to `<results_dir>/logs/<spec>.log` (redacted by `_proc`), and with `-s` or `-v`
  to the terminal too.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pytest

from pytest_streamstress._infra import proc as _proc
from pytest_streamstress._infra.redact import NO_REDACTION, Redactor, redactor_key
from pytest_streamstress.errors import ScenarioFailed, ToolError, ToolTimedOut
from pytest_streamstress.gauge.results import (
    RunFacts,
    UnreadableResults,
    Wanted,
    merge_outcomes,
    parse_console,
    read_junit,
)
from pytest_streamstress.model import Categorization, FailingStep, ResultSource, ScenarioOutcome, Status
from pytest_streamstress.options import Settings, is_worker, settings_of
from pytest_streamstress.profile.local import ProcessTreeSampler, TreeSample, window_usage
from pytest_streamstress.profile.stats import NAMESPACE_PATTERN
from pytest_streamstress.run.preconditions import PhaseFailed, phases_of, shared_dir
from pytest_streamstress.run.serial import SerialGate, is_serial

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr

    from pytest_streamstress.gauge.collect import ScenarioItem

log = logging.getLogger(__name__)

OVERLAY_SKIP: Final = frozenset({".gauge", "logs", "reports", "gauge_bin", ".git"})
"""Top-level entries a worker's project overlay does not share: gauge writes into them (§3.4)."""
GROUPING_DIST_MODES: Final = frozenset({"no", "loadfile", "loadscope"})
"""xdist modes that keep every item of one spec file on one worker, so one gauge run can serve them."""
LOG_TAIL_LINES: Final = 20
"""Lines of the scenario's own log shown in the failure view."""
TIMEOUT_TAIL_LINES: Final = 15
TRACE_LINES: Final = 12
REDACT_MAX_BYTES: Final = 200_000_000
"""Larger files in a gauge run directory are not rewritten (none of gauge's text reports gets near)."""


# --- per-item facts, in item.stash (R7) -----------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SetupError:
    """Build or deploy failed: the item errors at setup and carries no category."""

    phase: str
    message: str


outcome_key: Final = pytest.StashKey[ScenarioOutcome]()
"""The scenario's outcome, set in setup by the gauge run that served it."""
setup_error_key: Final = pytest.StashKey[SetupError]()
category_key: Final = pytest.StashKey[Categorization]()
"""Set by the Recorder's report hook before the report (and the failure view) is built."""
log_tail_key: Final = pytest.StashKey[tuple[str, ...]]()


# --- the session's runner, in config.stash -----------------------------------------------------------


@dataclass(slots=True)
class SpecRun:
    """One finished gauge process and what it said about each scenario it served."""

    argv: tuple[str, ...]
    log_path: Path
    outcomes: dict[str, ScenarioOutcome]
    tails: dict[str, tuple[str, ...]]
    problem: str = ""
    """gauge could not be started (not found, not executable): no scenario ran, nothing to categorize."""


@dataclass(slots=True)
class GaugeRunner:
    """Per-session state: which spec runs happened, where the logs and overlays are."""

    config: pytest.Config
    settings: Settings
    redactor: Redactor
    served: dict[str, tuple[SpecRun, str]] = field(default_factory=dict)
    """nodeid -> (the run that served it, its key in that run's outcomes)."""
    log_names: set[str] = field(default_factory=set)
    overlays: dict[Path, Path] = field(default_factory=dict)

    def outcome_for(self, item: ScenarioItem) -> tuple[ScenarioOutcome, tuple[str, ...], str]:
        """(outcome, the scenario's log tail, why gauge could not start or "")."""
        if item.nodeid not in self.served:
            self.run_spec(item)
        run, key = self.served[item.nodeid]
        return run.outcomes[key], run.tails.get(key, ()), run.problem

    # -- the group --------------------------------------------------------------------------------

    def group_of(self, item: ScenarioItem) -> list[ScenarioItem]:
        """Every selected, not yet served item of the same spec file, in file order."""
        from pytest_streamstress.gauge.collect import ScenarioItem

        dist = str(self.config.getoption("dist", "no") or "no")
        if is_worker(self.config) and dist not in GROUPING_DIST_MODES:
            return [item]
        group = [
            other
            for other in item.session.items
            if isinstance(other, ScenarioItem)
            and other.path == item.path
            and other.nodeid not in self.served
            and (other is item or not is_marked_to_skip(other))
        ]
        if item not in group:
            group.append(item)
        return sorted(group, key=lambda i: (i.scenario.line, i.row or 0))

    def run_spec(self, item: ScenarioItem) -> None:
        group = self.group_of(item)
        spec_rel = item.spec_relpath
        project = self.project_dir(item.project_root)
        slug = _slug(spec_rel)
        run_dir = self.settings.results_dir / "gauge" / f"{slug}-{secrets.token_hex(3)}"
        reports = run_dir / "reports"
        logs = run_dir / "logs"
        reports.mkdir(parents=True, exist_ok=True)
        logs.mkdir(parents=True, exist_ok=True)
        log_path = self.log_path(slug)
        argv = gauge_argv(self.settings, [i.gauge_arg for i in group])
        env = {
            **os.environ,
            "gauge_reports_dir": str(reports),
            "overwrite_reports": "true",
            "logs_directory": str(logs),
        }
        exclusive = any(is_serial(i.scenario.all_tags, self.settings.serial_tags) for i in group)
        gate = SerialGate(shared_dir(self.config) if is_worker(self.config) else None)
        with gate.hold(exclusive=exclusive):
            done = self.execute(argv, env=env, project=project, log_path=log_path, spec_rel=spec_rel)
        started, finished, problem = done.started, done.finished, done.problem
        text = log_path.read_text(encoding="utf-8", errors="replace") if log_path.is_file() else ""
        junit = None
        junit_problem = problem
        xml_path = reports / "xml-report" / "result.xml"
        try:
            junit = read_junit(xml_path)
        except UnreadableResults as exc:
            junit_problem = junit_problem or str(exc)
        self.redact_tree(run_dir)
        console = parse_console(text, headings=[i.scenario.heading for i in group])
        wanted = [
            Wanted(
                heading=i.scenario.heading,
                junit_name=i.junit_name,
                steps=(*i.spec.context_steps, *i.scenario.steps, *i.spec.teardown_steps),
            )
            for i in group
        ]
        facts = RunFacts(
            exit_code=done.exit_code,
            timed_out_after=done.timed_out_after,
            tail=done.tail,
            log_path=log_path,
            started_at=started,
            finished_at=finished,
        )
        outcomes = merge_outcomes(
            wanted,
            spec_rel=spec_rel,
            project_dirs=_unique(
                [project, item.project_root, project.resolve(), item.project_root.resolve()]
            ),
            junit=junit,
            junit_problem=junit_problem,
            console=console,
            facts=facts,
        )
        if problem:
            outcomes = {
                key: ScenarioOutcome(
                    status=Status.ERROR,
                    message=problem,
                    source=ResultSource.NONE,
                    log_path=log_path,
                    started_at=started,
                    finished_at=finished,
                )
                for key in outcomes
            }
        windows = scenario_windows(done.marks, [w.heading for w in wanted], finished=finished)
        outcomes = {
            w.key: replace(
                outcomes[w.key],
                started_at=windows.get(w.heading, (started, finished))[0],
                finished_at=windows.get(w.heading, (started, finished))[1],
                namespaces=tuple(dict.fromkeys(NAMESPACE_PATTERN.findall("\n".join(console.block_of(w.heading))))),
                **_local_usage(done.tree, windows.get(w.heading, (started, finished))),
            )
            for w in wanted
            if w.key in outcomes
        } | {key: o for key, o in outcomes.items() if key not in {w.key for w in wanted}}
        outcomes = {key: redact_outcome(outcome, self.redactor) for key, outcome in outcomes.items()}
        tails = {w.key: console.block_of(w.heading)[-LOG_TAIL_LINES:] for w in wanted}
        run = SpecRun(argv=tuple(argv), log_path=log_path, outcomes=outcomes, tails=tails, problem=problem)
        for member, want in zip(group, wanted, strict=True):
            self.served[member.nodeid] = (run, want.key)
        self.report_run(spec_rel, run, finished - started, done.timed_out_after)

    def execute(
        self, argv: Sequence[str], *, env: dict[str, str], project: Path, log_path: Path, spec_rel: str
    ) -> Execution:
        """Run gauge within `gauge_timeout`; a hang is killed with its process group (R15, R17)."""
        started = time.time()
        log.info("running %s in %s", " ".join(argv), project)
        marks: list[tuple[float, str]] = []
        stream = self.streamer(spec_rel)

        def on_line(which: _proc.Stream, line: str) -> None:
            text = line.strip()
            if text.startswith("## "):
                marks.append((time.time(), text[3:].strip()))
            if stream is not None:
                stream(which, line)

        try:
            running = _proc.spawn(argv, env=env, cwd=project, log_to=log_path, on_line=on_line,
                                  redactor=self.redactor)
        except ToolError as exc:
            return Execution(started=started, finished=time.time(), problem=str(exc))
        sampler = None
        if self.settings.profile:
            interval = min(1.0, self.settings.profile_interval)
            sampler = ProcessTreeSampler(running.pid, interval=interval).start()
        try:
            with self.uncaptured():
                completed = running.wait(timeout=self.settings.gauge_timeout, what=f"gauge run {spec_rel}")
        except ToolTimedOut:
            tail = "\n".join(running.tail().splitlines()[-TIMEOUT_TAIL_LINES:])
            return Execution(
                started=started,
                finished=time.time(),
                timed_out_after=self.settings.gauge_timeout,
                tail=tail,
                marks=tuple(marks),
                tree=tuple(sampler.stop()) if sampler else (),
            )
        return Execution(
            started=started,
            finished=time.time(),
            exit_code=completed.returncode,
            tail=completed.tail(TIMEOUT_TAIL_LINES),
            marks=tuple(marks),
            tree=tuple(sampler.stop()) if sampler else (),
        )

    # -- places ---------------------------------------------------------------------------------------

    def log_path(self, slug: str) -> Path:
        """`<results_dir>/logs/<spec>.log`; a second run of one spec in this process gets `-2`, `-3`…"""
        name = slug
        number = 1
        while name in self.log_names:
            number += 1
            name = f"{slug}-{number}"
        self.log_names.add(name)
        if is_worker(self.config):
            name = f"{name}.{self.config.workerinput['workerid']}"  # type: ignore[attr-defined]  # xdist
        path = self.settings.results_dir / "logs" / f"{name}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)  # an earlier session's log of this spec: never mix two runs
        return path

    def project_dir(self, root: Path) -> Path:
        """An overlay of the project: symlinks to it, so gauge's own files land in the results directory.

        gauge writes `.gauge/`, `logs/` and `reports/` into its project; concurrent workers would clash
        there (module docstring), and a read-only checkout or the installed demo suite must stay untouched.
        """
        if root in self.overlays:
            return self.overlays[root]
        workerinput = getattr(self.config, "workerinput", None)
        worker = str(workerinput["workerid"]) if workerinput else "main"
        overlay = self.settings.results_dir / "gauge" / "projects" / f"{worker}-{len(self.overlays)}"
        if overlay.exists():
            shutil.rmtree(overlay)  # only symlinks and gauge's own files: rmtree never follows links
        overlay.mkdir(parents=True)
        for entry in sorted(root.iterdir()):
            if entry.name not in OVERLAY_SKIP:
                (overlay / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
        self.overlays[root] = overlay
        return overlay

    def redact_tree(self, run_dir: Path) -> None:
        """Reports and logs gauge wrote stay in the results dir: scrub secrets from them too (R25).

        result.xml, html-report and gauge.log quote step messages, which may quote a token.
        Binary files (screenshots) are left alone.
        """
        if not len(self.redactor):
            return
        for path in sorted(run_dir.rglob("*")):
            if not path.is_file() or path.is_symlink() or path.stat().st_size > REDACT_MAX_BYTES:
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue  # not text (a screenshot) or vanished: nothing of ours to scrub
            clean = self.redactor(text)
            if clean != text:
                path.write_text(clean, encoding="utf-8")

    # -- terminal --------------------------------------------------------------------------------------

    def streams_live(self) -> bool:
        option = self.config.option
        return not is_worker(self.config) and (
            getattr(option, "capture", "fd") == "no" or int(getattr(option, "verbose", 0)) > 0
        )

    def streamer(self, spec_rel: str) -> _proc.LineCallback | None:
        if not self.streams_live():
            return None
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None:
            return None

        def write(stream: _proc.Stream, line: str) -> None:
            reporter.write_line(f"[gauge {spec_rel}] {line}")

        return write

    def uncaptured(self) -> AbstractContextManager[Any]:
        """Let live gauge output through pytest's capture while the process runs (like live logging)."""
        capman = self.config.pluginmanager.get_plugin("capturemanager")
        if not self.streams_live() or capman is None:
            return nullcontext()
        return capman.global_and_fixture_disabled()  # type: ignore[no-any-return]

    def report_run(self, spec_rel: str, run: SpecRun, seconds: float, timed_out: float | None) -> None:
        counts: dict[str, int] = {}
        for outcome in run.outcomes.values():
            counts[outcome.status.value] = counts.get(outcome.status.value, 0) + 1
        shown = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        note = f" (timed out after {timed_out:g}s)" if timed_out is not None else ""
        log.info("gauge %s: %s in %.1fs%s; log %s", spec_rel, shown, seconds, note, run.log_path)
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None and self.streams_live():
            with self.uncaptured():
                reporter.write_line(f"gauge {spec_rel}: {shown} in {seconds:.1f}s{note}; log {run.log_path}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Execution:
    """How one gauge process ended."""

    started: float
    finished: float
    exit_code: int | None = None
    timed_out_after: float | None = None
    tail: str = ""
    problem: str = ""
    """gauge could not be started at all (ToolNotFound and friends)."""
    marks: tuple[tuple[float, str], ...] = ()
    """(time, heading) for every `## heading` line as it streamed: the scenarios' time windows."""
    tree: tuple[TreeSample, ...] = ()
    """With --profile: psutil samples of the gauge process tree."""


runner_key: Final = pytest.StashKey[GaugeRunner]()


def runner_of(config: pytest.Config) -> GaugeRunner:
    if runner_key not in config.stash:
        config.stash[runner_key] = GaugeRunner(
            config=config, settings=settings_of(config), redactor=config.stash.get(redactor_key, NO_REDACTION)
        )
    return config.stash[runner_key]


def is_marked_to_skip(item: pytest.Item) -> bool:
    """A `skip` mark, or a `skipif` with a plain true condition: pytest will not run it, so gauge must not.

    String conditions of `skipif` are not evaluated here (that is pytest-internal); such an item is
    run by gauge with its spec and then skipped by pytest as usual.
    """
    if item.get_closest_marker("skip") is not None:
        return True
    return any(
        any(arg is True for arg in mark.args) or mark.kwargs.get("condition") is True
        for mark in item.iter_markers("skipif")
    )


def _local_usage(tree: Sequence[TreeSample], window: tuple[float, float]) -> dict[str, Any]:
    if not tree:
        return {}
    cpu, rss = window_usage(list(tree), *window)
    return {"local_cpu_s": cpu, "local_peak_rss_b": rss}


def scenario_windows(
    marks: Sequence[tuple[float, str]], headings: Sequence[str], *, finished: float
) -> dict[str, tuple[float, float]]:
    """Each scenario's (start, end): from its first `## heading` line to the next other heading (or the end).

    Retries repeat a scenario's block right after it, so the window spans every attempt.
    """
    wanted = set(headings)
    windows: dict[str, tuple[float, float]] = {}
    current: str | None = None
    for at, heading in marks:
        if heading == current:
            continue
        if current is not None and current in windows:
            windows[current] = (windows[current][0], at)
        current = heading if heading in wanted else None
        if current is not None and current not in windows:
            windows[current] = (at, finished)
    return windows


def gauge_argv(settings: Settings, args: Sequence[str]) -> list[str]:
    """The command line: plain console, step lines, the env, retries as total attempts (§1.7)."""
    argv = [settings.gauge_binary, "run", "--simple-console", "--verbose", "--hide-suggestion"]
    if settings.gauge_env:
        argv += ["--env", settings.gauge_env]
    if settings.gauge_retries > 0:
        argv.append(f"--max-retries-count={settings.gauge_retries + 1}")
    seen: set[str] = set()
    for arg in args:
        if arg not in seen:
            seen.add(arg)
            argv.append(arg)
    return argv


def redact_outcome(outcome: ScenarioOutcome, redactor: Redactor) -> ScenarioOutcome:
    if not len(redactor):
        return outcome
    step = outcome.failing_step
    return replace(
        outcome,
        message=redactor(outcome.message),
        trace=redactor(outcome.trace),
        failing_step=None if step is None else FailingStep(text=redactor(step.text), line=step.line),
    )


_RUN_DIR: Final = re.compile(r"^.+-[0-9a-f]{6}$")


def prune_previous_runs(results_dir: Path) -> int:
    """Remove the `gauge/<spec>-<hex>` run directories earlier sessions left; returns how many.

    Each gauge process gets a fresh run directory so a stale result.xml is never read; read once,
    they are dead weight, and a nightly Job on a persistent volume would fill it. Called on the
    controller before anything runs, so no worker of this session has one yet. Only directories
    named like ours with gauge's `reports`/`logs` inside are touched.
    """
    root = results_dir / "gauge"
    removed = 0
    for entry in sorted(root.iterdir()) if root.is_dir() else ():
        if (
            entry.is_dir()
            and not entry.is_symlink()
            and _RUN_DIR.match(entry.name)
            and {p.name for p in entry.iterdir()} <= {"reports", "logs"}
        ):
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    if removed:
        log.info("removed %d gauge run directories of earlier sessions", removed)
    return removed


def _slug(spec_rel: str) -> str:
    stem = spec_rel[: -len(".spec")] if spec_rel.endswith(".spec") else spec_rel
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in stem.replace("/", "__"))


def _unique(paths: Sequence[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        if path not in out:
            out.append(path)
    return out


# --- what ScenarioItem calls --------------------------------------------------------------------------


def setup_item(item: ScenarioItem) -> None:
    """Build/deploy must be ready, then the spec's gauge run gives this item its outcome.

    A scenario gauge never reported (timeout, crash, failed BeforeSpec) errors here, at setup.
    """
    config = item.config
    try:
        phases_of(config).ready()
    except PhaseFailed as exc:
        phased = phases_of(config).outcome_if_run
        phase = phased.error_phase if phased is not None and phased.error_phase else "setup"
        item.stash[setup_error_key] = SetupError(phase=phase, message=str(exc))
        item.stash[outcome_key] = ScenarioOutcome(status=Status.ERROR, message=str(exc))
        raise ScenarioFailed(str(exc)) from None
    outcome, tail, problem = runner_of(config).outcome_for(item)
    item.stash[outcome_key] = outcome
    item.stash[log_tail_key] = tail
    if problem:
        item.stash[setup_error_key] = SetupError(phase="gauge", message=problem)
    if outcome.status is Status.ERROR:
        raise ScenarioFailed(outcome.message)


def run_item(item: ScenarioItem) -> None:
    """Report the outcome setup stored: pass, skip with gauge's reason, or fail with the failure view."""
    outcome = item.stash[outcome_key]
    if outcome.status is Status.SKIPPED:
        pytest.skip(outcome.message or "skipped by gauge")
    if outcome.status in {Status.FAILED, Status.ERROR}:
        raise ScenarioFailed(outcome.message)


def repr_item_failure(item: ScenarioItem, excinfo: pytest.ExceptionInfo[BaseException]) -> str | TerminalRepr:
    """The Gauge failure view (R22); `--full-trace` gives pytest's default instead."""
    if settings_of(item.config).full_trace:
        return pytest.Item.repr_failure(item, excinfo)
    return failure_view(item)


def failure_view(item: ScenarioItem) -> str:
    setup_error = item.stash.get(setup_error_key, None)
    if setup_error is not None:
        return setup_error.message  # PhaseFailed already says which phase failed and what to do
    outcome = item.stash.get(outcome_key, None)
    if outcome is None:  # pragma: no cover - setup always stores one before ScenarioFailed
        return "gauge gave no outcome for this scenario"
    tail: tuple[str, ...] = item.stash.get(log_tail_key, ())
    return format_failure(
        heading=item.scenario.heading,
        where=f"{item.spec_relpath}:{item.scenario.line}",
        spec_rel=item.spec_relpath,
        outcome=outcome,
        category=item.stash.get(category_key, None),
        label=_label_of(item),
        tail=tail,
        verbose=int(getattr(item.config.option, "verbose", 0)),
    )


def _label_of(item: ScenarioItem) -> Callable[[str], str]:
    recorder = item.config.pluginmanager.get_plugin("streamstress-recorder")
    label = getattr(recorder, "label", None)
    return label if callable(label) else (lambda category: category)


def format_failure(
    *,
    heading: str,
    where: str,
    spec_rel: str,
    outcome: ScenarioOutcome,
    category: Categorization | None,
    label: Callable[[str], str] = lambda c: c,
    tail: Sequence[str] = (),
    verbose: int = 0,
) -> str:
    """Pure text of the failure view, as a QE engineer reads it (R22)."""
    lines = [f"Scenario: {heading}  ({where})"]
    step = outcome.failing_step
    if step is not None:
        location = f"{spec_rel}:{step.line}" if step.line is not None else f"{spec_rel}, inside a concept"
        lines.append(f"Failed step: {step.text}  ({location})")
    kind = {Status.ERROR: "Gauge error", Status.FAILED: "Gauge message"}.get(outcome.status, "Gauge message")
    lines.append(f"{kind}:")
    lines.append(_indent(outcome.message or "(no message)"))
    if category is not None:
        text = f"Category: {label(category.category)} (rule '{category.rule}'"
        if category.evidence:
            text += f", matched {category.field or 'text'}: '{category.evidence}'"
        text += ")"
        lines.append(text)
        if category.known_issue:
            lines.append(f"Known issue: {category.known_issue}")
    if outcome.attempts > 1:
        lines.append(f"Attempts: {outcome.attempts}")
    if outcome.trace.strip():
        trace = outcome.trace.strip("\n").splitlines()
        shown = trace if verbose > 0 else trace[:TRACE_LINES]
        lines.append("Stacktrace:")
        lines.append(_indent("\n".join(shown)) + ("\n    …" if len(shown) < len(trace) else ""))
    lines.append(f"Result source: {outcome.source.value}")
    if outcome.log_path is not None:
        lines.append(f"Log: {outcome.log_path}")
    if tail:
        lines.append(f"Last {len(tail)} lines of this scenario's output:")
        lines.append(_indent("\n".join(tail)))
    return "\n".join(lines)


def _indent(text: str, spaces: int = 4) -> str:
    pad = " " * spaces
    return "\n".join(pad + line if line else line for line in text.splitlines())


# --- xdist: keep a spec on one worker ----------------------------------------------------------------


def choose_distribution(config: pytest.Config) -> None:
    """`-n N` without an explicit `--dist`: use `loadfile` so a spec's scenarios share one worker.

    Runs in `pytest_cmdline_main`, before xdist reads the mode (and either before or after xdist's
    own `-n` -> `load` default, so both `no` and an implicit `load` are replaced).
    """
    option = config.option
    if not getattr(option, "numprocesses", None) or _dist_given(config):
        return
    if getattr(option, "dist", "no") in {"no", "load"}:
        option.dist = "loadfile"
        log.debug("streamstress: -n without --dist: distributing by spec file (--dist loadfile)")


def _dist_given(config: pytest.Config) -> bool:
    if getattr(config.option, "distload", False):
        return True
    sources: Iterator[str] = iter(
        [
            *config.invocation_params.args,
            *os.environ.get("PYTEST_ADDOPTS", "").split(),
            *(str(a) for a in (config.getini("addopts") or ())),
        ]
    )
    return any(arg == "-d" or arg.startswith("--dist") for arg in sources)
