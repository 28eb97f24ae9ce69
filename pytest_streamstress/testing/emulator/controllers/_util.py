"""Small helpers the controllers share: object lookups, conditions, owner references, timestamps.

Must not: hold state or reconcile anything; every function is a plain read or a pure transformation
(except the thin `get_or_none`/`ensure` wrappers around the store).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Mapping
from typing import Any, Final

from pytest_streamstress.testing.emulator.store import ApiError, Obj, ResourceType, Store, now_rfc3339

log = logging.getLogger(__name__)

NAME_ALPHABET: Final = "bcdfghjklmnpqrstvwxz2456789"
"""k8s.io/apimachinery rand.SafeEncodeString alphabet (pod-template-hash, generated suffixes)."""


def now() -> str:
    return now_rfc3339()


def get_or_none(store: Store, rtype: ResourceType, namespace: str | None, name: str) -> Obj | None:
    try:
        return store.get(rtype, namespace, name)
    except ApiError as exc:
        if exc.status == 404:
            return None
        raise


def create_if_absent(store: Store, rtype: ResourceType, obj: Obj) -> Obj:
    """Create `obj`, or return the existing object of that name (AlreadyExists is not an error here)."""
    try:
        return store.create(rtype, obj)
    except ApiError as exc:
        if exc.status != 409:
            raise
        meta = obj["metadata"]
        return store.get(rtype, meta.get("namespace"), meta["name"])


def delete_if_present(store: Store, rtype: ResourceType, namespace: str | None, name: str) -> bool:
    try:
        store.delete(rtype, namespace, name)
    except ApiError as exc:
        if exc.status == 404:
            return False
        raise
    return True


def labels(obj: Mapping[str, Any]) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get("labels") or {})


def name_of(obj: Mapping[str, Any]) -> str:
    return str(obj["metadata"]["name"])


def is_deleting(obj: Mapping[str, Any]) -> bool:
    return bool((obj.get("metadata") or {}).get("deletionTimestamp"))


def owner_ref(owner: Mapping[str, Any], *, controller: bool = True) -> dict[str, Any]:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": controller,
        "blockOwnerDeletion": controller,
    }


def owned_by(obj: Mapping[str, Any], owner_uid: str) -> bool:
    refs = (obj.get("metadata") or {}).get("ownerReferences") or ()
    return any(ref.get("uid") == owner_uid for ref in refs)


def controller_of(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or ():
        if ref.get("controller"):
            return dict(ref)
    return None


def canonical_hash(value: Any) -> str:
    """sha256 of canonical JSON: a stable hash for 'did this spec change'."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def fnv32a(data: bytes) -> int:
    value = 0x811C9DC5
    for byte in data:
        value ^= byte
        value = (value * 0x01000193) & 0xFFFFFFFF
    return value


def safe_encode(number: int) -> str:
    """rand.SafeEncodeString of the decimal digits, as Kubernetes renders hashes in names."""
    return "".join(NAME_ALPHABET[int(d) % len(NAME_ALPHABET)] for d in str(number))


def short_hash(value: Any) -> str:
    """fnv32a over canonical JSON, safe-encoded (pod-template-hash, olm.deployment-spec-hash)."""
    return safe_encode(fnv32a(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()))


def condition(conditions: list[dict[str, Any]], ctype: str) -> dict[str, Any] | None:
    for entry in conditions:
        if entry.get("type") == ctype:
            return entry
    return None


def set_condition(
    conditions: list[dict[str, Any]],
    ctype: str,
    status: str,
    *,
    reason: str = "",
    message: str = "",
    extra: Mapping[str, Any] | None = None,
) -> None:
    """Set one condition in place; `lastTransitionTime` moves only when the status changes."""
    current = condition(conditions, ctype)
    if current is None:
        current = {"type": ctype}
        conditions.append(current)
    if current.get("status") != status:
        current["lastTransitionTime"] = now()
    current["status"] = status
    for key, value in (("reason", reason), ("message", message)):
        if value:
            current[key] = value
        else:
            current.pop(key, None)
    if extra:
        current.update(extra)


def is_condition_true(obj: Mapping[str, Any], ctype: str) -> bool:
    entry = condition(list((obj.get("status") or {}).get("conditions") or []), ctype)
    return entry is not None and entry.get("status") == "True"


def rtype(store: Store, api_version: str, kind: str) -> ResourceType:
    return store.rtype(api_version, kind)


def canonical_copy(value: Any) -> Any:
    """A deep copy of JSON-shaped data."""
    return json.loads(json.dumps(value))


def container_env(store: Store, pod: Mapping[str, Any], container: Mapping[str, Any]) -> dict[str, str]:
    """A container's environment as its process sees it: values, fieldRefs (namespace, name) and
    ConfigMap/Secret keys resolved; entries that cannot be resolved are left out, as optional ones."""
    env: dict[str, str] = {}
    for entry in container.get("env") or []:
        value = _env_value(store, pod, entry)
        if value is not None:
            env[str(entry["name"])] = value
    return env


def _env_value(store: Store, pod: Mapping[str, Any], entry: Mapping[str, Any]) -> str | None:
    if "value" in entry:
        return str(entry["value"])
    source = entry.get("valueFrom") or {}
    meta = pod["metadata"]
    if "fieldRef" in source:
        return _field_value(meta, str(source["fieldRef"].get("fieldPath", "")))
    for key, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
        if key not in source:
            continue
        ref = source[key]
        obj = get_or_none(store, store.rtype("v1", kind), meta.get("namespace"), ref.get("name", ""))
        if obj is None:
            return None
        if kind == "Secret" and ref.get("key", "") in (obj.get("stringData") or {}):
            return str(obj["stringData"][ref["key"]])
        value = (obj.get("data") or {}).get(ref.get("key", ""))
        if value is None:
            return None
        return base64.b64decode(value).decode("utf-8", errors="replace") if kind == "Secret" else str(value)
    return None


def _field_value(meta: Mapping[str, Any], path: str) -> str | None:
    """The downward API's fieldRef paths the emulator knows: name, namespace, one annotation or label
    (`metadata.annotations['batch.kubernetes.io/job-completion-index']`, how JOB_COMPLETION_INDEX is set)."""
    fields = {"metadata.namespace": meta.get("namespace", ""), "metadata.name": meta["name"]}
    if path in fields:
        return str(fields[path])
    for section in ("annotations", "labels"):
        prefix = f"metadata.{section}['"
        if path.startswith(prefix) and path.endswith("']"):
            value = (meta.get(section) or {}).get(path[len(prefix) : -2])
            return None if value is None else str(value)
    return None


def expand_references(text: str, env: Mapping[str, str]) -> str:
    """Kubernetes' `$(VAR)` expansion of a container's command and args from its environment:
    a defined variable is replaced, an undefined reference stays as written, `$$` is a literal `$`
    (k8s.io/kubernetes third_party/forked/golang/expansion)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("$$", i):
            out.append("$")
            i += 2
            continue
        if text.startswith("$(", i):
            end = text.find(")", i + 2)
            if end != -1:
                name = text[i + 2 : end]
                out.append(env[name] if name in env else text[i : end + 1])
                i = end + 1
                continue
        out.append(text[i])
        i += 1
    return "".join(out)
