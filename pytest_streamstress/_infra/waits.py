"""Deadlines for every wait (STYLE R17, R18): one helper, a clock that tests can replace.

`wait_until` re-evaluates a probe whenever `wake` returns (a watch event arrived, or the poll
interval passed) until the probe says done or the deadline passes. On timeout it raises
`WaitTimeout` with what it waited for and the last state the probe described, so the message says
which deployment is not ready and which pod runs which image, not just "timed out".

A `Cutoff` is a second, later-armed deadline: a stop signal arms it (run/signals.py), and every wait
that was handed it ends within that bound even if its own timeout is far away (issue 19).
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


class Cutoff:
    """A deadline armed from outside while waits run: "stop waiting `bound` seconds after `reason`"."""

    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        self.clock = clock
        self.reason = ""
        self.bound = 0.0
        self._deadline: float | None = None

    def arm(self, bound: float, *, reason: str) -> None:
        """Start the bound now; a second call keeps the first deadline (the first signal counts)."""
        if self._deadline is None:
            self.bound = bound
            self.reason = reason
            self._deadline = self.clock.monotonic() + bound

    @property
    def armed(self) -> bool:
        return self._deadline is not None

    def remaining(self) -> float | None:
        """Seconds left, or None while not armed."""
        if self._deadline is None:
            return None
        return max(0.0, self._deadline - self.clock.monotonic())


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
    hint: str = "raise the timeout option if the cluster is just slow, or look at the state above",
    cutoff: Cutoff | None = None,
) -> Probe:
    """Probe until done; `wake(seconds)` blocks until a change may have happened (default: sleep).

    The `WaitTimeout` carries `hint` (name the option that sets `timeout`); an armed `cutoff` ends
    the wait at its own deadline with a message naming the signal that armed it.
    """
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
            raise WaitTimeout(f"{what} after {timeout:g}s; last state: {last.state}", hint=hint)
        left = cutoff.remaining() if cutoff is not None else None
        if cutoff is not None and left is not None:
            if left <= 0:
                raise WaitTimeout(
                    f"{what}: stopped {cutoff.bound:g}s after {cutoff.reason}; last state: {last.state}",
                    hint="the run was stopped on purpose; finish the step by hand",
                )
            remaining = min(remaining, left)
        step = min(poll, remaining)
        if wake is not None:
            wake(step)
        else:
            clock.sleep(step)
