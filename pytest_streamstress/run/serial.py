"""Scenarios that change cluster-wide state run alone, also under pytest-xdist (issue 9 item 5).

A readers-writer lock on a file shared by the workers of one run: a gauge run whose scenarios are all
ordinary takes it shared; one with a scenario tagged `admin`/`install`/`upgrade` (configurable) takes
it exclusive, so it never runs beside any other scenario. A turnstile lock in front stops a stream of
shared holders from starving a waiting exclusive one. Outside xdist there is nothing to coordinate.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Final


def is_serial(tags: Iterable[str], serial_tags: Iterable[str]) -> bool:
    wanted = {t.lower() for t in serial_tags}
    return any(tag.lower() in wanted for tag in tags)


def shared_dir(testrunuid: str) -> Path:
    """The directory the workers of one xdist run share (run/shared.py has the session's own)."""
    path = Path(tempfile.gettempdir()) / f"streamstress-{testrunuid}"
    path.mkdir(parents=True, exist_ok=True)
    return path


Progress = Callable[[float, str], object]
"""Called with the seconds waited so far and what is awaited, while a lock is not free (a Heartbeat)."""
POLL_S: Final = 0.1


class SerialGate:
    """`with gate.hold(exclusive=...)`: shared for ordinary runs, exclusive for cluster-wide ones.

    The locks are polled, not waited on blind, so a worker queued behind an `admin` scenario's gauge
    run says so every `--heartbeat` seconds (issue 22: no wait over 10 s is silent).
    """

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    @contextlib.contextmanager
    def hold(self, *, exclusive: bool, progress: Progress | None = None) -> Iterator[None]:
        if self.directory is None:
            yield
            return
        turnstile = os.open(self.directory / "serial.turnstile", os.O_RDWR | os.O_CREAT, 0o600)
        rw = os.open(self.directory / "serial.lock", os.O_RDWR | os.O_CREAT, 0o600)
        started = time.monotonic()
        try:
            _lock(turnstile, fcntl.LOCK_EX, started, progress, "the turnstile")
            if exclusive:
                _lock(
                    rw, fcntl.LOCK_EX, started, progress, "every other scenario to end (this one runs alone)"
                )
                fcntl.flock(turnstile, fcntl.LOCK_UN)
            else:
                fcntl.flock(turnstile, fcntl.LOCK_UN)
                _lock(
                    rw, fcntl.LOCK_SH, started, progress, "a scenario that runs alone (admin/install/upgrade)"
                )
            yield
        finally:
            fcntl.flock(rw, fcntl.LOCK_UN)
            os.close(rw)
            os.close(turnstile)


def _lock(fd: int, mode: int, started: float, progress: Progress | None, what: str) -> None:
    """flock, polled: the same lock as a blocking call, with a word every heartbeat while it waits."""
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if progress is not None:
                progress(time.monotonic() - started, what)
            time.sleep(POLL_S)
