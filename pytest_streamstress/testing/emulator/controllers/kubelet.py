"""The emulated kubelet: what each pod's containers do (pull, start, ready, crash) and its Events.

Owns pod status for every pod not run by the Jobs controller: Pending/ContainerCreating ->
Running+Ready after `faults.pod_ready_delay_s`; an image the registry does not have (or listed in
`faults.unpullable_images`, exactly or by repository) -> Pending with waiting `ImagePullBackOff`
(message names the image) plus Warning Events `Failed` ("Failed to pull image ..."), re-tried with
a scaled-down back-off so a later push heals it; an image in `faults.crashloop_images` -> Running,
not Ready, waiting `CrashLoopBackOff` with a growing restartCount and Warning `BackOff` events.
A pod that is not a Job's and carries the annotation `emulator.streamstress.io/script` (JSON
`{"duration_s": 0.5, "exit": 0, "log": "..."}`, the Jobs controller's shape; the Tekton controller
puts it on TaskRun pods) runs to completion: Running for `duration_s`, then its last container
terminates with `exit` (after writing `log` to its log), the others and the init containers with 0,
and the pod is Succeeded or Failed.
Back-offs are driven by the clock, because our own status writes re-trigger the reconcile.
Must not: create or delete pods (the workloads and jobs controllers do).
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections.abc import Hashable, Iterable
from typing import Any, Final

from pytest_streamstress.testing.emulator.controllers import _util
from pytest_streamstress.testing.emulator.controllers._base import Controller, Host
from pytest_streamstress.testing.emulator.store import Event, Obj, Store

log = logging.getLogger(__name__)

PULL_BACKOFF_S: Final = (0.2, 0.4, 0.8, 1.6, 3.2, 5.0)
"""Scaled-down kubelet image-pull back-off (real: 10 s doubling to 5 min)."""
CRASH_BACKOFF_S: Final = (0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 5.0)
"""Scaled-down CrashLoopBackOff (real: 10 s doubling to 5 min)."""
SCRIPT_ANNOTATION: Final = "emulator.streamstress.io/script"
"""A run-to-completion pod's script (the same key and shape the Jobs controller reads)."""


def image_listed(ref: str, listed: Iterable[str]) -> bool:
    """`ref` is in `listed` exactly, or by its repository (without tag/digest)."""
    entries = set(listed)
    if ref in entries:
        return True
    repository = ref.split("@", 1)[0]
    last = repository.rsplit("/", 1)[-1]
    if ":" in last:
        repository = repository[: len(repository) - len(last)] + last.split(":", 1)[0]
    return repository in entries


def record_event(
    store: Store,
    involved: Obj,
    *,
    reason: str,
    message: str,
    event_type: str = "Warning",
    component: str = "kubelet",
    field_path: str = "",
) -> None:
    """Create a core/v1 Event, or bump `count` of the identical one (the real recorder aggregates)."""
    meta = involved["metadata"]
    ev_type = store.rtype("v1", "Event")
    name = f"{meta['name']}.{_util.canonical_hash([meta.get('uid'), reason, message])[:16]}"
    namespace = meta.get("namespace") or "default"
    stamp = _util.now()
    existing = _util.get_or_none(store, ev_type, namespace, name)
    if existing is not None:

        def bump(obj: Obj) -> None:
            obj["count"] = int(obj.get("count") or 1) + 1
            obj["lastTimestamp"] = stamp

        store.mutate(ev_type, namespace, name, bump)
        return
    involved_ref: dict[str, Any] = {
        "apiVersion": involved.get("apiVersion", "v1"),
        "kind": involved.get("kind", "Pod"),
        "name": meta["name"],
        "namespace": namespace,
        "uid": meta.get("uid", ""),
        "resourceVersion": meta.get("resourceVersion", ""),
    }
    if field_path:
        involved_ref["fieldPath"] = field_path
    _util.create_if_absent(
        store,
        ev_type,
        {
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": involved_ref,
            "reason": reason,
            "message": message,
            "type": event_type,
            "source": {"component": component, "host": (involved.get("spec") or {}).get("nodeName", "")},
            "reportingComponent": component,
            "reportingInstance": (involved.get("spec") or {}).get("nodeName", ""),
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
        },
    )


