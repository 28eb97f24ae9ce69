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

`completionMode: Indexed` (issue 23): `completions` indexes, `parallelism` pods at a time, pod
`<job>-<index>-<5>` with annotation and label `batch.kubernetes.io/job-completion-index`, env
`JOB_COMPLETION_INDEX` (a fieldRef to that annotation, as the Job controller adds it) and hostname
`<job>-<index>`; `$(VAR)` in command and args is expanded from the container env, as the kubelet
does. Status: `active`, `succeeded`, `failed`, `completedIndexes` ("0-2,4"), and `failedIndexes`
with `backoffLimitPerIndex`. With `backoffLimitPerIndex` every index runs and the Job fails at the
end (reason FailedIndexes) if one failed; without it, a failure beyond `backoffLimit` fails the Job
at once and stops the other pods (BackoffLimitExceeded), as the real controller does. Retries are
not emulated (the plugin uses none).

A running pod is stopped from outside as the kubelet would: annotation
`emulator.streamstress.io/terminate` = `OOMKilled` (container terminated, reason OOMKilled, exit
137) or `Evicted` (pod phase Failed, reason Evicted), both by SIGKILL at once (the OOM killer, a
hard eviction), so the process cannot clean up; a process killed by a signal reports exit
128+signal, reason Error.

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
from pytest_streamstress.testing.emulator.controllers import _util, job_status
from pytest_streamstress.testing.emulator.controllers._base import Controller, Host
from pytest_streamstress.testing.emulator.controllers.job_status import Outcome
from pytest_streamstress.testing.emulator.store import ApiError, Event, Obj

log = logging.getLogger(__name__)

SCRIPT_ANNOTATION: Final = "emulator.streamstress.io/script"
TERMINATE_ANNOTATION: Final = "emulator.streamstress.io/terminate"
"""A test's (or a person's) way to OOM-kill or evict a running Job pod: `OOMKilled` or `Evicted`."""
INDEX_KEY: Final = "batch.kubernetes.io/job-completion-index"
INDEX_ENV: Final = "JOB_COMPLETION_INDEX"
DEFAULT_DEADLINE_S: Final = 10800.0
"""Without activeDeadlineSeconds a process may run this long (the original's Job deadline)."""
HOST_ENV: Final = ("PATH", "LANG", "LC_ALL", "PYTHONPATH", "VIRTUAL_ENV", "TMPDIR", "SYSTEMROOT")
DEFAULT_GRACE_S: Final = 30.0
DEADLINE_MESSAGE: Final = "Pod was active on the node longer than the specified deadline"
"""terminationGracePeriodSeconds when the pod spec gives none (Kubernetes' default)."""


@dataclass
class _Run:
    pod: str
    index: int | None = None
    grace_s: float = DEFAULT_GRACE_S
    cancel: threading.Event = field(default_factory=threading.Event)
    terminated: str = ""
    """Set when the pod was OOM-killed or evicted from outside (TERMINATE_ANNOTATION)."""
    deadline: bool = False
    """Set when another pod hit the Job's deadline, which ends every pod of the Job: this pod ended by
    the deadline too, whichever pod's clock ran out first (not silently cancelled)."""
    process: _proc.Running | None = None
    thread: threading.Thread | None = None


