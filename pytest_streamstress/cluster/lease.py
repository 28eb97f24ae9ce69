"""The serial gate across shards: a readers-writer lock held in one coordination.k8s.io Lease (issue 23).

Scenarios tagged with `streamstress_serial_tags` change cluster-wide state, so they must never run
beside any other scenario on the cluster, in any shard. Every gauge run of a shard takes the gate:
shared for ordinary scenarios, exclusive when one of them is serial. The state lives in one Lease
(`streamstress-serial` in the Job's namespace), changed only by read-modify-replace with the read's
resourceVersion, so two shards that race get a 409 and read again (R19):

- `spec.holderIdentity`: the exclusive holder (what `kubectl get lease` shows), with its expiry in
  annotation `streamstress.io/writer-expires`;
- annotation `streamstress.io/readers`: JSON `{identity: expiry}` of the shared holders;
- annotation `streamstress.io/waiting`: `identity expiry` of an exclusive taker waiting for the
  readers to leave; while it is set no new reader enters (a turnstile: a stream of ordinary
  scenarios cannot starve a serial one).

Every claim carries an expiry (`duration_s` ahead, renewed by a thread while held), so a shard
whose pod was killed blocks the others for at most `duration_s`. Expiries are wall-clock epochs:
pods on different nodes share no monotonic clock, and node clocks are NTP-synchronised to well
within the default 60 s.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from pytest_streamstress.errors import Conflict, NotFound, StreamstressError, WaitTimeout

if TYPE_CHECKING:
    from pytest_streamstress.cluster.client import Cluster

log = logging.getLogger(__name__)

LEASE_NAME: Final = "streamstress-serial"
READERS: Final = "streamstress.io/readers"
WAITING: Final = "streamstress.io/waiting"
WRITER_EXPIRES: Final = "streamstress.io/writer-expires"
SETUP_ENDED: Final = "streamstress.io/setup-ended"
"""The Job whose install scenario ended (run/shard_setup.py): the other shards of that Job wait for it."""
SETUP_STARTED: Final = "streamstress.io/setup-started"
"""`<Job> <identity>`: which shard process started that Job's install scenario (so the others can tell
when it died: its claims on this Lease lapse)."""
DEFAULT_DURATION_S: Final = 60.0
DEFAULT_POLL_S: Final = 0.5


@dataclass
class _State:
    """The Lease's claims after dropping the expired ones."""

    resource_version: str
    writer: str = ""
    writer_expires: float = 0.0
    readers: dict[str, float] = field(default_factory=dict)
    waiting: str = ""
    waiting_expires: float = 0.0
    setup_ended: str = ""
    setup_started: str = ""

    @property
    def present(self) -> frozenset[str]:
        """Who holds or waits for the gate now (expired claims dropped)."""
        return frozenset({self.writer, self.waiting, *self.readers} - {""})

    @classmethod
    def of(cls, lease: Any, now: float) -> _State:
        notes = lease.metadata.annotations or {}
        try:
            readers = {str(k): float(v) for k, v in json.loads(notes.get(READERS) or "{}").items()}
        except (ValueError, AttributeError):
            readers = {}  # a hand-edited annotation: start over rather than block forever
        writer = (lease.spec.holder_identity if lease.spec else None) or ""
        writer_expires = _float(notes.get(WRITER_EXPIRES))
        waiting, _, waiting_at = str(notes.get(WAITING) or "").partition(" ")
        state = cls(
            resource_version=lease.metadata.resource_version,
            readers=readers,
            setup_ended=str(notes.get(SETUP_ENDED) or ""),
            setup_started=str(notes.get(SETUP_STARTED) or ""),
        )
        if writer and writer_expires > now:
            state.writer, state.writer_expires = writer, writer_expires
        if waiting and _float(waiting_at) > now:
            state.waiting, state.waiting_expires = waiting, _float(waiting_at)
        state.readers = {who: until for who, until in readers.items() if until > now}
        return state

    def body(self, name: str, namespace: str, duration_s: float) -> dict[str, Any]:
        return {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "resourceVersion": self.resource_version,
                "labels": {"app": "streamstress"},
                "annotations": {
                    READERS: json.dumps(self.readers, sort_keys=True),
                    WAITING: f"{self.waiting} {self.waiting_expires}" if self.waiting else "",
                    WRITER_EXPIRES: str(self.writer_expires) if self.writer else "",
                    SETUP_ENDED: self.setup_ended,
                    SETUP_STARTED: self.setup_started,
                },
            },
            "spec": {"holderIdentity": self.writer or None, "leaseDurationSeconds": int(duration_s)},
        }


