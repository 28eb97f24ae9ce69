"""The local side of profiling: CPU and peak RSS of the gauge process tree, per scenario window.

A daemon thread reads the gauge process and its children through psutil every `interval` seconds
while gauge runs (only with `--profile`); per scenario, CPU is the growth of the tree's CPU time
inside its window and memory the highest tree RSS seen in it.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import psutil

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TreeSample:
    at: float
    cpu_s: float
    rss_b: int


class ProcessTreeSampler:
    def __init__(self, pid: int, *, interval: float) -> None:
        self.pid = pid
        self.interval = interval
        self.samples: list[TreeSample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name=f"streamstress-psutil-{pid}")
        self._dead: dict[int, float] = {}
        """CPU seconds of children that already exited, so the tree's CPU time never goes back."""

    def start(self) -> ProcessTreeSampler:
        self._thread.start()
        return self

    def stop(self) -> list[TreeSample]:
        self._stop.set()
        self._thread.join(timeout=self.interval + 2)
        return self.samples

    def _loop(self) -> None:
        seen: dict[int, float] = {}
        while True:
            try:
                root = psutil.Process(self.pid)
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                return
            rss = 0
            alive: dict[int, float] = {}
            for proc in procs:
                try:
                    times = proc.cpu_times()
                    alive[proc.pid] = times.user + times.system
                    rss += proc.memory_info().rss
                except psutil.Error:
                    continue  # exited between listing and reading: its CPU is kept below
            for pid, used in seen.items():
                if pid not in alive:
                    self._dead[pid] = used
            seen = alive
            cpu = sum(alive.values()) + sum(self._dead.values())
            self.samples.append(TreeSample(at=time.time(), cpu_s=cpu, rss_b=rss))
            if self._stop.wait(self.interval):
                return


def window_usage(samples: list[TreeSample], start: float, end: float) -> tuple[float, int]:
    """(CPU seconds, peak RSS bytes) of the tree inside [start, end]."""
    inside = [s for s in samples if start <= s.at <= end]
    if not inside:
        return 0.0, 0
    before = [s for s in samples if s.at < start]
    base = before[-1].cpu_s if before else inside[0].cpu_s
    return max(0.0, inside[-1].cpu_s - base), max(s.rss_b for s in inside)
