"""Pod log buffers: appendable text per container, read with or without follow.

Owns the buffer and the follow loop; the store keys buffers by (namespace, pod, container) and the
server streams what `follow` yields. Must not know about pods or HTTP.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

log = logging.getLogger(__name__)


class LogBuffer:
    """One container's log: appendable text, readable with follow until closed."""

    def __init__(self) -> None:
        self.chunks: list[str] = []
        self.closed = False
        self.cond = threading.Condition()

    def append(self, text: str) -> None:
        with self.cond:
            self.chunks.append(text)
            self.cond.notify_all()

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def text(self) -> str:
        with self.cond:
            return "".join(self.chunks)

    def follow(self, *, follow: bool, timeout: float, stop: threading.Event | None) -> Iterator[str]:
        """Yield the text so far; with `follow`, new text until closed, `timeout` or `stop`."""
        deadline = time.monotonic() + timeout
        sent = 0
        while True:
            with self.cond:
                while follow and sent == len(self.chunks) and not self.closed:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or (stop is not None and stop.is_set()):
                        return
                    self.cond.wait(min(remaining, 0.5))
                chunks = self.chunks[sent:]
                sent = len(self.chunks)
                closed = self.closed
            if chunks:
                yield "".join(chunks)
            if not follow or (closed and sent == len(self.chunks)):
                return