class _Runtime:
    """What the emulated kubelet remembers about one pod."""

    def __init__(self, uid: str) -> None:
        self.uid = uid
        self.first_seen = time.monotonic()
        self.pull_attempts = 0
        self.next_pull_at = 0.0
        self.restarts = 0
        self.next_restart_at = 0.0
        self.pulled = False
        self.running_since: float | None = None


class KubeletController(Controller):
    name = "kubelet"

    def __init__(self, host: Host) -> None:
        super().__init__(host)
        self.pods = self.store.rtype("v1", "Pod")
        self._runtime: dict[tuple[str, str], _Runtime] = {}
        self._ip = itertools.count(2)

    def keys_for(self, event: Event) -> Iterable[Hashable]:
        if event.rtype is not self.pods:
            return ()
        owner = _util.controller_of(event.obj)
        if owner is not None and owner.get("kind") == "Job":
            return ()
        return [(event.obj["metadata"]["namespace"], event.obj["metadata"]["name"])]

    def initial_keys(self) -> Iterable[Hashable]:
        pods, _ = self.store.list(self.pods)
        return [(p["metadata"]["namespace"], p["metadata"]["name"]) for p in pods]

    def reconcile(self, key: Hashable) -> float | None:
        assert isinstance(key, tuple)
        return self._reconcile_pod(key[0], key[1])

    def _pullable(self, ref: str) -> bool:
        if image_listed(ref, self.faults.unpullable_images):
            return False
        return bool(self.host.registry.has_image(ref))

    def _reconcile_pod(self, namespace: str, name: str) -> float | None:
        pod = _util.get_or_none(self.store, self.pods, namespace, name)
        if pod is None or _util.is_deleting(pod):
            self._runtime.pop((namespace, name), None)
            return None
        owner = _util.controller_of(pod)
        if owner is not None and owner.get("kind") == "Job":
            return None
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            return None  # a finished run-to-completion pod stays as it ended
        runtime = self._runtime.get((namespace, name))
        if runtime is None or runtime.uid != pod["metadata"]["uid"]:
            runtime = self._runtime[(namespace, name)] = _Runtime(pod["metadata"]["uid"])
        containers = list((pod.get("spec") or {}).get("containers") or [])
        # Reconciles are also triggered by our own status writes, so every back-off is driven by
        # the clock (next_*_at), never by the number of calls.
        if not runtime.pulled:
            wait = runtime.next_pull_at - time.monotonic()
            if wait > 0:
                return wait
            missing = [c for c in containers if not self._pullable(str(c.get("image", "")))]
            if missing:
                return self._image_pull_backoff(pod, runtime, missing)
            runtime.pulled = True
        remaining = self.faults.pod_ready_delay_s - (time.monotonic() - runtime.first_seen)
        if remaining > 0:
            self._set_pod_status(pod, _creating_status(pod, containers))
            return remaining
        crashing = [
            c for c in containers if image_listed(str(c.get("image", "")), self.faults.crashloop_images)
        ]
        if crashing:
            wait = runtime.next_restart_at - time.monotonic()
            if wait > 0:
                return wait
            return self._crash_loop(pod, runtime, containers, crashing)
        script = _script_of(pod)
        if script is not None:
            return self._run_to_completion(pod, runtime, containers, script)
        self._set_pod_status(pod, _running_status(pod, containers, restarts=0, crashing=()))
        return None

    def _run_to_completion(
        self, pod: Obj, runtime: _Runtime, containers: list[dict[str, Any]], script: dict[str, Any]
    ) -> float | None:
        """Running for the script's `duration_s`, then every container terminates (see the docstring)."""
        if runtime.running_since is None:
            runtime.running_since = time.monotonic()
            self._set_pod_status(pod, _running_status(pod, containers, restarts=0, crashing=()))
        left = float(script.get("duration_s", 0.0)) - (time.monotonic() - runtime.running_since)
        if left > 0:
            return left
        meta = pod["metadata"]
        exit_code = int(script.get("exit", 0))
        if containers and script.get("log"):
            self.store.append_log(meta["namespace"], meta["name"], containers[-1]["name"], str(script["log"]))
        for container in containers:
            self.store.close_log(meta["namespace"], meta["name"], container["name"])
        self._set_pod_status(pod, _terminated_status(pod, containers, exit_code))
        return None

    def _image_pull_backoff(self, pod: Obj, runtime: _Runtime, missing: list[dict[str, Any]]) -> float:
        missing_names = {c["name"] for c in missing}
        statuses = []
        for c in pod["spec"].get("containers") or []:
            if c["name"] in missing_names:
                waiting = {
                    "reason": "ImagePullBackOff",
                    "message": f'Back-off pulling image "{c.get("image", "")}"',
                }
            else:
                waiting = {"reason": "ContainerCreating"}
            statuses.append(_container_status(c, ready=False, state={"waiting": waiting}))
        status = _base_status(
            pod, ready=False, not_ready=sorted(n["name"] for n in pod["spec"]["containers"])
        )
        status["phase"] = "Pending"
        status["containerStatuses"] = statuses
        self._set_pod_status(pod, status)
        for c in missing:
            ref = c.get("image", "")
            field = f"spec.containers{{{c['name']}}}"
            record_event(
                self.store,
                pod,
                reason="Failed",
                message=f'Failed to pull image "{ref}": rpc error: code = Unknown desc = '
                f"reading manifest {ref}: manifest unknown",
                field_path=field,
            )
            record_event(
                self.store, pod, reason="Failed", message="Error: ImagePullBackOff", field_path=field
            )
        delay = PULL_BACKOFF_S[min(runtime.pull_attempts, len(PULL_BACKOFF_S) - 1)]
        runtime.pull_attempts += 1
        runtime.next_pull_at = time.monotonic() + delay
        return delay

    def _crash_loop(
        self, pod: Obj, runtime: _Runtime, containers: list[dict[str, Any]], crashing: list[dict[str, Any]]
    ) -> float:
        runtime.restarts += 1
        self._set_pod_status(
            pod, _running_status(pod, containers, restarts=runtime.restarts, crashing=crashing)
        )
        for c in crashing:
            record_event(
                self.store,
                pod,
                reason="BackOff",
                message=f"Back-off restarting failed container {c['name']} in pod "
                f"{pod['metadata']['name']}_{pod['metadata']['namespace']}({pod['metadata']['uid']})",
                field_path=f"spec.containers{{{c['name']}}}",
            )
        delay = CRASH_BACKOFF_S[min(runtime.restarts - 1, len(CRASH_BACKOFF_S) - 1)]
        runtime.next_restart_at = time.monotonic() + delay
        return delay

    def _set_pod_status(self, pod: Obj, status: dict[str, Any]) -> None:
        meta = pod["metadata"]
        previous = pod.get("status") or {}
        if "podIP" in previous:
            status["podIP"] = previous["podIP"]
            status["podIPs"] = previous.get("podIPs", [{"ip": previous["podIP"]}])
        elif status.get("phase") == "Running":
            n = next(self._ip)
            ip = f"10.128.{n // 250}.{n % 250 + 2}"
            status["podIP"] = ip
            status["podIPs"] = [{"ip": ip}]
        for keep in ("hostIP", "qosClass", "startTime"):
            if keep in previous:
                status.setdefault(keep, previous[keep])
        status.setdefault("startTime", _util.now())
        _keep_transition_times(previous.get("conditions") or [], status.get("conditions") or [])
        _keep_started_at(previous.get("containerStatuses") or [], status.get("containerStatuses") or [])

        def write(obj: Obj) -> None:
            obj["status"] = status

        self.store.mutate(self.pods, meta["namespace"], meta["name"], write, subresource="status")


