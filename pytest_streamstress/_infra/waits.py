"""Deadlines for every wait (STYLE R17, R18): one helper, a clock that tests can replace.

`wait_until` re-evaluates a probe whenever `wake` returns (a watch event arrived, or the poll
interval passed) until the probe says done or the deadline passes. On timeout it raises
`WaitTimeout` with what it waited for and the last state the probe described, so the message says
which deployment is not ready and which pod runs which image, not just "timed out".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Protocol

from pytest_streamstress.errors import WaitTimeout

DEFAULT_POLL_S: Final = 5.0
"""Safety net between watch events: a missed event costs at most this long."""


class Clock(Protocol):
    """Monotonic time and sleeping; a fake in tests makes timeouts instant (R36)."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))


SYSTEM_CLOCK: Final = SystemClock()


@dataclass(frozen=True, slots=True)
class Probe:
    """One look at the world: done or not, and a sentence describing what was seen."""

    done: bool
    state: str = ""


class Wakeup:
    """Set by watch threads when something changed; `wait_until` sleeps on it between probes."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def notify(self) -> None:
        self._event.set()

    def __call__(self, timeout: float) -> None:
        self._event.wait(timeout=max(0.0, timeout))
        self._event.clear()


def wait_until(
    probe: Callable[[], Probe],
    *,
    what: str,
    timeout: float,
    clock: Clock = SYSTEM_CLOCK,
    poll: float = DEFAULT_POLL_S,
    wake: Callable[[float], None] | None = None,
    on_progress: Callable[[float, str], None] | None = None,
) -> Probe:
    """Probe until done; `wake(seconds)` blocks until a change may have happened (default: sleep)."""
    start = clock.monotonic()
    deadline = start + timeout
    last = Probe(done=False, state="not checked yet")
    while True:
        last = probe()
        if last.done:
            return last
        now = clock.monotonic()
        if on_progress is not None:
            on_progress(now - start, last.state)
        remaining = deadline - now
        if remaining <= 0:
            raise WaitTimeout(
                f"{what} after {timeout:g}s; last state: {last.state}",
                hint="raise the timeout option if the cluster is just slow, or look at the state above",
            )
        step = min(poll, remaining)
        if wake is not None:
            wake(step)
        else:
            clock.sleep(step)
