"""Each scenario item's life in a session: preconditions, the spec's gauge run, the pytest outcome.

`SessionDriver` is the `gauge.collect.ScenarioDriver` of a real session. An item's setup first
needs the build and deploy (run/preconditions.py, once per session, also under xdist); then the
first item of a spec to get here starts one gauge process for every selected, not yet served item
of that spec (gauge/execute.py) and the others take their outcome from it. So a scenario gauge never
reported (timeout, crash, failed BeforeSpec, build or deploy failure) errors at setup, and one that
ran and failed fails at call, with the Gauge failure view (STYLE R22).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import pytest

from pytest_streamstress._infra import proc as _proc
from pytest_streamstress._infra.heartbeat import DEFAULT_PACE, Heartbeat, Pace
from pytest_streamstress._infra.redact import NO_REDACTION, redactor_key
from pytest_streamstress.errors import ScenarioFailed
from pytest_streamstress.gauge.execute import GaugeParams, GaugeRunner, SpecRun
from pytest_streamstress.gauge.failure import format_after_spec, format_failure
from pytest_streamstress.gauge.results import AFTER_SPEC_KEY
from pytest_streamstress.model import Categorization, ScenarioOutcome, Status
from pytest_streamstress.options import Settings, is_worker, settings_of
from pytest_streamstress.run.heartbeats import pace_of
from pytest_streamstress.run.selection import is_marked_to_skip
from pytest_streamstress.run.serial import SerialGate, is_serial
from pytest_streamstress.run.setup_first import Barriers, SetupBarrier, setup_first_key

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr

    from pytest_streamstress.gauge.collect import ScenarioItem

GROUPING_DIST_MODES: Final = frozenset({"no", "loadfile", "loadscope"})
"""xdist modes that keep every item of one spec file on one worker, so one gauge run can serve them."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SetupError:
    """Build or deploy failed (or gauge could not start): the item errors at setup, with no category."""

    phase: str
    message: str


outcome_key: Final = pytest.StashKey[ScenarioOutcome]()
"""The scenario's outcome, set in setup by the gauge run that served it."""
setup_error_key: Final = pytest.StashKey[SetupError]()
category_key: Final = pytest.StashKey[Categorization]()
"""Set by the Recorder's report hook before the report (and the failure view) is built."""
log_tail_key: Final = pytest.StashKey[tuple[str, ...]]()
after_spec_key: Final = pytest.StashKey[ScenarioOutcome]()
"""On the item whose teardown reports the spec's failed AfterSpec hook: that hook's outcome."""


def gauge_params(
    settings: Settings, pace: Pace = DEFAULT_PACE, cluster_env: Mapping[str, str] | None = None
) -> GaugeParams:
    return GaugeParams(
        cluster_env=tuple(sorted((cluster_env or {}).items())),
        binary=settings.gauge_binary,
        env=settings.gauge_env,
        retries=settings.gauge_retries,
        timeout=settings.gauge_timeout,
        results_dir=settings.results_dir,
        profile=settings.profile,
        profile_interval=settings.profile_interval,
        pace=pace,
    )


