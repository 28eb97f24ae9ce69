"""The emulator's object store: every Kubernetes object, the resourceVersion counter and the event log.

It owns the API semantics that do not depend on HTTP: uid/creationTimestamp/generation filling,
optimistic concurrency (409 on a stale resourceVersion), finalizers and deletionTimestamp, the
status subresource rule, background garbage collection by ownerReferences, the bounded event
history behind watches (410 Gone when a version has fallen out of it) and pod log buffers.
It must not know about HTTP, patches or controllers: the server (HTTP clients) and the controllers
(in-process, through `mutate`) are two callers of the same methods, so both paths produce the same
events.

Threading: one `RLock` guards all state. Subscribers are called *after* the lock is released, in
global commit order: the committing thread delivers unless another thread is already delivering, in
which case that thread delivers the new events too (so a callback may run on another thread than the
write, and an event caused from inside a callback is delivered after that callback returns).
Callbacks must be quick and must not block on other threads; hand long work to a queue.
Event objects are shared snapshots: treat `Event.obj` as read-only.
"""

from __future__ import annotations

import collections
import logging
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Final

from pytest_streamstress.testing.emulator import selectors
from pytest_streamstress.testing.emulator.apitypes import (
    ApiError,
    Event,
    Obj,
    ResourceType,
    clone,
    now_rfc3339,
    status_details,
)
from pytest_streamstress.testing.emulator.fanout import Fanout
from pytest_streamstress.testing.emulator.logs import LogBuffer

__all__ = ["ApiError", "Event", "LogBuffer", "Obj", "ResourceType", "Store", "clone", "now_rfc3339"]

log = logging.getLogger(__name__)

DEFAULT_HISTORY: Final = 1000
"""Events kept for watches; a watch from an older resourceVersion gets 410 Gone (etcd compaction)."""
_NAME_ALPHABET: Final = "bcdfghjklmnpqrstvwxz2456789"
"""k8s.io/apimachinery/pkg/util/rand: the alphabet of generateName suffixes (no vowels, no 0/1/3)."""
_DNS_SUBDOMAIN: Final = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


_Key = tuple[str, str]  # (group, plural)
_ObjKey = tuple[str, str]  # (namespace or "", name)
_Events = list[Event]
_Objs = list[Obj]


