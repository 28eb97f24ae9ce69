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
from collections.abc import Iterable, Iterator
from pathlib import Path


def is_serial(tags: Iterable[str], serial_tags: Iterable[str]) -> bool:
    wanted = {t.lower() for t in serial_tags}
    return any(tag.lower() in wanted for tag in tags)


def shared_dir(testrunuid: str) -> Path:
    """The directory the workers of one xdist run share (run/shared.py has the session's own)."""
    path = Path(tempfile.gettempdir()) / f"streamstress-{testrunuid}"
    path.mkdir(parents=True, exist_ok=True)
    return path


class SerialGate:
    """`with gate.hold(exclusive=...)`: shared for ordinary runs, exclusive for cluster-wide ones."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    @contextlib.contextmanager
    def hold(self, *, exclusive: bool) -> Iterator[None]:
        if self.directory is None:
            yield
            return
        turnstile = os.open(self.directory / "serial.turnstile", os.O_RDWR | os.O_CREAT, 0o600)
        rw = os.open(self.directory / "serial.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(turnstile, fcntl.LOCK_EX)
            if exclusive:
                fcntl.flock(rw, fcntl.LOCK_EX)
                fcntl.flock(turnstile, fcntl.LOCK_UN)
            else:
                fcntl.flock(turnstile, fcntl.LOCK_UN)
                fcntl.flock(rw, fcntl.LOCK_SH)
            yield
        finally:
            fcntl.flock(rw, fcntl.LOCK_UN)
            os.close(rw)
            os.close(turnstile)
