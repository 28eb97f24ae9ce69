"""The Tekton Pipelines controller the operator deploys: PipelineRuns -> TaskRuns -> pods that run.

Owns the runs of the emulated world, shaped like tektoncd/pipeline (snapshot 3ee1745ae; lines in
docs/emulator.md): a PipelineRun with an embedded `pipelineSpec` gets one TaskRun per task,
`<run>-<task>` (pipelinerunresolution.go:906), all at once (no `runAfter` here), then one per
`finally` task once every task has ended; each TaskRun gets a pod `<taskrun>-pod` (pod.go:520-532)
with the `prepare` init container on the **entrypoint image** and one `step-<name>` container per
step, labelled `tekton.dev/taskRun`, `tekton.dev/pipelineRun`, `tekton.dev/pipelineTask`,
`tekton.dev/memberOf`. Conditions and messages as the real controller writes them: a TaskRun is
`Running` ("Not all Steps in the Task have finished executing"), then `Succeeded` ("All Steps have
completed executing") or `Failed` (`"step-x" exited with code 2: Error`, status.go:940-944); a
PipelineRun is `Running` ("Tasks Completed: 1 (Failed: 0, Cancelled 0), Incomplete: 1, Skipped: 0"),
then `Succeeded` or `Failed` ("Tasks Completed: 3 (Failed: 1, Cancelled 0), Skipped: 0",
pipelinerunstate.go:570-600, 668).

It runs only while a pod of the operand `tekton-pipelines-controller` (label
`app=tekton-pipelines-controller`, Deployment or StatefulSet) is Running and Ready, and takes the
entrypoint image from that pod's `-entrypoint-image` argument, as the real controller does. What
the steps do is scripted on the PipelineRun: annotation `emulator.streamstress.io/usage` (the
metrics usage script, copied to every pod) and `emulator.streamstress.io/duration-s` (how long each
step runs, default 0.5). What the entrypoint binary does comes from its image: a label
`emulator.streamstress.io/defect` = `<finally|tasks|all>: <output>` in the image config (the ko
stand-in copies it from the source tree) makes the steps of those TaskRuns print `<output>` and
exit 2, the way a broken entrypoint would. Pods run to completion through the kubelet's script
annotation. Not emulated: `pipelineRef`/`taskRef` (a run without an embedded spec fails with reason
`CouldntGetPipeline`), `runAfter`, params, workspaces, results, timeouts, cancellation, retries.
Must not: change pod status (the kubelet does) or touch anything outside tekton.dev runs and their pods.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Hashable, Iterable, Mapping
from typing import Any, Final

from pytest_streamstress.testing.emulator.controllers import _util
from pytest_streamstress.testing.emulator.controllers._base import Controller, Host
from pytest_streamstress.testing.emulator.controllers.kubelet import SCRIPT_ANNOTATION
from pytest_streamstress.testing.emulator.controllers.metrics import USAGE_ANNOTATION
from pytest_streamstress.testing.emulator.store import Event, Obj

log = logging.getLogger(__name__)

API: Final = "tekton.dev/v1"
DURATION_ANNOTATION: Final = "emulator.streamstress.io/duration-s"
DEFECT_LABEL: Final = "emulator.streamstress.io/defect"
DEFAULT_DURATION_S: Final = 0.5
CONTROLLER_SELECTOR: Final = "app=tekton-pipelines-controller"
L_TASKRUN: Final = "tekton.dev/taskRun"
L_PIPELINERUN: Final = "tekton.dev/pipelineRun"
L_PIPELINE_TASK: Final = "tekton.dev/pipelineTask"
L_MEMBER_OF: Final = "tekton.dev/memberOf"


def argument_value(args: Iterable[str], flag: str) -> str:
    """The value of `flag` in `-flag value` or `-flag=value` form ("" when absent)."""
    listed = list(args)
    for index, arg in enumerate(listed):
        if arg == flag and index + 1 < len(listed):
            return listed[index + 1]
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    return ""


def defect_of(config: Mapping[str, Any] | None) -> tuple[str, str] | None:
    """(scope, output) of an entrypoint image's defect label, or None for a sound image."""
    labels = ((config or {}).get("config") or {}).get("Labels") or {}
    scope, sep, output = str(labels.get(DEFECT_LABEL, "")).partition(":")
    if not sep or scope.strip() not in ("finally", "tasks", "all"):
        return None
    return scope.strip(), output.strip()