@dataclass(frozen=True, slots=True)
class SetupMarks:
    """What the Lease says of the install scenario across shards (run/shard_setup.py)."""

    ended: str
    """The run whose install scenario ended last."""
    started: str
    """The run whose install scenario started last, and the shard process (`starter`) that runs it."""
    starter: str
    present: frozenset[str]
    """Who holds or waits for the gate now: a live starter is among them while it runs."""


def _float(text: object) -> float:
    try:
        return float(str(text))
    except ValueError:
        return 0.0


class LeaseGate:
    """`with gate.hold(exclusive=...)`: the cluster-wide serial gate of one shard process.

    `name`, `purpose` and `hint` make it another Lease for another use: run/claim.py holds
    `streamstress-run` exclusively for a whole session (one regression run per cluster).
    """

    def __init__(
        self,
        cluster: Cluster,
        namespace: str,
        identity: str,
        *,
        duration_s: float = DEFAULT_DURATION_S,
        poll_s: float = DEFAULT_POLL_S,
        timeout_s: float = 10800.0,
        now: Callable[[], float] = time.time,
        name: str = LEASE_NAME,
        purpose: str = "serial gate",
        hint: str = "a shard holds it far longer than a gauge run should",
    ) -> None:
        self.cluster, self.namespace, self.identity = cluster, namespace, identity
        self.duration_s, self.poll_s, self.timeout_s, self.now = duration_s, poll_s, timeout_s, now
        self.name, self.purpose, self.hint = name, purpose, hint

    @contextlib.contextmanager
    def hold(
        self,
        *,
        exclusive: bool,
        progress: Callable[[float, str], object] | None = None,
        linger_s: float | None = None,
    ) -> Iterator[None]:
        """`linger_s` None: let go at the end. A number: an exclusive claim stays held at least that much
        longer and then lapses, for processes that carry it on under the same identity (the shard pods
        of a launcher's Job, run/claim.py); 0 keeps the expiry the last renewal set, so one pod's end
        never frees a claim the others still renew."""
        self._acquire(exclusive, progress)
        stop = threading.Event()
        renewer = threading.Thread(
            target=self._renew, args=(exclusive, stop), name=f"lease-renew-{self.identity}", daemon=True
        )
        renewer.start()
        try:
            yield
        finally:
            stop.set()
            renewer.join(timeout=self.cluster.request_timeout * 2)
            if linger_s is None or not exclusive:
                self._change(lambda state: self._leave(state, exclusive))
            else:
                self._change(lambda state: self._linger(state, linger_s))

    def writer(self) -> str:
        """Who holds it exclusively now ("" when nobody does, or the claim lapsed)."""
        return self._read().writer

    def mark_setup(self, run: str, *, ended: bool) -> None:
        """Say that run `run`'s install scenario started here, or ended (run/shard_setup.py); the newest
        run's word wins."""

        def mark(state: _State) -> None:
            if ended:
                state.setup_ended = run
            else:
                state.setup_started = f"{run} {self.identity}"

        self._change(mark)

    def setup_marks(self) -> SetupMarks:
        state = self._read()
        run, _, starter = state.setup_started.partition(" ")
        return SetupMarks(ended=state.setup_ended, started=run, starter=starter, present=state.present)

    # -- the protocol -----------------------------------------------------------------------------
    def _acquire(self, exclusive: bool, progress: Callable[[float, str], object] | None = None) -> None:
        started = time.monotonic()
        deadline = started + self.timeout_s
        kind = "exclusive" if exclusive else "shared"
        last = ""
        while True:
            state = self._read()
            entered = self._enter(state, exclusive)
            if entered is not None:
                try:
                    self._replace(state)
                except Conflict:
                    continue  # another shard changed it first: read again
                if entered:
                    log.info("%s: %s holds it %s", self.purpose, self.identity, kind)
                    return
            last = f"writer {state.writer or 'none'}, waiting {state.waiting or 'none'}"
            last += f", readers {sorted(state.readers)}"
            if time.monotonic() > deadline:
                raise WaitTimeout(
                    f"{self.purpose} Lease {self.namespace}/{self.name}: {self.identity} did not get it"
                    f" {kind} within {self.timeout_s:g}s; last state: {last}",
                    hint=f"{self.hint}; `kubectl get lease -n {self.namespace} {self.name} -o yaml`"
                    " shows who",
                )
            if progress is not None:
                progress(time.monotonic() - started, f"Lease {self.namespace}/{self.name}: {last}")
            self.cluster.clock.sleep(self.poll_s)

    def _enter(self, state: _State, exclusive: bool) -> bool | None:
        """Change `state` to take the gate: True (taken), False (queued, write it), None (wait as is)."""
        me, until = self.identity, self.now() + self.duration_s
        if state.writer and state.writer != me:
            return None
        if not exclusive:
            if state.waiting and state.waiting != me:
                return None
            state.readers[me] = until
            return True
        if state.waiting and state.waiting != me:
            return None
        others = {who for who in state.readers if who != me}
        if others:
            if state.waiting == me and state.waiting_expires - self.now() > self.duration_s / 2:
                return None  # already queued and fresh: nothing to write
            state.waiting, state.waiting_expires = me, until
            return False
        state.writer, state.writer_expires = me, until
        state.waiting, state.waiting_expires = "", 0.0
        state.readers.pop(me, None)
        return True

    def _leave(self, state: _State, exclusive: bool) -> None:
        if exclusive and state.writer == self.identity:
            state.writer, state.writer_expires = "", 0.0
        state.readers.pop(self.identity, None)
        if state.waiting == self.identity:
            state.waiting, state.waiting_expires = "", 0.0

    def _linger(self, state: _State, seconds: float) -> None:
        if state.writer == self.identity:
            state.writer_expires = max(state.writer_expires, self.now() + seconds)

    def _renew(self, exclusive: bool, stop: threading.Event) -> None:
        while not stop.wait(self.duration_s / 3):

            def extend(state: _State) -> None:
                until = self.now() + self.duration_s
                if exclusive and state.writer in ("", self.identity):
                    state.writer, state.writer_expires = self.identity, until
                elif not exclusive:
                    state.readers[self.identity] = until

            try:
                self._change(extend)
            except StreamstressError as exc:  # a failed renewal must not kill the run; the claim expires
                log.warning("%s: renewing %s failed: %s", self.purpose, self.identity, exc)

    # -- the API ----------------------------------------------------------------------------------
    def _change(self, change: Callable[[_State], None]) -> None:
        for _ in range(20):
            state = self._read()
            change(state)
            try:
                self._replace(state)
            except Conflict:
                continue
            return
        log.warning("%s: %s could not update the Lease after 20 conflicts", self.purpose, self.identity)

    def _read(self) -> _State:
        coordination = self.cluster.coordination
        try:
            lease = self.cluster.call(
                f"get lease {self.namespace}/{self.name}",
                coordination.read_namespaced_lease,
                self.name,
                self.namespace,
            )
        except NotFound:
            body = {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {
                    "name": self.name,
                    "namespace": self.namespace,
                    "labels": {"app": "streamstress"},
                },
                "spec": {"leaseDurationSeconds": int(self.duration_s)},
            }
            with contextlib.suppress(Conflict):  # another shard created it first
                self.cluster.call(
                    f"create lease {self.namespace}/{self.name}",
                    coordination.create_namespaced_lease,
                    self.namespace,
                    body,
                )
            lease = self.cluster.call(
                f"get lease {self.namespace}/{self.name}",
                coordination.read_namespaced_lease,
                self.name,
                self.namespace,
            )
        return _State.of(lease, self.now())

    def _replace(self, state: _State) -> None:
        self.cluster.call(
            f"replace lease {self.namespace}/{self.name}",
            self.cluster.coordination.replace_namespaced_lease,
            self.name,
            self.namespace,
            state.body(self.name, self.namespace, self.duration_s),
        )
