"""The session's heartbeat pace: `--heartbeat` and the width of the terminal the lines go to (issue 22).

The width is the controller's: its terminal (or `COLUMNS`), else 200 when the output is no terminal
(a CI log). xdist workers write through the controller (the progress relay), so the controller
leaves its width in the run's shared directory and the workers read it there.
"""

from __future__ import annotations

import contextlib
from typing import Final

import pytest

from pytest_streamstress._infra.heartbeat import UNKNOWN_WIDTH, Pace, terminal_width
from pytest_streamstress.options import is_worker, settings_of
from pytest_streamstress.run.shared import shared_dir

PREFIX: Final = "streamstress: "
"""What `Phases.say` puts before every line: part of the width."""
WIDTH_FILE: Final = "terminal-width"
pace_key: Final = pytest.StashKey[Pace]()


def fix_pace(config: pytest.Config) -> Pace:
    """At pytest_configure (capture is off, the workers not started): the pace, and the controller's
    width left for its workers."""
    pace = Pace(every_s=settings_of(config).heartbeat, width=_width(config), prefix_len=len(PREFIX))
    config.stash[pace_key] = pace
    if not is_worker(config):
        (shared_dir(config) / WIDTH_FILE).write_text(str(pace.width), encoding="utf-8")
    return pace


def _width(config: pytest.Config) -> int:
    if is_worker(config):
        with contextlib.suppress(OSError, ValueError):
            return int((shared_dir(config) / WIDTH_FILE).read_text(encoding="utf-8"))
        return UNKNOWN_WIDTH
    return terminal_width()


def pace_of(config: pytest.Config) -> Pace:
    """The session's pace (`fix_pace` made it at configure time)."""
    pace = config.stash.get(pace_key, None)
    return pace if pace is not None else fix_pace(config)
