"""Running scenarios through gauge: one gauge process per spec file, its output, its results.

Owns the `gauge run` command line, the per-run reports/logs directories, the per-worker project
overlay, the timeout, and the merged outcome of every scenario a run served. It never spawns a
process itself (only `_proc.spawn`, R15), never parses gauge's formats (junit.py, console.py do), never
categorizes, and never reads pytest's config: the session hands in `GaugeParams` and a `RunnerHost`
(the serial gate, the terminal, the worker id), and turns outcomes into pytest results itself
(run/scenarios.py).

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
  (§3.4). Each worker runs gauge in its own overlay of the project: the real project's directories
  re-created with a symlink per file (gauge/overlay.py says why not per directory), except the
  top-level `.gauge`, `logs`, `reports`, `gauge_bin` and `.git`, under
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
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

from pytest_streamstress._infra import proc as _proc
from pytest_streamstress._infra.heartbeat import DEFAULT_PACE, Heartbeat, Pace
from pytest_streamstress._infra.redact import Redactor
from pytest_streamstress.errors import ToolError, ToolTimedOut
from pytest_streamstress.gauge.console import ConsoleProgress
from pytest_streamstress.gauge.overlay import mirror_project
from pytest_streamstress.gauge.results import (
    RunFacts,
    UnreadableResults,
    Wanted,
    merge_outcomes,
    parse_console,
    read_junit,
)
from pytest_streamstress.gauge.windows import local_usage, scenario_windows
from pytest_streamstress.model import FailingStep, HarnessFailure, ResultSource, ScenarioOutcome, Status
from pytest_streamstress.profile.local import ProcessTreeSampler, TreeSample
from pytest_streamstress.profile.stats import NAMESPACE_PATTERN

if TYPE_CHECKING:
    from pytest_streamstress.gauge.collect import ScenarioItem

log = logging.getLogger(__name__)

OVERLAY_SKIP: Final = frozenset({".gauge", "logs", "reports", "gauge_bin", ".git"})
"""Top-level entries a worker's project overlay does not share: gauge writes into them (§3.4)."""
LOG_TAIL_LINES: Final = 20
"""Lines of the scenario's own log shown in the failure view."""
TIMEOUT_TAIL_LINES: Final = 15
REDACT_MAX_BYTES: Final = 200_000_000
"""Larger files in a gauge run directory are not rewritten (none of gauge's text reports gets near)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GaugeParams:
    """The options one gauge run needs, resolved by the session."""

    binary: str
    env: str
    retries: int
    timeout: float
    """Seconds one gauge process (all selected scenarios of one spec) may take."""
    results_dir: Path
    profile: bool = False
    profile_interval: float = 5.0
    pace: Pace = DEFAULT_PACE
    """How often a running spec says where it is (issue 22)."""
    cluster_env: tuple[tuple[str, str], ...] = ()
    """Variables that point gauge at the run's cluster (`KUBECONFIG`, run/gauge_env.py)."""


class RunnerHost(Protocol):
    """What the session lends the runner: coordination and the terminal (run/scenarios.py)."""

    @property
    def worker_id(self) -> str | None:
        """The xdist worker id, None on the controller or without xdist."""

    def hold(self, group: Sequence[ScenarioItem]) -> AbstractContextManager[object]:
        """The serial gate: exclusive when a scenario of the group changes cluster-wide state."""

    def streamer(self, spec_rel: str) -> _proc.LineCallback | None:
        """Where gauge's live output goes besides the log, or None."""

    def uncaptured(self) -> AbstractContextManager[Any]:
        """Let live output through pytest's capture while gauge runs."""

    def report_line(self, text: str) -> None:
        """One line on the terminal when live output is on (-v or -s)."""

    def heartbeat(self, text: str) -> None:
        """One progress line on the terminal, also from an xdist worker, also without -v (not with -q)."""


@dataclass(slots=True)
class SpecRun:
    """One finished gauge process and what it said about each scenario it served."""

    argv: tuple[str, ...]
    log_path: Path
    outcomes: dict[str, ScenarioOutcome]
    tails: dict[str, tuple[str, ...]]
    keys: tuple[str, ...] = ()
    """The key in `outcomes` of each item of the group, in the group's order."""
    problem: str = ""
    """gauge could not be started (not found, not executable): no scenario ran, nothing to categorize."""


