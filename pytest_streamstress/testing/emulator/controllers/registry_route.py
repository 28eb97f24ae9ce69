"""The image registry operator's one visible effect: `spec.defaultRoute` <-> Route `default-route`.

Owns: Route `openshift-image-registry/default-route` with `spec.host` = the emulator's registry
host (reference §9), present while `configs.imageregistry.operator.openshift.io/cluster` has
`spec.defaultRoute: true` and `managementState` is not `Removed` (a removed registry serves nothing),
deleted otherwise. Must not: know about images; the registry itself is the emulator's.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterable
from typing import Final

from pytest_streamstress.testing.emulator.controllers import _util
from pytest_streamstress.testing.emulator.controllers._base import Controller, Host
from pytest_streamstress.testing.emulator.store import Event, Obj

log = logging.getLogger(__name__)

NAMESPACE: Final = "openshift-image-registry"
ROUTE: Final = "default-route"


def default_route(host: str) -> Obj:
    """The Route the registry operator creates for `defaultRoute: true`."""
    return {
        "apiVersion": "route.openshift.io/v1",
        "kind": "Route",
        "metadata": {
            "name": ROUTE,
            "namespace": NAMESPACE,
            "annotations": {"imageregistry.openshift.io": "true"},
        },
        "spec": {
            "host": host,
            "to": {"kind": "Service", "name": "image-registry", "weight": 100},
            "port": {"targetPort": "5000-tcp"},
            "tls": {"termination": "reencrypt"},
            "wildcardPolicy": "None",
        },
        "status": {
            "ingress": [
                {
                    "host": host,
                    "routerName": "default",
                    "wildcardPolicy": "None",
                    "conditions": [{"type": "Admitted", "status": "True", "lastTransitionTime": _util.now()}],
                }
            ]
        },
    }


class RegistryRouteController(Controller):
    name = "registry-route"

    def __init__(self, host: Host) -> None:
        super().__init__(host)
        self.configs = self.store.rtype("imageregistry.operator.openshift.io/v1", "Config")
        self.routes = self.store.rtype("route.openshift.io/v1", "Route")
        self.namespaces = self.store.rtype("v1", "Namespace")

    def keys_for(self, event: Event) -> Iterable[Hashable]:
        if event.rtype is self.configs and event.obj["metadata"]["name"] == "cluster":
            return ["cluster"]
        if event.rtype is self.routes and event.obj["metadata"]["name"] == ROUTE:
            return ["cluster"]
        return ()

    def initial_keys(self) -> Iterable[Hashable]:
        return ["cluster"]

    def reconcile(self, key: Hashable) -> float | None:
        config = _util.get_or_none(self.store, self.configs, None, "cluster")
        spec = (config or {}).get("spec") or {}
        wanted = bool(spec.get("defaultRoute")) and spec.get("managementState") != "Removed"
        route = _util.get_or_none(self.store, self.routes, NAMESPACE, ROUTE)
        if wanted and route is None:
            _util.create_if_absent(self.store, self.namespaces, {"metadata": {"name": NAMESPACE}})
            _util.create_if_absent(self.store, self.routes, default_route(self.host.registry_host))
            log.info("registry-route: created %s/%s for %s", NAMESPACE, ROUTE, self.host.registry_host)
        elif not wanted and route is not None:
            _util.delete_if_present(self.store, self.routes, NAMESPACE, ROUTE)
        return None
