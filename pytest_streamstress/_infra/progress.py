"""Build and deploy progress from an xdist worker, shown live on the controller's terminal.

Under `-n`, build and deploy run inside the first worker's item setup, and xdist forwards nothing a
worker writes until its reports arrive: a 20-minute build looked like a hung session. The worker
appends each progress line to `progress.log` in the run's shared directory (`phases.shared_dir`);
the controller tails that file from a daemon thread and writes new lines through the terminal
reporter; it also drains it before each test report is printed (a worker writes its progress before
it sends the report, so the lines come before the result they led to) and when the session ends.
Lines are already redacted by the caller.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Final

import pytest

log = logging.getLogger(__name__)

PROGRESS_FILE: Final = "progress.log"
POLL_S: Final = 0.5


def append(shared: Path, text: str) -> None:
    """Worker side: one progress line (several for a multi-line text), appended whole."""
    with (shared / PROGRESS_FILE).open("a", encoding="utf-8") as out:
        out.write(text.rstrip("\n") + "\n")


def _unset(line: str) -> None:
    """Placeholder until the terminal reporter exists."""


class ProgressRelay:
    """Controller side: tail the workers' progress file onto the terminal until the session ends."""

    def __init__(
        self, shared: Path, write: Callable[[str], None] | None = None, *, poll_s: float = POLL_S
    ) -> None:
        self.path = shared / PROGRESS_FILE
        self.write: Callable[[str], None] = write or _unset
        self.poll_s = poll_s
        self._offset = 0
        self._partial = ""
        self._shown: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def drain(self) -> int:
        """Write every complete line added since the last call, once each; returns how many."""
        with self._lock:
            try:
                with self.path.open("r", encoding="utf-8", errors="replace") as source:
                    source.seek(self._offset)
                    chunk = source.read()
                    self._offset = source.tell()
            except FileNotFoundError:
                return 0
            text = self._partial + chunk
            lines = text.split("\n")
            self._partial = lines.pop()  # an unfinished last line waits for its newline
            shown = 0
            for line in lines:  # every worker that takes part in the shared builds says the same header
                if line not in self._shown:
                    self._shown.add(line)
                    self.write(line)
                    shown += 1
            return shown

    def _loop(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                self.drain()
            except OSError as exc:  # progress is a courtesy: never break the session over it
                log.debug("progress relay: %s", exc)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        if self.write is _unset:  # the terminal reporter registers after our pytest_configure ran
            reporter = session.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is None or session.config.get_verbosity() < 0:
                return
            self.write = reporter.write_line
        self._thread = threading.Thread(target=self._loop, name="streamstress-progress", daemon=True)
        self._thread.start()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self) -> None:
        """Before the terminal prints a result: what the worker said before sending it comes first."""
        if self._thread is not None:
            self.drain()

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self) -> None:
        self._stop.set()
        if self._thread is None:
            return
        self._thread.join(timeout=5)
        self.drain()