@dataclass(slots=True)
class GaugeRunner:
    """Runs gauge for a group of one spec's scenarios; remembers log names and project overlays."""

    params: GaugeParams
    redactor: Redactor
    host: RunnerHost
    log_names: set[str] = field(default_factory=set)
    overlays: dict[Path, Path] = field(default_factory=dict)

    def run_spec(self, group: Sequence[ScenarioItem]) -> SpecRun:
        """One gauge process for `group` (selected scenarios of one spec, in file order)."""
        item = group[0]
        spec_rel = item.spec_relpath
        project = self.project_dir(item.project_root)
        slug = _slug(spec_rel)
        run_dir = self.params.results_dir / "gauge" / f"{slug}-{secrets.token_hex(3)}"
        reports = run_dir / "reports"
        logs = run_dir / "logs"
        reports.mkdir(parents=True, exist_ok=True)
        logs.mkdir(parents=True, exist_ok=True)
        log_path = self.log_path(slug)
        argv = gauge_argv(self.params, [i.gauge_arg for i in group])
        env = {
            **os.environ,
            **dict(self.params.cluster_env),
            "gauge_reports_dir": str(reports),
            "overwrite_reports": "true",
            "logs_directory": str(logs),
        }
        with self.host.hold(group):
            done = self.execute(
                argv,
                env=env,
                project=project,
                log_path=log_path,
                spec_rel=spec_rel,
                headings=[i.scenario.heading for i in group],
            )
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
                data_row=i.data_row,
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
                    harness=HarnessFailure(kind="not-started", cause=problem),
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
                namespaces=tuple(
                    dict.fromkeys(NAMESPACE_PATTERN.findall("\n".join(console.block_of(w.heading))))
                ),
                **local_usage(done.tree, windows.get(w.heading, (started, finished))),
            )
            for w in wanted
            if w.key in outcomes
        } | {key: o for key, o in outcomes.items() if key not in {w.key for w in wanted}}
        outcomes = {key: redact_outcome(outcome, self.redactor) for key, outcome in outcomes.items()}
        tails = {w.key: console.block_of(w.heading)[-LOG_TAIL_LINES:] for w in wanted}
        run = SpecRun(
            argv=tuple(argv),
            log_path=log_path,
            outcomes=outcomes,
            tails=tails,
            keys=tuple(w.key for w in wanted),
            problem=problem,
        )
        self.report_run(spec_rel, run, finished - started, done.timed_out_after)
        return run

    def execute(
        self,
        argv: Sequence[str],
        *,
        env: dict[str, str],
        project: Path,
        log_path: Path,
        spec_rel: str,
        headings: Sequence[str] = (),
    ) -> Execution:
        """Run gauge within `params.timeout`, saying where it is (issue 22); a hang is killed (R15, R17)."""
        started = time.time()
        log.info("running %s in %s", " ".join(argv), project)
        marks: list[tuple[float, str]] = []
        stream = self.host.streamer(spec_rel)
        progress, pace = ConsoleProgress(headings), self.params.pace  # scenario n/N from the console
        beat = Heartbeat(
            self.host.heartbeat,
            what=f"gauge {spec_rel}",
            bound=self.params.timeout,
            option="--gauge-timeout",
            pace=pace,
            running=True,
        )

        def on_line(which: _proc.Stream, line: str) -> None:
            progress.feed(line)
            text = line.strip()
            if text.startswith("## "):
                marks.append((time.time(), text[3:].strip()))
            if stream is not None:
                stream(which, line)

        try:
            running = _proc.spawn(
                argv, env=env, cwd=project, log_to=log_path, on_line=on_line, redactor=self.redactor
            )
        except ToolError as exc:
            return Execution(started=started, finished=time.time(), problem=str(exc))
        sampler = None
        if self.params.profile:
            interval = min(1.0, self.params.profile_interval)
            sampler = ProcessTreeSampler(running.pid, interval=interval).start()
        try:
            with self.host.uncaptured():
                completed = running.wait(
                    timeout=self.params.timeout,
                    what=f"gauge run {spec_rel}",
                    on_tick=lambda s: beat(s, progress.describe()),
                    tick_s=pace.poll_s,
                )
        except ToolTimedOut:
            tail = "\n".join(running.tail().splitlines()[-TIMEOUT_TAIL_LINES:])
            return Execution(
                started=started,
                finished=time.time(),
                timed_out_after=self.params.timeout,
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

    # -- places ---------------------------------------------------------------------------------------

    def log_path(self, slug: str) -> Path:
        """`<results_dir>/logs/<spec>.log`; a second run of one spec in this process gets `-2`, `-3`…"""
        name = slug
        number = 1
        while name in self.log_names:
            number += 1
            name = f"{slug}-{number}"
        self.log_names.add(name)
        if self.host.worker_id is not None:
            name = f"{name}.{self.host.worker_id}"
        path = self.params.results_dir / "logs" / f"{name}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)  # an earlier session's log of this spec: never mix two runs
        return path

    def project_dir(self, root: Path) -> Path:
        """An overlay of the project, so gauge's own files land in the results directory.

        gauge writes `.gauge/`, `logs/` and `reports/` into its project; concurrent workers would clash
        there (module docstring), and a read-only checkout or the installed demo suite must stay untouched.
        Its directories are real and its files links (gauge/overlay.py: gauge's Go walk never enters a
        linked directory, so a linked `specs/` would hide `specs/concepts/*.cpt`).
        """
        if root in self.overlays:
            return self.overlays[root]
        worker = self.host.worker_id or "main"
        overlay = self.params.results_dir / "gauge" / "projects" / f"{worker}-{len(self.overlays)}"
        if overlay.exists():
            shutil.rmtree(overlay)  # directories, links, gauge's own files: rmtree never follows links
        overlay.mkdir(parents=True)
        links = mirror_project(root, overlay, skip=OVERLAY_SKIP)
        log.debug("project overlay %s: %d links to %s", overlay, links, root)
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

    def report_run(self, spec_rel: str, run: SpecRun, seconds: float, timed_out: float | None) -> None:
        counts: dict[str, int] = {}
        for outcome in run.outcomes.values():
            counts[outcome.status.value] = counts.get(outcome.status.value, 0) + 1
        shown = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        note = f" (timed out after {timed_out:g}s)" if timed_out is not None else ""
        log.info("gauge %s: %s in %.1fs%s; log %s", spec_rel, shown, seconds, note, run.log_path)
        self.host.report_line(f"gauge {spec_rel}: {shown} in {seconds:.1f}s{note}; log {run.log_path}")


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


def gauge_argv(params: GaugeParams, args: Sequence[str]) -> list[str]:
    """The command line: plain console, step lines, the env, retries as total attempts (§1.7)."""
    argv = [params.binary, "run", "--simple-console", "--verbose", "--hide-suggestion"]
    if params.env:
        argv += ["--env", params.env]
    if params.retries > 0:
        argv.append(f"--max-retries-count={params.retries + 1}")
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
