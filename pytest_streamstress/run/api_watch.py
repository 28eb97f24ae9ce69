"""Did the cluster's API answer while the scenarios ran? Asked every few seconds, off the main thread.

A cluster whose API server stops answering (a control-plane restart, a lost VPN, a dead emulator)
fails every scenario that touches it, with messages no rule can tell from an upstream bug: before,
such failures were filed by the message rules, mostly as Upstream Regressions by rule `default`, and
the run was scored. The controller asks `GET /version` every
PROBE_INTERVAL_S seconds from the start of the test loop to the final verdicts and keeps the windows
in which it got no answer; `run/verdicts.cluster_lost` re-files the failures whose scenario ran in
such a window and makes the run `incomplete`.

An outage counts only once the API has answered: a session without a usable cluster (the offline
`--skip-deploy` tests, a kubeconfig gauge does not use) has nothing to lose. Without a kubeconfig
file or a pod's account there is no watch at all.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol

from pytest_streamstress.errors import StreamstressError

if TYPE_CHECKING:
    import pytest

log = logging.getLogger(__name__)

PROBE_INTERVAL_S: Final = 5.0
"""Seconds between two questions: an outage shorter than this may pass unseen (and harm little)."""
SLACK_S: Final = 1.0
"""Gauge's times and the probe's are read from one clock, but a step's own request may precede the
line that marks it."""


class Probe(Protocol):
    def ask(self) -> None: ...
    def close(self) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Outage:
    """A time in which the API did not answer: from the last answer before to the first one after."""

    since: float
    until: float | None
    """None: it had not answered again when the scenarios ended."""
    reason: str
    """What the first unanswered question got instead (connection refused, HTTP 503...)."""

    def overlaps(self, start: float, end: float) -> bool:
        return start <= (self.until if self.until is not None else float("inf")) + SLACK_S and (
            end >= self.since - SLACK_S
        )

    def __str__(self) -> str:
        return f"the cluster's API did not answer {self.words()}: {self.reason}"

    def words(self) -> str:
        """'from 21:58:03 to 21:58:40 UTC', or '... until the scenarios ended'."""
        since = _clock(self.since)
        if self.until is None:
            return f"from {since} UTC until the scenarios ended"
        return f"from {since} to {_clock(self.until)} UTC"


class ApiWatch:
    """Asks the API in a daemon thread from `start()` to `stop()`; `stop()` returns the outages."""

    def __init__(
        self,
        make_probe: Callable[[], Probe],
        *,
        interval: float = PROBE_INTERVAL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._make_probe = make_probe
        self._interval = interval
        self._clock = clock
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._outages: list[Outage] = []
        self._open: tuple[float, str] | None = None
        self._thread: threading.Thread | None = None
        self._join_s = 0.0
        self._asked = threading.Condition(self._lock)
        self._last_asked = float("-inf")
        """When the newest finished question was asked: `lost_during` waits for one after its window."""

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="streamstress-api-watch", daemon=True)
        self._thread.start()

    def stop(self) -> tuple[Outage, ...]:
        """The outages seen; an outage still open is one `until` None. Safe to call twice."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=self._join_s + 1.0)  # a question in flight ends within its timeout
        return self.outages()

    def outages(self) -> tuple[Outage, ...]:
        """The outages so far, one still open with `until` None; the watch goes on."""
        with self._lock:
            open_now = [Outage(since=self._open[0], until=None, reason=self._open[1])] if self._open else []
            return (*self._outages, *open_now)

    def lost_during(self, start: float, end: float) -> str:
        """Empty when the API answered all through [start, end]; else that outage in words.

        Waits (at most one interval and one question's timeout) for a question asked after `end`, so
        an outage that began just before `end` is not missed for being younger than the interval."""
        with self._asked:
            self._asked.wait_for(
                lambda: self._last_asked >= end or not self._watching(),
                timeout=self._interval + self._join_s + 1.0,
            )
        outage = next((o for o in self.outages() if o.overlaps(start, end)), None)
        return str(outage) if outage else ""

    def _watching(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._stopping.is_set()

    def _run(self) -> None:
        try:
            probe = self._make_probe()
        except StreamstressError as exc:
            log.info("not watching the cluster's API: %s", exc.message)
            return
        except Exception:  # a watch must never break the run it watches
            log.warning("not watching the cluster's API", exc_info=True)
            return
        self._join_s = float(getattr(probe, "timeout", 0.0))
        answered: float | None = None
        try:
            while not self._stopping.is_set():
                asked = self._clock()
                try:
                    probe.ask()
                except StreamstressError as exc:
                    self._not_answered(answered, exc.message)
                else:
                    self._answered(asked)
                    answered = self._clock()
                with self._asked:
                    self._last_asked = asked
                    self._asked.notify_all()
                self._stopping.wait(self._interval)
        finally:
            probe.close()
            with self._asked:
                self._asked.notify_all()  # a `lost_during` waiting for a question that will not come

    def _answered(self, asked: float) -> None:
        with self._lock:
            if self._open is not None:
                self._outages.append(Outage(since=self._open[0], until=asked, reason=self._open[1]))
                log.warning("the cluster's API answers again (%s)", self._outages[-1].words())
                self._open = None

    def _not_answered(self, answered: float | None, reason: str) -> None:
        with self._lock:
            if answered is None or self._open is not None:
                return  # never answered yet (no cluster to lose), or already counting this outage
            self._open = (answered, reason)
        log.warning("the cluster's API does not answer: %s", reason)


def watch_of(config: pytest.Config) -> ApiWatch | None:
    """The controller's watch for a session that runs scenarios on a cluster here; None otherwise
    (workers, --collect-only, and launchers whose Job pods or `--clusters` members run the scenarios)."""
    from pytest_streamstress.options import is_worker, settings_of

    settings = settings_of(config)
    if is_worker(config) or config.option.collectonly or settings.in_cluster or settings.clusters:
        return None
    from pytest_streamstress.cluster.access import has_credentials
    from pytest_streamstress.run.preconditions import phases_of

    access = phases_of(config).access()
    if not has_credentials(access):
        return None  # nothing to connect with: no cluster to lose, and no Kubernetes client to load

    def probe() -> Probe:
        from pytest_streamstress.cluster.preflight import ApiProbe

        return ApiProbe(access, timeout=settings.api_timeout)

    return ApiWatch(probe)


def _clock(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%H:%M:%S")
