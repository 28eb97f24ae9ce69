"""The three patch formats of the Kubernetes API, as pure functions over JSON-shaped data.

- `merge_patch` — JSON merge patch, RFC 7386 (`application/merge-patch+json`).
- `json_patch` — JSON patch, RFC 6902 (`application/json-patch+json`): add, remove, replace, move,
  copy, test, with RFC 6901 pointers (`~0`, `~1`, `-` to append).
- `strategic_merge_patch` — Kubernetes strategic merge (`application/strategic-merge-patch+json`),
  for built-in kinds. The real server takes the list merge keys from the Go types; we keep a table
  of the ones our workflow meets (containers, initContainers, env, volumes, ports, volumeMounts,
  imagePullSecrets, conditions, ownerReferences...). Lists without a merge key are replaced.
  Directives: `$patch: delete|replace|merge` (in maps and list items), `$setElementOrder/<field>`
  (ordering; applied), `$deleteFromPrimitiveList/<field>`, `$retainKeys` (honoured).

Must not: know about the store, HTTP, or resource kinds. Errors raise `PatchError`; the server
turns it into a 422 (json patch test failed, bad path) or 400 (malformed body) Status.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from typing import Any, Final

log = logging.getLogger(__name__)


class PatchError(ValueError):
    """The patch cannot be applied; `status` is the HTTP code the real server uses."""

    def __init__(self, message: str, *, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


# -- RFC 7386 -------------------------------------------------------------------------------------
def merge_patch(target: Any, patch: Any) -> Any:
    """Apply a JSON merge patch; returns a new value, `target` is not changed."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


# -- RFC 6902 -------------------------------------------------------------------------------------
def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"invalid JSON pointer {path!r}: must start with '/'")
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _index(container: list[Any], token: str, *, for_add: bool) -> int:
    if token == "-" and for_add:
        return len(container)
    if not token.isdigit() or (len(token) > 1 and token.startswith("0")):
        raise PatchError(f"invalid array index {token!r}")
    index = int(token)
    limit = len(container) if for_add else len(container) - 1
    if index > limit:
        raise PatchError(f"array index {index} out of bounds (length {len(container)})")
    return index


def _parent(doc: Any, tokens: list[str], path: str) -> Any:
    current = doc
    for token in tokens[:-1]:
        if isinstance(current, dict):
            if token not in current:
                raise PatchError(f"path {path!r} does not exist: missing {token!r}")
            current = current[token]
        elif isinstance(current, list):
            current = current[_index(current, token, for_add=False)]
        else:
            raise PatchError(f"path {path!r} does not exist")
    return current


def _get(doc: Any, path: str) -> Any:
    tokens = _pointer(path)
    if not tokens:
        return doc
    parent = _parent(doc, tokens, path)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(f"path {path!r} does not exist")
        return parent[last]
    if isinstance(parent, list):
        return parent[_index(parent, last, for_add=False)]
    raise PatchError(f"path {path!r} does not exist")


def _add(doc: Any, path: str, value: Any) -> Any:
    tokens = _pointer(path)
    if not tokens:
        return value
    parent = _parent(doc, tokens, path)
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, last, for_add=True), value)
    else:
        raise PatchError(f"cannot add at {path!r}: parent is not an object or array")
    return doc


def _remove(doc: Any, path: str) -> tuple[Any, Any]:
    tokens = _pointer(path)
    if not tokens:
        raise PatchError("cannot remove the whole document")
    parent = _parent(doc, tokens, path)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(f"cannot remove {path!r}: it does not exist")
        return doc, parent.pop(last)
    if isinstance(parent, list):
        return doc, parent.pop(_index(parent, last, for_add=False))
    raise PatchError(f"cannot remove {path!r}: it does not exist")


def json_patch(target: Any, operations: Any) -> Any:
    """Apply an RFC 6902 patch (all or nothing); returns a new value."""
    if not isinstance(operations, list):
        raise PatchError("a JSON patch must be an array of operations", status=400)
    doc = copy.deepcopy(target)
    for number, op in enumerate(operations):
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise PatchError(f"operation {number}: needs 'op' and 'path'", status=400)
        kind, path = op["op"], op["path"]
        if kind in ("add", "replace", "test") and "value" not in op:
            raise PatchError(f"operation {number} ({kind} {path}): missing 'value'", status=400)
        if kind == "add":
            doc = _add(doc, path, copy.deepcopy(op["value"]))
        elif kind == "remove":
            doc, _ = _remove(doc, path)
        elif kind == "replace":
            _get(doc, path)
            doc, _ = _remove(doc, path) if _pointer(path) else (doc, None)
            doc = _add(doc, path, copy.deepcopy(op["value"]))
        elif kind in ("move", "copy"):
            if "from" not in op:
                raise PatchError(f"operation {number} ({kind} {path}): missing 'from'", status=400)
            if kind == "move":
                if path.startswith(op["from"] + "/"):
                    raise PatchError(f"operation {number}: cannot move {op['from']!r} into its own child")
                doc, value = _remove(doc, op["from"])
            else:
                value = copy.deepcopy(_get(doc, op["from"]))
            doc = _add(doc, path, value)
        elif kind == "test":
            if _get(doc, path) != op["value"]:
                raise PatchError(f"testing value {path} failed")
        else:
            raise PatchError(f"operation {number}: unknown op {kind!r}", status=400)
    return doc


