"""What one API request looks like to the verb modules: its parsed route, the backend, the reply helpers.

Owns three small types below `server.py`, `verbs.py` and `readonly.py`: `Route` (a parsed resource
URL, built by the server), `Backend` (what the emulator object offers the request handler) and
`Exchange` (the handler as the verb modules use it). The server imports the verb modules, so the verb
modules code against these types and never import the server (STYLE R2: no import cycles). Pure
types; no HTTP, no parsing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from typing import Any, Protocol

from pytest_streamstress._infra.redact import Secret
from pytest_streamstress.testing.emulator.faults import Faults
from pytest_streamstress.testing.emulator.store import Store

log = logging.getLogger(__name__)

MetricsProvider = Callable[[], list[dict[str, Any]]]


class Backend(Protocol):
    """What the handler needs from the emulator (the `Emulator` object satisfies it)."""

    store: Store
    faults: Faults
    token: Secret
    openshift_version: str
    stopping: threading.Event
    bookmark_interval_s: float

    @property
    def metrics_provider(self) -> MetricsProvider | None: ...


@dataclass(frozen=True, slots=True)
class Route:
    """A parsed resource URL."""

    group: str
    version: str
    plural: str
    namespace: str | None = None
    name: str | None = None
    subresource: str | None = None
    legacy_watch: bool = False


class Exchange(Protocol):
    """One request as `verbs` and `readonly` see it (`server.ApiHandler` satisfies it)."""

    command: str
    headers: Message

    @property
    def backend(self) -> Backend: ...

    def _send_json(self, code: int, body: Any, headers: dict[str, str] | None = None) -> None: ...

    def _send_text(self, code: int, text: str) -> None: ...

    def _start_stream(self, content_type: str) -> None: ...

    def _chunk(self, data: bytes) -> None: ...

    def _end_stream(self) -> None: ...

    def _json_body(self, raw: bytes) -> Any: ...
