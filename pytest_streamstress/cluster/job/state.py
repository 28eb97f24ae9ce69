"""Finding and describing our Jobs: their phase, their newest pod, the published mark; cancelling.

A Job is found by the `app=streamstress` label (or by name) and described as a frozen `JobState`,
which is what `status`, `logs`, `collect` and `ci` read. Nothing here launches a Job or reads a log.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

from pytest_streamstress.cluster.job.rbac import SELECTOR
from pytest_streamstress.errors import NotFound

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from pytest_streamstress._infra.waits import Probe, Wakeup
    from pytest_streamstress.cluster.client import Cluster

PUBLISHED_ANNOTATION: Final = "streamstress.io/published"
"""Set on a succeeded Job once its results were collected and published: `ci` then starts a new run."""
JobPhase = Literal["Pending", "Running", "Succeeded", "Failed"]
"""A Job's phase as `status`, `collect` and `ci` decide on it; Pending until its pod has started."""


@dataclass(frozen=True, slots=True, kw_only=True)
class JobState:
    """One Job as `status`, `logs`, `collect` and `ci` see it."""

    namespace: str
    name: str
    phase: JobPhase
    """Pending (no pod yet), Running, Succeeded or Failed."""
    created: float
    pod: str = ""
    pod_phase: str = ""
    message: str = ""
    published: str = ""
    """The `streamstress.io/published` annotation: "" until `ci` collected and published it."""
    sharded: bool = False
    """An Indexed Job (`--shards`): its pods are shards, `pod` is only the newest of them."""


def _job_phase(job: Any) -> tuple[JobPhase, str]:
    status = job.status
    for cond in (status.conditions or []) if status else []:
        if cond.type == "Failed" and cond.status == "True":
            return "Failed", f"{cond.reason or ''}: {cond.message or ''}".strip(": ")
        if cond.type == "Complete" and cond.status == "True":
            return "Succeeded", ""
    if status and status.active:
        # Before the counters: an Indexed Job's finished shards count while the others still run.
        return "Running", ""
    if status and status.failed:
        return "Failed", ""
    if status and status.succeeded:
        return "Succeeded", ""
    return "Pending", ""


def _state(cluster: Cluster, job: Any) -> JobState:
    meta = job.metadata
    phase, message = _job_phase(job)
    pods = cluster.call(
        f"list pods of job {meta.namespace}/{meta.name}",
        cluster.core.list_namespaced_pod,
        meta.namespace,
        label_selector=f"job-name={meta.name}",
    ).items
    pods.sort(key=lambda p: p.metadata.creation_timestamp.timestamp() if p.metadata.creation_timestamp else 0)
    pod = pods[-1] if pods else None
    pod_phase = (pod.status.phase or "") if pod is not None and pod.status else ""
    if phase == "Running" and pod_phase == "Pending":
        phase = "Pending"
    elif phase == "Pending" and pod_phase == "Running":
        # The Job controller counts a pod as active a moment after the kubelet runs it: the pod
        # is the fresher fact (seen as a flaky 'Pending' right after wait_for_pod returned).
        phase = "Running"
    created = meta.creation_timestamp.timestamp() if meta.creation_timestamp else 0.0
    return JobState(
        namespace=meta.namespace,
        name=meta.name,
        phase=phase,
        created=created,
        pod=pod.metadata.name if pod is not None else "",
        pod_phase=pod_phase,
        message=message,
        published=(meta.annotations or {}).get(PUBLISHED_ANNOTATION, ""),
        sharded=job.spec is not None and job.spec.completion_mode == "Indexed",
    )


def list_jobs(cluster: Cluster, namespace: str) -> list[JobState]:
    """Our Jobs in `namespace`, newest first (by creation time, then name: names carry the second)."""
    jobs = cluster.call(
        f"list jobs in {namespace}", cluster.batch.list_namespaced_job, namespace, label_selector=SELECTOR
    ).items
    states = [_state(cluster, job) for job in jobs]
    states.sort(key=lambda s: (s.created, _name_stamp(s.name)), reverse=True)
    return states