class Store:
    """In-memory objects of every registered type; see the module docstring for threading."""

    def __init__(self, *, history: int = DEFAULT_HISTORY, enforce_namespaces: bool = True) -> None:
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._types: dict[_Key, ResourceType] = {}
        self._by_kind: dict[tuple[str, str], ResourceType] = {}
        self._objects: dict[_Key, dict[_ObjKey, Obj]] = {}
        self._rv = 0
        self._history: collections.deque[Event] = collections.deque(maxlen=history)
        self._floor = 0  # newest resourceVersion that has fallen out of the history
        self._fanout = Fanout()
        self.enforce_namespaces = enforce_namespaces
        """Creating a namespaced object in a missing namespace answers 404, as on a real cluster."""
        self.pod_logs: dict[tuple[str, str, str], LogBuffer] = {}
        self._random = random.Random()

    # -- types -------------------------------------------------------------------------------------
    def register(self, rtype: ResourceType) -> None:
        with self._lock:
            key = (rtype.group, rtype.plural)
            self._types[key] = rtype
            self._by_kind[(rtype.api_version, rtype.kind)] = rtype
            self._objects.setdefault(key, {})

    def rtypes(self) -> list[ResourceType]:
        with self._lock:
            return list(self._types.values())

    def rtype(self, api_version: str, kind: str) -> ResourceType:
        try:
            return self._by_kind[(api_version, kind)]
        except KeyError:
            raise ApiError(
                404, "NotFound", f'no matches for kind "{kind}" in version "{api_version}"'
            ) from None

    def rtype_for(self, group: str, version: str, plural: str) -> ResourceType:
        rtype = self._types.get((group, plural))
        if rtype is None or rtype.version != version:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return rtype

    # -- reads -------------------------------------------------------------------------------------
    @property
    def resource_version(self) -> int:
        with self._lock:
            return self._rv

    def get(self, rtype: ResourceType, namespace: str | None, name: str) -> Obj:
        with self._lock:
            obj = self._objects[(rtype.group, rtype.plural)].get(self._okey(rtype, namespace, name))
            if obj is None:
                raise ApiError.not_found(rtype, name)
            return clone(obj)  # type: ignore[no-any-return]  # clone returns the JSON shape it got

    def list(
        self,
        rtype: ResourceType,
        namespace: str | None = None,
        *,
        label_selector: str = "",
        field_selector: str = "",
    ) -> tuple[_Objs, int]:
        try:
            by_label = selectors.parse_label_selector(label_selector)
            by_field = selectors.parse_field_selector(field_selector, kind=rtype.kind)
        except selectors.SelectorError as exc:
            raise ApiError.bad_request(str(exc)) from None
        with self._lock:
            items = [
                obj
                for (ns, _name), obj in sorted(self._objects[(rtype.group, rtype.plural)].items())
                if (not namespace or not rtype.namespaced or ns == namespace)
                and by_label(obj)
                and by_field(obj)
            ]
            return clone(items), self._rv

    # -- writes ------------------------------------------------------------------------------------
    def create(self, rtype: ResourceType, obj: Obj) -> Obj:
        events: _Events = []
        with self._lock:
            new = clone(obj)
            meta = new.setdefault("metadata", {})
            new["apiVersion"] = rtype.api_version
            new["kind"] = rtype.kind
            if not meta.get("name"):
                if not meta.get("generateName"):
                    raise ApiError.invalid(
                        rtype, "", "metadata.name: Required value: name or generateName is required"
                    )
                meta["name"] = meta["generateName"] + "".join(self._random.choices(_NAME_ALPHABET, k=5))
            name = meta["name"]
            if len(name) > 253 or not _DNS_SUBDOMAIN.match(name):
                raise ApiError.invalid(
                    rtype,
                    name,
                    f'metadata.name: Invalid value: "{name}": a lowercase RFC 1123 '
                    "subdomain must consist of lower case alphanumeric characters, '-' or '.'",
                )
            if rtype.namespaced:
                namespace = meta.get("namespace") or ""
                if not namespace:
                    raise ApiError.bad_request(f"the namespace of the {rtype.kind} {name!r} is missing")
                self._require_namespace(namespace)
            else:
                meta.pop("namespace", None)
            okey = self._okey(rtype, meta.get("namespace"), name)
            bucket = self._objects[(rtype.group, rtype.plural)]
            if okey in bucket:
                raise ApiError(
                    409,
                    "AlreadyExists",
                    f'{rtype.qualified} "{name}" already exists',
                    details=status_details(rtype, name),
                )
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = now_rfc3339()
            if rtype.generation:
                meta["generation"] = 1
            else:
                meta.pop("generation", None)
            for transient in ("deletionTimestamp", "deletionGracePeriodSeconds", "resourceVersion"):
                meta.pop(transient, None)
            self._commit(rtype, okey, new, "ADDED", events)
            result = clone(new)
        self._deliver(events)
        return result  # type: ignore[no-any-return]  # clone returns the JSON shape it got

    def update(self, rtype: ResourceType, obj: Obj, *, subresource: str | None = None) -> Obj:
        """Replace (PUT): 409 on a stale resourceVersion; see the module docstring for status rules."""
        meta = obj.get("metadata") or {}
        name = meta.get("name") or ""
        events: _Events = []
        with self._lock:
            old = self._live(rtype, meta.get("namespace"), name)
            wanted_rv = str(meta.get("resourceVersion") or "")
            if wanted_rv and wanted_rv != old["metadata"]["resourceVersion"]:
                raise ApiError.conflict(rtype, name)
            new = self._merge_update(rtype, old, clone(obj), subresource)
            result = self._write(rtype, old, new, events)
        self._deliver(events)
        return result

    def mutate(
        self,
        rtype: ResourceType,
        namespace: str | None,
        name: str,
        fn: Callable[[Obj], None],
        *,
        subresource: str | None = None,
    ) -> Obj:
        """Atomic read-modify-write for controllers; never conflicts.

        Controllers are privileged and in-process: without `subresource` *every* field `fn` changes
        is kept, status included. With `subresource="status"` only `.status` changes are kept, like
        the HTTP status endpoint. No event and no resourceVersion bump when nothing changed.
        """
        events: _Events = []
        with self._lock:
            old = self._live(rtype, namespace, name)
            draft = clone(old)
            fn(draft)
            if subresource == "status":
                new = self._merge_update(rtype, old, draft, "status")
            else:
                new = self._merge_update(rtype, old, draft, "__all__")
            result = self._write(rtype, old, new, events)
        self._deliver(events)
        return result

    def delete(
        self, rtype: ResourceType, namespace: str | None, name: str, *, propagation: str = "Background"
    ) -> Obj:
        """Finalizers -> deletionTimestamp (+MODIFIED); else removed (+DELETED) and dependents collected.

        `propagation`: "Background"/"Foreground" delete dependents (by ownerReferences uid) right
        after the owner is gone; "Orphan" leaves them. Foreground is treated as Background.
        """
        events: _Events = []
        with self._lock:
            old = self._live(rtype, namespace, name)
            if old["metadata"].get("finalizers"):
                if old["metadata"].get("deletionTimestamp"):
                    return clone(old)  # type: ignore[no-any-return]  # already deleting: nothing changes
                new = clone(old)
                new["metadata"]["deletionTimestamp"] = now_rfc3339()
                new["metadata"]["deletionGracePeriodSeconds"] = 0
                okey = self._okey(rtype, namespace, name)
                self._commit(rtype, okey, new, "MODIFIED", events)
                result = clone(new)
            else:
                result = self._remove(rtype, old, events, orphan=propagation == "Orphan")
        self._deliver(events)
        return result  # type: ignore[no-any-return]  # clone returns the JSON shape it got

    # -- events and watches ------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call `callback` for every committed event (see module docstring); returns unsubscribe."""
        return self._fanout.subscribe(callback)

    def events_since(self, resource_version: int, rtype: ResourceType) -> _Events:
        """Events of `rtype` newer than `resource_version`; 410 Gone if the history no longer has them."""
        with self._lock:
            return self._events_since(resource_version, rtype)

    def wait_events(
        self,
        resource_version: int,
        rtype: ResourceType,
        *,
        timeout: float,
        stop: threading.Event | None = None,
    ) -> tuple[_Events, int]:
        """Like `events_since`, but blocks up to `timeout` s until an event of `rtype` exists.

        Returns the events and the store's resourceVersion they were read at: every event of
        `rtype` up to that version is in the list, so a watch may bookmark it. `stop` (set, then
        `wake()`) ends the wait early, for server shutdown.
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                events = self._events_since(resource_version, rtype)
                remaining = deadline - time.monotonic()
                if events or remaining <= 0 or (stop is not None and stop.is_set()):
                    return events, max(self._rv, resource_version)
                self._changed.wait(remaining)

    def wake(self) -> None:
        """Wake every `wait_events` caller (they re-check their stop flag)."""
        with self._lock:
            self._changed.notify_all()

    def _events_since(self, resource_version: int, rtype: ResourceType) -> _Events:
        if resource_version < self._floor:
            raise ApiError(
                410, "Expired", f"too old resource version: {resource_version} ({self._floor + 1})"
            )
        if resource_version >= self._rv:
            return []
        return [e for e in self._history if e.resource_version > resource_version and e.rtype is rtype]

    def compact(self) -> None:
        """Forget the whole event history, like etcd compaction: every older watch version gets 410."""
        with self._lock:
            self._history.clear()
            self._floor = self._rv

    # -- pod logs ----------------------------------------------------------------------------------
    def append_log(self, namespace: str, pod: str, container: str, text: str) -> None:
        with self._lock:
            buffer = self.pod_logs.setdefault((namespace, pod, container), LogBuffer())
        buffer.append(text)

    def close_log(self, namespace: str, pod: str, container: str) -> None:
        """The container ended: followers see the end of the stream."""
        with self._lock:
            buffer = self.pod_logs.setdefault((namespace, pod, container), LogBuffer())
        buffer.close()

    def read_log(
        self,
        namespace: str,
        pod: str,
        container: str,
        *,
        follow: bool = False,
        timeout: float = 30.0,
        stop: threading.Event | None = None,
    ) -> Iterator[str]:
        """Yield the log text; with `follow`, keep yielding new text until closed or `timeout`."""
        with self._lock:
            buffer = self.pod_logs.setdefault((namespace, pod, container), LogBuffer())
        yield from buffer.follow(follow=follow, timeout=timeout, stop=stop)

    # -- internals ---------------------------------------------------------------------------------
    @staticmethod
    def _okey(rtype: ResourceType, namespace: str | None, name: str) -> _ObjKey:
        return ((namespace or "") if rtype.namespaced else "", name)

    def _live(self, rtype: ResourceType, namespace: str | None, name: str) -> Obj:
        obj = self._objects[(rtype.group, rtype.plural)].get(self._okey(rtype, namespace, name))
        if obj is None:
            raise ApiError.not_found(rtype, name)
        return obj

    def _require_namespace(self, namespace: str) -> None:
        ns_type = self._types.get(("", "namespaces"))
        if not self.enforce_namespaces or ns_type is None:
            return
        existing = self._objects[("", "namespaces")].get(("", namespace))
        if existing is None:
            raise ApiError(
                404,
                "NotFound",
                f'namespaces "{namespace}" not found',
                details={"name": namespace, "kind": "namespaces"},
            )
        if existing["metadata"].get("deletionTimestamp"):
            raise ApiError(
                403,
                "Forbidden",
                f"unable to create new content in namespace {namespace} because it is being terminated",
            )

    @staticmethod
    def _merge_update(rtype: ResourceType, old: Obj, new: Obj, subresource: str | None) -> Obj:
        """Apply the rules of which parts of `new` a write may change."""
        if subresource == "status":
            merged = clone(old)
            if "status" in new:
                merged["status"] = new["status"]
            else:
                merged.pop("status", None)
            return merged  # type: ignore[no-any-return]  # clone returns the JSON shape it got
        if subresource not in (None, "__all__"):
            raise ApiError(
                404, "NotFound", f"the server could not find the requested resource ({subresource})"
            )
        new["apiVersion"] = rtype.api_version
        new["kind"] = rtype.kind
        meta = new.setdefault("metadata", {})
        old_meta = old["metadata"]
        for fixed in (
            "name",
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
            "namespace",
        ):
            if fixed in old_meta:
                meta[fixed] = old_meta[fixed]
            else:
                meta.pop(fixed, None)
        if subresource is None and "status" in rtype.subresources:
            if "status" in old:
                new["status"] = clone(old["status"])
            else:
                new.pop("status", None)
        return new

    def _write(self, rtype: ResourceType, old: Obj, new: Obj, events: _Events) -> Obj:
        """Commit `new` over `old` unless nothing changed; remove when the last finalizer went."""
        new["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
        if new == old:
            return clone(old)  # type: ignore[no-any-return]  # a no-op write changes nothing, like the real server
        if rtype.generation and _spec_of(new) != _spec_of(old):
            new["metadata"]["generation"] = int(old["metadata"].get("generation", 1)) + 1
        okey = self._okey(rtype, new["metadata"].get("namespace"), new["metadata"]["name"])
        if new["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers"):
            self._objects[(rtype.group, rtype.plural)][okey] = new
            return self._remove(rtype, new, events, orphan=False)
        self._commit(rtype, okey, new, "MODIFIED", events)
        return clone(new)  # type: ignore[no-any-return]  # clone returns the JSON shape it got

    def _remove(self, rtype: ResourceType, obj: Obj, events: _Events, *, orphan: bool) -> Obj:
        meta = obj["metadata"]
        okey = self._okey(rtype, meta.get("namespace"), meta["name"])
        gone = self._objects[(rtype.group, rtype.plural)].pop(okey)
        self._rv += 1
        gone["metadata"]["resourceVersion"] = str(self._rv)
        self._record(Event("DELETED", rtype, clone(gone), self._rv), events)
        if rtype.kind == "Pod" and not rtype.group:
            for key in [k for k in self.pod_logs if k[0] == meta.get("namespace") and k[1] == meta["name"]]:
                self.pod_logs.pop(key).close()
        if rtype.kind == "Namespace" and not rtype.group:
            self._delete_namespace_contents(meta["name"], events)
        if not orphan:
            self._collect_dependents(meta["uid"], events)
        return clone(gone)  # type: ignore[no-any-return]  # clone returns the JSON shape it got

    def _delete_namespace_contents(self, namespace: str, events: _Events) -> None:
        for key, bucket in self._objects.items():
            rtype = self._types[key]
            if not rtype.namespaced:
                continue
            for (ns, name), obj in [*bucket.items()]:
                if ns == namespace and (ns, name) in bucket:
                    self._delete_locked(rtype, obj, events)

    def _collect_dependents(self, owner_uid: str, events: _Events) -> None:
        """Background garbage collection: delete objects owned by the removed object."""
        for key, bucket in [*self._objects.items()]:
            rtype = self._types[key]
            for obj in [*bucket.values()]:
                refs = obj["metadata"].get("ownerReferences") or ()
                if any(ref.get("uid") == owner_uid for ref in refs):
                    okey = self._okey(rtype, obj["metadata"].get("namespace"), obj["metadata"]["name"])
                    if okey in bucket:
                        self._delete_locked(rtype, obj, events)

    def _delete_locked(self, rtype: ResourceType, obj: Obj, events: _Events) -> None:
        meta = obj["metadata"]
        if meta.get("finalizers"):
            if not meta.get("deletionTimestamp"):
                new = clone(obj)
                new["metadata"]["deletionTimestamp"] = now_rfc3339()
                new["metadata"]["deletionGracePeriodSeconds"] = 0
                self._commit(
                    rtype, self._okey(rtype, meta.get("namespace"), meta["name"]), new, "MODIFIED", events
                )
            return
        self._remove(rtype, obj, events, orphan=False)

    def _commit(self, rtype: ResourceType, okey: _ObjKey, obj: Obj, kind: str, events: _Events) -> None:
        bucket = self._objects[(rtype.group, rtype.plural)]
        old = bucket.get(okey) if kind == "MODIFIED" else None
        self._rv += 1
        obj["metadata"]["resourceVersion"] = str(self._rv)
        bucket[okey] = obj
        self._record(Event(kind, rtype, clone(obj), self._rv, old), events)

    def _record(self, event: Event, events: _Events) -> None:
        if self._history.maxlen is not None and len(self._history) == self._history.maxlen:
            self._floor = self._history[0].resource_version
        self._history.append(event)
        self._fanout.enqueue(event)  # under the store lock, so delivery follows commit order
        events.append(event)
        self._changed.notify_all()

    def _deliver(self, events: _Events) -> None:
        if events:
            self._fanout.deliver()


def _spec_of(obj: Obj) -> Obj:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}
