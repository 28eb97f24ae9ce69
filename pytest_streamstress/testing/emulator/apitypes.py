"""The value types shared by the emulator's store, server and controllers.

Owns `ResourceType` (what a served kind is), `ApiError` (a failure with its Kubernetes `Status`),
`Event` (one committed change) and two JSON helpers. No behaviour beyond formatting; `store.py`
re-exports these names, so `from .store import ApiError, Event, ResourceType` keeps working.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

log = logging.getLogger(__name__)

Obj = dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceType:
    """One served resource: what discovery lists and what URLs and apiVersion/kind map to."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    builtin: bool = True
    """False for custom resources: strategic merge patch answers 415 like the real server."""
    subresources: tuple[str, ...] = ("status",)
    categories: tuple[str, ...] = ()
    """Discovery categories; "all" makes `kubectl get all` include the kind."""
    generation: bool = True
    """Whether the server maintains metadata.generation (not for ConfigMaps, Secrets, RBAC...)."""
    verbs: tuple[str, ...] = (
        "create",
        "delete",
        "deletecollection",
        "get",
        "list",
        "patch",
        "update",
        "watch",
    )

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        return self.kind + "List"

    @property
    def qualified(self) -> str:
        """`deployments.apps`, `pods`: how the real server names the resource in messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def singular(self) -> str:
        return self.kind.lower()


class ApiError(Exception):
    """An API failure with its Kubernetes Status fields; the server sends `to_status()`."""

    def __init__(
        self, status: int, reason: str, message: str, *, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.details = details or {}

    def to_status(self) -> Obj:
        status: Obj = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.status,
        }
        if self.details:
            status["details"] = self.details
        return status

    @classmethod
    def not_found(cls, rtype: ResourceType, name: str) -> ApiError:
        return cls(
            404, "NotFound", f'{rtype.qualified} "{name}" not found', details=status_details(rtype, name)
        )

    @classmethod
    def invalid(cls, rtype: ResourceType, name: str, message: str) -> ApiError:
        return cls(
            422,
            "Invalid",
            f'{rtype.kind}.{rtype.group or "core"} "{name}" is invalid: {message}',
            details=status_details(rtype, name),
        )

    @classmethod
    def bad_request(cls, message: str) -> ApiError:
        return cls(400, "BadRequest", message)

    @classmethod
    def conflict(cls, rtype: ResourceType, name: str) -> ApiError:
        return cls(
            409,
            "Conflict",
            f'Operation cannot be fulfilled on {rtype.qualified} "{name}": the object '
            "has been modified; please apply your changes to the latest version and try again",
            details=status_details(rtype, name),
        )


def status_details(rtype: ResourceType, name: str) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name, "kind": rtype.plural}
    if rtype.group:
        details["group"] = rtype.group
    return details


@dataclass(frozen=True, slots=True)
class Event:
    """One committed change, as a watch sends it."""

    type: str  # "ADDED" | "MODIFIED" | "DELETED"
    rtype: ResourceType
    obj: Obj
    resource_version: int
    old: Obj | None = None
    """For MODIFIED: the object before the change (watches use it to turn selector changes into
    ADDED/DELETED like the real server). Read-only."""


def clone(obj: Any) -> Any:
    """A deep copy of JSON-shaped data (faster than copy.deepcopy for this shape)."""
    return json.loads(json.dumps(obj))


def now_rfc3339() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
