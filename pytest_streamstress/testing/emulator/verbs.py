"""The API verbs behind a parsed resource URL: get, list, watch, create, update, patch, delete,
deletecollection, and the `status`, `scale` and `log` subresources, plus the read-only metrics API.

Owns the request-level rules of the real server that are not object semantics: namespace and name
in the body must match the URL, status is dropped on create for kinds with a status subresource,
patch content types (415 for strategic merge on custom resources and for server-side apply),
patch retries on internal conflicts (a patch without a resourceVersion never conflicts), delete
preconditions and propagation, pagination with `limit`/`continue`, `Table` output, and pod logs.
It talks to the handler through its small send helpers and must not parse URLs.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from pytest_streamstress.testing.emulator import discovery, patching, readonly, selectors, watch
from pytest_streamstress.testing.emulator.kinds import METRICS_GROUP
from pytest_streamstress.testing.emulator.store import ApiError, Obj, ResourceType, clone

if TYPE_CHECKING:
    from pytest_streamstress.testing.emulator.exchange import Exchange, Route

log = logging.getLogger(__name__)

_VERB_OF: Final = {
    "GET": "get",
    "HEAD": "get",
    "POST": "create",
    "PUT": "update",
    "PATCH": "patch",
    "DELETE": "delete",
}
_PATCH_ATTEMPTS: Final = 10


def handle(h: Exchange, rtype: ResourceType, route: Route, query: dict[str, str], raw: bytes) -> None:
    method = h.command
    if rtype.group == METRICS_GROUP:
        readonly.metrics(h, rtype, route, query)
        return
    verb = _VERB_OF.get(method, "")
    if route.name is None and verb == "get":
        verb = "watch" if readonly.truthy(query.get("watch")) or route.legacy_watch else "list"
    elif route.name is None and verb == "delete":
        verb = "deletecollection"
    if (
        verb not in rtype.verbs
        or (route.name is None and verb in ("update", "patch"))
        or (route.name is not None and verb == "create")
    ):
        raise ApiError(
            405, "MethodNotAllowed", "the server does not allow this method on the requested resource"
        )
    if query.get("dryRun"):
        raise ApiError.bad_request(
            "dryRun is not supported by the streamstress emulator (see docs/emulator.md)"
        )
    if verb in ("create", "update", "patch", "delete") and h.backend.faults.take_conflict(rtype.kind):
        raise ApiError.conflict(rtype, route.name or "")
    if route.name is not None and route.legacy_watch:
        query = {**query, "fieldSelector": f"metadata.name={route.name}"}
        verb = "watch"
    handlers: dict[str, Callable[..., None]] = {
        "list": _list,
        "watch": _watch,
        "create": _create,
        "deletecollection": _delete_collection,
        "get": _get,
        "update": _update,
        "patch": _patch,
        "delete": _delete,
    }
    handlers[verb](h, rtype, route, query, raw)


# -- reads ----------------------------------------------------------------------------------------
def _get(h: Exchange, rtype: ResourceType, route: Route, query: dict[str, str], raw: bytes) -> None:
    assert route.name is not None
    if route.subresource == "log":
        readonly.logs(h, rtype, route, query)
        return
    obj = h.backend.store.get(rtype, route.namespace, route.name)
    if route.subresource == "scale":
        obj = _to_scale(obj)
    if discovery.wants_table(h.headers.get("Accept", "")) and route.subresource is None:
        rv = int(obj["metadata"]["resourceVersion"])
        obj = discovery.to_table(
            rtype, [obj], resource_version=rv, include_object=query.get("includeObject", "")
        )
    h._send_json(200, obj)


def _list(h: Exchange, rtype: ResourceType, route: Route, query: dict[str, str], raw: bytes) -> None:
    items, rv = h.backend.store.list(
        rtype,
        route.namespace,
        label_selector=query.get("labelSelector", ""),
        field_selector=query.get("fieldSelector", ""),
    )
    items, token = _page(items, rv, query)
    if discovery.wants_table(h.headers.get("Accept", "")):
        table = discovery.to_table(
            rtype, items, resource_version=rv, include_object=query.get("includeObject", "")
        )
        if token:
            table["metadata"]["continue"] = token
        h._send_json(200, table)
        return
    metadata: Obj = {"resourceVersion": str(rv)}
    if token:
        metadata["continue"] = token
    h._send_json(
        200, {"kind": rtype.list_kind, "apiVersion": rtype.api_version, "metadata": metadata, "items": items}
    )


def _page(items: list[Obj], rv: int, query: dict[str, str]) -> tuple[list[Obj], str]:
    """`limit`/`continue`: the token carries the offset (not a consistent snapshot; documented)."""
    start = 0
    if query.get("continue"):
        try:
            start = int(json.loads(base64.urlsafe_b64decode(query["continue"]))["start"])
        except (ValueError, KeyError, TypeError):
            raise ApiError.bad_request("continue key is not valid: malformed token") from None
    limit = int(query.get("limit") or 0)
    if limit <= 0:
        return items[start:], ""
    page = items[start : start + limit]
    if start + limit >= len(items):
        return page, ""
    token = base64.urlsafe_b64encode(json.dumps({"rv": rv, "start": start + limit}).encode()).decode()
    return page, token


def _watch(h: Exchange, rtype: ResourceType, route: Route, query: dict[str, str], raw: bytes) -> None:
    try:
        selectors.parse_label_selector(query.get("labelSelector", ""))
        selectors.parse_field_selector(query.get("fieldSelector", ""), kind=rtype.kind)
    except selectors.SelectorError as exc:
        raise ApiError.bad_request(str(exc)) from None
    request = watch.WatchRequest(
        rtype=rtype,
        namespace=route.namespace,
        resource_version=query.get("resourceVersion", ""),
        label_selector=query.get("labelSelector", ""),
        field_selector=query.get("fieldSelector", ""),
        timeout_s=float(query.get("timeoutSeconds") or watch.DEFAULT_TIMEOUT_S),
        bookmarks=readonly.truthy(query.get("allowWatchBookmarks")) and "allowWatchBookmarks" in query,
    )
    render: Callable[[Obj], Obj] = lambda obj: obj  # noqa: E731
    if discovery.wants_table(h.headers.get("Accept", "")):
        include = query.get("includeObject", "")
        render = lambda obj: discovery.to_table(  # noqa: E731
            rtype, [obj], resource_version=int(obj["metadata"]["resourceVersion"]), include_object=include
        )
    h._start_stream("application/json")

    def send(event: Obj) -> None:
        h._chunk(json.dumps(event, separators=(",", ":")).encode() + b"\n")

    try:
        watch.serve_watch(
            request,
            store=h.backend.store,
            faults=h.backend.faults,
            send=send,
            stop=h.backend.stopping,
            render=render,
            bookmark_interval_s=h.backend.bookmark_interval_s,
        )
    except OSError:
        log.debug("watch client left")
        return
    h._end_stream()


# -- writes ---------------------------------------------------------------------------------------
def _body_object(h: Exchange, raw: bytes, rtype: ResourceType) -> Obj:
    content_type = (h.headers.get("Content-Type") or "application/json").split(";")[0].strip()
    if content_type not in ("application/json", "application/yaml", "*/*", ""):
        # Like the real server without that serializer; client-go then falls back to JSON.
        raise ApiError(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - "
            "accepted media types include: application/json, application/yaml",
        )
    if content_type == "application/yaml":
        import yaml

        try:
            body = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise ApiError.bad_request(f"the request body is not valid YAML: {exc}") from None
    else:
        body = h._json_body(raw)
    if not isinstance(body, dict):
        raise ApiError.bad_request(f"the body must be a JSON object ({rtype.kind})")
    for field, expected in (("kind", rtype.kind), ("apiVersion", rtype.api_version)):
        if body.get(field) not in (None, "", expected):
            raise ApiError.bad_request(f"{field} {body[field]!r} does not match the URL's {expected!r}")
    body.setdefault("metadata", {})
    return body


def _place(rtype: ResourceType, route: Route, body: Obj) -> None:
    meta = body["metadata"]
    if rtype.namespaced:
        if meta.get("namespace") and route.namespace and meta["namespace"] != route.namespace:
            raise ApiError.bad_request(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        if route.namespace:
            meta["namespace"] = route.namespace
        elif not meta.get("namespace"):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")


def _create(h: Exchange, rtype: ResourceType, route: Route, query: dict[str, str], raw: bytes) -> None:
    body = _body_object(h, raw, rtype)
    _place(rtype, route, body)
    if "status" in rtype.subresources:
        body.pop("status", None)
    h._send_json(201, h.backend.store.create(rtype, body))


def _update(h: Exchange, rtype: ResourceType, route: Route, query: dict[str, str], raw: bytes) -> None:
    assert route.name is not None
    body = _body_object(h, raw, rtype) if route.subresource != "scale" else h._json_body(raw)
    if route.subresource == "scale":
        h._send_json(200, _to_scale(_write_scale(h, rtype, route, body)))
        return
    name = body["metadata"].get("name") or route.name
    if name != route.name:
        raise ApiError.bad_request(
            f"the name of the object ({name}) does not match the name on the URL ({route.name})"
        )
    body["metadata"]["name"] = name
    _place(rtype, route, body)
    h._send_json(200, h.backend.store.update(rtype, body, subresource=route.subresource))


def _patch(h: Exchange, rtype: ResourceType, route: Route, query: dict[str, str], raw: bytes) -> None:
    assert route.name is not None
    content_type = (h.headers.get("Content-Type") or "").split(";")[0].strip()
    kind = {
        "application/merge-patch+json": "merge",
        "application/json-patch+json": "json",
        "application/strategic-merge-patch+json": "strategic",
    }.get(content_type)
    if kind is None or (kind == "strategic" and not rtype.builtin):
        raise ApiError(
            415, "UnsupportedMediaType", _UNSUPPORTED if kind is None or rtype.builtin else _UNSUPPORTED_CR
        )
    body = h._json_body(raw)
    apply: Callable[[Any, Any], Any] = {
        "merge": patching.merge_patch,
        "json": patching.json_patch,
        "strategic": patching.strategic_merge_patch,
    }[kind]
    store = h.backend.store
    for _attempt in range(_PATCH_ATTEMPTS):
        current = store.get(rtype, route.namespace, route.name)
        source = _to_scale(current) if route.subresource == "scale" else current
        patched = apply(clone(source), body)
        if not isinstance(patched, dict):
            raise ApiError.bad_request("the patch result is not an object")
        if route.subresource == "scale":
            h._send_json(200, _to_scale(_write_scale(h, rtype, route, patched)))
            return
        meta = patched.setdefault("metadata", {})
        if meta.get("name") != route.name:
            raise ApiError.bad_request("metadata.name: the patch may not change the object's name")
        conditional = meta.get("resourceVersion") not in (None, current["metadata"]["resourceVersion"])
        meta.setdefault("resourceVersion", current["metadata"]["resourceVersion"])
        try:
            h._send_json(200, store.update(rtype, patched, subresource=route.subresource))
            return
        except ApiError as exc:
            if exc.status != 409 or conditional:
                raise
    raise ApiError.conflict(rtype, route.name)


_UNSUPPORTED: Final = (
    "the body of the request was in an unknown format - accepted media types include: "
    "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
    " (the streamstress emulator does not implement server-side apply)"
)
_UNSUPPORTED_CR: Final = (
    "the body of the request was in an unknown format - accepted media types include: "
    "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
)


def _to_scale(obj: Obj) -> Obj:
    meta = obj["metadata"]
    selector = (obj.get("spec", {}).get("selector") or {}).get("matchLabels") or {}
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k]
            for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if k in meta
        },
        "spec": {"replicas": obj.get("spec", {}).get("replicas", 1)},
        "status": {
            "replicas": obj.get("status", {}).get("replicas", 0),
            "selector": ",".join(f"{k}={v}" for k, v in sorted(selector.items())),
        },
    }


def _write_scale(h: Exchange, rtype: ResourceType, route: Route, scale: Any) -> Obj:
    assert route.name is not None
    replicas = scale.get("spec", {}).get("replicas") if isinstance(scale, dict) else None
    if not isinstance(replicas, int) or replicas < 0:
        raise ApiError.invalid(
            rtype, route.name, "spec.replicas: Invalid value: must be a non-negative integer"
        )
    current = h.backend.store.get(rtype, route.namespace, route.name)
    wanted = (scale.get("metadata") or {}).get("resourceVersion") or ""
    current["spec"]["replicas"] = replicas
    current["metadata"]["resourceVersion"] = wanted or current["metadata"]["resourceVersion"]
    return h.backend.store.update(rtype, current)


def _delete_options(h: Exchange, raw: bytes, query: dict[str, str]) -> tuple[str, dict[str, Any]]:
    body = h._json_body(raw) if raw.strip() else {}
    if not isinstance(body, dict):
        raise ApiError.bad_request("DeleteOptions must be a JSON object")
    policy = body.get("propagationPolicy") or query.get("propagationPolicy") or "Background"
    if body.get("orphanDependents") is True or query.get("orphanDependents") == "true":
        policy = "Orphan"
    if policy not in ("Background", "Foreground", "Orphan"):
        raise ApiError.bad_request(f"propagationPolicy {policy!r}: must be Background, Foreground or Orphan")
    return policy, body.get("preconditions") or {}


def _delete(h: Exchange, rtype: ResourceType, route: Route, query: dict[str, str], raw: bytes) -> None:
    assert route.name is not None
    policy, preconditions = _delete_options(h, raw, query)
    store = h.backend.store
    current = store.get(rtype, route.namespace, route.name)
    for field in ("uid", "resourceVersion"):
        wanted = preconditions.get(field)
        if wanted and wanted != current["metadata"].get(field):
            raise ApiError(
                409,
                "Conflict",
                f"Precondition failed: {field} in precondition: {wanted}, {field} in "
                f"object meta: {current['metadata'].get(field)}",
            )
    result = store.delete(rtype, route.namespace, route.name, propagation=policy)
    if result["metadata"].get("deletionTimestamp") and result["metadata"].get("finalizers"):
        h._send_json(202, result)
    elif rtype.kind == "Pod" and not rtype.group:
        h._send_json(200, result)
    else:
        h._send_json(
            200,
            {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Success",
                "details": {
                    "name": route.name,
                    "group": rtype.group,
                    "kind": rtype.plural,
                    "uid": result["metadata"].get("uid"),
                },
            },
        )


def _delete_collection(
    h: Exchange, rtype: ResourceType, route: Route, query: dict[str, str], raw: bytes
) -> None:
    policy, _ = _delete_options(h, raw, query)
    store = h.backend.store
    items, _rv = store.list(
        rtype,
        route.namespace,
        label_selector=query.get("labelSelector", ""),
        field_selector=query.get("fieldSelector", ""),
    )
    deleted = []
    for obj in items:
        try:
            deleted.append(
                store.delete(
                    rtype, obj["metadata"].get("namespace"), obj["metadata"]["name"], propagation=policy
                )
            )
        except ApiError as exc:
            if exc.status != 404:  # deleted meanwhile (garbage collection of an earlier item)
                raise
    h._send_json(
        200,
        {
            "kind": rtype.list_kind,
            "apiVersion": rtype.api_version,
            "metadata": {"resourceVersion": str(store.resource_version)},
            "items": deleted,
        },
    )
