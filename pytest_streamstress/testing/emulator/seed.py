"""The emulated cluster's starting states: `bare` (OpenShift without the operator) and `installed`.

Owns: the objects a fresh OpenShift cluster has that our workflow reads (namespaces, three worker
Nodes with capacity/allocatable, ClusterVersion `version` at `emulator.openshift_version` (default
4.20.3, so the console plugin's `_LEGACY` path is the one exercised), the image registry config
`cluster` (Managed, `defaultRoute: false`), the global OperatorGroup in `openshift-operators`), and
for `installed` the Subscription the original tool creates (reference §5.3) followed by a bounded
wait until the controllers have reconciled TektonConfig `config` to Ready. Also `wait_for`, the
event-driven bounded wait (no polling loop) that seed and tests share.
Must not: reconcile anything itself; everything after the Subscription is the controllers' work.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from pytest_streamstress.errors import StreamstressError, WaitTimeout
from pytest_streamstress.testing.emulator import manifests
from pytest_streamstress.testing.emulator.store import ApiError, Obj, Store

if TYPE_CHECKING:
    from pytest_streamstress.testing.emulator.controllers import Host

log = logging.getLogger(__name__)

INSTALL_TIMEOUT_S: Final = 60.0
NAMESPACES: Final = (
    "default",
    "kube-system",
    "kube-public",
    "openshift",
    "openshift-config",
    "openshift-config-managed",
    "openshift-image-registry",
    "openshift-marketplace",
    "openshift-operators",
)
WORKERS: Final = 3
SUBSCRIPTION_NAME: Final = "openshift-pipelines-operator"


def wait_for(
    store: Store,
    probe: Callable[[], Obj | bool | None],
    *,
    what: str,
    timeout: float,
    describe: Callable[[], str] = lambda: "",
) -> Obj | bool:
    """Return `probe()` once truthy, re-checking after every store event; `WaitTimeout` after `timeout`."""
    changed = threading.Event()
    unsubscribe = store.subscribe(lambda _event: changed.set())
    deadline = time.monotonic() + timeout
    try:
        while True:
            changed.clear()
            result = probe()
            if result:
                return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                state = describe()
                raise WaitTimeout(f"{what} not reached within {timeout:g}s" + (f"; {state}" if state else ""))
            changed.wait(min(remaining, 1.0))
    finally:
        unsubscribe()


def node(index: int) -> Obj:
    name = f"worker-{index}"
    return {
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "node-role.kubernetes.io/worker": "",
            },
        },
        "spec": {},
        "status": {
            "capacity": {
                "cpu": "8",
                "memory": "32863644Ki",
                "pods": "250",
                "ephemeral-storage": "125293548Ki",
            },
            "allocatable": {
                "cpu": "7500m",
                "memory": "31712668Ki",
                "pods": "250",
                "ephemeral-storage": "115470533646",
            },
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "message": "kubelet is posting ready status",
                }
            ],
            "addresses": [
                {"type": "InternalIP", "address": f"10.0.0.{10 + index}"},
                {"type": "Hostname", "address": name},
            ],
            "nodeInfo": {
                "kubeletVersion": "v1.33.5",
                "operatingSystem": "linux",
                "architecture": "amd64",
                "containerRuntimeVersion": "cri-o://1.33.5",
                "kubeProxyVersion": "v1.33.5",
                "kernelVersion": "5.14.0-570.el9_6.x86_64",
                "osImage": "Red Hat Enterprise Linux CoreOS 9.6",
                "bootID": f"00000000-0000-4000-8000-00000000000{index}",
                "machineID": f"emulated{index:024d}",
                "systemUUID": f"00000000-0000-4000-9000-00000000000{index}",
            },
        },
    }


def cluster_version(version: str) -> Obj:
    minor = ".".join(version.split(".")[:2])
    return {
        "metadata": {"name": "version"},
        "spec": {"channel": f"stable-{minor}", "clusterID": "00000000-0000-4000-8000-000000000000"},
        "status": {
            "desired": {
                "version": version,
                "image": f"quay.io/openshift-release-dev/ocp-release:{version}-x86_64",
            },
            "history": [{"state": "Completed", "version": version, "verified": True}],
            "observedGeneration": 1,
            "versionHash": "emulated",
        },
    }


def registry_config() -> Obj:
    return {
        "metadata": {"name": "cluster"},
        "spec": {
            "managementState": "Managed",
            "defaultRoute": False,
            "replicas": 1,
            "storage": {},
            "logLevel": "Normal",
            "operatorLogLevel": "Normal",
        },
        "status": {"conditions": [{"type": "Available", "status": "True", "reason": "Ready"}]},
    }


def subscription() -> Obj:
    """The Subscription the original tool creates (reference §5.3, MS src/setup.rs)."""
    return {
        "metadata": {"name": SUBSCRIPTION_NAME, "namespace": manifests.OPERATOR_NAMESPACE},
        "spec": {
            "channel": "latest",
            "name": manifests.PACKAGE,
            "source": "redhat-operators",
            "sourceNamespace": "openshift-marketplace",
            "installPlanApproval": "Automatic",
        },
    }


def _create(store: Store, api_version: str, kind: str, obj: Obj) -> None:
    try:
        store.create(store.rtype(api_version, kind), obj)
    except ApiError as exc:
        if exc.status != 409:
            raise


def ingress_ca_config_map(ca_pem: bytes) -> Obj:
    """What OpenShift publishes for clients of routes: the ingress CA bundle (`ca-bundle.crt`)."""
    return {
        "metadata": {"name": "default-ingress-cert", "namespace": "openshift-config-managed"},
        "data": {"ca-bundle.crt": ca_pem.decode("ascii")},
    }


def seed(emulator: Host, state: str, *, timeout: float = INSTALL_TIMEOUT_S) -> None:
    """Put the emulator into `state` ("bare" or "installed"); for "installed" wait until Ready."""
    if state not in ("bare", "installed"):
        raise StreamstressError(f"unknown emulator state {state!r}", hint="use 'bare' or 'installed'")
    store = emulator.store
    for name in NAMESPACES:
        _create(store, "v1", "Namespace", {"metadata": {"name": name}})
    for index in range(WORKERS):
        _create(store, "v1", "Node", node(index))
    _create(store, "config.openshift.io/v1", "ClusterVersion", cluster_version(emulator.openshift_version))
    _create(store, "imageregistry.operator.openshift.io/v1", "Config", registry_config())
    if emulator.registry.ca_pem:
        _create(store, "v1", "ConfigMap", ingress_ca_config_map(emulator.registry.ca_pem))
    _create(
        store,
        "operators.coreos.com/v1",
        "OperatorGroup",
        {
            "metadata": {"name": "global-operators", "namespace": manifests.OPERATOR_NAMESPACE},
            "spec": {},
            "status": {"namespaces": [""]},
        },
    )
    if state == "installed":
        _create(store, "operators.coreos.com/v1alpha1", "Subscription", subscription())
        wait_until_installed(emulator, timeout=timeout)


def tekton_config_ready(store: Store) -> Obj | None:
    """TektonConfig `config` if its Ready condition is True, else None."""
    try:
        config = store.get(store.rtype("operator.tekton.dev/v1alpha1", "TektonConfig"), None, "config")
    except ApiError:
        return None
    for entry in (config.get("status") or {}).get("conditions") or []:
        if entry.get("type") == "Ready" and entry.get("status") == "True":
            return config
    return None


def describe_install(store: Store) -> str:
    """The CSV phase and TektonConfig conditions, for a timeout message."""
    parts = []
    try:
        csv = store.get(
            store.rtype("operators.coreos.com/v1alpha1", "ClusterServiceVersion"),
            manifests.OPERATOR_NAMESPACE,
            manifests.CSV_NAME,
        )
        st = csv.get("status") or {}
        parts.append(f"CSV {manifests.CSV_NAME} phase {st.get('phase')!r} ({st.get('message', '')})")
    except ApiError:
        parts.append(f"CSV {manifests.CSV_NAME} absent")
    try:
        config = store.get(store.rtype("operator.tekton.dev/v1alpha1", "TektonConfig"), None, "config")
        conditions = [
            f"{c.get('type')}={c.get('status')}" + (f" ({c['message']})" if c.get("message") else "")
            for c in (config.get("status") or {}).get("conditions") or []
        ]
        parts.append("TektonConfig conditions: " + (", ".join(conditions) or "none"))
    except ApiError:
        parts.append("TektonConfig config absent")
    return "; ".join(parts)


def wait_until_installed(emulator: Host, *, timeout: float = INSTALL_TIMEOUT_S) -> Obj:
    """Block until TektonConfig `config` is Ready; `WaitTimeout` with the CSV/TektonConfig state if not."""
    store = emulator.store
    result = wait_for(
        store,
        lambda: tekton_config_ready(store),
        what="OpenShift Pipelines installed (TektonConfig 'config' Ready)",
        timeout=timeout,
        describe=lambda: describe_install(store),
    )
    assert isinstance(result, dict)
    return result
