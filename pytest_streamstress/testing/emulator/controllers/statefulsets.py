"""StatefulSets -> Pods: the kube-controller-manager's StatefulSet controller, as the operator needs it.

Owns: pods `<set>-<ordinal>` (owner = the StatefulSet; template labels plus
`controller-revision-hash`, `statefulset.kubernetes.io/pod-name` and `apps.kubernetes.io/pod-index`;
`hostname` = the pod name, `subdomain` = `spec.serviceName`), created in ordinal order, the next one
only when every lower one is Running and Ready (podManagementPolicy `OrderedReady`, the default);
replacement of deleted pods; scale-down from the highest ordinal; the `RollingUpdate` strategy (a
new template revision replaces the highest-ordinal pod still on the old revision, one at a time,
each only after every pod is Ready); and the status the real controller writes
(`observedGeneration`, `replicas`, `readyReplicas`, `availableReplicas`, `currentReplicas`,
`updatedReplicas`, `currentRevision`, `updateRevision`, `collisionCount`). Kubernetes documents
these guarantees in "StatefulSets" (Deployment and Scaling Guarantees, Rolling Updates).
Not emulated: ControllerRevision objects (the revision is the template's hash, named as the real
one is, `<set>-<hash>`), `Parallel` pod management, partitions, `OnDelete`, volume claim templates.
Must not: change pod status (the kubelet's) or touch Deployments (`workloads.py`).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Hashable, Iterable
from typing import Final

from pytest_streamstress.testing.emulator.controllers import _util
from pytest_streamstress.testing.emulator.controllers._base import Controller, Host
from pytest_streamstress.testing.emulator.store import Event, Obj

log = logging.getLogger(__name__)

REVISION_LABEL: Final = "controller-revision-hash"
POD_NAME_LABEL: Final = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL: Final = "apps.kubernetes.io/pod-index"


def revision_of(statefulset: Obj) -> str:
    """`<set>-<hash of the pod template>`: the name of the revision a pod is labelled with."""
    template = (statefulset.get("spec") or {}).get("template") or {}
    return f"{_util.name_of(statefulset)}-{_util.short_hash(template)}"


def ordinal_of(pod: Obj, set_name: str) -> int | None:
    suffix = _util.name_of(pod)[len(set_name) + 1 :]
    return int(suffix) if _util.name_of(pod).startswith(set_name + "-") and suffix.isdigit() else None


def is_ready(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running" and _util.is_condition_true(pod, "Ready")


class StatefulSetsController(Controller):
    name = "statefulsets"

    def __init__(self, host: Host) -> None:
        super().__init__(host)
        self.statefulsets = self.store.rtype("apps/v1", "StatefulSet")
        self.pods = self.store.rtype("v1", "Pod")
        self.nodes = self.store.rtype("v1", "Node")
        self._node_turn = itertools.count()

    def keys_for(self, event: Event) -> Iterable[Hashable]:
        meta = event.obj["metadata"]
        if event.rtype is self.statefulsets:
            return [(meta.get("namespace", ""), meta["name"])]
        if event.rtype is self.pods:
            owner = _util.controller_of(event.obj)
            if owner is not None and owner.get("kind") == "StatefulSet":
                return [(meta.get("namespace", ""), owner["name"])]
        return ()

    def initial_keys(self) -> Iterable[Hashable]:
        items, _ = self.store.list(self.statefulsets)
        return [(s["metadata"]["namespace"], s["metadata"]["name"]) for s in items]

    def reconcile(self, key: Hashable) -> float | None:
        assert isinstance(key, tuple)
        namespace, name = key
        statefulset = _util.get_or_none(self.store, self.statefulsets, namespace, name)
        if statefulset is None or _util.is_deleting(statefulset):
            return None
        replicas = int((statefulset.get("spec") or {}).get("replicas", 1))
        revision = revision_of(statefulset)
        uid = statefulset["metadata"]["uid"]
        pods = {
            ordinal: pod
            for pod in self.store.list(self.pods, namespace)[0]
            if _util.owned_by(pod, uid) and not _util.is_deleting(pod)
            for ordinal in [ordinal_of(pod, name)]
            if ordinal is not None
        }
        for ordinal in sorted(o for o in pods if o >= replicas):
            _util.delete_if_present(self.store, self.pods, namespace, _util.name_of(pods.pop(ordinal)))
        self._step(statefulset, pods, replicas, revision)
        self._write_status(statefulset, replicas, revision)
        return None

    def _step(self, statefulset: Obj, pods: dict[int, Obj], replicas: int, revision: str) -> None:
        """One move of the controller: create the lowest missing pod, or replace one stale pod."""
        for ordinal in range(replicas):
            if ordinal not in pods:
                self._create_pod(statefulset, ordinal, revision)
                return
            if not is_ready(pods[ordinal]):
                return  # OrderedReady: nothing further until this pod is Ready
        stale = [o for o, p in pods.items() if _util.labels(p).get(REVISION_LABEL) != revision]
        if stale:  # RollingUpdate: highest ordinal first, one at a time
            name = _util.name_of(pods[max(stale)])
            _util.delete_if_present(self.store, self.pods, statefulset["metadata"]["namespace"], name)

    def _create_pod(self, statefulset: Obj, ordinal: int, revision: str) -> None:
        meta = statefulset["metadata"]
        template = (statefulset.get("spec") or {}).get("template") or {}
        name = f"{meta['name']}-{ordinal}"
        nodes, _ = self.store.list(self.nodes)
        node = _util.name_of(nodes[next(self._node_turn) % len(nodes)]) if nodes else "emulated-node"
        spec = _util.canonical_copy(template.get("spec") or {})
        spec.setdefault("restartPolicy", "Always")
        spec["hostname"] = name
        if (statefulset.get("spec") or {}).get("serviceName"):
            spec["subdomain"] = statefulset["spec"]["serviceName"]
        spec["nodeName"] = node
        labels = dict((template.get("metadata") or {}).get("labels") or {})
        labels.update({REVISION_LABEL: revision, POD_NAME_LABEL: name, POD_INDEX_LABEL: str(ordinal)})
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": name,
                "namespace": meta["namespace"],
                "labels": labels,
                "annotations": dict((template.get("metadata") or {}).get("annotations") or {}),
                "ownerReferences": [_util.owner_ref(statefulset)],
            },
            "spec": spec,
            "status": {"phase": "Pending", "qosClass": "BestEffort"},
        }
        _util.create_if_absent(self.store, self.pods, pod)

    def _write_status(self, statefulset: Obj, replicas: int, revision: str) -> None:
        meta = statefulset["metadata"]
        pods = [
            p
            for p in self.store.list(self.pods, meta["namespace"])[0]
            if _util.owned_by(p, meta["uid"]) and not _util.is_deleting(p)
        ]
        updated = [p for p in pods if _util.labels(p).get(REVISION_LABEL) == revision]
        ready = sum(1 for p in pods if is_ready(p))
        done = len(updated) == replicas == len(pods)

        def status(obj: Obj) -> None:
            previous = obj.get("status") or {}
            current = revision if done or not previous.get("currentRevision") else previous["currentRevision"]
            obj["status"] = {
                "observedGeneration": obj["metadata"].get("generation", 1),
                "replicas": len(pods),
                "readyReplicas": ready,
                "availableReplicas": ready,
                "currentReplicas": len(pods) - len(updated) if not done else len(pods),
                "updatedReplicas": len(updated),
                "currentRevision": current,
                "updateRevision": revision,
                "collisionCount": 0,
            }

        self.store.mutate(self.statefulsets, meta["namespace"], meta["name"], status, subresource="status")
