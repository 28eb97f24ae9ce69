"""Deployments -> ReplicaSets -> Pods: the kube-controller-manager part of workloads.

Owns: one ReplicaSet per pod-template hash (`<deploy>-<hash>`, owner = the Deployment) and its pods
(`<deploy>-<hash>-<5>`, owner = the ReplicaSet, template labels + `pod-template-hash`), rolling
updates (new pods first; old pods go once the new ones are Ready; `Recreate` deletes first),
replacement of deleted pods, scale, old-ReplicaSet clean-up (`revisionHistoryLimit`) and
Deployment/ReplicaSet status with the real fields and conditions (`Available`, `Progressing`).
Garbage collection (Deployment deleted -> ReplicaSets -> pods) is the store's, by ownerReferences.
Must not: change pod status (the kubelet's, `kubelet.py`) or touch Job pods (`jobs.py`).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Hashable, Iterable
from typing import Any, Final

from pytest_streamstress.testing.emulator.controllers import _util
from pytest_streamstress.testing.emulator.controllers._base import Controller, Host
from pytest_streamstress.testing.emulator.store import Event, Obj

log = logging.getLogger(__name__)

DEFAULT_REVISION_HISTORY: Final = 10


class WorkloadsController(Controller):
    name = "workloads"

    def __init__(self, host: Host) -> None:
        super().__init__(host)
        self.deployments = self.store.rtype("apps/v1", "Deployment")
        self.replicasets = self.store.rtype("apps/v1", "ReplicaSet")
        self.pods = self.store.rtype("v1", "Pod")
        self.nodes = self.store.rtype("v1", "Node")
        self._node_turn = itertools.count()

    def keys_for(self, event: Event) -> Iterable[Hashable]:
        meta = event.obj["metadata"]
        ns = meta.get("namespace", "")
        if event.rtype is self.deployments:
            return [(ns, meta["name"])]
        if event.rtype is self.replicasets or event.rtype is self.pods:
            owner = _util.controller_of(event.obj)
            if owner is not None and owner.get("kind") == "Deployment":
                return [(ns, owner["name"])]
            if owner is not None and owner.get("kind") == "ReplicaSet":
                return [(ns, str(owner["name"]).rsplit("-", 1)[0])]
        return ()

    def initial_keys(self) -> Iterable[Hashable]:
        deployments, _ = self.store.list(self.deployments)
        return [(d["metadata"]["namespace"], d["metadata"]["name"]) for d in deployments]

    def reconcile(self, key: Hashable) -> float | None:
        assert isinstance(key, tuple)
        return self._reconcile_deployment(key[0], key[1])

    def _reconcile_deployment(self, namespace: str, name: str) -> float | None:
        deployment = _util.get_or_none(self.store, self.deployments, namespace, name)
        if deployment is None or _util.is_deleting(deployment):
            return None
        uid = deployment["metadata"]["uid"]
        spec = deployment.get("spec") or {}
        replicas = int(spec.get("replicas", 1))
        template = spec.get("template") or {}
        template_hash = _util.short_hash(template)
        all_rs = [rs for rs in self.store.list(self.replicasets, namespace)[0] if _util.owned_by(rs, uid)]
        current = next(
            (rs for rs in all_rs if _util.labels(rs).get("pod-template-hash") == template_hash), None
        )
        if current is None:
            current = self._create_replicaset(deployment, template_hash, all_rs)
        old_rs = [rs for rs in all_rs if rs["metadata"]["uid"] != current["metadata"]["uid"]]
        pods = [p for p in self.store.list(self.pods, namespace)[0] if not _util.is_deleting(p)]
        new_pods = [p for p in pods if _util.owned_by(p, current["metadata"]["uid"])]
        old_uids = {rs["metadata"]["uid"] for rs in old_rs}
        old_pods = [p for p in pods if any(_util.owned_by(p, u) for u in old_uids)]
        recreate = (spec.get("strategy") or {}).get("type") == "Recreate"
        if recreate and old_pods:
            for pod in old_pods:
                _util.delete_if_present(self.store, self.pods, namespace, _util.name_of(pod))
            old_pods = []
        for extra in sorted(new_pods, key=_util.name_of)[replicas:]:
            _util.delete_if_present(self.store, self.pods, namespace, _util.name_of(extra))
        new_pods = sorted(new_pods, key=_util.name_of)[:replicas]
        for _ in range(replicas - len(new_pods)):
            new_pods.append(self._create_pod(current))
        ready_new = sum(1 for p in new_pods if _is_ready(p))
        if old_pods and ready_new >= replicas:
            for pod in old_pods:
                _util.delete_if_present(self.store, self.pods, namespace, _util.name_of(pod))
            old_pods = []
        self._scale_replicasets(deployment, current, old_rs, new_pods=new_pods, old_pods=old_pods)
        self._write_deployment_status(deployment, current, replicas, new_pods, old_pods)
        return None

    def _create_replicaset(self, deployment: Obj, template_hash: str, existing: list[Obj]) -> Obj:
        meta = deployment["metadata"]
        template = _util.canonical_copy(deployment["spec"].get("template") or {})
        template.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = template_hash
        selector = _util.canonical_copy(deployment["spec"].get("selector") or {})
        selector.setdefault("matchLabels", {})["pod-template-hash"] = template_hash
        revision = 1 + max(
            (
                int((rs["metadata"].get("annotations") or {}).get("deployment.kubernetes.io/revision", 0))
                for rs in existing
            ),
            default=0,
        )
        rs = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{meta['name']}-{template_hash}",
                "namespace": meta["namespace"],
                "labels": dict(template["metadata"]["labels"]),
                "annotations": {"deployment.kubernetes.io/revision": str(revision)},
                "ownerReferences": [_util.owner_ref(deployment)],
            },
            "spec": {
                "replicas": int(deployment["spec"].get("replicas", 1)),
                "selector": selector,
                "template": template,
            },
        }
        return _util.create_if_absent(self.store, self.replicasets, rs)

    def _pick_node(self) -> tuple[str, str]:
        nodes, _ = self.store.list(self.nodes)
        if not nodes:
            return "emulated-node", "10.0.0.1"
        node = nodes[next(self._node_turn) % len(nodes)]
        addresses = (node.get("status") or {}).get("addresses") or []
        ip = next((a["address"] for a in addresses if a.get("type") == "InternalIP"), "10.0.0.1")
        return _util.name_of(node), ip

    def _create_pod(self, rs: Obj) -> Obj:
        template = rs["spec"]["template"]
        node, host_ip = self._pick_node()
        spec = _util.canonical_copy(template.get("spec") or {})
        spec.setdefault("restartPolicy", "Always")
        spec.setdefault("schedulerName", "default-scheduler")
        spec.setdefault("terminationGracePeriodSeconds", 30)
        spec["nodeName"] = node
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "generateName": f"{rs['metadata']['name']}-",
                "namespace": rs["metadata"]["namespace"],
                "labels": dict((template.get("metadata") or {}).get("labels") or {}),
                "annotations": dict((template.get("metadata") or {}).get("annotations") or {}),
                "ownerReferences": [_util.owner_ref(rs)],
            },
            "spec": spec,
            "status": {
                "phase": "Pending",
                "hostIP": host_ip,
                "qosClass": "BestEffort",
                "conditions": [{"type": "PodScheduled", "status": "True", "lastTransitionTime": _util.now()}],
            },
        }
        return self.store.create(self.pods, pod)

    def _scale_replicasets(
        self, deployment: Obj, current: Obj, old_rs: list[Obj], *, new_pods: list[Obj], old_pods: list[Obj]
    ) -> None:
        replicas = int(deployment["spec"].get("replicas", 1))
        ready_new = sum(1 for p in new_pods if _is_ready(p))
        self._write_rs(current, replicas, len(new_pods), ready_new)
        ns = current["metadata"]["namespace"]
        for rs in old_rs:
            mine = [p for p in old_pods if _util.owned_by(p, rs["metadata"]["uid"])]
            self._write_rs(rs, len(mine), len(mine), sum(1 for p in mine if _is_ready(p)))
        limit = int(deployment["spec"].get("revisionHistoryLimit", DEFAULT_REVISION_HISTORY))
        idle = [rs for rs in old_rs if not any(_util.owned_by(p, rs["metadata"]["uid"]) for p in old_pods)]
        idle.sort(
            key=lambda rs: int(rs["metadata"]["annotations"].get("deployment.kubernetes.io/revision", 0))
        )
        for rs in idle[: max(len(idle) - limit, 0)]:
            _util.delete_if_present(self.store, self.replicasets, ns, _util.name_of(rs))

    def _write_rs(self, rs: Obj, replicas: int, count: int, ready: int) -> None:
        def apply(obj: Obj) -> None:
            obj["spec"]["replicas"] = replicas

        def status(obj: Obj) -> None:
            obj["status"] = {
                "replicas": count,
                "fullyLabeledReplicas": count,
                "readyReplicas": ready,
                "availableReplicas": ready,
                "observedGeneration": obj["metadata"].get("generation", 1),
            }

        ns, name = rs["metadata"]["namespace"], _util.name_of(rs)
        if _util.get_or_none(self.store, self.replicasets, ns, name) is None:
            return
        self.store.mutate(self.replicasets, ns, name, apply)
        self.store.mutate(self.replicasets, ns, name, status, subresource="status")

    def _write_deployment_status(
        self, deployment: Obj, current: Obj, replicas: int, new_pods: list[Obj], old_pods: list[Obj]
    ) -> None:
        total = len(new_pods) + len(old_pods)
        ready = sum(1 for p in [*new_pods, *old_pods] if _is_ready(p))
        updated = len(new_pods)
        max_unavailable = replicas // 4  # default maxUnavailable 25%, rounded down
        available = ready >= replicas - max_unavailable
        rs_name = _util.name_of(current)
        complete = updated == replicas and ready >= replicas and not old_pods

        def status(obj: Obj) -> None:
            st = obj.setdefault("status", {})
            conditions: list[dict[str, Any]] = st.get("conditions") or []
            _util.set_condition(
                conditions,
                "Available",
                "True" if available else "False",
                reason="MinimumReplicasAvailable" if available else "MinimumReplicasUnavailable",
                message="Deployment has minimum availability."
                if available
                else "Deployment does not have minimum availability.",
            )
            _util.set_condition(
                conditions,
                "Progressing",
                "True",
                reason="NewReplicaSetAvailable" if complete else "ReplicaSetUpdated",
                message=f'ReplicaSet "{rs_name}" has successfully progressed.'
                if complete
                else f'ReplicaSet "{rs_name}" is progressing.',
            )
            st["conditions"] = conditions
            st["observedGeneration"] = obj["metadata"].get("generation", 1)
            st["replicas"] = total
            st["updatedReplicas"] = updated
            st["readyReplicas"] = ready
            st["availableReplicas"] = ready
            unavailable = max(total - ready, 0)
            if unavailable:
                st["unavailableReplicas"] = unavailable
            else:
                st.pop("unavailableReplicas", None)
            for zero in ("readyReplicas", "availableReplicas", "updatedReplicas", "replicas"):
                if not st[zero]:
                    st.pop(zero)  # the real API omits zero counts

        meta = deployment["metadata"]
        self.store.mutate(self.deployments, meta["namespace"], meta["name"], status, subresource="status")


def _is_ready(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running" and _util.is_condition_true(pod, "Ready")
