"""Delivery of store events to in-process subscribers (the controllers), in commit order.

The store enqueues each event while it holds its lock, so the queue is in commit order, and calls
`deliver()` after releasing the lock. One thread delivers at a time: a writer that finds another
thread delivering leaves its events to that thread. So callbacks never run under the store lock,
an event caused inside a callback is delivered after that callback returns, and a callback may run
on another thread than the write that caused it. Must not know about objects or HTTP.
"""

from __future__ import annotations

import collections
import itertools
import logging
import threading
from collections.abc import Callable

from pytest_streamstress.testing.emulator.apitypes import Event

log = logging.getLogger(__name__)


class Fanout:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[int, Callable[[Event], None]] = {}
        self._ids = itertools.count()
        self._pending: collections.deque[Event] = collections.deque()
        self._delivering = False

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        with self._lock:
            key = next(self._ids)
            self._subscribers[key] = callback

        def unsubscribe() -> None:
            with self._lock:
                self._subscribers.pop(key, None)

        return unsubscribe

    def enqueue(self, event: Event) -> None:
        with self._lock:
            if self._subscribers:
                self._pending.append(event)

    def deliver(self) -> None:
        with self._lock:
            if self._delivering:
                return
            self._delivering = True
        try:
            while True:
                with self._lock:
                    if not self._pending:
                        self._delivering = False
                        return
                    event = self._pending.popleft()
                    callbacks = [*self._subscribers.values()]
                for callback in callbacks:
                    try:
                        callback(event)
                    except Exception:  # a broken controller must not break the API write path
                        log.exception("store subscriber failed on %s %s", event.type, event.rtype.kind)
        except BaseException:
            with self._lock:
                self._delivering = False
            raise
