"""Private temporary directories for secrets, gone on every exit, and the sweep of those a killed run left.

A registry credential must reach ko, docker and podman as a file (`DOCKER_CONFIG/config.json`,
build/registry.py), so it lives on disk while the tools run. That directory is removed when its
block ends, again by `remove_all` at the end of a session and by `atexit` when a block was cut
(a stop signal, an exception that escaped), and a run that was killed outright (SIGKILL, OOM) is
cleaned up by the next run's `sweep_stale` (issue 19).

Every directory carries a marker file naming its kind and its owner process (pid and start time),
so the sweep removes only directories of the kind it was asked about whose owner is gone: never a
live run's, never another tool's, never one without our marker. Making a directory and listing it
happen in one `interrupts.critical()` step, so no signal can fall between them.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from pytest_streamstress._infra import interrupts

log = logging.getLogger(__name__)

PREFIX: Final = "streamstress-"
MARKER: Final = ".streamstress-owner"
"""JSON `{"kind", "pid", "started"}` in every directory made here."""


class _Live:
    """Directories made here and not removed yet; what `remove_all` and the exit hook remove."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.paths: set[Path] = set()
        self.hooked = False


_LIVE: Final = _Live()


def _started(pid: int) -> float | None:
    """The process's start time (psutil), None if no such process: a pid alone can be reused."""
    import psutil

    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None


@contextlib.contextmanager
def private_dir(kind: str) -> Iterator[Path]:
    """A 0700 directory `streamstress-<kind>-*` in the temporary directory, removed when the block ends."""
    with interrupts.critical(), _LIVE.lock:
        path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{kind}-"))
        _LIVE.paths.add(path)
        if not _LIVE.hooked:
            atexit.register(remove_all)
            _LIVE.hooked = True
    try:
        path.chmod(0o700)
        owner = {"kind": kind, "pid": os.getpid(), "started": _started(os.getpid())}
        (path / MARKER).write_text(json.dumps(owner), encoding="utf-8")
        yield path
    finally:
        _remove(path)


def _remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    with _LIVE.lock:
        _LIVE.paths.discard(path)


def remove_all() -> int:
    """Remove every directory made here that is still there (end of session, process exit)."""
    with _LIVE.lock:
        paths = list(_LIVE.paths)
    for path in paths:
        _remove(path)
    return len(paths)


def live() -> tuple[Path, ...]:
    with _LIVE.lock:
        return tuple(sorted(_LIVE.paths))


def sweep_stale(kind: str, *, root: Path | None = None) -> list[Path]:
    """Remove `streamstress-<kind>-*` directories whose owner process is gone; returns what was removed.

    Only directories this user owns that carry our marker for `kind` are considered.
    """
    base = root or Path(tempfile.gettempdir())
    removed: list[Path] = []
    for path in sorted(base.glob(f"{PREFIX}{kind}-*")):
        if _is_stale(path, kind):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    if removed:
        log.info("removed %d stale %s directories of killed runs: %s", len(removed), kind, removed)
    return removed


def _is_stale(path: Path, kind: str) -> bool:
    try:
        if path.is_symlink() or not path.is_dir() or path.stat().st_uid != os.getuid():
            return False
        owner = json.loads((path / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False  # no marker (not ours, or from before markers): not ours to judge
    if not isinstance(owner, dict) or owner.get("kind") != kind or not isinstance(owner.get("pid"), int):
        return False
    started = _started(owner["pid"])
    if started is None:
        return True  # the owner is gone
    recorded = owner.get("started")
    return isinstance(recorded, float | int) and abs(started - float(recorded)) > 1.0  # pid reused
