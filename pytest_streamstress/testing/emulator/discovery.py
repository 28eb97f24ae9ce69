"""Discovery documents and `Table` rendering, built from the registered resource types.

Pure functions: resource types in, JSON-shaped documents out. Serves `/api`, `/api/v1`, `/apis`,
`/apis/<group>`, `/apis/<group>/<version>` and `/version` in the plain (non-aggregated) format,
which clients fall back to when they asked for aggregated discovery (`as=APIGroupDiscoveryList`)
and got plain JSON. `to_table` renders `meta.k8s.io/v1 Table` for `kubectl get` (server-side
printing), with the columns kubectl shows for pods and the CSV printer columns OLM declares; other
kinds get Name and Age. Must not touch the store or HTTP.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any, Final

from pytest_streamstress.testing.emulator.store import Obj, ResourceType

log = logging.getLogger(__name__)

KUBERNETES_FOR_OPENSHIFT: Final = {
    "4.16": "1.29",
    "4.17": "1.30",
    "4.18": "1.31",
    "4.19": "1.32",
    "4.20": "1.33",
}
"""The Kubernetes minor each OpenShift minor ships (OpenShift release notes)."""


def version_info(openshift_version: str) -> dict[str, str]:
    minor = ".".join(openshift_version.split(".")[:2])
    kube = KUBERNETES_FOR_OPENSHIFT.get(minor, "1.33")
    major, kube_minor = kube.split(".")
    return {
        "major": major,
        "minor": kube_minor,
        "gitVersion": f"v{kube}.0",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.24.0",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def api_versions(server_address: str) -> Obj:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def _group_versions(rtypes: Iterable[ResourceType]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for rtype in rtypes:
        if rtype.group and rtype.version not in groups.setdefault(rtype.group, []):
            groups[rtype.group].append(rtype.version)
    return groups


def _group_doc(group: str, versions: list[str]) -> Obj:
    ordered = sorted(versions, key=lambda v: (not v.startswith("v1") or "alpha" in v or "beta" in v, v))
    listed = [{"groupVersion": f"{group}/{v}", "version": v} for v in ordered]
    return {"name": group, "versions": listed, "preferredVersion": listed[0]}


def api_group_list(rtypes: Iterable[ResourceType]) -> Obj:
    groups = _group_versions(rtypes)
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [_group_doc(name, versions) for name, versions in sorted(groups.items())],
    }


def api_group(rtypes: Iterable[ResourceType], group: str) -> Obj | None:
    versions = _group_versions(rtypes).get(group)
    if not versions:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_doc(group, versions)}


def api_resource_list(rtypes: Iterable[ResourceType], group: str, version: str) -> Obj | None:
    chosen = [r for r in rtypes if r.group == group and r.version == version]
    if not chosen:
        return None
    resources: list[Obj] = []
    for rtype in sorted(chosen, key=lambda r: r.plural):
        entry: Obj = {
            "name": rtype.plural,
            "singularName": rtype.singular,
            "namespaced": rtype.namespaced,
            "kind": rtype.kind,
            "verbs": list(rtype.verbs),
        }
        if rtype.short_names:
            entry["shortNames"] = list(rtype.short_names)
        if rtype.categories:
            entry["categories"] = list(rtype.categories)
        resources.append(entry)
        for sub in rtype.subresources:
            verbs = ["get"] if sub == "log" else ["get", "patch", "update"]
            sub_kind = "Scale" if sub == "scale" else ("Pod" if sub == "log" else rtype.kind)
            resources.append(
                {
                    "name": f"{rtype.plural}/{sub}",
                    "singularName": "",
                    "namespaced": rtype.namespaced,
                    "kind": sub_kind,
                    "verbs": verbs,
                }
            )
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": resources,
    }


# -- Table ----------------------------------------------------------------------------------------
def _age(obj: Obj) -> str:
    created = obj.get("metadata", {}).get("creationTimestamp")
    if not created:
        return "<unknown>"
    then = datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    seconds = max(0, int((datetime.now(timezone.utc) - then).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size * 2 or (unit == "m" and seconds >= 120):
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _pod_cells(obj: Obj) -> list[Any]:
    spec_containers = obj.get("spec", {}).get("containers") or []
    statuses = obj.get("status", {}).get("containerStatuses") or []
    ready = sum(1 for s in statuses if s.get("ready"))
    restarts = sum(int(s.get("restartCount", 0)) for s in statuses)
    reason = obj.get("status", {}).get("phase", "Pending")
    for status in statuses:
        waiting = (status.get("state") or {}).get("waiting")
        if waiting and waiting.get("reason"):
            reason = waiting["reason"]
    if obj.get("metadata", {}).get("deletionTimestamp"):
        reason = "Terminating"
    return [f"{ready}/{len(spec_containers)}", reason, restarts]


_COLUMNS: Final[dict[str, list[tuple[str, str]]]] = {
    "Pod": [("Ready", "string"), ("Status", "string"), ("Restarts", "integer")],
    "Deployment": [("Ready", "string"), ("Up-to-date", "integer"), ("Available", "integer")],
    "ClusterServiceVersion": [
        ("Display", "string"),
        ("Version", "string"),
        ("Replaces", "string"),
        ("Phase", "string"),
    ],
    "Namespace": [("Status", "string")],
}


_NO_AGE: Final = frozenset({"ClusterServiceVersion"})
"""OLM's CSV CRD declares printer columns without Age: `kubectl get csv` shows NAME..PHASE."""