class SessionHost:
    """The `RunnerHost` of a pytest session: the serial gate, the worker id and the terminal."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @property
    def worker_id(self) -> str | None:
        workerinput = getattr(self.config, "workerinput", None)
        return str(workerinput["workerid"]) if workerinput else None

    def hold(self, group: Sequence[ScenarioItem]) -> AbstractContextManager[object]:
        from pytest_streamstress.run.preconditions import phases_of
        from pytest_streamstress.run.shards import cluster_gate
        from pytest_streamstress.run.shared import shared_dir

        serial_tags = settings_of(self.config).serial_tags
        exclusive = any(is_serial(i.scenario.all_tags, serial_tags) for i in group)
        gate = SerialGate(shared_dir(self.config) if is_worker(self.config) else None)
        beat = self._gate_heartbeat(group)
        # shards: the other shards' gauge runs too (issue 23)
        across = cluster_gate(self.config, connect=lambda: phases_of(self.config).connect())
        if across is None:
            return gate.hold(exclusive=exclusive, progress=beat)
        stack = ExitStack()
        stack.enter_context(gate.hold(exclusive=exclusive, progress=beat))
        stack.enter_context(across.hold(exclusive=exclusive, progress=beat))
        return stack

    def _gate_heartbeat(self, group: Sequence[ScenarioItem]) -> Heartbeat:
        """What a wait at the serial gate says every --heartbeat seconds (issue 22); the other run that
        holds it is bounded by its own --gauge-timeout."""
        spec = group[0].spec_relpath if group else "its spec"
        return Heartbeat(
            self.heartbeat,
            what=f"the serial gate before {spec}",
            bound=settings_of(self.config).gauge_timeout,
            option="--gauge-timeout of the run holding it",
            pace=pace_of(self.config),
        )

    def streams_live(self) -> bool:
        option = self.config.option
        return not is_worker(self.config) and (
            getattr(option, "capture", "fd") == "no" or int(getattr(option, "verbose", 0)) > 0
        )

    def streamer(self, spec_rel: str) -> _proc.LineCallback | None:
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if not self.streams_live() or reporter is None:
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

    def report_line(self, text: str) -> None:
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None and self.streams_live():
            with self.uncaptured():
                reporter.write_line(text)

    def heartbeat(self, text: str) -> None:
        """Called while gauge runs: inside `uncaptured()` when output is live, so it writes directly
        (a second capture suspension would resume capturing under the live stream's feet)."""
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if self.streams_live() and reporter is not None:
            reporter.write_line(f"streamstress: {text}")
            return
        from pytest_streamstress.run.preconditions import phases_of

        phases_of(self.config).say(text)  # the controller's terminal, or the workers' relay to it


class SessionDriver:
    """Sets up, runs and explains scenario items; one per session (the gauge.collect seam)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self._runner: GaugeRunner | None = None
        self.served: dict[str, tuple[SpecRun, str]] = {}
        """nodeid -> (the run that served it, its key in that run's outcomes)."""
        self.after_spec: dict[str, ScenarioOutcome] = {}
        """nodeid of a spec's last item -> the spec's failed AfterSpec hook, raised at its teardown."""

    @property
    def runner(self) -> GaugeRunner:
        if self._runner is None:
            from pytest_streamstress.run.gauge_env import gauge_cluster_env
            from pytest_streamstress.run.preconditions import phases_of

            settings = settings_of(self.config)
            cluster_env = gauge_cluster_env(
                phases_of(self.config).access(),
                cwd=self.config.invocation_params.dir,
                folder=settings.results_dir / "gauge",
            )
            self._runner = GaugeRunner(
                params=gauge_params(settings, pace_of(self.config), cluster_env),
                redactor=self.config.stash.get(redactor_key, NO_REDACTION),
                host=SessionHost(self.config),
            )
        return self._runner

    def setup(self, item: ScenarioItem) -> None:
        """Build/deploy must be ready, then the spec's gauge run gives this item its outcome."""
        from pytest_streamstress.run.preconditions import phases_of
        from pytest_streamstress.run.shared import PhaseFailed

        try:
            phases_of(self.config).ready()
        except PhaseFailed as exc:
            phased = phases_of(self.config).outcome_if_run
            phase = phased.error_phase if phased is not None and phased.error_phase else "setup"
            item.stash[setup_error_key] = SetupError(phase=phase, message=str(exc))
            item.stash[outcome_key] = ScenarioOutcome(status=Status.ERROR, message=str(exc))
            raise ScenarioFailed(str(exc)) from None
        if item.nodeid not in self.served:
            group = self.group_of(item)
            barrier = self.barrier()
            self.wait_for_setup(barrier, group)
            barrier.starting(member.nodeid for member in group)
            try:
                run = self.runner.run_spec(group)
            finally:
                barrier.ended(member.nodeid for member in group)
            for member, key in zip(group, run.keys, strict=True):
                self.served[member.nodeid] = (run, key)
            after_spec = run.outcomes.get(AFTER_SPEC_KEY)
            if after_spec is not None:
                self.after_spec[last_to_tear_down(group, item).nodeid] = after_spec
        run, key = self.served[item.nodeid]
        outcome = run.outcomes[key]
        item.stash[outcome_key] = outcome
        item.stash[log_tail_key] = run.tails.get(key, ())
        if outcome.status is Status.ERROR:
            raise ScenarioFailed(outcome.message)

    def barrier(self) -> Barriers:
        """Between the workers of one xdist run (none outside xdist, where the order alone does it), and
        between the shard pods of one Job (run/shard_setup.py)."""
        from pytest_streamstress.run.preconditions import phases_of
        from pytest_streamstress.run.shard_setup import shard_barrier
        from pytest_streamstress.run.shards import cluster_gate
        from pytest_streamstress.run.shared import shared_dir

        first = self.config.stash.get(setup_first_key, frozenset())
        across = cluster_gate(self.config, connect=lambda: phases_of(self.config).connect())
        shards = shard_barrier(self.config, across)
        if not (is_worker(self.config) and first):
            return Barriers(SetupBarrier(None, first), shards)
        workerinput = getattr(self.config, "workerinput", {})
        workers = SetupBarrier(
            shared_dir(self.config),
            first,
            worker=str(workerinput.get("workerid", "")),
            workers=int(workerinput.get("workercount", 0)),
        )
        return Barriers(workers, shards)

    def wait_for_setup(self, barrier: Barriers, group: Sequence[ScenarioItem]) -> None:
        settings = settings_of(self.config)
        host = SessionHost(self.config)
        beat = Heartbeat(
            host.heartbeat,
            what=f"the setup scenarios before {group[0].spec_relpath}",
            bound=settings.gauge_timeout,
            option="--gauge-timeout",
            pace=pace_of(self.config),
        )
        gave_up = barrier.wait(group, bound=settings.gauge_timeout, progress=beat)
        if gave_up:
            host.heartbeat(gave_up)

    def runtest(self, item: ScenarioItem) -> None:
        """Report the outcome setup stored: pass, skip with gauge's reason, or fail with the failure view."""
        outcome = item.stash[outcome_key]
        if outcome.status is Status.SKIPPED:
            pytest.skip(outcome.message or "skipped by gauge")
        if outcome.status in {Status.FAILED, Status.ERROR}:
            raise ScenarioFailed(outcome.message)

    def teardown(self, item: ScenarioItem) -> None:
        """A failed AfterSpec hook is the spec's last item's teardown error, as pytest shows a failing
        module-scope finalizer: the scenarios keep their results, the run sees the spec fail."""
        outcome = self.after_spec.pop(item.nodeid, None)
        if outcome is not None:
            item.stash[after_spec_key] = outcome
            view = format_after_spec(
                spec_rel=item.spec_relpath,
                outcome=outcome,
                verbose=int(getattr(self.config.option, "verbose", 0)),
            )
            raise ScenarioFailed(view)

    def repr_failure(
        self, item: ScenarioItem, excinfo: pytest.ExceptionInfo[BaseException]
    ) -> str | TerminalRepr:
        """The Gauge failure view (R22); `--full-trace` gives pytest's default instead."""
        if settings_of(self.config).full_trace:
            return pytest.Item.repr_failure(item, excinfo)
        return failure_view(item)

    def group_of(self, item: ScenarioItem) -> list[ScenarioItem]:
        """Every selected, not yet served item of the same spec file, in file order."""
        from pytest_streamstress.gauge.collect import ScenarioItem

        first = self.config.stash.get(setup_first_key, frozenset())
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
            and (other.nodeid in first) == (item.nodeid in first)  # a setup scenario's run serves no other
        ]
        if item not in group:
            group.append(item)
        return sorted(group, key=lambda i: (i.scenario.line, i.row or 0))


def last_to_tear_down(group: Sequence[ScenarioItem], current: ScenarioItem) -> ScenarioItem:
    """The last item of the group pytest will set up and so tear down: not one a `skipif` may skip
    before its setup (its teardown would never come); the item being set up when all are such."""
    return next((i for i in reversed(group) if i.get_closest_marker("skipif") is None), current)


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
