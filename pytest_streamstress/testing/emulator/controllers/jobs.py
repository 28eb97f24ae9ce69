"""batch/v1 Jobs: one pod each, whose phase and logs come from a real local process or a script.

Owns: the Job's pod (`<job>-<5>`, labels `job-name`, `batch.kubernetes.io/job-name`,
`controller-uid`, owner = the Job), running it, and the Job/pod status. The pod's first container
runs as a local subprocess through `pytest_streamstress._infra.proc.spawn` (the single door to processes)
with argv = `command` + `args`, the container env (values, fieldRefs, ConfigMap/Secret keys)
over a minimal host env (PATH, LANG, PYTHONPATH, VIRTUAL_ENV), `KUBECONFIG` = the emulator's
kubeconfig (so an in-cluster run of our plugin talks back), `HOME` and cwd = a per-pod directory
under `<workdir>/pods/`. Output lines are appended to the pod log as they arrive. Exit 0 -> pod
Succeeded, Job `succeeded: 1` + condition Complete; non-zero -> pod Failed, Job `failed: 1` +
condition Failed (BackoffLimitExceeded; retries are not emulated, the original uses backoffLimit 0);
`activeDeadlineSeconds` kills the process group (DeadlineExceeded). Deleting the Job or its pod
stops the process as a kubelet does: SIGTERM, then SIGKILL after the pod's
`terminationGracePeriodSeconds` (default 30), waited for off the controller's thread.

A container without `command` has no known entrypoint (the emulator has no image contents): the pod
fails with a message saying so, unless a scripted outcome is given: annotation
`emulator.streamstress.io/script` on the Job's pod template = JSON
`{"exit": 0, "log": "text", "duration_s": 0.1}` (all optional).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from pytest_streamstress._infra import proc as _proc
from pytest_streamstress.errors import ToolError, ToolTimedOut
from pytest_streamstress.testing.emulator.controllers import _util
from pytest_streamstress.testing.emulator.controllers._base import Controller, Host
from pytest_streamstress.testing.emulator.store import ApiError, Event, Obj

log = logging.getLogger(__name__)

SCRIPT_ANNOTATION: Final = "emulator.streamstress.io/script"
DEFAULT_DEADLINE_S: Final = 10800.0
"""Without activeDeadlineSeconds a process may run this long (the original's Job deadline)."""
HOST_ENV: Final = ("PATH", "LANG", "LC_ALL", "PYTHONPATH", "VIRTUAL_ENV", "TMPDIR", "SYSTEMROOT")


@dataclass(frozen=True, slots=True)
class Outcome:
    exit_code: int
    reason: str  # pod container terminated reason: Completed | Error | DeadlineExceeded
    message: str = ""


DEFAULT_GRACE_S: Final = 30.0
"""terminationGracePeriodSeconds when the pod spec gives none (Kubernetes' default)."""


@dataclass
class _Run:
    pod: str
    grace_s: float = DEFAULT_GRACE_S
    cancel: threading.Event = field(default_factory=threading.Event)
    process: _proc.Running | None = None
    thread: threading.Thread | None = None


class JobsController(Controller):
    name = "jobs"

    def __init__(self, host: Host) -> None:
        super().__init__(host)
        self.jobs = self.store.rtype("batch/v1", "Job")
        self.pods = self.store.rtype("v1", "Pod")
        self._runs: dict[tuple[str, str], _Run] = {}
        self._lock = threading.Lock()

    def keys_for(self, event: Event) -> Iterable[Hashable]:
        meta = event.obj["metadata"]
        if event.rtype is self.jobs:
            return [(meta["namespace"], meta["name"])]
        if event.rtype is self.pods and event.type == "DELETED":
            owner = _util.controller_of(event.obj)
            if owner is not None and owner.get("kind") == "Job":
                return [(meta["namespace"], owner["name"])]
        return ()

    def initial_keys(self) -> Iterable[Hashable]:
        jobs, _ = self.store.list(self.jobs)
        return [(j["metadata"]["namespace"], j["metadata"]["name"]) for j in jobs]

    def reconcile(self, key: Hashable) -> float | None:
        assert isinstance(key, tuple)
        namespace, name = key
        job = _util.get_or_none(self.store, self.jobs, namespace, name)
        if job is None or _util.is_deleting(job):
            self._cancel(namespace, name)
            return None
        if _finished(job):
            return None
        with self._lock:
            run = self._runs.get((namespace, name))
        if run is not None:
            if _util.get_or_none(self.store, self.pods, namespace, run.pod) is None:
                self._cancel(namespace, name)  # the pod was deleted under the running process
            return None
        pod = self._create_pod(job)
        grace = (pod.get("spec") or {}).get("terminationGracePeriodSeconds")
        run = _Run(pod=pod["metadata"]["name"], grace_s=DEFAULT_GRACE_S if grace is None else float(grace))
        with self._lock:
            self._runs[(namespace, name)] = run
        self._write_job_status(job, active=True)
        run.thread = threading.Thread(
            target=self._execute, args=(job, pod, run), name=f"emulator-job-{name}", daemon=True
        )
        run.thread.start()
        return None

    def _cancel(self, namespace: str, name: str, *, now: bool = False) -> None:
        """Stop the pod's process like a kubelet; `now` (the emulator stops): kill it before returning."""
        with self._lock:
            run = self._runs.pop((namespace, name), None)
        if run is None:
            return
        run.cancel.set()
        process = run.process
        if process is not None and now:
            process.kill_group()
        elif process is not None:
            # SIGTERM now, SIGKILL after the grace period; the wait must not hold up other reconciles.
            threading.Thread(
                target=lambda: process.kill_group(grace=run.grace_s),
                name=f"emulator-pod-stop-{run.pod}",
                daemon=True,
            ).start()

    def on_stop(self) -> None:
        with self._lock:
            keys = list(self._runs)
        for namespace, name in keys:
            self._cancel(namespace, name, now=True)

    # -- the pod -----------------------------------------------------------------------------------
    def _create_pod(self, job: Obj) -> Obj:
        meta = job["metadata"]
        template = (job.get("spec") or {}).get("template") or {}
        tmeta = template.get("metadata") or {}
        labels = {
            **(tmeta.get("labels") or {}),
            "job-name": meta["name"],
            "batch.kubernetes.io/job-name": meta["name"],
            "controller-uid": meta["uid"],
            "batch.kubernetes.io/controller-uid": meta["uid"],
        }
        nodes, _ = self.store.list(self.store.rtype("v1", "Node"))
        spec = _util.canonical_copy(template.get("spec") or {})
        spec["nodeName"] = _util.name_of(nodes[0]) if nodes else "emulated-node"
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "generateName": f"{meta['name']}-",
                "namespace": meta["namespace"],
                "labels": labels,
                "annotations": dict(tmeta.get("annotations") or {}),
                "ownerReferences": [_util.owner_ref(job)],
            },
            "spec": spec,
            "status": {"phase": "Pending", "qosClass": "BestEffort"},
        }
        return self.store.create(self.pods, pod)

    def _execute(self, job: Obj, pod: Obj, run: _Run) -> None:
        namespace, pod_name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        containers = (pod.get("spec") or {}).get("containers") or [{}]
        container = containers[0]
        cname = str(container.get("name", "main"))
        deadline = (job.get("spec") or {}).get("activeDeadlineSeconds")
        timeout = float(deadline) if deadline else DEFAULT_DEADLINE_S
        script = ((pod["metadata"].get("annotations") or {}).get(SCRIPT_ANNOTATION)) or ""
        started = _util.now()
        try:
            self._set_pod_running(namespace, pod_name, container, started)
            if script:
                outcome = self._run_script(
                    namespace, pod_name, cname, script=script, run=run, timeout=timeout
                )
            elif container.get("command"):
                outcome = self._run_process(pod, container, run, timeout)
            else:
                message = (
                    f'container "{cname}" has no command and the emulator does not know the entrypoint of '
                    f'image "{container.get("image", "")}"; give the container a command or a'
                    f" scripted outcome (annotation {SCRIPT_ANNOTATION})"
                )
                self.store.append_log(namespace, pod_name, cname, message + "\n")
                outcome = Outcome(128, "ContainerCannotRun", message)
        except ApiError:
            return  # the pod or Job was deleted meanwhile
        finally:
            self.store.close_log(namespace, pod_name, cname)
        if run.cancel.is_set():
            return
        try:
            self._finish(job, namespace, pod_name, container=container, started=started, outcome=outcome)
        except ApiError:
            log.debug("jobs: %s/%s went away before it finished", namespace, pod_name)
        with self._lock:
            if self._runs.get((namespace, job["metadata"]["name"])) is run:
                del self._runs[(namespace, job["metadata"]["name"])]

    def _run_script(
        self, namespace: str, pod: str, container: str, *, script: str, run: _Run, timeout: float
    ) -> Outcome:
        try:
            spec = json.loads(script)
            if not isinstance(spec, dict):
                raise TypeError("not an object")
        except (json.JSONDecodeError, TypeError) as exc:
            message = f"annotation {SCRIPT_ANNOTATION} is not a JSON object ({exc}); expected e.g. " + (
                '{"exit": 0, "log": "done", "duration_s": 0.1}'
            )
            self.store.append_log(namespace, pod, container, message + "\n")
            return Outcome(2, "Error", message)
        text = str(spec.get("log", ""))
        if text:
            self.store.append_log(namespace, pod, container, text if text.endswith("\n") else text + "\n")
        duration = float(spec.get("duration_s", 0.0))
        if run.cancel.wait(min(duration, timeout)):
            return Outcome(137, "Error", "killed")
        if duration > timeout:
            return Outcome(
                137, "DeadlineExceeded", "Pod was active on the node longer than the specified deadline"
            )
        code = int(spec.get("exit", 0))
        return Outcome(code, "Completed" if code == 0 else "Error")

    def _run_process(self, pod: Obj, container: Mapping[str, Any], run: _Run, timeout: float) -> Outcome:
        namespace, pod_name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        cname = str(container.get("name", "main"))
        workdir = Path(self.host.workdir) / "pods" / namespace / pod_name
        workdir.mkdir(parents=True, exist_ok=True)
        argv = [*map(str, container.get("command") or []), *map(str, container.get("args") or [])]
        env = self._process_env(pod, container, workdir)

        def on_line(_stream: str, line: str) -> None:
            self.store.append_log(namespace, pod_name, cname, line + "\n")

        try:
            run.process = _proc.spawn(argv, env=env, cwd=workdir, on_line=on_line)
        except ToolError as exc:
            self.store.append_log(namespace, pod_name, cname, f"{exc}\n")
            return Outcome(127, "ContainerCannotRun", exc.message)
        if run.cancel.is_set():
            run.process.kill_group()
        try:
            done = run.process.wait(timeout=timeout, what=f"pod {namespace}/{pod_name}")
        except ToolTimedOut:
            return Outcome(
                137, "DeadlineExceeded", "Pod was active on the node longer than the specified deadline"
            )
        return Outcome(done.returncode, "Completed" if done.returncode == 0 else "Error")

    def _process_env(self, pod: Obj, container: Mapping[str, Any], workdir: Path) -> dict[str, str]:
        env = {name: os.environ[name] for name in HOST_ENV if name in os.environ}
        env.update(
            HOME=str(workdir),
            HOSTNAME=pod["metadata"]["name"],
            KUBECONFIG=str(self.host.kubeconfig),
        )
        env.update(_util.container_env(self.store, pod, container))
        return env

    # -- status ------------------------------------------------------------------------------------
    def _set_pod_running(self, namespace: str, pod: str, container: Mapping[str, Any], started: str) -> None:
        def status(obj: Obj) -> None:
            obj["status"] = {
                "phase": "Running",
                "qosClass": "BestEffort",
                "startTime": started,
                "podIP": "10.131.0.10",
                "conditions": [
                    {"type": "Initialized", "status": "True", "lastTransitionTime": started},
                    {"type": "Ready", "status": "True", "lastTransitionTime": started},
                    {"type": "ContainersReady", "status": "True", "lastTransitionTime": started},
                    {"type": "PodScheduled", "status": "True", "lastTransitionTime": started},
                ],
                "containerStatuses": [
                    {
                        "name": container.get("name", "main"),
                        "image": container.get("image", ""),
                        "imageID": "",
                        "ready": True,
                        "started": True,
                        "restartCount": 0,
                        "state": {"running": {"startedAt": started}},
                    }
                ],
            }

        self.store.mutate(self.pods, namespace, pod, status, subresource="status")

    def _finish(
        self,
        job: Obj,
        namespace: str,
        pod: str,
        *,
        container: Mapping[str, Any],
        started: str,
        outcome: Outcome,
    ) -> None:
        finished = _util.now()
        ok = outcome.exit_code == 0

        def pod_status(obj: Obj) -> None:
            st = obj.setdefault("status", {})
            st["phase"] = "Succeeded" if ok else "Failed"
            if outcome.reason == "DeadlineExceeded":
                st["reason"] = "DeadlineExceeded"
                st["message"] = outcome.message
            for entry in st.get("conditions") or []:
                if entry.get("type") in ("Ready", "ContainersReady"):
                    entry.update(status="False", reason="PodCompleted", lastTransitionTime=finished)
            terminated: dict[str, Any] = {
                "exitCode": outcome.exit_code,
                "reason": outcome.reason,
                "startedAt": started,
                "finishedAt": finished,
            }
            if outcome.message:
                terminated["message"] = outcome.message
            st["containerStatuses"] = [
                {
                    "name": container.get("name", "main"),
                    "image": container.get("image", ""),
                    "imageID": "",
                    "ready": False,
                    "started": False,
                    "restartCount": 0,
                    "state": {"terminated": terminated},
                }
            ]

        self.store.mutate(self.pods, namespace, pod, pod_status, subresource="status")
        current = self.store.get(self.jobs, namespace, job["metadata"]["name"])
        if outcome.reason == "DeadlineExceeded":
            self._write_job_status(
                current,
                active=False,
                failed=True,
                reason="DeadlineExceeded",
                message="Job was active longer than specified deadline",
            )
        elif ok:
            self._write_job_status(current, active=False, succeeded=True)
        else:
            self._write_job_status(
                current,
                active=False,
                failed=True,
                reason="BackoffLimitExceeded",
                message="Job has reached the specified backoff limit",
            )

    def _write_job_status(
        self,
        job: Obj,
        *,
        active: bool,
        succeeded: bool = False,
        failed: bool = False,
        reason: str = "",
        message: str = "",
    ) -> None:
        stamp = _util.now()

        def status(obj: Obj) -> None:
            st = obj.setdefault("status", {})
            st.setdefault("startTime", stamp)
            if active:
                st["active"] = 1
                st["ready"] = 0
            else:
                st.pop("active", None)
                st["ready"] = 0
            conditions: list[dict[str, Any]] = st.get("conditions") or []
            if succeeded:
                st["succeeded"] = 1
                st["completionTime"] = stamp
                _util.set_condition(conditions, "Complete", "True", extra={"lastProbeTime": stamp})
            if failed:
                st["failed"] = 1
                _util.set_condition(
                    conditions,
                    "Failed",
                    "True",
                    reason=reason,
                    message=message,
                    extra={"lastProbeTime": stamp},
                )
            if conditions:
                st["conditions"] = conditions

        meta = job["metadata"]
        self.store.mutate(self.jobs, meta["namespace"], meta["name"], status, subresource="status")


def _finished(job: Obj) -> bool:
    return _util.is_condition_true(job, "Complete") or _util.is_condition_true(job, "Failed")
