"""Reading a Job pod's log, and following it across dropped connections without repeating a byte.

`LogFollower` resumes by byte count (its docstring says why not `sinceTime`); `pod_log_opener` is
the seam that opens the log from its first byte, so tests can cut the connection (R34).
"""

from __future__ import annotations

import codecs
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

import urllib3

from pytest_streamstress.cluster.job.manifest import CONTAINER
from pytest_streamstress.errors import ClusterError

if TYPE_CHECKING:
    from pytest_streamstress.cluster.client import Cluster

log = logging.getLogger(__name__)

LOG_READ_TIMEOUT_S: Final = 300.0
"""A followed log with no output for this long is re-opened (a silent connection may be dead)."""
MAX_RECONNECTS: Final = 50
"""Consecutive re-opens of a followed log that bring nothing new before `logs -f` gives up."""
RECONNECT_PAUSE_S: Final = 0.5


LogOpener = Callable[[], Iterable[bytes]]
"""Opens the pod's log from its first byte; a seam so tests can cut the connection (R34)."""


def pod_log_opener(
    cluster: Cluster,
    namespace: str,
    pod: str,
    *,
    follow: bool = True,
    read_timeout: float = LOG_READ_TIMEOUT_S,
) -> LogOpener:
    def open_log() -> Iterator[bytes]:
        response = cluster.call(
            f"read log of pod {namespace}/{pod}",
            cluster.core.read_namespaced_pod_log,
            pod,
            namespace,
            container=CONTAINER,
            follow=follow,
            _preload_content=False,
            _request_timeout=(cluster.request_timeout, read_timeout),
        )
        try:
            yield from response.stream(64 * 1024, decode_content=True)
        finally:
            response.release_conn()

    return open_log


@dataclass
class LogFollower:
    """Follows one pod's log across dropped connections without repeating a byte.

    Resume is by byte count: after a drop the log is opened again from the start and the bytes
    already written are skipped. That is exact as long as the kubelet did not rotate the file
    meanwhile (docs/in-cluster.md); `sinceTime` would need timestamps on every line and is exact
    only to the second, so equal-second lines could repeat or vanish.
    """

    opener: LogOpener
    write: Callable[[str], object]
    is_finished: Callable[[], bool]
    max_reconnects: int = MAX_RECONNECTS
    pause: Callable[[float], None] = time.sleep
    """Waits between a clean end of the stream and re-opening it while the pod still runs."""
    offset: int = 0
    reconnects: int = 0
    _decoder: codecs.IncrementalDecoder = field(
        default_factory=lambda: codecs.getincrementaldecoder("utf-8")(errors="replace")
    )

    def run(self) -> int:
        """Stream until the container ended and its log is drained; returns the bytes written."""
        idle = 0
        while True:
            before = self.offset
            dropped = self._pass()
            if self.offset > before:
                idle = 0
            else:
                idle += 1
            if not dropped and self.is_finished():
                break
            if idle > self.max_reconnects:
                raise ClusterError(
                    f"the log stream keeps ending without new output ({idle} re-opens)",
                    hint="check the API server and the pod; `streamstress status` shows it",
                )
            self.reconnects += 1
            if not dropped:
                self.pause(RECONNECT_PAUSE_S)  # the server ended the stream but the container still runs
            log.info(
                "log stream ended at byte %d (%s); re-opening",
                self.offset,
                "dropped" if dropped else "pod busy",
            )
        tail = self._decoder.decode(b"", final=True)
        if tail:
            self.write(tail)
        return self.offset

    def _pass(self) -> bool:
        """One connection; True when it broke (rather than ended)."""
        seen = 0
        try:
            for chunk in self.opener():
                start = seen
                seen += len(chunk)
                if seen <= self.offset:
                    continue
                fresh = chunk[max(0, self.offset - start) :]
                self.offset += len(fresh)
                text = self._decoder.decode(fresh)
                if text:
                    self.write(text)
        except (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError) as exc:
            log.info("log stream dropped after %d bytes: %s", seen, type(exc).__name__)
            return True
        if seen < self.offset:
            log.warning(
                "the log is shorter than what was already shown (%d < %d bytes): rotated by the kubelet?",
                seen,
                self.offset,
            )
        return False


def read_log(cluster: Cluster, namespace: str, pod: str) -> str:
    """The whole current log of a pod (one request, no follow), as text."""
    data = b"".join(pod_log_opener(cluster, namespace, pod, follow=False)())
    return data.decode("utf-8", errors="replace")
