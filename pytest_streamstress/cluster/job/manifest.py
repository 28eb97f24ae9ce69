"""The Job object, built from a frozen `JobRequest` (pure): labels, no retries, a deadline, the SA.

The request carries the pytest arguments already built (`run/launch.py` builds them from the
session, `cli/ci.py` from its command line); this module only places them in the container's args
behind the entry point's results directory. Secrets reach the container by `secretKeyRef`, never
on the command line or in the manifest.

`completions` > 1 makes an Indexed Job (issue 23): `completionMode: Indexed`, `completions` =
`parallelism` = N, `backoffLimitPerIndex: 0` (a failed shard is not retried and does not stop the
others; the Job controller then fails the Job with FailedIndexes at the end). Pod i gets
`JOB_COMPLETION_INDEX=i` from the Job controller, and `$(JOB_COMPLETION_INDEX)` in the args is
expanded by the kubelet. `config_env` values are too large or too plain for a Secret: they go into
a ConfigMap `<job>-config` (created by launch.py) and reach the container by `configMapKeyRef`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from pytest_streamstress._infra.redact import Secret
from pytest_streamstress.cluster.job.rbac import APP_LABEL, SERVICE_ACCOUNT

CONTAINER: Final = "streamstress"
DEFAULT_DEADLINE_S: Final = 10800
"""activeDeadlineSeconds of the Job: three hours, as the original (reference §12.6)."""
DEFAULT_GRACE_S: Final = 60
"""terminationGracePeriodSeconds: a deleted pod gets SIGTERM, then this long to restore the operator
(`--stop-timeout`, 30 s by default), write results.json and print the archive before SIGKILL."""
GRACE_MARGIN_S: Final = 30
"""What the pod needs after the restore's bound: end gauge, write results.json, print the archive."""
DEFAULT_COMMAND: Final = ("python", "-m", "pytest_streamstress.cluster.job")
POD_RESULTS_DIR: Final = "results"
"""Relative to the container's working directory (the image's WORKDIR; the emulator's pod dir)."""
BUILDS_ENV: Final = "STREAMSTRESS_BUILDS"
"""The launcher's builds as results.json's `components` list (ConfigMap): the pod writes them to
`POD_BUILDS_FILE` for `--images-from`, so its run knows each image's commit (an upstream change or
none: the verdicts of issue 18 need it) and not only its digest."""
POD_BUILDS_FILE: Final = "builds.json"
CLAIM_ENV: Final = "STREAMSTRESS_CLAIM"
"""A shards launcher's claim identity in every pod's env: the pods carry its claim on (run/claim.py)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class JobRequest:
    """Everything a launch needs; `plugin_args` already hold `--skip-build` and the `--image`s."""

    namespace: str
    image: str
    plugin_args: tuple[str, ...]
    command: tuple[str, ...] = DEFAULT_COMMAND
    env: tuple[tuple[str, str], ...] = ()
    secret_env: tuple[tuple[str, Secret], ...] = ()
    deadline_s: int = DEFAULT_DEADLINE_S
    cluster_admin: bool = False
    pod_annotations: tuple[tuple[str, str], ...] = ()
    grace_s: int = DEFAULT_GRACE_S
    """The pod's terminationGracePeriodSeconds (see DEFAULT_GRACE_S)."""
    completions: int = 1
    """More than one: an Indexed Job of that many pods, all at once (shards, issue 23)."""
    config_env: tuple[tuple[str, str], ...] = ()
    """Env from the Job's ConfigMap (`config_map_name`): e.g. the shard plan every pod runs."""


def config_map_name(job_name: str) -> str:
    return f"{job_name}-config"


def job_args(request: JobRequest) -> list[str]:
    """Container args: the entry point's results dir, then pytest's arguments (no secret ever)."""
    if tuple(request.command) == DEFAULT_COMMAND or request.command[1:] == DEFAULT_COMMAND[1:]:
        return [POD_RESULTS_DIR, "--", *request.plugin_args]
    return list(request.plugin_args)


def job_manifest(request: JobRequest, name: str, *, secret_name: str = "") -> dict[str, Any]:
    """The Job object (pure): labels, no retries, a deadline, the SA, env, secret and config references."""
    labels = {APP_LABEL[0]: APP_LABEL[1]}
    env: list[dict[str, Any]] = [
        {"name": "JOB_NAME", "value": name},
        {"name": "STREAMSTRESS_INCLUSTER", "value": "1"},
    ]
    env += [{"name": key, "value": value} for key, value in request.env]
    env += [
        {"name": key, "valueFrom": {"secretKeyRef": {"name": secret_name, "key": key}}}
        for key, _ in request.secret_env
    ]
    env += [
        {"name": key, "valueFrom": {"configMapKeyRef": {"name": config_map_name(name), "key": key}}}
        for key, _ in request.config_env
    ]
    template_meta: dict[str, Any] = {"labels": labels}
    if request.pod_annotations:
        template_meta["annotations"] = dict(request.pod_annotations)
    retries: dict[str, Any] = {"backoffLimit": 0}
    if request.completions > 1:
        retries = {
            "completionMode": "Indexed",
            "completions": request.completions,
            "parallelism": request.completions,
            "backoffLimitPerIndex": 0,
        }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": request.namespace, "labels": labels},
        "spec": {
            **retries,
            "activeDeadlineSeconds": request.deadline_s,
            "template": {
                "metadata": template_meta,
                "spec": {
                    "serviceAccountName": SERVICE_ACCOUNT,
                    "restartPolicy": "Never",
                    "terminationGracePeriodSeconds": request.grace_s,
                    "containers": [
                        {
                            "name": CONTAINER,
                            "image": request.image,
                            "imagePullPolicy": "Always",
                            "command": list(request.command),
                            "args": job_args(request),
                            "env": env,
                            "securityContext": {
                                "allowPrivilegeEscalation": False,
                                "runAsNonRoot": True,
                                "capabilities": {"drop": ["ALL"]},
                            },
                        }
                    ],
                },
            },
        },
    }
