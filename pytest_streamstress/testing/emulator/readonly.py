"""Read-only endpoints beside the object verbs: pod logs and the metrics.k8s.io API.

Owns the real server's rules for `pods/<name>/log` (container choice, tailLines, limitBytes,
follow streaming, the "waiting to start" error) and for PodMetrics answered from the emulator's
metrics provider. Called by `verbs.handle`; must not parse URLs or write objects.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from pytest_streamstress.testing.emulator import selectors
from pytest_streamstress.testing.emulator.store import ApiError, Obj, ResourceType

if TYPE_CHECKING:
    from pytest_streamstress.testing.emulator.exchange import Exchange, Route

log = logging.getLogger(__name__)


def truthy(value: str | None) -> bool:
    return value is not None and value.lower() in ("true", "1", "")


# -- pod logs -------------------------------------------------------------------------------------
def logs(h: Exchange, rtype: ResourceType, route: Route, query: dict[str, str]) -> None:
    assert route.name is not None and route.namespace is not None
    pod = h.backend.store.get(rtype, route.namespace, route.name)
    spec = pod.get("spec", {})
    names = [c["name"] for c in (spec.get("containers") or [])]
    all_names = names + [c["name"] for c in (spec.get("initContainers") or [])]
    container = query.get("container") or ""
    if not container:
        if len(names) != 1:
            raise ApiError.bad_request(
                f"a container name must be specified for pod {route.name}, choose one of: [{' '.join(names)}]"
            )
        container = names[0]
    if container not in all_names:
        raise ApiError.bad_request(f"container {container} is not valid for pod {route.name}")
    store = h.backend.store
    key = (route.namespace, route.name, container)
    if key not in store.pod_logs:
        _raise_if_waiting(pod, container)
    follow = truthy(query.get("follow")) and "follow" in query
    tail = int(query["tailLines"]) if query.get("tailLines") else None
    limit_bytes = int(query["limitBytes"]) if query.get("limitBytes") else None
    chunks = store.read_log(
        route.namespace, route.name, container, follow=follow, timeout=3600.0, stop=h.backend.stopping
    )
    if not follow:
        text = "".join(chunks)
        text = _tail(text, tail)
        if limit_bytes is not None:
            text = text.encode()[:limit_bytes].decode(errors="ignore")
        h._send_text(200, text)
        return
    h._start_stream("text/plain")
    first = True
    for chunk in chunks:
        h._chunk((_tail(chunk, tail) if first else chunk).encode())
        first = False
    h._end_stream()


def _tail(text: str, lines: int | None) -> str:
    if lines is None:
        return text
    if lines <= 0:
        return ""
    return "".join(text.splitlines(keepends=True)[-lines:])


def _raise_if_waiting(pod: Obj, container: str) -> None:
    if pod.get("status", {}).get("phase", "Pending") != "Pending":
        return
    reason = "ContainerCreating"
    for status in pod.get("status", {}).get("containerStatuses") or []:
        waiting = (status.get("state") or {}).get("waiting") or {}
        if status.get("name") == container and waiting.get("reason"):
            reason = waiting["reason"]
            if reason in ("ImagePullBackOff", "ErrImagePull"):
                reason = "trying and failing to pull image"
    raise ApiError.bad_request(
        f'container "{container}" in pod "{pod["metadata"]["name"]}" is waiting to start: {reason}'
    )


# -- metrics.k8s.io -------------------------------------------------------------------------------
def metrics(h: Exchange, rtype: ResourceType, route: Route, query: dict[str, str]) -> None:
    if h.command not in ("GET", "HEAD") or route.subresource is not None:
        raise ApiError(
            405, "MethodNotAllowed", "the server does not allow this method on the requested resource"
        )
    if truthy(query.get("watch")) and "watch" in query:
        raise ApiError(
            405, "MethodNotAllowed", "the server does not allow this method on the requested resource"
        )
    provider = h.backend.metrics_provider
    assert provider is not None  # the server answered 404 for the whole group otherwise
    by_label = selectors.parse_label_selector(query.get("labelSelector", ""))
    items = [
        m
        for m in provider()
        if m.get("kind", rtype.kind) == rtype.kind
        and (route.namespace is None or m.get("metadata", {}).get("namespace") == route.namespace)
        and by_label(m)
    ]
    if route.name is not None:
        found = [m for m in items if m.get("metadata", {}).get("name") == route.name]
        if not found:
            raise ApiError.not_found(rtype, route.name)
        h._send_json(200, found[0])
        return
    limit = int(query.get("limit") or 0)
    h._send_json(
        200,
        {
            "kind": rtype.list_kind,
            "apiVersion": rtype.api_version,
            "metadata": {},
            "items": items[:limit] if limit > 0 else items,
        },
    )
