"""Heartbeats: a long wait says on one line what it waits for, how long so far, what bounds it (issue 22).

With the operator never Ready, auto-setup used to print nothing for 600 s, a spec's gauge process
nothing for 20 minutes, and the deploy wait printed its whole state (400+ characters) only when it
changed. Every wait longer than `Pace.quiet_s` (10 s) now prints a line at least every
`Pace.every_s` (30 s, `--heartbeat`): what it waits for, the seconds so far, the bound and the
option that sets it, and the last state, cut to the terminal's width with an ellipsis.

Pure apart from `terminal_width` and the `say` callback: the caller decides when to call (a wait's
progress callback, a process wait's tick) and where the line goes (run/ lends the terminal, or the
xdist relay).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

ELLIPSIS: Final = "…"
UNKNOWN_WIDTH: Final = 200
"""Line width when no terminal tells us its own (CI logs, xdist workers without the controller's)."""
DEFAULT_EVERY_S: Final = 30.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Pace:
    """When heartbeats come and how wide they may be; run/ makes it from `--heartbeat` and the terminal."""

    every_s: float = DEFAULT_EVERY_S
    """At most this long between two lines of one wait."""
    width: int = UNKNOWN_WIDTH
    """Characters a line may take, everything the terminal shows included."""
    prefix_len: int = 0
    """Characters the writer puts before each line (`streamstress: `): counted in `width`."""

    @property
    def quiet_s(self) -> float:
        """A wait shorter than this says nothing: a third of the interval (10 s by default)."""
        return self.every_s / 3

    @property
    def poll_s(self) -> float:
        """How often a wait must look at least, so no heartbeat comes late."""
        return max(0.05, self.quiet_s)

    def fit(self, text: str) -> str:
        """One line of at most the width: newlines become spaces, a long line ends in an ellipsis."""
        flat = " ".join(text.split())
        room = max(20, self.width - self.prefix_len)
        return flat if len(flat) <= room else flat[: room - len(ELLIPSIS)].rstrip() + ELLIPSIS


def terminal_width() -> int:
    """Columns of this process's terminal, `COLUMNS` when set, else `UNKNOWN_WIDTH`."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    with contextlib.suppress(AttributeError, OSError, ValueError):  # no stdout, or not a terminal
        if sys.stdout.isatty():
            return os.get_terminal_size(sys.stdout.fileno()).columns
    return UNKNOWN_WIDTH


def seconds(value: float) -> str:
    """`42s`, `3m05s`, `1h02m`: short enough for a line that must fit a terminal."""
    whole = int(value)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


class Heartbeat:
    """The lines of one wait: call it with the seconds so far (and the last state) as often as you like.

    It speaks when the wait has lasted `quiet_s` and `every_s` have passed since its last line; with
    `on_change` also whenever the state changed (the deploy wait: each step of the roll-out shows).
    """

    def __init__(
        self,
        say: Callable[[str], object],
        *,
        what: str,
        bound: float,
        option: str,
        pace: Pace,
        on_change: bool = False,
        running: bool = False,
        lead: str = "",
    ) -> None:
        self.say = say
        self.what = what
        self.bound = bound
        self.option = option
        self.pace = pace
        self.on_change = on_change
        self.running = running
        """A process that runs (gauge), not a condition awaited: the line leads with `what` and its state."""
        self.lead = lead
        """The step the wait belongs to, said first (`auto-setup: waiting ...`)."""
        self.last_at: float | None = None
        self.last_state = ""
        self.said = 0

    def line(self, elapsed: float, state: str) -> str:
        bound = f"{seconds(self.bound)} ({self.option})" if self.option else seconds(self.bound)
        so_far = f"{seconds(elapsed)} of {bound}"
        if self.running:
            return self.pace.fit(f"{self.what}: {state + ', ' if state else ''}running {so_far}")
        text = f"{self.lead + ': ' if self.lead else ''}waiting {so_far} for {self.what}"
        return self.pace.fit(f"{text}; last: {state}" if state else text)

    def is_due(self, elapsed: float, state: str = "") -> bool:
        if self.on_change and state != self.last_state:
            return True
        if elapsed < self.pace.quiet_s:
            return False
        return self.last_at is None or elapsed - self.last_at >= self.pace.every_s

    def __call__(self, elapsed: float, state: str = "") -> None:
        if self.is_due(elapsed, state):
            self.last_at = elapsed
            self.last_state = state
            self.said += 1
            self.say(self.line(elapsed, state))


DEFAULT_PACE: Final = Pace()
