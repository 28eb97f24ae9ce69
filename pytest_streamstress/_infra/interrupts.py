"""What a stop signal leaves behind, for the doors that must react to it (issue 19).

A stop signal (SIGINT, SIGTERM, SIGHUP) ends a session the way Ctrl-C does: Python raises
`KeyboardInterrupt` in the main thread, between any two bytecodes. Most code can be cut there; a few
steps cannot, because a cut between them leaks something that outlives the run: a process started
but not yet registered for killing, a secret directory made but not yet registered for removal.
Those steps run inside `critical()`: a stop signal that arrives there is held and raised at the end
of the block, so the step is whole or not done at all.

run/signals.py installs the handlers and asks `deliver` whether to raise now; nothing here installs
a handler or knows about pytest. The state is process-wide on purpose, like the signals themselves
(a handler has no other way to find it); `reset` clears it when a session ends.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Final


class _State:
    """Critical-section depth of the main thread and a stop signal held back by it."""

    def __init__(self) -> None:
        self.depth = 0
        self.held = ""
        """Name of a stop signal that arrived inside `critical()`; raised when the block ends."""


_STATE: Final = _State()


def _on_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def critical() -> Iterator[None]:
    """Run a block that a stop signal must not cut in two; the signal is raised after it instead.

    Only the main thread counts: Python runs signal handlers there, so other threads are never cut.
    """
    if not _on_main_thread():
        yield
        return
    _STATE.depth += 1
    try:
        yield
    finally:
        _STATE.depth -= 1
        if _STATE.depth == 0 and _STATE.held:
            name, _STATE.held = _STATE.held, ""
            raise KeyboardInterrupt(name)


def deliver(name: str) -> bool:
    """Called by a signal handler: True to raise `KeyboardInterrupt` now, False when it is held back."""
    if _STATE.depth > 0:
        _STATE.held = name
        return False
    return True


def reset() -> None:
    """Forget a held signal (a session ended; the next one starts clean)."""
    _STATE.held = ""
