"""The controller skeleton every emulated controller shares: a keyed work queue and one worker thread.

Owns the mechanics only: store events are mapped to reconcile keys by the controller's `keys_for`
(cheap, runs on the store's delivery thread), keys are de-duplicated in a queue that also holds
delayed re-queues (timers without busy-waiting: the worker sleeps on a condition until the earliest
due time or a new key), and one worker thread per controller calls `reconcile(key)` serially, which
keeps every controller deterministic. `stop()` ends the thread through the queue's stop flag.
Must not: contain behaviour of any particular controller, or hold the store lock (it never does:
store calls copy).
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

from pytest_streamstress.testing.emulator.store import ApiError, Event, Store

if TYPE_CHECKING:
    from pytest_streamstress.testing.emulator.faults import Faults

log = logging.getLogger(__name__)

ERROR_BACKOFF_S: Final = 0.2
"""Re-queue delay after a reconcile raised: short, so a transient race heals fast in tests."""
STOP_JOIN_S: Final = 5.0


class Registry(Protocol):
    """The part of the emulated registry the controllers and the seed ask: is this reference pullable,
    what does its image's config say, and which CA signed its certificate (the ingress CA the seed
    publishes)?"""

    ca_pem: bytes

    def has_image(self, ref: str) -> bool: ...

    def image_config(self, ref: str) -> dict[str, Any] | None: ...


class Host(Protocol):
    """What controllers need from the emulator (E1's `Emulator` satisfies it)."""

    store: Store
    faults: Faults
    registry: Registry
    registry_host: str
    workdir: Path
    kubeconfig: Path
    openshift_version: str
    metrics_provider: Callable[[], list[dict[str, Any]]] | None


class WorkQueue:
    """De-duplicated keys with optional delays; `get` blocks until a key is due or `stop` was called."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Hashable]] = []
        self._due: dict[Hashable, float] = {}
        self._seq = 0
        self._stopped = False

    def add(self, key: Hashable, delay: float = 0.0) -> None:
        due = time.monotonic() + max(delay, 0.0)
        with self._cond:
            if self._stopped:
                return
            current = self._due.get(key)
            if current is not None and current <= due:
                return  # already queued at least as early
            self._due[key] = due
            self._seq += 1
            heapq.heappush(self._heap, (due, self._seq, key))
            self._cond.notify()

    def get(self) -> Hashable | None:
        """The next due key (removed from the queue), or None once stopped."""
        with self._cond:
            while not self._stopped:
                while self._heap and self._due.get(self._heap[0][2]) != self._heap[0][0]:
                    heapq.heappop(self._heap)  # superseded by an earlier add of the same key
                if self._heap:
                    due, _seq, key = self._heap[0]
                    wait = due - time.monotonic()
                    if wait <= 0:
                        heapq.heappop(self._heap)
                        del self._due[key]
                        return key
                    self._cond.wait(wait)
                else:
                    self._cond.wait()
            return None

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()


class Controller:
    """Base class: subclasses set `name` and implement `keys_for`, `initial_keys` and `reconcile`."""

    name = "controller"

    def __init__(self, host: Host) -> None:
        self.host = host
        self.store = host.store
        self.faults = host.faults
        self.queue = WorkQueue()
        self._thread: threading.Thread | None = None
        self._unsubscribe: Any = None
        self._stop = threading.Event()

    # -- to implement ------------------------------------------------------------------------------
    def keys_for(self, event: Event) -> Iterable[Hashable]:
        """Reconcile keys an event affects; runs on the store's delivery thread, so keep it cheap."""
        return ()

    def initial_keys(self) -> Iterable[Hashable]:
        return ()

    def reconcile(self, key: Hashable) -> float | None:
        """Bring `key` toward its desired state; return a delay to run again, or None."""
        return None

    def enqueue_delay(self, key: Hashable) -> float:
        """Delay applied to event-triggered keys (the operator's `slow_operator_s`)."""
        return 0.0

    # -- mechanics ---------------------------------------------------------------------------------
    def _on_event(self, event: Event) -> None:
        for key in self.keys_for(event):
            self.queue.add(key, self.enqueue_delay(key))

    def start(self) -> None:
        self._unsubscribe = self.store.subscribe(self._on_event)
        for key in self.initial_keys():
            self.queue.add(key)
        self._thread = threading.Thread(target=self._run, name=f"emulator-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._unsubscribe is not None:
            self._unsubscribe()
        self.queue.stop()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(STOP_JOIN_S)
        self.on_stop()

    def on_stop(self) -> None:
        """Release what the controller holds (processes, timers); called once after the loop ended."""

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def _run(self) -> None:
        while True:
            key = self.queue.get()
            if key is None:
                return
            try:
                again = self.reconcile(key)
            except ApiError as exc:
                # A race with another writer (409, an object deleted meanwhile): the next pass sees
                # the new state. Reconcilers read with `get_or_none`, so a 404 here is a real race.
                log.debug("%s: %s on %r, retrying", self.name, exc.message, key)
                self.queue.add(key, ERROR_BACKOFF_S)
                continue
            except Exception:
                log.exception("%s: reconcile of %r failed; retrying in %ss", self.name, key, ERROR_BACKOFF_S)
                self.queue.add(key, ERROR_BACKOFF_S)
                continue
            if again is not None:
                self.queue.add(key, again)
