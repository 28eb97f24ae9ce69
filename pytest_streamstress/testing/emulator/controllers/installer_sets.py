"""The `tektoninstallerset` controller (the operator pod's cluster-operations container).

Owns what happens to a TektonInstallerSet once it exists: applying every object of
`spec.manifests` (create, or update when the live spec/data differ; namespaced objects get an
ownerReference to the set), the set's status conditions (reference §6: `CrdsInstalled` ...
`Ready`, Ready only when every Deployment of the set is available and every StatefulSet rolled
out, `StatefulSetReady` False otherwise), and the finalizer
`tektoninstallersets.operator.tekton.dev`: on deletion, every object listed in the manifests is
deleted (so operand Deployments and their pods go away), then the finalizer is removed. It is
driven by the Tekton operator loop (same pod, same "process is running" rule), not by its own
thread. Must not: decide which sets exist (the component reconcilers in `tekton_operator.py` do).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final

from pytest_streamstress.testing.emulator.controllers import _util
from pytest_streamstress.testing.emulator.store import ApiError, Obj, ResourceType, Store

log = logging.getLogger(__name__)

API: Final = "operator.tekton.dev/v1alpha1"
FINALIZER: Final = "tektoninstallersets.operator.tekton.dev"
L_CREATED_BY: Final = "operator.tekton.dev/created-by"
L_TYPE: Final = "operator.tekton.dev/type"
L_RELEASE: Final = "operator.tekton.dev/release-version"
L_INSTALL_TYPE: Final = "operator.tekton.dev/installType"
A_TARGET: Final = "operator.tekton.dev/target-namespace"
A_HASH: Final = "operator.tekton.dev/last-applied-hash"
SET_CONDITIONS: Final = (
    "CrdsInstalled",
    "ClusterScopedResourcesInstalled",
    "NamespaceScopedResourcesInstalled",
    "DeploymentsAvailable",
    "StatefulSetReady",
    "WebhooksReady",
    "ControllersReady",
    "AllDeploymentsReady",
    "JobsInstalled",
)


def mark(conditions: list[dict[str, Any]], ctype: str, ok: bool, message: str = "") -> None:
    """Set a knative-style condition: True, or False with reason Error and `message`."""
    _util.set_condition(
        conditions,
        ctype,
        "True" if ok else "False",
        reason="" if ok else "Error",
        message="" if ok else message,
    )


def applied_fields(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The top-level fields an apply sets (spec, data, rules, ...), without metadata and status."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


def deployment_ready(deployment: Obj) -> bool:
    """Available, observed and fully rolled out: what the set's DeploymentsAvailable waits for."""
    status = deployment.get("status") or {}
    replicas = int((deployment.get("spec") or {}).get("replicas", 1))
    return (
        _util.is_condition_true(deployment, "Available")
        and status.get("observedGeneration") == deployment["metadata"].get("generation")
        and int(status.get("updatedReplicas", 0)) >= replicas
        and int(status.get("readyReplicas", 0)) >= replicas
    )


def statefulset_ready(statefulset: Obj) -> bool:
    """Observed, every replica ready and on the update revision (what `StatefulSetReady` waits for)."""
    status = statefulset.get("status") or {}
    replicas = int((statefulset.get("spec") or {}).get("replicas", 1))
    return (
        status.get("observedGeneration") == statefulset["metadata"].get("generation")
        and int(status.get("readyReplicas", 0)) >= replicas
        and int(status.get("updatedReplicas", 0)) >= replicas
        and status.get("currentRevision") == status.get("updateRevision")
    )


class InstallerSets:
    """Apply, report and finalize TektonInstallerSets in one store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.sets = store.rtype(API, "TektonInstallerSet")
        self.deployments = store.rtype("apps/v1", "Deployment")
        self.statefulsets = store.rtype("apps/v1", "StatefulSet")

    def rtype_of(self, obj: Mapping[str, Any]) -> ResourceType | None:
        try:
            return self.store.rtype(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
        except ApiError:
            log.warning(
                "installer set manifest kind %s/%s is not served", obj.get("apiVersion"), obj.get("kind")
            )
            return None

    def run_finalizers(self) -> list[str]:
        """For every set being deleted: delete its manifests' objects, then drop the finalizer; the names."""
        done: list[str] = []
        items, _ = self.store.list(self.sets)
        for tis in items:
            if not _util.is_deleting(tis) or FINALIZER not in (tis["metadata"].get("finalizers") or []):
                continue
            for obj in (tis.get("spec") or {}).get("manifests") or []:
                rtype = self.rtype_of(obj)
                if rtype is not None:
                    meta = obj.get("metadata") or {}
                    _util.delete_if_present(self.store, rtype, meta.get("namespace"), meta.get("name", ""))

            def drop(obj: Obj) -> None:
                obj["metadata"]["finalizers"] = [
                    f for f in obj["metadata"].get("finalizers") or [] if f != FINALIZER
                ]

            self.store.mutate(self.sets, None, _util.name_of(tis), drop)
            done.append(_util.name_of(tis))
        return done

    def apply_all(self, default_namespace: str) -> None:
        items, _ = self.store.list(self.sets)
        for tis in items:
            if not _util.is_deleting(tis):
                self.apply(tis, default_namespace)

    def apply(self, tis: Obj, default_namespace: str) -> None:
        """Create or update every object of the set; then write the set's status."""
        target = (tis["metadata"].get("annotations") or {}).get(A_TARGET, default_namespace)
        unavailable: list[str] = []
        unready: list[str] = []
        for obj in (tis.get("spec") or {}).get("manifests") or []:
            rtype = self.rtype_of(obj)
            if rtype is None:
                continue
            wanted = _util.canonical_copy(obj)
            meta = wanted.setdefault("metadata", {})
            if rtype.namespaced:
                meta.setdefault("namespace", target)
                meta["ownerReferences"] = [_util.owner_ref(tis)]
            live = _util.get_or_none(self.store, rtype, meta.get("namespace"), meta["name"])
            if live is None:
                live = _util.create_if_absent(self.store, rtype, wanted)
            elif applied_fields(live) != applied_fields(wanted):

                def update(current: Obj, wanted: Obj = wanted) -> None:
                    current.update(applied_fields(wanted))
                    current["metadata"]["labels"] = wanted["metadata"].get("labels") or {}

                live = self.store.mutate(rtype, meta.get("namespace"), meta["name"], update)
            if rtype is self.deployments and not deployment_ready(live):
                unavailable.append(meta["name"])
            if rtype is self.statefulsets and not statefulset_ready(live):
                unready.append(meta["name"])
        self._write_status(tis, unavailable, unready)

    def _write_status(self, tis: Obj, unavailable: list[str], unready: list[str]) -> None:
        if unavailable:
            message = f"Deployment {unavailable[0]} is not available"
        else:
            message = f"StatefulSet {unready[0]} is not ready" if unready else ""
        failing = {"DeploymentsAvailable", "AllDeploymentsReady"} if unavailable else set()
        failing |= {"StatefulSetReady"} if unready else set()

        def status(obj: Obj) -> None:
            st = obj.setdefault("status", {})
            conditions: list[dict[str, Any]] = st.get("conditions") or []
            for ctype in SET_CONDITIONS:
                mark(conditions, ctype, ctype not in failing, message)
            mark(conditions, "Ready", not failing, message)
            st["conditions"] = conditions

        self.store.mutate(self.sets, None, _util.name_of(tis), status, subresource="status")
