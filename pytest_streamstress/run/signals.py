"""Stop signals: SIGTERM and SIGHUP take the Ctrl-C path, and the cleanup after it runs whole (issue 19).

A CI cancel, `timeout`, `streamstress cancel` and a deleted Job pod send SIGTERM; a closed terminal
sends SIGHUP. Python turns only SIGINT into `KeyboardInterrupt`, pytest's interrupted path (the
Recorder writes results.json with status `interrupted`, `--restore` runs, exit code 2); the others
would kill the session on the spot and leave the gauge and build process groups running. So while a
session runs, all three go through `StopSignals._on_signal`:

- the first one ends every process group the session started (`_infra.proc.stop_all`: SIGTERM now,
  no new process), arms the cleanup bound (`--stop-timeout`, a `Cutoff` the restore's waits obey) and
  raises `KeyboardInterrupt` naming the signal; results.json records it as `signal`;
- from `pytest_sessionfinish` on (the cleanup: results.json, --restore, publishing) and after the
  first signal, a signal never raises again, so no cleanup step is abandoned half-way; it only
  arms the bound and says so. A restore that cannot finish within the bound stops and names
  `streamstress restore` (run/deploying.py).

Under pytest-xdist each worker registers its pid in the run's shared directory and the controller
passes its first signal on to them: a worker busy in a gauge run would otherwise be SIGKILLed by
xdist's teardown, leaving gauge's process group behind. The workers end their groups and stop; the
controller restores (run/preconditions.py) once they are gone.

The handler writes its one line with `os.write` to the stderr the session started with: inside a
signal handler pytest's terminal writer may be in the middle of a write (not reentrant), and fd 2
is captured while an item runs. pytest renders the interrupt's traceback; Python 3.11 leaves
`tb_lineno` None on an instruction without a line number, which crashed that rendering (the
`TypeError` of issue 19), so such entries are dropped first.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Generator
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, Final, cast

import pytest

from pytest_streamstress._infra import interrupts, tempdirs
from pytest_streamstress._infra import proc as _proc
from pytest_streamstress._infra.waits import Cutoff
from pytest_streamstress.options import is_worker, settings_key
from pytest_streamstress.run.shared import SHARED_DIR_ENV

log = logging.getLogger(__name__)

STOP_SIGNALS: Final = ("SIGINT", "SIGTERM", "SIGHUP")
"""Ctrl-C, a polite kill (CI cancel, `timeout`, a deleted pod), a closed terminal."""

Handler = Callable[[int, FrameType | None], Any] | int | None


class StopSignals:
    """The session's stop-signal handling; a plugin object registered first (R7), on every process."""

    def __init__(
        self, config: pytest.Config, *, bound: float, restore: bool = False, worker: bool = False
    ) -> None:
        self.config = config
        self.bound = bound
        self.restore = restore
        self.worker = worker
        self.received: list[str] = []
        """Signal names in the order they came."""
        self.cutoff = Cutoff()
        """Armed by the first signal: the cleanup's waits end `bound` seconds after it."""
        self.cleaning = False
        self._previous: dict[int, Handler] = {}
        self._stderr: int | None = None

    @property
    def first(self) -> str:
        """The signal that stopped the run ("" when none did)."""
        return self.received[0] if self.received else ""

    # -- handlers -------------------------------------------------------------------------------------

    def install(self) -> None:
        """Take over the stop signals; only the main thread may (an IDE runner may call from another)."""
        if threading.current_thread() is not threading.main_thread():
            log.info("not on the main thread: stop signals keep their handlers")
            return
        with contextlib.suppress(OSError, ValueError):
            self._stderr = os.dup(sys.stderr.fileno())
        for name in STOP_SIGNALS:
            signum = getattr(signal, name, None)  # SIGHUP does not exist on Windows
            if signum is not None:
                self._previous[signum] = signal.signal(signum, self._on_signal)

    def uninstall(self) -> None:
        for signum, previous in self._previous.items():
            if signal.getsignal(signum) == self._on_signal:
                signal.signal(signum, previous)
        self._previous.clear()
        if self._stderr is not None:
            with contextlib.suppress(OSError):
                os.close(self._stderr)
            self._stderr = None

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        first = not self.received
        self.received.append(name)
        if not first:
            self._tell(
                f"streamstress: {name} again: still stopping; the cleanup ends at the latest"
                f" {self.bound:g}s after the {self.first}"
            )
            return
        self.cutoff.arm(self.bound, reason=name)
        groups = _proc.stop_all(name)
        if not self.worker:
            groups += _forward_to_workers(signum)
        if self.cleaning:
            self._tell(
                f"streamstress: {name} during the cleanup: finishing it (--restore waits at most"
                f" {self.bound:g}s); ended {groups} process group(s)"
            )
            return
        self._tell(
            f"streamstress: {name}: stopping; ended {groups} process group(s); results.json will say"
            " interrupted" + (f"; --restore waits at most {self.bound:g}s" if self.restore else "")
        )
        if interrupts.deliver(name):
            raise KeyboardInterrupt(name)

    def _tell(self, text: str) -> None:
        # No logging here: a handler runs between any two bytecodes, also inside a logging call.
        # xdist workers stay quiet: the controller speaks for the run.
        if self._stderr is not None and not self.worker:
            with contextlib.suppress(OSError):
                os.write(self._stderr, (text + "\n").encode("utf-8", errors="replace"))

    def name_the_signal(self) -> None:
        """Tell the Recorder which signal stopped the run: its verdict says "INTERRUPTED by SIGTERM".

        Ctrl-C (SIGINT) stays unnamed there ("by Ctrl-C"); results.json names every signal.
        """
        recorder = self.config.pluginmanager.get_plugin("streamstress-recorder")
        if recorder is not None and self.first and self.first != "SIGINT":
            recorder.signal = self.first

    # -- hooks ----------------------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        self.name_the_signal()
        if not isinstance(excinfo.value, pytest.Session.Interrupted):
            # A Ctrl-C that came before our handler or through another path still ends every group.
            _proc.stop_all(self.first or "KeyboardInterrupt")
            if self.first:
                log.info("%s: the session stops; its process groups were ended", self.first)
        drop_lineless_entries(excinfo.value)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtestloop(self) -> Generator[None, object, object]:
        try:
            return (yield)
        finally:
            # The tests are over: a signal from here on must not cut pytest's way to sessionfinish.
            self.cleaning = True

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> Generator[None, None, None]:
        self.cleaning = True  # from here a signal never raises: results.json and --restore run whole
        try:
            return (yield)
        finally:
            if self.received:
                ended = _proc.end_all()
                if ended:
                    log.info("killed %d process group(s) that outlived SIGTERM", ended)
                # Also when the signal came during the cleanup (publishing was cut): the run was stopped.
                session.exitstatus = pytest.ExitCode.INTERRUPTED

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.uninstall()
        interrupts.reset()
        tempdirs.remove_all()  # a secret directory whose block a signal cut never outlives the session
        if self.received:
            _proc.end_all()  # a signal during start-up never reached sessionfinish
            write_if_missing(config, self.first)
            _proc.allow_again()