class JobsController(Controller):
    name = "jobs"

    def __init__(self, host: Host) -> None:
        super().__init__(host)
        self.jobs = self.store.rtype("batch/v1", "Job")
        self.pods = self.store.rtype("v1", "Pod")
        self._runs: dict[tuple[str, str], dict[int | None, _Run]] = {}
        self._done: dict[tuple[str, str], dict[int, bool]] = {}
        """Indexed Jobs: index -> succeeded, for every index that finished."""
        self._lock = threading.Lock()

    def keys_for(self, event: Event) -> Iterable[Hashable]:
        meta = event.obj["metadata"]
        if event.rtype is self.jobs:
            return [(meta["namespace"], meta["name"])]
        terminate = (meta.get("annotations") or {}).get(TERMINATE_ANNOTATION)
        if event.rtype is self.pods and (event.type == "DELETED" or terminate):
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
            runs = dict(self._runs.get((namespace, name), {}))
        for index, run in runs.items():
            pod = _util.get_or_none(self.store, self.pods, namespace, run.pod)
            if pod is None:
                self._cancel(namespace, name, index)  # the pod was deleted under the running process
                continue
            reason = (pod["metadata"].get("annotations") or {}).get(TERMINATE_ANNOTATION, "")
            if reason and not run.terminated:
                run.terminated = str(reason)
                if run.process is not None:
                    run.process.kill_group(term=False)  # the OOM killer and a hard eviction send SIGKILL
        for index in self._indexes_to_start(job, runs):
            self._start(job, index)
        return None

    def _indexes_to_start(self, job: Obj, runs: Mapping[int | None, _Run]) -> list[int | None]:
        spec = job.get("spec") or {}
        if spec.get("completionMode") != "Indexed":
            return [] if runs or self._done.get(_key(job)) is not None else [None]
        completions = int(spec.get("completions") or 1)
        parallelism = int(spec["parallelism"]) if spec.get("parallelism") is not None else 1
        done = self._done.setdefault(_key(job), {})
        waiting = [i for i in range(completions) if i not in done and i not in runs]
        return list(waiting[: max(0, parallelism - len(runs))])

    def _start(self, job: Obj, index: int | None) -> None:
        namespace, name = _key(job)
        pod = self._create_pod(job, index)
        grace = (pod.get("spec") or {}).get("terminationGracePeriodSeconds")
        grace_s = DEFAULT_GRACE_S if grace is None else float(grace)
        run = _Run(pod=pod["metadata"]["name"], index=index, grace_s=grace_s)
        with self._lock:
            self._runs.setdefault((namespace, name), {})[index] = run
            if index is None:
                self._done[(namespace, name)] = {}
        self._write_job_status(job)
        suffix = "" if index is None else f"-{index}"
        run.thread = threading.Thread(
            target=self._execute, args=(job, pod, run), name=f"emulator-job-{name}{suffix}", daemon=True
        )
        run.thread.start()

    def _cancel(
        self, namespace: str, name: str, index: int | bool | None = True, *, now: bool = False
    ) -> None:
        """Stop one index's process (`index`), or every process of the Job (True), like a kubelet.

        `now` (the emulator stops): kill before returning; else SIGTERM, SIGKILL after the grace period.
        """
        with self._lock:
            runs = self._runs.get((namespace, name), {})
            chosen = list(runs) if index is True else [index] if index in runs else []
            stopped = [runs.pop(i) for i in chosen]
            if not runs:
                self._runs.pop((namespace, name), None)
        for run in stopped:
            run.cancel.set()
            process, grace = run.process, run.grace_s
            if process is not None and now:
                process.kill_group()
            elif process is not None:
                # The wait must not hold up other reconciles.
                threading.Thread(
                    target=lambda p=process, g=grace: p.kill_group(grace=g),
                    name=f"emulator-pod-stop-{run.pod}",
                    daemon=True,
                ).start()

    def on_stop(self) -> None:
        with self._lock:
            keys = list(self._runs)
        for namespace, name in keys:
            self._cancel(namespace, name, now=True)

    # -- the pod -----------------------------------------------------------------------------------
    def _create_pod(self, job: Obj, index: int | None) -> Obj:
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
        annotations = dict(tmeta.get("annotations") or {})
        nodes, _ = self.store.list(self.store.rtype("v1", "Node"))
        spec = _util.canonical_copy(template.get("spec") or {})
        node = nodes[(index or 0) % len(nodes)] if nodes else None
        spec["nodeName"] = _util.name_of(node) if node is not None else "emulated-node"
        prefix = f"{meta['name']}-"
        if index is not None:
            # The Job controller's Indexed pods (pkg/controller/job/indexed_job_utils.go).
            prefix = f"{meta['name']}-{index}-"
            labels[INDEX_KEY] = annotations[INDEX_KEY] = str(index)
            spec.setdefault("hostname", f"{meta['name']}-{index}")
            field = {"fieldRef": {"fieldPath": f"metadata.annotations['{INDEX_KEY}']"}}
            for container in spec.get("containers") or []:
                container.setdefault("env", []).append({"name": INDEX_ENV, "valueFrom": field})
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "generateName": prefix,
                "namespace": meta["namespace"],
                "labels": labels,
                "annotations": annotations,
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
        delay = self.faults.pod_ready_delay_s  # as the kubelet's pods: pulled and created first
        if delay > 0 and run.cancel.wait(delay):
            return
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
        if run.terminated:
            outcome = job_status.terminated(run.terminated)
        elif run.deadline:
            outcome = Outcome(137, "DeadlineExceeded", DEADLINE_MESSAGE)
        elif run.cancel.is_set():
            return
        job_name = job["metadata"]["name"]
        with self._lock:
            runs = self._runs.get((namespace, job_name), {})
            if runs.get(run.index) is run:
                del runs[run.index]
            if run.index is not None:
                self._done.setdefault((namespace, job_name), {})[run.index] = outcome.exit_code == 0
        try:
            self._finish(job, namespace, pod_name, container=container, started=started, outcome=outcome)
        except ApiError:
            log.debug("jobs: %s/%s went away before it finished", namespace, pod_name)
        self.queue.add((namespace, job_name))  # start the next index, or end the Job

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
            return Outcome(137, "DeadlineExceeded", DEADLINE_MESSAGE)
        code = int(spec.get("exit", 0))
        return Outcome(code, "Completed" if code == 0 else "Error")

    def _run_process(self, pod: Obj, container: Mapping[str, Any], run: _Run, timeout: float) -> Outcome:
        namespace, pod_name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        cname = str(container.get("name", "main"))
        workdir = Path(self.host.workdir) / "pods" / namespace / pod_name
        workdir.mkdir(parents=True, exist_ok=True)
        env = self._process_env(pod, container, workdir)
        own = _util.container_env(self.store, pod, container)
        argv = [
            _util.expand_references(str(arg), own)
            for arg in [*(container.get("command") or []), *(container.get("args") or [])]
        ]

        def on_line(_stream: str, line: str) -> None:
            self.store.append_log(namespace, pod_name, cname, line + "\n")

        try:
            run.process = _proc.spawn(argv, env=env, cwd=workdir, on_line=on_line)
        except ToolError as exc:
            self.store.append_log(namespace, pod_name, cname, f"{exc}\n")
            return Outcome(127, "ContainerCannotRun", exc.message)
        if run.cancel.is_set() or run.terminated:  # stopped before the process existed
            run.process.kill_group(term=not run.terminated)
        try:
            done = run.process.wait(timeout=timeout, what=f"pod {namespace}/{pod_name}")
        except ToolTimedOut:
            return Outcome(137, "DeadlineExceeded", DEADLINE_MESSAGE)
        code = done.returncode if done.returncode >= 0 else 128 - done.returncode  # killed: 128 + signal
        return Outcome(code, "Completed" if code == 0 else "Error")

    def _process_env(self, pod: Obj, container: Mapping[str, Any], workdir: Path) -> dict[str, str]:
        env = {name: os.environ[name] for name in HOST_ENV if name in os.environ}
        env.update(
            HOME=str(workdir),
            HOSTNAME=str((pod.get("spec") or {}).get("hostname") or pod["metadata"]["name"]),
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
            if outcome.reason in ("DeadlineExceeded", "Evicted"):
                st["reason"] = outcome.reason
                st["message"] = outcome.message
            for entry in st.get("conditions") or []:
                if entry.get("type") in ("Ready", "ContainersReady"):
                    entry.update(status="False", reason="PodCompleted", lastTransitionTime=finished)
            terminated: dict[str, Any] = {
                "exitCode": outcome.exit_code,
                "reason": "Error" if outcome.reason == "Evicted" else outcome.reason,
                "startedAt": started,
                "finishedAt": finished,
            }
            if outcome.message and outcome.reason != "Evicted":
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
            # Every other pod ends by the same deadline: marked before the Job's Failed status is written,
            # because the reconcile that status triggers may stop those pods before `_cancel` below does.
            with self._lock:
                for other in self._runs.get((namespace, job["metadata"]["name"]), {}).values():
                    other.deadline = True
            self._write_job_status(
                current,
                failure=("DeadlineExceeded", "Job was active longer than specified deadline"),
                last=outcome,
            )
            self._cancel(namespace, job["metadata"]["name"])  # the deadline is the whole Job's
            return
        self._write_job_status(current, last=outcome)

    def _write_job_status(
        self, job: Obj, *, last: Outcome | None = None, failure: tuple[str, str] | None = None
    ) -> None:
        """The Job's counts and, once it is over, its Complete or Failed condition."""
        namespace, name = _key(job)
        spec = job.get("spec") or {}
        with self._lock:
            active = len(self._runs.get((namespace, name), {}))
            done = dict(self._done.get((namespace, name), {}))
        indexed = spec.get("completionMode") == "Indexed"
        if not indexed and last is not None:
            done = {0: last.exit_code == 0}
        succeeded = sum(1 for ok in done.values() if ok)
        failed = len(done) - succeeded
        per_index = spec.get("backoffLimitPerIndex") is not None
        failure = failure or job_status.failure_of(spec, done)
        complete = failure is None and succeeded >= int(spec.get("completions") or 1)
        stamp = _util.now()

        def status(obj: Obj) -> None:
            st = obj.setdefault("status", {})
            st.setdefault("startTime", stamp)
            st["ready"] = 0
            if active and failure is None:
                st["active"] = active
            else:
                st.pop("active", None)
            for key, value in (("succeeded", succeeded), ("failed", failed)):
                if value:
                    st[key] = value
            if indexed:
                st["completedIndexes"] = job_status.ranges(i for i, ok in done.items() if ok)
                if per_index:
                    st["failedIndexes"] = job_status.ranges(i for i, ok in done.items() if not ok)
            conditions: list[dict[str, Any]] = st.get("conditions") or []
            if complete:
                st["completionTime"] = stamp
                _util.set_condition(conditions, "Complete", "True", extra={"lastProbeTime": stamp})
            if failure is not None:
                reason, message = failure
                extra = {"lastProbeTime": stamp}
                _util.set_condition(conditions, "Failed", "True", reason=reason, message=message, extra=extra)
            if conditions:
                st["conditions"] = conditions

        self.store.mutate(self.jobs, namespace, name, status, subresource="status")
        if failure is not None and active:
            self._cancel(namespace, name)  # the Job failed: the kubelet stops its other pods


def _key(job: Obj) -> tuple[str, str]:
    return job["metadata"]["namespace"], job["metadata"]["name"]


def _finished(job: Obj) -> bool:
    return _util.is_condition_true(job, "Complete") or _util.is_condition_true(job, "Failed")