def succeeded(obj: Mapping[str, Any]) -> dict[str, Any] | None:
    return _util.condition(list((obj.get("status") or {}).get("conditions") or []), "Succeeded")


def is_done(obj: Mapping[str, Any]) -> bool:
    found = succeeded(obj)
    return found is not None and found.get("status") in ("True", "False")


def taskrun_verdict(pod: Obj, statuses: Mapping[str, Any]) -> tuple[str, str, str]:
    """The TaskRun's Succeeded condition (status, reason, message) for its pod (pkg/pod/status.go)."""
    phase = (pod.get("status") or {}).get("phase", "Pending")
    if phase == "Succeeded":
        return "True", "Succeeded", "All Steps have completed executing"
    if phase == "Failed":
        for container, state in statuses.items():
            code = ((state.get("state") or {}).get("terminated") or {}).get("exitCode", 0)
            if code:
                return "False", "Failed", f'"{container}" exited with code {code}: Error'
        return "False", "Failed", "build failed for unspecified reasons."
    if phase == "Running":
        return "Unknown", "Running", "Not all Steps in the Task have finished executing"
    return "Unknown", "Pending", "Pending"


class TektonPipelinesController(Controller):
    name = "tekton-pipelines"

    def __init__(self, host: Host) -> None:
        super().__init__(host)
        self.pipelineruns = self.store.rtype(API, "PipelineRun")
        self.taskruns = self.store.rtype(API, "TaskRun")
        self.pods = self.store.rtype("v1", "Pod")

    # -- routing -----------------------------------------------------------------------------------
    def keys_for(self, event: Event) -> Iterable[Hashable]:
        meta = event.obj["metadata"]
        ns = meta.get("namespace", "")
        labels = meta.get("labels") or {}
        if event.rtype is self.pipelineruns:
            return [("pr", ns, meta["name"])]
        if event.rtype is self.taskruns:
            keys: list[Hashable] = [("tr", ns, meta["name"])]
            if labels.get(L_PIPELINERUN):
                keys.append(("pr", ns, labels[L_PIPELINERUN]))
            return keys
        if event.rtype is self.pods and labels.get(L_TASKRUN):
            return [("tr", ns, labels[L_TASKRUN])]
        if event.rtype is self.pods and labels.get("app") == "tekton-pipelines-controller":
            return self.initial_keys()  # the controller came (back): pick up what waited for it
        return ()

    def initial_keys(self) -> list[Hashable]:
        runs = [*self.store.list(self.pipelineruns)[0], *self.store.list(self.taskruns)[0]]
        return [
            ("pr" if r["kind"] == "PipelineRun" else "tr", r["metadata"]["namespace"], r["metadata"]["name"])
            for r in runs
            if not is_done(r)
        ]

    def controller_pod(self) -> Obj | None:
        pods, _ = self.store.list(self.pods, label_selector=CONTROLLER_SELECTOR)
        ready = [p for p in pods if not _util.is_deleting(p) and _util.is_condition_true(p, "Ready")]
        return ready[0] if ready else None

    def reconcile(self, key: Hashable) -> float | None:
        assert isinstance(key, tuple)
        kind, namespace, name = key
        controller = self.controller_pod()
        if controller is None:
            return None  # no controller process: runs wait, as on a cluster whose controller is down
        if kind == "pr":
            self._reconcile_pipelinerun(namespace, name)
        else:
            self._reconcile_taskrun(namespace, name, controller)
        return None

    # -- PipelineRuns ------------------------------------------------------------------------------
    def _reconcile_pipelinerun(self, namespace: str, name: str) -> None:
        run = _util.get_or_none(self.store, self.pipelineruns, namespace, name)
        if run is None or _util.is_deleting(run) or is_done(run):
            return
        spec = (run.get("spec") or {}).get("pipelineSpec")
        if not isinstance(spec, dict):
            self._write_run_status(
                run,
                "False",
                "CouldntGetPipeline",
                f"PipelineRun {namespace}/{name} has no embedded pipelineSpec"
                " (the emulator does not resolve pipelineRef)",
                [],
            )
            return
        tasks = [t for t in spec.get("tasks") or [] if isinstance(t, dict)]
        finally_tasks = [t for t in spec.get("finally") or [] if isinstance(t, dict)]
        children = [self._ensure_taskrun(run, task, "tasks") for task in tasks]
        if all(is_done(c) for c in children):
            children += [self._ensure_taskrun(run, task, "finally") for task in finally_tasks]
        failed = sum(1 for c in children if (succeeded(c) or {}).get("status") == "False")
        ended = sum(1 for c in children if is_done(c))
        incomplete = len(tasks) + len(finally_tasks) - ended
        if incomplete:
            message = (
                f"Tasks Completed: {ended} (Failed: {failed}, Cancelled 0),"
                f" Incomplete: {incomplete}, Skipped: 0"
            )
            self._write_run_status(run, "Unknown", "Running", message, children)
        else:
            message = f"Tasks Completed: {ended} (Failed: {failed}, Cancelled 0), Skipped: 0"
            verdict = ("False", "Failed") if failed else ("True", "Succeeded")
            self._write_run_status(run, *verdict, message, children)

    def _ensure_taskrun(self, run: Obj, task: Mapping[str, Any], member_of: str) -> Obj:
        meta = run["metadata"]
        name = f"{meta['name']}-{task.get('name', 'task')}"
        existing = _util.get_or_none(self.store, self.taskruns, meta["namespace"], name)
        if existing is not None:
            return existing
        annotations = {
            k: v
            for k, v in (meta.get("annotations") or {}).items()
            if k in (USAGE_ANNOTATION, DURATION_ANNOTATION)
        }
        return _util.create_if_absent(
            self.store,
            self.taskruns,
            {
                "apiVersion": API,
                "kind": "TaskRun",
                "metadata": {
                    "name": name,
                    "namespace": meta["namespace"],
                    "labels": {
                        L_PIPELINERUN: meta["name"],
                        L_PIPELINE_TASK: str(task.get("name", "task")),
                        L_MEMBER_OF: member_of,
                        "app.kubernetes.io/managed-by": "tekton-pipelines",
                    },
                    "annotations": annotations,
                    "ownerReferences": [_util.owner_ref(run)],
                },
                "spec": {"taskSpec": task.get("taskSpec") or {}, "serviceAccountName": "pipeline"},
            },
        )

    def _write_run_status(
        self, run: Obj, status: str, reason: str, message: str, children: list[Obj]
    ) -> None:
        def write(obj: Obj) -> None:
            st = obj.setdefault("status", {})
            conditions: list[dict[str, Any]] = st.get("conditions") or []
            _util.set_condition(conditions, "Succeeded", status, reason=reason, message=message)
            st["conditions"] = conditions
            st.setdefault("startTime", _util.now())
            if status != "Unknown":
                st["completionTime"] = _util.now()
            st["childReferences"] = [
                {
                    "apiVersion": API,
                    "kind": "TaskRun",
                    "name": _util.name_of(c),
                    "pipelineTaskName": _util.labels(c).get(L_PIPELINE_TASK, ""),
                }
                for c in children
            ]

        meta = run["metadata"]
        self.store.mutate(self.pipelineruns, meta["namespace"], meta["name"], write, subresource="status")

    # -- TaskRuns ----------------------------------------------------------------------------------
    def _reconcile_taskrun(self, namespace: str, name: str, controller: Obj) -> None:
        run = _util.get_or_none(self.store, self.taskruns, namespace, name)
        if run is None or _util.is_deleting(run) or is_done(run):
            return
        pod = _util.get_or_none(self.store, self.pods, namespace, f"{name}-pod")
        if pod is None:
            pod = self._create_pod(run, controller)
        statuses = {s.get("name"): s for s in (pod.get("status") or {}).get("containerStatuses") or []}
        self._write_task_status(run, pod, taskrun_verdict(pod, statuses), statuses)

    def _create_pod(self, run: Obj, controller: Obj) -> Obj:
        meta = run["metadata"]
        containers: list[dict[str, Any]] = (controller.get("spec") or {}).get("containers") or []
        args = containers[0].get("args") or [] if containers else []
        entrypoint = argument_value([str(a) for a in args], "-entrypoint-image")
        steps = [
            s
            for s in ((run.get("spec") or {}).get("taskSpec") or {}).get("steps") or []
            if isinstance(s, dict)
        ]
        if not steps:
            steps = [{"name": "unnamed-0", "image": "registry.access.redhat.com/ubi9/ubi-minimal"}]
        member_of = _util.labels(run).get(L_MEMBER_OF, "tasks")
        defect = defect_of(self.host.registry.image_config(entrypoint)) if entrypoint else None
        broken = defect is not None and defect[0] in ("all", member_of)
        annotations = dict(meta.get("annotations") or {})
        script = {
            "duration_s": float(annotations.pop(DURATION_ANNOTATION, DEFAULT_DURATION_S)),
            "exit": 2 if broken else 0,
            "log": (defect[1] + "\n") if broken and defect is not None else "",
        }
        annotations[SCRIPT_ANNOTATION] = json.dumps(script)
        labels = {**_util.labels(run), L_TASKRUN: meta["name"]}
        nodes, _ = self.store.list(self.store.rtype("v1", "Node"))
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": f"{meta['name']}-pod",
                "namespace": meta["namespace"],
                "labels": labels,
                "annotations": annotations,
                "ownerReferences": [_util.owner_ref(run)],
            },
            "spec": {
                "restartPolicy": "Never",
                "serviceAccountName": (run.get("spec") or {}).get("serviceAccountName", "pipeline"),
                "nodeName": _util.name_of(nodes[0]) if nodes else "emulated-node",
                "initContainers": [{"name": "prepare", "image": entrypoint or "entrypoint"}],
                "containers": [
                    {
                        "name": f"step-{s.get('name', f'unnamed-{i}')}",
                        "image": str(s.get("image", "registry.access.redhat.com/ubi9/ubi-minimal")),
                        "command": ["/tekton/bin/entrypoint"],
                    }
                    for i, s in enumerate(steps)
                ],
            },
            "status": {"phase": "Pending"},
        }
        return _util.create_if_absent(self.store, self.pods, pod)

    def _write_task_status(
        self, run: Obj, pod: Obj, verdict: tuple[str, str, str], statuses: Mapping[str, Any]
    ) -> None:
        """`verdict`: the Succeeded condition's (status, reason, message)."""
        status, reason, message = verdict

        def write(obj: Obj) -> None:
            st = obj.setdefault("status", {})
            conditions: list[dict[str, Any]] = st.get("conditions") or []
            _util.set_condition(conditions, "Succeeded", status, reason=reason, message=message)
            st["conditions"] = conditions
            st["podName"] = _util.name_of(pod)
            st.setdefault("startTime", _util.now())
            if status != "Unknown":
                st["completionTime"] = _util.now()
            st["steps"] = [
                {"name": name.removeprefix("step-"), "container": name, **(s.get("state") or {})}
                for name, s in statuses.items()
            ]

        meta = run["metadata"]
        self.store.mutate(self.taskruns, meta["namespace"], meta["name"], write, subresource="status")
