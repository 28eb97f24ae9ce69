"""Launching the Job: RBAC, the env Secret, then the Job `streamstress-<unix-seconds>`.

One run at a time per namespace: a launch refuses while a Job is Pending or Running. The Secret
exists before the pod starts and is owned by the Job once it exists, so deleting the Job removes
the token too. What the Job runs comes in as a frozen `JobRequest` (manifest.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from pytest_streamstress.cluster.job.manifest import JobRequest, job_manifest
from pytest_streamstress.cluster.job.rbac import APP_LABEL, ensure_rbac
from pytest_streamstress.cluster.job.state import list_jobs
from pytest_streamstress.errors import Conflict, StreamstressError

if TYPE_CHECKING:
    from pytest_streamstress.cluster.client import Cluster

log = logging.getLogger(__name__)

NAME_ATTEMPTS: Final = 5


class JobRunning(StreamstressError):
    """A launch found a Job still running: one run at a time per namespace."""


@dataclass(frozen=True, slots=True, kw_only=True)
class JobLaunch:
    namespace: str
    name: str
    rbac_created: tuple[str, ...] = ()

    @property
    def follow_command(self) -> str:
        return f"streamstress logs -f --namespace {self.namespace} {self.name}"

    @property
    def message(self) -> str:
        return f"Job launched: {self.namespace}/{self.name}; follow it with: {self.follow_command}"


def launch_job(cluster: Cluster, request: JobRequest, *, now: Callable[[], float] = time.time) -> JobLaunch:
    """Create RBAC, the env Secret and the Job `streamstress-<unix-seconds>`; refuse while one runs."""
    running = [job for job in list_jobs(cluster, request.namespace) if job.phase in ("Pending", "Running")]
    if running:
        job = running[0]
        raise JobRunning(
            f"Job {job.namespace}/{job.name} is still {job.phase.lower()}; not launching a second run",
            hint=f"follow it with `streamstress logs -f --namespace {job.namespace} {job.name}`"
            f" or stop it with `streamstress cancel --namespace {job.namespace} {job.name}`",
        )
    for _, secret in request.secret_env:
        cluster.redactor.add(secret)
    created = ensure_rbac(cluster, request.namespace, cluster_admin=request.cluster_admin)
    stamp = int(now())
    for attempt in range(NAME_ATTEMPTS):
        name = f"streamstress-{stamp + attempt}"
        secret_name = f"{name}-env" if request.secret_env else ""
        # The Secret exists before the pod starts (else the kubelet holds it in CreateContainerConfigError);
        # once the Job exists it becomes the Secret's owner, so deleting the Job removes the token too.
        if secret_name and not _create_env_secret(cluster, request, secret_name):
            continue
        try:
            job = cluster.call(
                f"create job {request.namespace}/{name}",
                cluster.batch.create_namespaced_job,
                request.namespace,
                job_manifest(request, name, secret_name=secret_name),
            )
        except Conflict:
            if secret_name:
                cluster.call(
                    f"delete secret {request.namespace}/{secret_name}",
                    cluster.core.delete_namespaced_secret,
                    secret_name,
                    request.namespace,
                )
            continue  # two launches in one second: take the next second's name
        if secret_name:
            owner = {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "name": name,
                "uid": job.metadata.uid,
                "controller": True,
            }
            cluster.call(
                f"set owner of secret {request.namespace}/{secret_name}",
                cluster.core.patch_namespaced_secret,
                secret_name,
                request.namespace,
                {"metadata": {"ownerReferences": [owner]}},
            )
        log.info("launched job %s/%s", request.namespace, name)
        return JobLaunch(namespace=request.namespace, name=name, rbac_created=tuple(created))
    raise Conflict(
        f"could not find a free Job name streamstress-{stamp}..{stamp + NAME_ATTEMPTS - 1}", status=409
    )


def _create_env_secret(cluster: Cluster, request: JobRequest, name: str) -> bool:
    """The Job's secret env (GitHub token): False when the name is taken (another launch won it)."""
    body = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": name, "namespace": request.namespace, "labels": {APP_LABEL[0]: APP_LABEL[1]}},
        "stringData": {key: secret.reveal() for key, secret in request.secret_env},
    }
    try:
        cluster.call(
            f"create secret {request.namespace}/{name}",
            cluster.core.create_namespaced_secret,
            request.namespace,
            body,
        )
    except Conflict:
        return False
    return True