def _cells(kind: str, obj: Obj) -> list[Any]:
    status = obj.get("status") or {}
    spec = obj.get("spec") or {}
    if kind == "Pod":
        return _pod_cells(obj)
    if kind == "Deployment":
        return [
            f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
            status.get("updatedReplicas", 0),
            status.get("availableReplicas", 0),
        ]
    if kind == "ClusterServiceVersion":
        return [
            spec.get("displayName", ""),
            spec.get("version", ""),
            spec.get("replaces", ""),
            status.get("phase", ""),
        ]
    if kind == "Namespace":
        return [status.get("phase", "Active")]
    return []


def to_table(rtype: ResourceType, items: list[Obj], *, resource_version: int, include_object: str) -> Obj:
    """A `Table` of `items`; `include_object` is the request's includeObject (None/Metadata/Object)."""
    age = [] if rtype.kind in _NO_AGE else [("Age", "string")]
    columns = [("Name", "string"), *_COLUMNS.get(rtype.kind, []), *age]
    definitions = [
        {
            "name": name,
            "type": kind,
            "format": "name" if name == "Name" else "",
            "description": name,
            "priority": 0,
        }
        for name, kind in columns
    ]
    rows = []
    for obj in items:
        ages = [] if rtype.kind in _NO_AGE else [_age(obj)]
        row: Obj = {"cells": [obj["metadata"]["name"], *_cells(rtype.kind, obj), *ages]}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": obj["metadata"],
            }
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": str(resource_version)},
        "columnDefinitions": definitions,
        "rows": rows,
    }


def wants_table(accept: str) -> bool:
    """kubectl asks `application/json;as=Table;v=v1;g=meta.k8s.io,...`; the first choice decides."""
    first = accept.split(",", maxsplit=1)[0].replace(" ", "")
    return "as=Table" in first and "g=meta.k8s.io" in first


# -- OpenAPI v3 (just enough for kubectl) ------------------------------------------------------------
def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def openapi_v3_index(rtypes: Iterable[ResourceType]) -> Obj:
    """`/openapi/v3`: one entry per group/version.

    kubectl reads it to learn whether the server validates fields (`fieldValidation`); the
    per-group documents below say yes for every kind, so kubectl skips client-side schema
    validation, for which we serve no schemas.
    """
    paths = {}
    for rtype in rtypes:
        path = _gv_path(rtype.group, rtype.version)
        paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash=streamstress"}
    return {"paths": paths}


def openapi_v3_group_version(rtypes: Iterable[ResourceType], path: str) -> Obj | None:
    chosen = [r for r in rtypes if _gv_path(r.group, r.version) == path]
    if not chosen:
        return None
    paths: Obj = {}
    for rtype in chosen:
        scope = "/namespaces/{namespace}" if rtype.namespaced else ""
        gvk = {"group": rtype.group, "version": rtype.version, "kind": rtype.kind}
        params = [
            {"name": name, "in": "query", "schema": {"type": "string"}, "uniqueItems": True}
            for name in ("dryRun", "fieldManager", "fieldValidation", "force")
        ]
        paths[f"/{path}{scope}/{rtype.plural}/{{name}}"] = {
            "patch": {
                "operationId": f"patch{rtype.kind}",
                "parameters": params,
                "responses": {"200": {"description": "OK"}},
                "x-kubernetes-action": "patch",
                "x-kubernetes-group-version-kind": gvk,
            },
        }
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "streamstress-emulator"},
        "paths": paths,
        "components": {"schemas": {}},
    }