def write_if_missing(config: pytest.Config, signal_name: str) -> None:
    """A signal during start-up (pytest_configure, sessionstart) skips pytest_sessionfinish, where the
    Recorder writes results.json; write it here then, so an interrupted run always leaves one (R38)."""
    settings = config.stash.get(settings_key, None)
    if settings is None or is_worker(config) or config.option.collectonly:
        return
    recorder = config.pluginmanager.get_plugin("streamstress-recorder")
    session = config.pluginmanager.get_plugin("session")
    if recorder is not None and session is not None:
        if recorder.written is None:
            # What pytest would have called: the Recorder decides the verdict and writes results.json.
            recorder.interrupted = True
            recorder.pytest_sessionfinish(session=session, exitstatus=pytest.ExitCode.INTERRUPTED)
        return
    import datetime as dt

    from pytest_streamstress.model import ClusterInfo
    from pytest_streamstress.report.results_json import RunFacts, build_document, new_run_id, write_atomically

    now = dt.datetime.now(dt.timezone.utc)
    facts = RunFacts(
        run_id=new_run_id(now),
        started_at=now,
        finished_at=now,
        status="interrupted",
        exit_code=int(pytest.ExitCode.INTERRUPTED),
        label=settings.run_label,
        requests=settings.components,
        signal=signal_name,
        cluster=ClusterInfo(kind="emulated" if settings.cluster == "emulated" else "none"),
    )
    path = settings.results_dir / "results.json"
    try:
        write_atomically(path, build_document(facts, []))
    except OSError as exc:
        log.error("could not write %s: %s", path, exc)


WORKER_PIDS: Final = "worker-pids"
"""Under the run's shared directory: one empty file per xdist worker, named by its pid."""


def _register_worker() -> None:
    shared = os.environ.get(SHARED_DIR_ENV, "")
    if shared:
        folder = Path(shared) / WORKER_PIDS
        folder.mkdir(parents=True, exist_ok=True)
        (folder / str(os.getpid())).touch()


def _forward_to_workers(signum: int) -> int:
    """Send the signal on to this run's xdist workers; returns how many were reached."""
    shared = os.environ.get(SHARED_DIR_ENV, "")
    folder = Path(shared) / WORKER_PIDS if shared else None
    reached = 0
    for entry in sorted(folder.iterdir()) if folder is not None and folder.is_dir() else ():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(entry.name), signum)
                reached += 1
    return reached


def drop_lineless_entries(exc: BaseException) -> None:
    """Unlink traceback entries without a line number, in the exception and its chain.

    Python 3.11 gives `tb_lineno = None` to an instruction without line information (a signal can
    land on one); pytest's traceback rendering subtracts 1 from it and fails with a `TypeError`.
    The outermost entry (pytest's own session frame) always has a line.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        tb: TracebackType | None = current.__traceback__
        while tb is not None and tb.tb_next is not None:
            # typeshed says int; CPython 3.11 returns None here (the docstring says when).
            if cast("int | None", tb.tb_next.tb_lineno) is None:
                tb.tb_next = tb.tb_next.tb_next
            else:
                tb = tb.tb_next
        current = current.__cause__ or current.__context__


signals_key: Final = pytest.StashKey[StopSignals]()


def register(config: pytest.Config, *, bound: float, restore: bool) -> StopSignals:
    """Install the handlers and register the plugin; first of the session's objects, so it covers the rest."""
    worker = is_worker(config)
    stop = StopSignals(config, bound=bound, restore=restore, worker=worker)
    stop.install()
    if worker:
        _register_worker()
    config.stash[signals_key] = stop
    config.pluginmanager.register(stop, "streamstress-signals")
    return stop


def stopped_by(config: pytest.Config) -> str:
    """The signal that stopped this session, or ""."""
    stop = config.stash.get(signals_key, None)
    return stop.first if stop is not None else ""


def cutoff_of(config: pytest.Config) -> Cutoff | None:
    stop = config.stash.get(signals_key, None)
    return stop.cutoff if stop is not None else None
