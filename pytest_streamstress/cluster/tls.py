"""The cluster's TLS facts: the ingress CA its routes are signed by, and what a certificate error means.

Two questions the rest of the plugin asks about certificates (issue 19):

- which CA signs the registry route? OpenShift publishes the ingress CA for clients in the ConfigMap
  `openshift-config-managed/default-ingress-cert` (`ca-bundle.crt`); a route with its own
  certificate may carry its CA in `spec.tls.caCertificate`. `ingress_ca` reads the first that
  exists; the build trusts it (build/tls.py) instead of turning verification off.
- is this API failure a certificate the client does not trust? That is the door's question
  (`client.certificate_problem`): it fails at once with advice instead of retrying a handshake
  that cannot succeed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from pytest_streamstress.cluster import resources as r
from pytest_streamstress.errors import ClusterError, NotFound

if TYPE_CHECKING:
    from pytest_streamstress.cluster.client import Cluster

log = logging.getLogger(__name__)

INGRESS_CA_NAMESPACE: Final = "openshift-config-managed"
INGRESS_CA_CONFIG_MAP: Final = "default-ingress-cert"
INGRESS_CA_KEY: Final = "ca-bundle.crt"


@dataclass(frozen=True, slots=True)
class IngressCA:
    pem: bytes
    source: str
    """Where it was read, for messages."""


def ingress_ca(cluster: Cluster) -> IngressCA | None:
    """The CA the registry route's certificate chains to, read from the cluster; None if not published."""
    where = f"ConfigMap {INGRESS_CA_NAMESPACE}/{INGRESS_CA_CONFIG_MAP}"
    try:
        config_map = cluster.call(
            f"get {where}",
            cluster.core.read_namespaced_config_map,
            INGRESS_CA_CONFIG_MAP,
            INGRESS_CA_NAMESPACE,
        )
        pem = str((config_map.data or {}).get(INGRESS_CA_KEY) or "")
        if "BEGIN CERTIFICATE" in pem:
            return IngressCA(pem=pem.encode("ascii"), source=where)
    except NotFound:
        log.info("%s not found; trying the registry route's CA", where)
    except ClusterError as exc:
        log.info("cannot read %s (%s); trying the registry route's CA", where, exc.message)
    group, version, plural = r.ROUTE
    route = cluster.get_custom(group, version, plural, r.REGISTRY_ROUTE_NAME, r.REGISTRY_NAMESPACE)
    pem = str(((route or {}).get("spec") or {}).get("tls", {}).get("caCertificate") or "")
    if "BEGIN CERTIFICATE" in pem:
        return IngressCA(
            pem=pem.encode("ascii"),
            source=f"Route {r.REGISTRY_NAMESPACE}/{r.REGISTRY_ROUTE_NAME} spec.tls.caCertificate",
        )
    return None
