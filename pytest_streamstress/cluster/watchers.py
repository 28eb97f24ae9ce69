"""Background watches that wake a wait when something changed (STYLE R18: prefer watches to polling).

A `WatchSet` runs one thread per watched list, each looping short server-side watches until stopped
and calling `Wakeup.notify()` on every event; a dropped watch or a 410 only costs a reconnect. The
wait itself re-reads the objects it needs (the probe), so a missed event costs at most one poll
interval, never correctness.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final

from pytest_streamstress._infra.waits import Wakeup
from pytest_streamstress.errors import StreamstressError

if TYPE_CHECKING:
    from pytest_streamstress.cluster.client import Cluster

log = logging.getLogger(__name__)

WATCH_CHUNK_S: Final = 10.0
"""Server-side timeout of each watch call: also bounds how long stopping a WatchSet takes."""


class WatchSet:
    """Watches several lists at once and wakes one `Wakeup` on any event."""

    def __init__(self, cluster: Cluster, wakeup: Wakeup) -> None:
        self.cluster = cluster
        self.wakeup = wakeup
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def add(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        thread = threading.Thread(
            target=self._loop, args=(what, fn, args, kwargs), daemon=True, name=f"streamstress-watch-{what}"
        )
        self._threads.append(thread)
        thread.start()

    def _loop(self, what: str, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        while not self._stop.is_set():
            try:
                for _event in self.cluster.watch(what, fn, *args, timeout_s=WATCH_CHUNK_S, **kwargs):
                    self.wakeup.notify()
                    if self._stop.is_set():
                        return
            except StreamstressError as exc:
                # The wait's own probe reports the state; a failing watch only degrades to polling.
                log.info("watch %s failed (%s); the wait falls back to polling", what, exc)
                self._stop.wait(WATCH_CHUNK_S)
            self.wakeup.notify()

    def __enter__(self) -> WatchSet:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