# -- strategic merge ------------------------------------------------------------------------------
MERGE_KEYS: Final[Mapping[str, str]] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "imagePullSecrets": "name",
    "conditions": "type",
    "ownerReferences": "uid",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "containerStatuses": "name",
    "initContainerStatuses": "name",
    "subsets": "",
}
"""Field name -> patchMergeKey from the Kubernetes Go types (`ports` is decided per item below)."""
PRIMITIVE_MERGE_LISTS: Final = frozenset({"finalizers"})
"""Lists of scalars with patchStrategy merge (ObjectMeta.finalizers): patched as a set union."""


def _merge_key(field: str, items: list[Any]) -> str | None:
    if field == "ports":
        # ContainerPort merges by containerPort, ServicePort by port (k8s.io/api core/v1 types).
        sample = next((i for i in items if isinstance(i, dict) and "$patch" not in i), None)
        return "containerPort" if sample is not None and "containerPort" in sample else "port"
    key = MERGE_KEYS.get(field)
    return key or None


def strategic_merge_patch(target: Any, patch: Any) -> Any:
    """Apply a strategic merge patch to a built-in kind's object; returns a new value."""
    if not isinstance(patch, dict):
        raise PatchError("a strategic merge patch must be a JSON object", status=400)
    return _smp_map(copy.deepcopy(target) if isinstance(target, dict) else {}, patch)


def _smp_map(original: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    directive = patch.get("$patch")
    if directive == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if directive == "delete":
        return {}
    retain = patch.get("$retainKeys")
    result = original
    orders: dict[str, list[Any]] = {}
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys"):
            continue
        if key.startswith("$setElementOrder/"):
            orders[key.split("/", 1)[1]] = value
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            if isinstance(result.get(field), list):
                result[field] = [v for v in result[field] if v not in value]
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            current = result.get(key)
            result[key] = _smp_map(current if isinstance(current, dict) else {}, value)
            if value.get("$patch") == "delete":
                result.pop(key, None)
        elif isinstance(value, list):
            result[key] = _smp_list(key, result.get(key), value)
        else:
            result[key] = value
    for field, order in orders.items():
        if isinstance(result.get(field), list):
            result[field] = _apply_order(field, result[field], order)
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    return result


def _smp_list(field: str, original: Any, patch: list[Any]) -> list[Any]:
    current = original if isinstance(original, list) else []
    if any(isinstance(item, dict) and item.get("$patch") == "replace" for item in patch):
        return [copy.deepcopy(i) for i in patch if not (isinstance(i, dict) and i.get("$patch") == "replace")]
    if field in PRIMITIVE_MERGE_LISTS:
        merged = list(current)
        merged.extend(v for v in patch if v not in merged)
        return merged
    key = _merge_key(field, patch or current)
    if key is None:
        return [copy.deepcopy(i) for i in patch if not (isinstance(i, dict) and "$patch" in i)]
    result = [copy.deepcopy(i) for i in current]
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            raise PatchError(
                f"list {field!r}: every item of a strategic merge patch needs the merge key {key!r}"
            )
        position = next(
            (n for n, old in enumerate(result) if isinstance(old, dict) and old.get(key) == item[key]), None
        )
        if item.get("$patch") == "delete":
            if position is not None:
                result.pop(position)
        elif position is None:
            result.append(_smp_map({}, {k: v for k, v in item.items() if k != "$patch"}))
        else:
            result[position] = _smp_map(result[position], item)
    return result


def _apply_order(field: str, items: list[Any], order: list[Any]) -> list[Any]:
    key = _merge_key(field, order) if all(isinstance(o, dict) for o in order) else None
    if key is None:
        ranked = {value: n for n, value in enumerate(order) if not isinstance(value, (dict, list))}
        return sorted(
            items, key=lambda v: ranked.get(v, len(ranked)) if not isinstance(v, (dict, list)) else 0
        )
    ranked = {o.get(key): n for n, o in enumerate(order)}
    return sorted(items, key=lambda v: ranked.get(v.get(key), len(ranked)) if isinstance(v, dict) else 0)