def _name_stamp(name: str) -> int:
    tail = name.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def find_job(cluster: Cluster, namespace: str, name: str = "") -> JobState | None:
    """The named Job, or the newest one; None when there is none."""
    if name:
        try:
            job = cluster.call(
                f"get job {namespace}/{name}", cluster.batch.read_namespaced_job, name, namespace
            )
        except NotFound:
            return None
        return _state(cluster, job)
    jobs = list_jobs(cluster, namespace)
    return jobs[0] if jobs else None


def require_job(cluster: Cluster, namespace: str, name: str = "") -> JobState:
    job = find_job(cluster, namespace, name)
    if job is None:
        what = f"Job {namespace}/{name}" if name else f"no Job labelled {SELECTOR} in namespace {namespace}"
        raise NotFound(
            f"{what} not found" if name else what,
            status=404,
            hint="launch one with `pytest --streamstress --in-cluster ...` or `streamstress ci`;"
            " --namespace selects another namespace",
        )
    return job


@contextlib.contextmanager
def job_wakeup(cluster: Cluster, namespace: str, name: str, *, pods: bool = False) -> Iterator[Wakeup]:
    """A `Wakeup` that a watch on the Job (and with `pods`, on its pods) sets on every change (R18): a
    wait on the Job then ends when it changes, not up to a poll interval later."""
    from pytest_streamstress._infra.waits import Wakeup
    from pytest_streamstress.cluster.watchers import WatchSet

    wakeup = Wakeup()
    with WatchSet(cluster, wakeup) as watches:
        watches.add(
            f"job {namespace}/{name}",
            cluster.batch.list_namespaced_job,
            namespace,
            field_selector=f"metadata.name={name}",
        )
        if pods:
            watches.add(
                f"pods of job {namespace}/{name}",
                cluster.core.list_namespaced_pod,
                namespace,
                label_selector=f"job-name={name}",
            )
        yield wakeup


def wait_on_job(
    cluster: Cluster,
    namespace: str,
    name: str,
    probe: Callable[[], Probe],
    *,
    what: str,
    timeout: float,
    poll: float,
    progress: Callable[[float, str], None] | None = None,
    pods: bool = False,
) -> Probe:
    """`wait_until(probe)` woken by `job_wakeup`'s watches; `poll` only backs them up."""
    from pytest_streamstress._infra.waits import wait_until

    with job_wakeup(cluster, namespace, name, pods=pods) as wakeup:
        return wait_until(
            probe,
            what=what,
            timeout=timeout,
            clock=cluster.clock,
            poll=poll,
            wake=wakeup,
            on_progress=progress,
        )


def wait_for_pod(
    cluster: Cluster,
    namespace: str,
    name: str,
    *,
    timeout: float,
    progress: Callable[[float, str], None] | None = None,
    poll: float = 5.0,
) -> JobState:
    """Until the Job has a pod that is past Pending (its log can be read); `progress` gets each look.
    Woken by a watch on the Job's pods; `poll` only backs it up."""
    from pytest_streamstress._infra.waits import Probe

    seen: list[JobState] = []

    def probe() -> Probe:
        state = require_job(cluster, namespace, name)
        seen.append(state)
        ready = bool(state.pod) and state.pod_phase not in ("", "Pending")
        return Probe(
            done=ready, state=f"job {state.phase}, pod {state.pod or 'none'} {state.pod_phase}".strip()
        )

    what = f"pod of Job {namespace}/{name} not started"
    wait_on_job(
        cluster, namespace, name, probe, what=what, timeout=timeout, poll=poll, progress=progress, pods=True
    )
    return seen[-1]


def mark_published(cluster: Cluster, namespace: str, name: str, value: str) -> None:
    cluster.call(
        f"annotate job {namespace}/{name}",
        cluster.batch.patch_namespaced_job,
        name,
        namespace,
        {"metadata": {"annotations": {PUBLISHED_ANNOTATION: value}}},
    )


def cancel_job(cluster: Cluster, namespace: str, name: str) -> None:
    """Delete the Job and (background propagation) its pod and Secret; the run's results are lost."""
    cluster.call(
        f"delete job {namespace}/{name}",
        cluster.batch.delete_namespaced_job,
        name,
        namespace,
        propagation_policy="Background",
    )