# -- pod status shapes -----------------------------------------------------------------------------
def _container_status(
    c: dict[str, Any], *, ready: bool, state: dict[str, Any], restarts: int = 0
) -> dict[str, Any]:
    image = str(c.get("image", ""))
    status: dict[str, Any] = {
        "name": c["name"],
        "image": image,
        "imageID": image if "@sha256:" in image else "",
        "ready": ready,
        "started": "running" in state,
        "restartCount": restarts,
        "state": state,
    }
    if "running" in state:
        status["containerID"] = "cri-o://" + _util.canonical_hash([c["name"], image])[:64]
    return status


def _base_status(pod: Obj, *, ready: bool, not_ready: list[str]) -> dict[str, Any]:
    reason = (
        {}
        if ready
        else {
            "reason": "ContainersNotReady",
            "message": f"containers with unready status: [{' '.join(not_ready)}]",
        }
    )
    flag = "True" if ready else "False"
    return {
        "conditions": [
            {"type": "Initialized", "status": "True"},
            {"type": "Ready", "status": flag, **reason},
            {"type": "ContainersReady", "status": flag, **reason},
            {"type": "PodScheduled", "status": "True"},
        ],
    }


def _creating_status(pod: Obj, containers: list[dict[str, Any]]) -> dict[str, Any]:
    status = _base_status(pod, ready=False, not_ready=sorted(c["name"] for c in containers))
    status["phase"] = "Pending"
    status["containerStatuses"] = [
        _container_status(c, ready=False, state={"waiting": {"reason": "ContainerCreating"}})
        for c in containers
    ]
    return status


