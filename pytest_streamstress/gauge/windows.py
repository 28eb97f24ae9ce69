"""When each scenario ran inside one gauge process, and what that process tree used meanwhile.

Gauge runs a whole spec in one process, so per-scenario times and local resource use are cut from
the stream: the `## heading` lines mark where each scenario starts (`scenario_windows`), and the
--profile sampler's readings are summed over that window (`local_usage`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pytest_streamstress.profile.local import TreeSample, window_usage


def local_usage(tree: Sequence[TreeSample], window: tuple[float, float]) -> dict[str, Any]:
    """What gauge's process tree used in one scenario's window (--profile), as ScenarioOutcome fields."""
    if not tree:
        return {}
    cpu, rss = window_usage(list(tree), *window)
    return {"local_cpu_s": cpu, "local_peak_rss_b": rss}


def scenario_windows(
    marks: Sequence[tuple[float, str]], headings: Sequence[str], *, finished: float
) -> dict[str, tuple[float, float]]:
    """Each scenario's (start, end): from its first `## heading` line to the next other heading (or the end).

    Retries repeat a scenario's block right after it, so the window spans every attempt.
    """
    wanted = set(headings)
    windows: dict[str, tuple[float, float]] = {}
    current: str | None = None
    for at, heading in marks:
        if heading == current:
            continue
        if current is not None and current in windows:
            windows[current] = (windows[current][0], at)
        current = heading if heading in wanted else None
        if current is not None and current not in windows:
            windows[current] = (at, finished)
    return windows
