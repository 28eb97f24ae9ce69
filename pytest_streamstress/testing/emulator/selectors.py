"""Label and field selectors, parsed and matched the way the Kubernetes API server does.

Pure functions only: text in, predicate out. The store and the HTTP server call these; nothing here
knows about HTTP or locking. Label syntax (k8s.io/apimachinery/pkg/labels): `k=v`, `k==v`, `k!=v`,
`k in (a,b)`, `k notin (a,b)`, `k` (exists), `!k` (does not exist), terms joined by commas.
Field selectors support `=`, `==`, `!=` on the fields a kind registers (metadata.name and
metadata.namespace for every kind, a few more for pods and events), like the real server, which
answers 400 to any other field.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

log = logging.getLogger(__name__)

Predicate = Callable[[Mapping[str, Any]], bool]


class SelectorError(ValueError):
    """The selector text is malformed; the server turns this into a 400 BadRequest Status."""


_KEY: Final = re.compile(
    r"^([a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$"
)
_VALUE: Final = re.compile(r"^(([a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?)?)$")

COMMON_FIELDS: Final = frozenset({"metadata.name", "metadata.namespace"})
"""Field labels every kind supports on the real server."""
EXTRA_FIELDS: Final[Mapping[str, frozenset[str]]] = {
    "Pod": frozenset(
        {
            "status.phase",
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.serviceAccountName",
            "status.podIP",
            "spec.schedulerName",
        }
    ),
    "Event": frozenset(
        {
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "source",
            "type",
        }
    ),
    "Secret": frozenset({"type"}),
    "Namespace": frozenset({"status.phase"}),
    "Node": frozenset({"spec.unschedulable"}),
    "Job": frozenset({"status.successful"}),
}


@dataclass(frozen=True, slots=True)
class _Requirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!"
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        if self.op == "exists":
            return present
        if self.op == "!":
            return not present
        if self.op in ("=", "in"):
            return present and labels[self.key] in self.values
        # "!=" and "notin" match objects without the label too, as on the real server.
        return not present or labels[self.key] not in self.values


def _split_terms(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    terms: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise SelectorError(f"unbalanced ')' in selector {text!r}")
        if char == "," and depth == 0:
            terms.append("".join(current))
            current = []
        else:
            current.append(char)
    if depth != 0:
        raise SelectorError(f"unbalanced '(' in selector {text!r}")
    terms.append("".join(current))
    return [t.strip() for t in terms]


_SET_TERM: Final = re.compile(r"^(?P<key>\S+)\s+(?P<op>in|notin)\s*\((?P<values>[^()]*)\)$")
_EQ_TERM: Final = re.compile(r"^(?P<key>[^=!\s]+)\s*(?P<op>==|=|!=)\s*(?P<value>\S*)$")


def _check_key(key: str, text: str) -> str:
    if not _KEY.match(key):
        raise SelectorError(f"invalid label key {key!r} in selector {text!r}")
    return key


def _check_value(value: str, text: str) -> str:
    if len(value) > 63 or not _VALUE.match(value):
        raise SelectorError(f"invalid label value {value!r} in selector {text!r}")
    return value


def _parse_label_term(term: str, text: str) -> _Requirement:
    if not term:
        raise SelectorError(f"empty term in selector {text!r}")
    if match := _SET_TERM.match(term):
        values = tuple(_check_value(v.strip(), text) for v in match["values"].split(","))
        return _Requirement(_check_key(match["key"], text), match["op"], values)
    if match := _EQ_TERM.match(term):
        op = "!=" if match["op"] == "!=" else "="
        return _Requirement(_check_key(match["key"], text), op, (_check_value(match["value"], text),))
    if term.startswith("!"):
        return _Requirement(_check_key(term[1:].strip(), text), "!")
    if " " not in term:
        return _Requirement(_check_key(term, text), "exists")
    raise SelectorError(f"cannot parse label selector term {term!r} in {text!r}")


def parse_label_selector(text: str) -> Predicate:
    """A predicate over whole objects (reads metadata.labels); empty text matches everything."""
    if not text.strip():
        return lambda _obj: True
    requirements = tuple(_parse_label_term(term, text) for term in _split_terms(text))

    def matches(obj: Mapping[str, Any]) -> bool:
        labels = obj.get("metadata", {}).get("labels") or {}
        return all(r.matches(labels) for r in requirements)

    return matches


def _field_value(obj: Mapping[str, Any], path: str) -> str:
    current: Any = obj
    for part in path.split("."):
        if not isinstance(current, Mapping):
            return ""
        current = current.get(part)
    if current is None:
        return ""
    if isinstance(current, bool):
        return "true" if current else "false"
    return str(current)


def parse_field_selector(text: str, *, kind: str) -> Predicate:
    """A predicate for `text`; unknown field labels raise `SelectorError` like the real 400."""
    if not text.strip():
        return lambda _obj: True
    allowed = COMMON_FIELDS | EXTRA_FIELDS.get(kind, frozenset())
    checks: list[tuple[str, bool, str]] = []
    for term in _split_terms(text):
        match = re.match(r"^(?P<field>[^=!]+)(?P<op>==|=|!=)(?P<value>.*)$", term)
        if match is None:
            raise SelectorError(f"invalid field selector term {term!r}: use field=value or field!=value")
        field = match["field"].strip()
        if field not in allowed:
            raise SelectorError(f"field label not supported: {field}")
        checks.append((field, match["op"] != "!=", match["value"].strip()))

    def matches(obj: Mapping[str, Any]) -> bool:
        return all((_field_value(obj, field) == value) is equal for field, equal, value in checks)

    return matches