def _running_status(
    pod: Obj, containers: list[dict[str, Any]], *, restarts: int, crashing: Iterable[dict[str, Any]]
) -> dict[str, Any]:
    crash_names = {c["name"] for c in crashing}
    statuses = []
    for c in containers:
        if c["name"] in crash_names:
            statuses.append(
                {
                    **_container_status(
                        c,
                        ready=False,
                        restarts=restarts,
                        state={
                            "waiting": {
                                "reason": "CrashLoopBackOff",
                                "message": f"back-off restarting failed container={c['name']} "
                                f"pod={pod['metadata']['name']}_{pod['metadata']['namespace']}",
                            }
                        },
                    ),
                    "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}},
                }
            )
        else:
            statuses.append(_container_status(c, ready=True, state={"running": {"startedAt": _util.now()}}))
    status = _base_status(pod, ready=not crash_names, not_ready=sorted(crash_names))
    status["phase"] = "Running"
    status["containerStatuses"] = statuses
    return status


def _script_of(pod: Obj) -> dict[str, Any] | None:
    text = ((pod.get("metadata") or {}).get("annotations") or {}).get(SCRIPT_ANNOTATION)
    if not text:
        return None
    try:
        script = json.loads(text)
    except json.JSONDecodeError:
        log.warning("kubelet: pod %s: %s is not JSON", _util.name_of(pod), SCRIPT_ANNOTATION)
        return None
    return script if isinstance(script, dict) else None


def _terminated_status(pod: Obj, containers: list[dict[str, Any]], exit_code: int) -> dict[str, Any]:
    """Every init container and container terminated; the last container with `exit_code`."""
    stamp = _util.now()

    def ended(container: dict[str, Any], code: int) -> dict[str, Any]:
        terminated = {
            "exitCode": code,
            "reason": "Completed" if code == 0 else "Error",
            "startedAt": stamp,
            "finishedAt": stamp,
        }
        return _container_status(container, ready=False, state={"terminated": terminated})

    status = _base_status(pod, ready=False, not_ready=sorted(c["name"] for c in containers))
    status["phase"] = "Succeeded" if exit_code == 0 else "Failed"
    status["initContainerStatuses"] = [
        ended(c, 0) for c in (pod.get("spec") or {}).get("initContainers") or []
    ]
    status["containerStatuses"] = [
        ended(c, exit_code if index == len(containers) - 1 else 0) for index, c in enumerate(containers)
    ]
    return status


def _keep_transition_times(previous: list[dict[str, Any]], current: list[dict[str, Any]]) -> None:
    old = {c.get("type"): c for c in previous}
    for entry in current:
        before = old.get(entry.get("type"))
        if (
            before is not None
            and before.get("status") == entry.get("status")
            and "lastTransitionTime" in before
        ):
            entry["lastTransitionTime"] = before["lastTransitionTime"]
        else:
            entry.setdefault("lastTransitionTime", _util.now())


def _keep_started_at(previous: list[dict[str, Any]], current: list[dict[str, Any]]) -> None:
    old = {c.get("name"): c for c in previous}
    for entry in current:
        before = old.get(entry.get("name"), {})
        running_before = (before.get("state") or {}).get("running")
        running_now = (entry.get("state") or {}).get("running")
        if running_before and running_now:
            running_now["startedAt"] = running_before["startedAt"]
