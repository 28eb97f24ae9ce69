"""Watch streams: which events a watch request sees, and the loop that sends them.

Owns the watch semantics of the real API server: start from `resourceVersion` (absent or "0":
synthetic ADDED events for the current objects, then live), filter by namespace and label/field
selectors (an object that starts or stops matching becomes ADDED or DELETED for this watcher),
`BOOKMARK` events when `allowWatchBookmarks=true` (every `bookmark_interval_s` and before a
`timeoutSeconds` close), an ERROR event carrying a 410 Status when the version is too old, and the
`drop_watch_after_events` fault. It writes through a callback and must not know about sockets.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from pytest_streamstress.testing.emulator import selectors
from pytest_streamstress.testing.emulator.faults import Faults
from pytest_streamstress.testing.emulator.store import ApiError, Event, Obj, ResourceType, Store

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S: Final = 1800.0
"""The real server picks 30-60 minutes when the client gives no timeoutSeconds."""

Send = Callable[[Obj], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchRequest:
    rtype: ResourceType
    namespace: str | None
    resource_version: str
    label_selector: str = ""
    field_selector: str = ""
    timeout_s: float = DEFAULT_TIMEOUT_S
    bookmarks: bool = False


@dataclass(frozen=True, slots=True)
class _Filter:
    namespace: str | None
    by_label: selectors.Predicate
    by_field: selectors.Predicate

    def __call__(self, obj: Obj) -> bool:
        if self.namespace and obj.get("metadata", {}).get("namespace") != self.namespace:
            return False
        return self.by_label(obj) and self.by_field(obj)


def visible_type(event: Event, matches: Callable[[Obj], bool]) -> str | None:
    """The event type this watcher sees, or None when the change is invisible to it."""
    now = matches(event.obj)
    if event.type != "MODIFIED" or event.old is None:
        return event.type if now else None
    before = matches(event.old)
    if now and before:
        return "MODIFIED"
    if now:
        return "ADDED"
    return "DELETED" if before else None


def serve_watch(
    request: WatchRequest,
    *,
    store: Store,
    faults: Faults,
    send: Send,
    stop: threading.Event,
    render: Callable[[Obj], Obj] = lambda obj: obj,
    bookmark_interval_s: float = 1.0,
) -> int:
    """Stream events to `send` until timeout, stop, disconnect (OSError) or a fault; returns events sent."""
    rtype = request.rtype
    try:
        matches = _Filter(
            request.namespace,
            selectors.parse_label_selector(request.label_selector),
            selectors.parse_field_selector(request.field_selector, kind=rtype.kind),
        )
    except selectors.SelectorError as exc:
        raise ApiError.bad_request(str(exc)) from None
    deadline = time.monotonic() + request.timeout_s
    limit = faults.drop_watch_after_events
    sent = 0

    def emit(kind: str, obj: Obj) -> bool:
        nonlocal sent
        send({"type": kind, "object": render(obj)})
        sent += 1
        return limit is not None and sent >= limit

    if request.resource_version in ("", "0"):
        items, last = store.list(rtype, request.namespace)
        for obj in items:
            if matches(obj) and emit("ADDED", obj):
                return sent
    else:
        try:
            last = int(request.resource_version)
        except ValueError:
            raise ApiError.bad_request(f"invalid resourceVersion {request.resource_version!r}") from None
    next_bookmark = time.monotonic() + bookmark_interval_s
    while not stop.is_set():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        wait = min(remaining, max(0.0, next_bookmark - time.monotonic())) if request.bookmarks else remaining
        try:
            events, seen = store.wait_events(last, rtype, timeout=min(wait, 5.0), stop=stop)
        except ApiError as exc:
            send({"type": "ERROR", "object": exc.to_status()})
            return sent
        for event in events:
            kind = visible_type(event, matches)
            if kind is not None and emit(kind, event.obj):
                return sent
        last = seen
        if request.bookmarks and time.monotonic() >= next_bookmark:
            send(_bookmark(rtype, last))
            next_bookmark = time.monotonic() + bookmark_interval_s
    if request.bookmarks and not stop.is_set():
        send(_bookmark(rtype, last))
    return sent


def _bookmark(rtype: ResourceType, resource_version: int) -> Obj:
    return {
        "type": "BOOKMARK",
        "object": {
            "kind": rtype.kind,
            "apiVersion": rtype.api_version,
            "metadata": {"resourceVersion": str(resource_version)},
        },
    }
