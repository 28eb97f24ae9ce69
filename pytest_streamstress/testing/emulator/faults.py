"""Injected faults, one mutable `Faults` object per emulator, switched per test.

Owns the fault switches and the decision "does this request fail, and how". API-level faults are
applied by the HTTP server (`decide`, `take_conflict`); controller-level switches are plain
attributes that the controllers read. It must not know about HTTP handlers or the store.
Thread-safe: the decision methods take a lock; simple attribute assignment from a test is atomic.
Error sampling uses a seeded RNG so a test that sets `error_rate=0.5` sees the same sequence on
every run.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
from dataclasses import dataclass

from pytest_streamstress.errors import ConfigError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class InjectedError:
    """What the server answers instead of serving the request."""

    status: int
    reason: str
    message: str
    retry_after_s: int | None = None


_REASONS = {500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout", 502: "InternalError"}


class Faults:
    """Every fault switch of one emulator; all off by default."""

    def __init__(self, *, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        # API level (the HTTP server applies these)
        self.latency_s: float = 0.0
        """Added before every API request is served."""
        self.error_rate: float = 0.0
        """Share of (matching) requests answered with `error_status`, sampled from the seeded RNG."""
        self.error_status: int = 500
        self.throttle_next: int = 0
        """The next N (matching) requests answer 429 with `Retry-After: retry_after_s`."""
        self.retry_after_s: int = 1
        self.drop_watch_after_events: int | None = None
        """Watch connections are closed (without a final bookmark) after this many events."""
        self.conflict_storm: dict[str, int] = {}
        """kind -> the next N writes (PUT/PATCH/POST/DELETE) of that kind answer 409 Conflict."""
        self.only_paths: str = ""
        """Regex (re.search on the URL path) limiting error_rate/throttle_next to matching requests."""
        self.only_methods: frozenset[str] = frozenset()
        """HTTP methods limiting error_rate/throttle_next; empty means every method."""
        self.metrics_unavailable: bool = False
        """The whole metrics.k8s.io group answers 404, as when metrics-server is absent."""
        # Controller level (E2's controllers read these)
        self.operator_never_ready: bool = False
        self.olm_ignores_csv_env: bool = False
        self.crashloop_images: set[str] = set()
        self.unpullable_images: set[str] = set()
        self.pod_ready_delay_s: float = 0.0
        """Seconds a pod stays Pending before it runs (kubelet pods and Job pods alike)."""
        self.slow_operator_s: float = 0.0

    def reseed(self, seed: int) -> None:
        with self._lock:
            self._random = random.Random(seed)

    def _matches(self, method: str, path: str) -> bool:
        if self.only_methods and method.upper() not in {m.upper() for m in self.only_methods}:
            return False
        return not self.only_paths or re.search(self.only_paths, path) is not None

    def decide(self, method: str, path: str) -> InjectedError | None:
        """The injected answer for this request, or None to serve it normally."""
        with self._lock:
            if not (self.throttle_next > 0 or self.error_rate > 0) or not self._matches(method, path):
                return None
            if self.throttle_next > 0:
                self.throttle_next -= 1
                return InjectedError(
                    429,
                    "TooManyRequests",
                    "the server has received too many requests and has asked us to try again later",
                    retry_after_s=self.retry_after_s,
                )
            if self.error_rate > 0 and self._random.random() < self.error_rate:
                status = self.error_status
                reason = _REASONS.get(status, "InternalError")
                return InjectedError(status, reason, f"injected fault: {reason} ({status})")
        return None

    def take_conflict(self, kind: str) -> bool:
        """True if a conflict storm on `kind` claims this write (and counts it down)."""
        with self._lock:
            left = self.conflict_storm.get(kind, 0)
            if left <= 0:
                return False
            self.conflict_storm[kind] = left - 1
            return True

    def apply_json(self, text: str, *, source: str) -> None:
        """Set switches from a JSON object of field names and values (`{"slow_operator_s": 3}`).

        The one reader of `STREAMSTRESS_EMULATOR_FAULTS` and `streamstress emulator --faults`, so
        a fault a test sets can be reproduced by hand with kubectl. `source` names it in errors.
        """
        if not text:
            return
        try:
            wanted = json.loads(text)
        except ValueError as exc:
            raise ConfigError(f"{source}: not JSON ({exc})", hint='e.g. {"slow_operator_s": 3}') from None
        if not isinstance(wanted, dict):
            raise ConfigError(f"{source}: expected a JSON object of fault names and values")
        known = sorted(name for name in vars(self) if not name.startswith("_"))
        for name, value in wanted.items():
            if name not in known:
                raise ConfigError(
                    f"{source}: unknown fault {name!r}", hint=f"known faults: {', '.join(known)}"
                )
            current = getattr(self, name)
            setattr(self, name, type(current)(value) if isinstance(current, set | frozenset) else value)
