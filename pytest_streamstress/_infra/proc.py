"""The single door to subprocesses (STYLE R15).

Everything that starts a process (git, ko, docker/podman, gauge, the emulator's Job pods) goes
through `run` or `spawn`. They take an argv list (never a shell string), start the child in its own
session so a timeout kills the whole process group, stream both output streams line by line to an
optional log file and callback with secrets redacted, and translate failures into our errors:
`ToolNotFound` with an install hint, `ToolTimedOut` and `ToolFailed` with the last lines of output.

Every group started here stays listed until it is reaped, so a stop signal can end them all
(`stop_all` sends SIGTERM at once and refuses new processes; `end_all` kills what is left) even when
they were started by a build thread the signal never reached (issue 19). Because a child started in
its own session does not get the terminal's Ctrl-C, nothing else would end it. The list is
process-wide, as the processes are.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final, Literal

from pytest_streamstress._infra import interrupts
from pytest_streamstress._infra.redact import NO_REDACTION, Redactor
from pytest_streamstress.errors import ToolFailed, ToolNotFound, ToolTimedOut

log = logging.getLogger(__name__)

Stream = Literal["stdout", "stderr"]
LineCallback = Callable[[Stream, str], None]

TAIL_LINES: Final = 50
"""Lines of output quoted in a failure message (issue: the build error shows the last 50)."""
KILL_GRACE_S: Final = 5.0
"""After SIGTERM to the group, how long to wait before SIGKILL."""

INSTALL_HINTS: Final[Mapping[str, str]] = {
    "git": "install git (Debian/Ubuntu: apt-get install git; Fedora: dnf install git)",
    "ko": "install ko: go install github.com/google/ko@latest, or see https://ko.build/install/",
    "docker": "install docker or podman, or choose one with --container-tool",
    "podman": "install podman or docker, or choose one with --container-tool",
    "gauge": "install gauge 1.6.x with the go and xml-report plugins (https://docs.gauge.org/getting_started/installing-gauge.html)",
}


class _Groups:
    """The process groups this process started and has not reaped: what a stop signal must end."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        """Reentrant: a signal handler runs on the main thread, which may hold it in `spawn`."""
        self.running: dict[int, Running] = {}
        self.refusing = ""
        """Why no process may start now ("" while they may): set by `stop_all`."""


_GROUPS: Final = _Groups()


def stop_all(reason: str) -> int:
    """Refuse new processes and send SIGTERM to every live group now; returns how many were signalled.

    It never waits, so a signal handler may call it; `end_all` finishes the job.
    """
    with _GROUPS.lock:
        _GROUPS.refusing = reason
        pids = list(_GROUPS.running)
    for pid in pids:
        _signal_group(pid, signal.SIGTERM)
    return len(pids)


def end_all(*, grace: float = KILL_GRACE_S) -> int:
    """Give the live groups `grace` seconds after SIGTERM, then SIGKILL them; returns how many there were."""
    with _GROUPS.lock:
        running = list(_GROUPS.running.values())
    for process in running:
        _signal_group(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in running:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process._popen.wait(timeout=max(0.0, deadline - time.monotonic()))
    for process in running:
        # The leader may be gone while a grandchild ignored SIGTERM: the group gets SIGKILL either way.
        _signal_group(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process._popen.wait(timeout=grace)
        process._forget()
    return len(running)


def allow_again() -> None:
    """Processes may start again (a session that was stopped has ended)."""
    with _GROUPS.lock:
        _GROUPS.refusing = ""


def live_groups() -> tuple[int, ...]:
    """Process group ids started here and not reaped yet."""
    with _GROUPS.lock:
        return tuple(_GROUPS.running)


def _refusing() -> str:
    return _GROUPS.refusing


def stop_reason() -> str:
    """Why the run is stopping (the signal `stop_all` was given), "" while it is not.

    A build thread whose tool died of that stop reads it to say "interrupted", not the tool's
    failure (issue 22: Ctrl-C showed the registry's `UNAUTHORIZED` as a build failure).
    """
    return _refusing()


def _signal_group(pid: int, signum: signal.Signals) -> None:
    # Gone already (ProcessLookupError), or the pid was reused by another user (PermissionError).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)


@dataclass(frozen=True, slots=True)
class Completed:
    """A finished process: exit code, redacted output, and where the full log is."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    duration_s: float
    log_path: Path | None = None

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def tail(self, lines: int = TAIL_LINES) -> str:
        """The last lines of combined output, for error messages."""
        combined = (self.stdout + ("\n" if self.stdout and self.stderr else "") + self.stderr).splitlines()
        return "\n".join(combined[-lines:])


class Running:
    """A started process whose output is being pumped; `wait` returns a `Completed`."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None,
        cwd: Path | None,
        log_to: Path | None,
        on_line: LineCallback | None,
        redactor: Redactor,
        stdin: bytes | None = None,
    ) -> None:
        self.argv = tuple(argv)
        self._redactor = redactor
        self._on_line = on_line
        self._stdout: list[str] = []
        self._stderr: list[str] = []
        self._tail: deque[str] = deque(maxlen=TAIL_LINES)
        self._lock = threading.Lock()
        self.log_path = log_to
        self._log: IO[str] | None = None
        if log_to is not None:
            log_to.parent.mkdir(parents=True, exist_ok=True)
            self._log = log_to.open("a", encoding="utf-8", errors="replace")
        self.started = time.monotonic()
        try:
            self._popen = self._start(argv, env=env, cwd=cwd, stdin=stdin)
        except FileNotFoundError as exc:
            self._close_log()
            tool = Path(argv[0]).name
            raise ToolNotFound(
                f"cannot run {tool!r}: not found on PATH",
                hint=INSTALL_HINTS.get(tool, f"install {tool} or put it on PATH"),
            ) from exc
        except PermissionError as exc:
            self._close_log()
            raise ToolNotFound(
                f"cannot run {argv[0]!r}: permission denied", hint="make it executable"
            ) from exc
        log.debug("started pid %s: %s", self._popen.pid, redactor(" ".join(argv)))
        if stdin is not None and self._popen.stdin is not None:
            self._popen.stdin.write(stdin)
            self._popen.stdin.close()
        self._pumps = [
            threading.Thread(
                target=self._pump, args=("stdout", self._popen.stdout, self._stdout), daemon=True
            ),
            threading.Thread(
                target=self._pump, args=("stderr", self._popen.stderr, self._stderr), daemon=True
            ),
        ]
        for pump in self._pumps:
            pump.start()

    def _start(
        self, argv: Sequence[str], *, env: Mapping[str, str] | None, cwd: Path | None, stdin: bytes | None
    ) -> subprocess.Popen[bytes]:
        """Start and list the group in one step: a stop signal can never fall between the two."""
        with interrupts.critical(), _GROUPS.lock:
            if _GROUPS.refusing:
                self._close_log()
                raise ToolFailed(
                    f"{Path(argv[0]).name} was not started: the run is stopping ({_GROUPS.refusing})",
                    hint="nothing to do: this step was cut short on purpose",
                )
            popen = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=dict(env) if env is not None else None,
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
            # Set before it is listed: a signal right after this block must find a whole entry (end_all
            # reads `_popen`), not one whose constructor was cut short before the assignment.
            self._popen = popen
            _GROUPS.running[popen.pid] = self
            if _refusing():  # a stop signal came while it started: it gets the SIGTERM the others got
                _signal_group(popen.pid, signal.SIGTERM)
        return popen

    def _forget(self) -> None:
        with _GROUPS.lock:
            if _GROUPS.running.get(self._popen.pid) is self:
                del _GROUPS.running[self._popen.pid]

    @property
    def pid(self) -> int:
        return self._popen.pid

    def poll(self) -> int | None:
        code = self._popen.poll()
        if code is not None:
            self._forget()
        return code

    def _pump(self, stream: Stream, pipe: IO[bytes] | None, sink: list[str]) -> None:
        if pipe is None:
            return
        for raw in iter(pipe.readline, b""):
            line = self._redactor(raw.decode("utf-8", errors="replace"))
            with self._lock:
                sink.append(line)
                self._tail.append(line.rstrip("\n"))
                if self._log is not None:
                    self._log.write(line)
                    self._log.flush()
            if self._on_line is not None:
                self._on_line(stream, line.rstrip("\n"))
        pipe.close()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def kill_group(self, *, grace: float = KILL_GRACE_S, term: bool = True) -> None:
        """SIGTERM the process group, then SIGKILL after `grace`: a hung child leaves nothing behind.

        `term=False`: SIGKILL at once, no chance to clean up (what the kernel's OOM killer does).
        """
        if self._popen.poll() is not None:
            self._forget()
            return
        if term:
            try:
                os.killpg(self._popen.pid, signal.SIGTERM)
            except ProcessLookupError:
                self._forget()
                return
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._popen.wait(timeout=grace)
        # The leader may be gone while a grandchild ignored SIGTERM: the group gets SIGKILL either way.
        _signal_group(self._popen.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._popen.wait(timeout=KILL_GRACE_S)
        self._forget()

    def tail(self) -> str:
        with self._lock:
            return "\n".join(self._tail)

    def _wait_ticking(self, timeout: float, on_tick: Callable[[float], None] | None, tick_s: float) -> None:
        if on_tick is None:
            self._popen.wait(timeout=timeout)
            return
        deadline = self.started + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                self._popen.wait(timeout=max(0.0, min(tick_s, left)))
                return
            except subprocess.TimeoutExpired:
                if left <= tick_s:
                    raise
            on_tick(time.monotonic() - self.started)

    def wait(
        self,
        *,
        timeout: float,
        what: str = "",
        on_tick: Callable[[float], None] | None = None,
        tick_s: float = 1.0,
    ) -> Completed:
        """Wait for the exit; on timeout kill the group and raise `ToolTimedOut` with the tail of output.

        `on_tick(seconds so far)` is called every `tick_s` while the process runs, on the waiting
        thread (a heartbeat: a 20-minute gauge run says where it is, issue 22).
        """
        try:
            self._wait_ticking(timeout, on_tick, tick_s)
        except subprocess.TimeoutExpired as exc:
            self.kill_group()
            for pump in self._pumps:
                pump.join(timeout=KILL_GRACE_S)
            self._close_log()
            name = what or Path(self.argv[0]).name
            raise ToolTimedOut(
                f"{name} did not finish within {timeout:g}s and was killed with its process group;"
                f" last output:\n{self.tail()}",
                hint="raise the timeout option for this step, or look at the log"
                + (f" {self.log_path}" if self.log_path else ""),
                log_path=self.log_path,
            ) from exc
        except BaseException:
            # Ctrl-C while waiting: never leave the child running behind us.
            self.kill_group()
            self._close_log()
            raise
        self._forget()
        for pump in self._pumps:
            pump.join(timeout=KILL_GRACE_S)
        self._close_log()
        return Completed(
            argv=self.argv,
            returncode=self._popen.returncode,
            stdout="".join(self._stdout),
            stderr="".join(self._stderr),
            duration_s=time.monotonic() - self.started,
            log_path=self.log_path,
        )


def spawn(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    log_to: Path | None = None,
    on_line: LineCallback | None = None,
    redactor: Redactor = NO_REDACTION,
    stdin: bytes | None = None,
) -> Running:
    """Start a process and return at once; the caller must `wait` (with a timeout) or `kill_group`."""
    return Running(argv, env=env, cwd=cwd, log_to=log_to, on_line=on_line, redactor=redactor, stdin=stdin)


def run(
    argv: Sequence[str],
    *,
    timeout: float,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    log_to: Path | None = None,
    on_line: LineCallback | None = None,
    redactor: Redactor = NO_REDACTION,
    check: bool = False,
    what: str = "",
    stdin: bytes | None = None,
) -> Completed:
    """Run to completion within `timeout` seconds; with `check`, a non-zero exit raises `ToolFailed`."""
    done = spawn(argv, env=env, cwd=cwd, log_to=log_to, on_line=on_line, redactor=redactor, stdin=stdin).wait(
        timeout=timeout, what=what
    )
    if check and not done.ok:
        name = what or Path(argv[0]).name
        raise ToolFailed(
            f"{name} failed with exit code {done.returncode}; last output:\n{done.tail()}",
            hint=f"full log: {log_to}" if log_to else "",
            returncode=done.returncode,
            log_path=log_to,
        )
    return done
