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

from pytest_streamstress.cluster.job.manifest import JobRequest, config_map_name, job_manifest
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
        companions = _Companions(cluster, request, name)
        # The Secret and ConfigMap exist before the pod starts (else the kubelet holds it in
        # CreateContainerConfigError); once the Job exists it owns them, so deleting it removes both.
        if not companions.create():
            continue
        try:
            job = cluster.call(
                f"create job {request.namespace}/{name}",
                cluster.batch.create_namespaced_job,
                request.namespace,
                job_manifest(request, name, secret_name=companions.secret_name),
            )
        except Conflict:
            companions.delete()
            continue  # two launches in one second: take the next second's name
        companions.own(job.metadata.uid)
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


class _Companions:
    """The Job's env Secret (secret env) and ConfigMap (config env), when the request has any."""

    def __init__(self, cluster: Cluster, request: JobRequest, job_name: str) -> None:
        self.cluster, self.request, self.job_name = cluster, request, job_name
        self.secret_name = f"{job_name}-env" if request.secret_env else ""
        self.config_name = config_map_name(job_name) if request.config_env else ""

    def create(self) -> bool:
        """False (nothing left behind) when a name is taken: another launch won this second."""
        if self.secret_name and not _create_env_secret(self.cluster, self.request, self.secret_name):
            return False
        if self.config_name and not _create_config_map(self.cluster, self.request, self.config_name):
            self.config_name = ""  # not ours
            self.delete()
            return False
        return True

    def delete(self) -> None:
        namespace, core = self.request.namespace, self.cluster.core
        if self.secret_name:
            self.cluster.call(
                f"delete secret {namespace}/{self.secret_name}",
                core.delete_namespaced_secret,
                self.secret_name,
                namespace,
            )
        if self.config_name:
            self.cluster.call(
                f"delete configmap {namespace}/{self.config_name}",
                core.delete_namespaced_config_map,
                self.config_name,
                namespace,
            )

    def own(self, job_uid: str) -> None:
        owner = {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "name": self.job_name,
            "uid": job_uid,
            "controller": True,
        }
        owned = {"metadata": {"ownerReferences": [owner]}}
        namespace, core = self.request.namespace, self.cluster.core
        if self.secret_name:
            self.cluster.call(
                f"set owner of secret {namespace}/{self.secret_name}",
                core.patch_namespaced_secret,
                self.secret_name,
                namespace,
                owned,
            )
        if self.config_name:
            self.cluster.call(
                f"set owner of configmap {namespace}/{self.config_name}",
                core.patch_namespaced_config_map,
                self.config_name,
                namespace,
                owned,
            )


def _create_config_map(cluster: Cluster, request: JobRequest, name: str) -> bool:
    """The Job's plain config (the shard plan): False when the name is taken (another launch won it)."""
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": request.namespace, "labels": {APP_LABEL[0]: APP_LABEL[1]}},
        "data": dict(request.config_env),
    }
    try:
        cluster.call(
            f"create configmap {request.namespace}/{name}",
            cluster.core.create_namespaced_config_map,
            request.namespace,
            body,
        )
    except Conflict:
        return False
    return True
