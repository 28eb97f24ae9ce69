"""The in-cluster Job: launch it, find it, follow its log, collect its results, cancel it (issue 8).

Owns the Job's Kubernetes objects (ServiceAccount, ClusterRole, ClusterRoleBinding, the per-Job
env Secret and the Job itself), the results archive that the Job's pod prints at the end of its
log, and the Job's entry point (`python -m pytest_streamstress.cluster.job RESULTS_DIR -- ARGS`).
It talks to the API only through `Cluster.call` (R15) and must not decide what a CI run does next
(that is `ci.py`) nor format terminal output (that is `commands/`).

Results retention (docs/in-cluster.md): the pod prints a gzip'd tar of its results directory,
base64-encoded, between two marker lines that carry the archive's size and sha256. `collect`
reads it back through the pod-log API and refuses anything whose size or checksum differ: a
truncated or rotated log is an error that says so, never a silent partial copy.
"""

from __future__ import annotations

import base64
import codecs
import hashlib
import io
import json
import logging
import re
import shlex
import sys
import tarfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

import urllib3

from pytest_streamstress._infra.redact import Secret
from pytest_streamstress.errors import ClusterError, Conflict, NotFound, StreamstressError

if TYPE_CHECKING:
    from pytest_streamstress.cluster.client import Cluster

log = logging.getLogger(__name__)

APP_LABEL: Final = ("app", "streamstress")
"""Every Job we launch carries `app=streamstress` (reference §12.6); status/logs/ci find Jobs by it."""
SELECTOR: Final = f"{APP_LABEL[0]}={APP_LABEL[1]}"
SERVICE_ACCOUNT: Final = "streamstress-sa"
CLUSTER_ROLE: Final = "streamstress-runner"
CLUSTER_ROLE_BINDING: Final = "streamstress-runner"
ADMIN_BINDING: Final = "streamstress-cluster-admin"
CONTAINER: Final = "streamstress"
DEFAULT_DEADLINE_S: Final = 10800
"""activeDeadlineSeconds of the Job: three hours, as the original (reference §12.6)."""
DEFAULT_COMMAND: Final = ("python", "-m", "pytest_streamstress.cluster.job")
POD_RESULTS_DIR: Final = "results"
"""Relative to the container's working directory (the image's WORKDIR; the emulator's pod dir)."""
PUBLISHED_ANNOTATION: Final = "streamstress.io/published"
"""Set on a succeeded Job once its results were collected and published: `ci` then starts a new run."""
LOG_READ_TIMEOUT_S: Final = 300.0
"""A followed log with no output for this long is re-opened (a silent connection may be dead)."""
MAX_RECONNECTS: Final = 50
"""Consecutive re-opens of a followed log that bring nothing new before `logs -f` gives up."""
RECONNECT_PAUSE_S: Final = 0.5
NAME_ATTEMPTS: Final = 5

ARCHIVE_BEGIN: Final = "==== streamstress results archive begin"
ARCHIVE_END: Final = "==== streamstress results archive end"
EXIT_MARKER: Final = "==== streamstress pytest exit code"
_BEGIN_RE: Final = re.compile(
    r"^==== streamstress results archive begin: format=tar\.gz\+base64 size=(\d+) sha256=([0-9a-f]{64}) ====$"
)
_END_RE: Final = re.compile(r"^==== streamstress results archive end: sha256=([0-9a-f]{64}) ====$")
_EXIT_RE: Final = re.compile(r"^==== streamstress pytest exit code (-?\d+) ====$")
ARCHIVE_LINE: Final = 76


class JobRunning(StreamstressError):
    """A launch found a Job still running: one run at a time per namespace."""


class ArchiveError(StreamstressError):
    """The results archive in the pod log is missing, truncated or corrupt."""


# -- RBAC: written down once, tested against what setup, deploy and metrics really request ----


@dataclass(frozen=True, slots=True)
class Rule:
    """One PolicyRule of the runner's ClusterRole."""

    group: str
    resources: tuple[str, ...]
    verbs: tuple[str, ...]
    names: tuple[str, ...] = ()

    def to_api(self) -> dict[str, Any]:
        rule: dict[str, Any] = {
            "apiGroups": [self.group],
            "resources": list(self.resources),
            "verbs": list(self.verbs),
        }
        if self.names:
            rule["resourceNames"] = list(self.names)
        return rule


RUNNER_RULES: Final = (
    # auto-setup: the image namespace, its pull RoleBinding, the registry route (setup.py, reference §9)
    Rule("", ("namespaces",), ("get", "list", "create")),
    Rule("rbac.authorization.k8s.io", ("rolebindings",), ("get", "create")),
    # Creating a RoleBinding to a ClusterRole needs `bind` on it (RBAC escalation check).
    Rule("rbac.authorization.k8s.io", ("clusterroles",), ("bind",), ("system:image-puller",)),
    Rule("imageregistry.operator.openshift.io", ("configs",), ("get", "patch")),
    Rule("route.openshift.io", ("routes",), ("get", "list", "watch")),
    Rule("config.openshift.io", ("clusterversions",), ("get",)),
    # OLM: subscribe, then update the CSV's IMAGE_* env (deploy.py, reference §5)
    Rule("operators.coreos.com", ("subscriptions",), ("get", "create")),
    Rule("operators.coreos.com", ("clusterserviceversions",), ("get", "list", "watch", "update")),
    # the operator: TektonConfig readiness, installer-set deletion to force re-reconciliation (§6, §7)
    Rule("operator.tekton.dev", ("tektonconfigs",), ("get", "list", "watch", "create")),
    Rule("operator.tekton.dev", ("tektoninstallersets",), ("list", "delete")),
    # the operator Deployment (fallback edit) and the operand workloads (image verification)
    Rule("apps", ("deployments",), ("get", "list", "watch", "update")),
    Rule("", ("pods",), ("list", "watch")),
    Rule("", ("events",), ("list",)),
    # profiling (metrics.py, reference §10)
    Rule("", ("nodes",), ("list",)),
    Rule("metrics.k8s.io", ("pods",), ("list",)),
)
"""What the plugin itself needs inside the Job (docs/in-cluster.md lists the same table).

The release-tests scenarios create namespaces, pipelines and cluster-wide settings of their own; a
suite that runs `admin` scenarios needs `cluster_admin=True`, which binds `cluster-admin` in an
extra, separately named binding so it can be removed without touching the runner's role.
"""


def rbac_objects(namespace: str, *, cluster_admin: bool = False) -> list[tuple[str, dict[str, Any]]]:
    """(kind, body) of the ServiceAccount, ClusterRole and binding(s) the Job runs with."""
    subject = {"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": namespace}
    labels = {APP_LABEL[0]: APP_LABEL[1]}
    objects: list[tuple[str, dict[str, Any]]] = [
        (
            "ServiceAccount",
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {"name": SERVICE_ACCOUNT, "namespace": namespace, "labels": labels},
            },
        ),
        (
            "ClusterRole",
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": {"name": CLUSTER_ROLE, "labels": labels},
                "rules": [rule.to_api() for rule in RUNNER_RULES],
            },
        ),
        (
            "ClusterRoleBinding",
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRoleBinding",
                "metadata": {"name": f"{CLUSTER_ROLE_BINDING}-{namespace}", "labels": labels},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": CLUSTER_ROLE,
                },
                "subjects": [subject],
            },
        ),
    ]
    if cluster_admin:
        objects.append(
            (
                "ClusterRoleBinding",
                {
                    "apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": "ClusterRoleBinding",
                    "metadata": {"name": f"{ADMIN_BINDING}-{namespace}", "labels": labels},
                    "roleRef": {
                        "apiGroup": "rbac.authorization.k8s.io",
                        "kind": "ClusterRole",
                        "name": "cluster-admin",
                    },
                    "subjects": [subject],
                },
            )
        )
    return objects


def ensure_rbac(cluster: Cluster, namespace: str, *, cluster_admin: bool = False) -> list[str]:
    """Create what is missing (409 = already there, fine); the ClusterRole's rules are kept current."""
    created: list[str] = []
    for kind, body in rbac_objects(namespace, cluster_admin=cluster_admin):
        name = body["metadata"]["name"]
        try:
            if kind == "ServiceAccount":
                cluster.call(
                    f"create serviceaccount {namespace}/{name}",
                    cluster.core.create_namespaced_service_account,
                    namespace,
                    body,
                )
            elif kind == "ClusterRole":
                cluster.call(f"create clusterrole {name}", cluster.rbac.create_cluster_role, body)
            else:
                cluster.call(
                    f"create clusterrolebinding {name}", cluster.rbac.create_cluster_role_binding, body
                )
            created.append(f"{kind} {name}")
        except Conflict:
            if kind == "ClusterRole":  # an older plugin version may have written other rules
                cluster.call(
                    f"patch clusterrole {name}",
                    cluster.rbac.patch_cluster_role,
                    name,
                    {"rules": body["rules"]},
                )
    return created


# -- the Job ----


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


def job_args(request: JobRequest) -> list[str]:
    """Container args: the entry point's results dir, then pytest's arguments (no secret ever)."""
    if tuple(request.command) == DEFAULT_COMMAND or request.command[1:] == DEFAULT_COMMAND[1:]:
        return [POD_RESULTS_DIR, "--", *request.plugin_args]
    return list(request.plugin_args)


def job_manifest(request: JobRequest, name: str, *, secret_name: str = "") -> dict[str, Any]:
    """The Job object (pure): labels, no retries, a deadline, the SA, env and secret references."""
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
    template_meta: dict[str, Any] = {"labels": labels}
    if request.pod_annotations:
        template_meta["annotations"] = dict(request.pod_annotations)
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": request.namespace, "labels": labels},
        "spec": {
            "backoffLimit": 0,
            "activeDeadlineSeconds": request.deadline_s,
            "template": {
                "metadata": template_meta,
                "spec": {
                    "serviceAccountName": SERVICE_ACCOUNT,
                    "restartPolicy": "Never",
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


# -- finding and describing Jobs ----


@dataclass(frozen=True, slots=True, kw_only=True)
class JobState:
    """One Job as `status`, `logs`, `collect` and `ci` see it."""

    namespace: str
    name: str
    phase: str
    """Pending (no pod yet), Running, Succeeded or Failed."""
    created: float
    pod: str = ""
    pod_phase: str = ""
    message: str = ""
    published: str = ""
    """The `streamstress.io/published` annotation: "" until `ci` collected and published it."""


def _job_phase(job: Any) -> tuple[str, str]:
    status = job.status
    for cond in (status.conditions or []) if status else []:
        if cond.type == "Failed" and cond.status == "True":
            return "Failed", f"{cond.reason or ''}: {cond.message or ''}".strip(": ")
        if cond.type == "Complete" and cond.status == "True":
            return "Succeeded", ""
    if status and status.failed:
        return "Failed", ""
    if status and status.succeeded:
        return "Succeeded", ""
    if status and status.active:
        return "Running", ""
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


def wait_for_pod(cluster: Cluster, namespace: str, name: str, *, timeout: float) -> JobState:
    """Until the Job has a pod that is past Pending (its log can be read)."""
    from pytest_streamstress._infra.waits import Probe, wait_until

    seen: list[JobState] = []

    def probe() -> Probe:
        state = require_job(cluster, namespace, name)
        seen.append(state)
        ready = bool(state.pod) and state.pod_phase not in ("", "Pending")
        return Probe(
            done=ready, state=f"job {state.phase}, pod {state.pod or 'none'} {state.pod_phase}".strip()
        )

    wait_until(probe, what=f"pod of Job {namespace}/{name} not started", timeout=timeout, clock=cluster.clock)
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


# -- logs: read, follow, resume ----


LogOpener = Callable[[], Iterable[bytes]]
"""Opens the pod's log from its first byte; a seam so tests can cut the connection (R34)."""


def pod_log_opener(
    cluster: Cluster,
    namespace: str,
    pod: str,
    *,
    follow: bool = True,
    read_timeout: float = LOG_READ_TIMEOUT_S,
) -> LogOpener:
    def open_log() -> Iterator[bytes]:
        response = cluster.call(
            f"read log of pod {namespace}/{pod}",
            cluster.core.read_namespaced_pod_log,
            pod,
            namespace,
            container=CONTAINER,
            follow=follow,
            _preload_content=False,
            _request_timeout=(cluster.request_timeout, read_timeout),
        )
        try:
            yield from response.stream(64 * 1024, decode_content=True)
        finally:
            response.release_conn()

    return open_log


@dataclass
class LogFollower:
    """Follows one pod's log across dropped connections without repeating a byte.

    Resume is by byte count: after a drop the log is opened again from the start and the bytes
    already written are skipped. That is exact as long as the kubelet did not rotate the file
    meanwhile (docs/in-cluster.md); `sinceTime` would need timestamps on every line and is exact
    only to the second, so equal-second lines could repeat or vanish.
    """

    opener: LogOpener
    write: Callable[[str], object]
    is_finished: Callable[[], bool]
    max_reconnects: int = MAX_RECONNECTS
    pause: Callable[[float], None] = time.sleep
    """Waits between a clean end of the stream and re-opening it while the pod still runs."""
    offset: int = 0
    reconnects: int = 0
    _decoder: codecs.IncrementalDecoder = field(
        default_factory=lambda: codecs.getincrementaldecoder("utf-8")(errors="replace")
    )

    def run(self) -> int:
        """Stream until the container ended and its log is drained; returns the bytes written."""
        idle = 0
        while True:
            before = self.offset
            dropped = self._pass()
            if self.offset > before:
                idle = 0
            else:
                idle += 1
            if not dropped and self.is_finished():
                break
            if idle > self.max_reconnects:
                raise ClusterError(
                    f"the log stream keeps ending without new output ({idle} re-opens)",
                    hint="check the API server and the pod; `streamstress status` shows it",
                )
            self.reconnects += 1
            if not dropped:
                self.pause(RECONNECT_PAUSE_S)  # the server ended the stream but the container still runs
            log.info(
                "log stream ended at byte %d (%s); re-opening",
                self.offset,
                "dropped" if dropped else "pod busy",
            )
        tail = self._decoder.decode(b"", final=True)
        if tail:
            self.write(tail)
        return self.offset

    def _pass(self) -> bool:
        """One connection; True when it broke (rather than ended)."""
        seen = 0
        try:
            for chunk in self.opener():
                start = seen
                seen += len(chunk)
                if seen <= self.offset:
                    continue
                fresh = chunk[max(0, self.offset - start) :]
                self.offset += len(fresh)
                text = self._decoder.decode(fresh)
                if text:
                    self.write(text)
        except (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError) as exc:
            log.info("log stream dropped after %d bytes: %s", seen, type(exc).__name__)
            return True
        if seen < self.offset:
            log.warning(
                "the log is shorter than what was already shown (%d < %d bytes): rotated by the kubelet?",
                seen,
                self.offset,
            )
        return False


class ArchiveFilter:
    """Replaces the base64 archive block with one line while a log is shown to a human."""

    def __init__(self, write: Callable[[str], object]) -> None:
        self._write = write
        self._partial = ""
        self._inside = False

    def __call__(self, text: str) -> None:
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        for line in lines:
            self._line(line)

    def flush(self) -> None:
        if self._partial:
            self._line(self._partial)
            self._partial = ""

    def _line(self, line: str) -> None:
        if line.startswith(ARCHIVE_BEGIN):
            self._inside = True
            match = _BEGIN_RE.match(line.strip())
            size = f" ({match.group(1)} bytes)" if match else ""
            self._write(f"[results archive{size} in the log; copy it out with `streamstress collect DIR`]\n")
        elif line.startswith(ARCHIVE_END):
            self._inside = False
        elif not self._inside:
            self._write(line + "\n")


def read_log(cluster: Cluster, namespace: str, pod: str) -> str:
    """The whole current log of a pod (one request, no follow), as text."""
    data = b"".join(pod_log_opener(cluster, namespace, pod, follow=False)())
    return data.decode("utf-8", errors="replace")


# -- the results archive ----


def make_archive(results_dir: Path) -> bytes:
    """gzip'd tar of the results directory, entries relative to it, deterministic order."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        if results_dir.is_dir():
            for path in sorted(results_dir.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    tar.add(path, arcname=path.relative_to(results_dir).as_posix(), recursive=False)
    return buffer.getvalue()


def emit_archive(results_dir: Path, out: IO[str]) -> int:
    """Print the archive between markers carrying its size and sha256; returns its size."""
    data = make_archive(results_dir)
    digest = hashlib.sha256(data).hexdigest()
    encoded = base64.b64encode(data).decode("ascii")
    out.write(f"{ARCHIVE_BEGIN}: format=tar.gz+base64 size={len(data)} sha256={digest} ====\n")
    for start in range(0, len(encoded), ARCHIVE_LINE):
        out.write(encoded[start : start + ARCHIVE_LINE] + "\n")
    out.write(f"{ARCHIVE_END}: sha256={digest} ====\n")
    out.flush()
    return len(data)


@dataclass(frozen=True, slots=True, kw_only=True)
class Archive:
    data: bytes
    sha256: str
    exit_code: int | None
    log_without_archive: str


def parse_archive(log_text: str) -> Archive:
    """Find, decode and verify the archive in a pod log; any gap is an `ArchiveError` saying which."""
    lines = log_text.splitlines()
    begins = [i for i, line in enumerate(lines) if line.startswith(ARCHIVE_BEGIN)]
    exit_code = None
    for line in lines:
        found = _EXIT_RE.match(line.strip())
        if found:
            exit_code = int(found.group(1))
    if not begins:
        hint = (
            "the run ended before it wrote its results (see the log above), or the kubelet rotated the"
            " log past the archive's first line (containerLogMaxSize, docs/in-cluster.md)"
        )
        if any(line.startswith(ARCHIVE_END) for line in lines) or _looks_like_base64_tail(lines):
            hint = "the log was rotated or cut: the archive's end is there but its start is gone"
        raise ArchiveError("no results archive in the pod log (its begin marker is missing)", hint=hint)
    start = begins[-1]
    header = _BEGIN_RE.match(lines[start].strip())
    if header is None:
        raise ArchiveError(
            f"malformed archive header line: {lines[start][:120]!r}",
            hint="the Job ran another version of the plugin; collect with that version",
        )
    size, digest = int(header.group(1)), header.group(2)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith(ARCHIVE_END)), None)
    if end is None:
        raise ArchiveError(
            f"the results archive is truncated: its end marker is missing ({size} bytes expected)",
            hint="the pod was killed while printing it, or the log stream was cut; collect again,"
            " and if it persists see docs/in-cluster.md on log limits",
        )
    closing = _END_RE.match(lines[end].strip())
    if closing is None or closing.group(1) != digest:
        raise ArchiveError(
            "the results archive's end marker does not match its begin marker",
            hint="the log holds parts of two archives (a cut and a restart?); collect again",
        )
    body = "".join(line.strip() for line in lines[start + 1 : end])
    try:
        data = base64.b64decode(body, validate=True)
    except ValueError as exc:
        raise ArchiveError(f"the results archive is corrupt (base64: {exc})") from exc
    actual = hashlib.sha256(data).hexdigest()
    if len(data) != size or actual != digest:
        raise ArchiveError(
            f"the results archive is incomplete: got {len(data)} bytes with sha256 {actual[:12]}…, expected"
            f" {size} bytes with sha256 {digest[:12]}…",
            hint="nothing was written; collect again (a rotated or cut log cannot be repaired)",
        )
    remaining = "\n".join(lines[:start] + lines[end + 1 :]) + "\n"
    return Archive(data=data, sha256=digest, exit_code=exit_code, log_without_archive=remaining)


def _looks_like_base64_tail(lines: Sequence[str]) -> bool:
    return len(lines) > 2 and all(re.fullmatch(r"[A-Za-z0-9+/=]{8,76}", line) for line in lines[:2])


@dataclass(frozen=True, slots=True, kw_only=True)
class Collected:
    job: JobState
    dest: Path
    files: tuple[str, ...]
    size: int
    sha256: str
    exit_code: int | None


def collect_results(cluster: Cluster, namespace: str, name: str, dest: Path) -> Collected:
    """Copy the finished Job's results (verified) and its pod log into `dest`."""
    job = require_job(cluster, namespace, name)
    if job.phase in ("Pending", "Running"):
        raise ClusterError(
            f"Job {namespace}/{job.name} is still {job.phase.lower()}; its results are not final",
            hint=f"wait for it: `streamstress logs -f --namespace {namespace} {job.name}`",
        )
    if not job.pod:
        raise NotFound(
            f"Job {namespace}/{job.name} has no pod left to read results from",
            status=404,
            hint="the pod was deleted (Job TTL or manual delete); the results are gone",
        )
    archive = parse_archive(read_log(cluster, namespace, job.pod))
    files = _extract(archive.data, dest)
    (dest / "logs").mkdir(parents=True, exist_ok=True)
    (dest / "logs" / f"{job.pod}.log").write_text(
        cluster.redactor(archive.log_without_archive), encoding="utf-8"
    )
    log.info(
        "collected %d files (%d bytes) from %s/%s into %s",
        len(files),
        len(archive.data),
        namespace,
        job.pod,
        dest,
    )
    return Collected(
        job=job,
        dest=dest,
        files=tuple(files),
        size=len(archive.data),
        sha256=archive.sha256,
        exit_code=archive.exit_code,
    )


def _extract(data: bytes, dest: Path) -> list[str]:
    """Regular files only, each inside `dest`; checked before anything is written (no tar filter
    needed, so it behaves the same on every Python the package supports)."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        members = tar.getmembers()
        root = dest.resolve()
        for member in members:
            target = (root / member.name).resolve()
            if not member.isfile() or not target.is_relative_to(root) or target == root:
                raise ArchiveError(
                    f"the results archive holds an unsafe entry {member.name!r}; nothing extracted"
                )
        names: list[str] = []
        for member in members:
            source = tar.extractfile(member)
            if source is None:  # isfile() members always have content; keep mypy and tarfile agreeing
                continue
            target = root / member.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read())
            names.append(member.name)
    return names


# -- following a launched Job to its end ----


def follow_and_collect(
    cluster: Cluster, launch: JobLaunch, dest: Path, *, write: Callable[[str], object], timeout: float
) -> Collected:
    """Show the Job's log until its pod ends, then collect its results (the embedded emulator's way:
    the emulated cluster ends with the session that started it, so that session waits for its Job)."""
    from pytest_streamstress._infra.waits import Probe, wait_until

    namespace, name = launch.namespace, launch.name
    state = wait_for_pod(cluster, namespace, name, timeout=timeout)
    shown = ArchiveFilter(write)

    def pod_ended() -> bool:
        current = find_job(cluster, namespace, name)
        return current is None or current.pod_phase in ("Succeeded", "Failed")

    LogFollower(
        opener=pod_log_opener(cluster, namespace, state.pod), write=shown, is_finished=pod_ended
    ).run()
    shown.flush()

    def job_ended() -> Probe:
        current = require_job(cluster, namespace, name)
        return Probe(done=current.phase in ("Succeeded", "Failed"), state=f"job {current.phase}")

    wait_until(job_ended, what=f"Job {namespace}/{name} not finished", timeout=timeout, clock=cluster.clock)
    return collect_results(cluster, namespace, name, dest)


# -- inside the pod: run pytest, then print the archive ----


def write_incluster_kubeconfig(
    path: Path, environ: Mapping[str, str], *, account_dir: Path | None = None
) -> bool:
    """A kubeconfig for the pod's ServiceAccount, for release-tests' client-go and `oc`.

    It points at the mounted token and CA files (`tokenFile`, `certificate-authority`) instead of
    copying them, so no secret is written anywhere and the kubelet's token rotation keeps working
    for every reader. The original tool wrote `/root/.kube/config` from the token (reference §12.6).
    Returns False (and writes nothing) outside a pod.
    """
    from pytest_streamstress.cluster.client import SERVICE_ACCOUNT_DIR

    account = SERVICE_ACCOUNT_DIR if account_dir is None else account_dir
    host = environ.get("KUBERNETES_SERVICE_HOST", "")
    if not host or not (account / "token").is_file():
        return False
    port = environ.get("KUBERNETES_SERVICE_PORT", "443")
    server = f"https://[{host}]:{port}" if ":" in host else f"https://{host}:{port}"
    namespace_file = account / "namespace"
    namespace = namespace_file.read_text(encoding="utf-8").strip() if namespace_file.is_file() else "default"
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "in-cluster",
                "cluster": {"server": server, "certificate-authority": str(account / "ca.crt")},
            }
        ],
        "users": [{"name": SERVICE_ACCOUNT, "user": {"tokenFile": str(account / "token")}}],
        "contexts": [
            {
                "name": "in-cluster",
                "context": {"cluster": "in-cluster", "user": SERVICE_ACCOUNT, "namespace": namespace},
            }
        ],
        "current-context": "in-cluster",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(config, indent=1) + "\n", encoding="utf-8"
    )  # JSON is YAML: every reader takes it
    return True


def entry(
    argv: Sequence[str], *, out: IO[str] | None = None, run_pytest: Callable[[list[str]], int] | None = None
) -> int:
    """`python -m pytest_streamstress.cluster.job RESULTS_DIR -- PYTEST_ARGS`.

    Exit 0 when pytest ran the suite (all passed, or some scenarios failed: both are a finished run
    whose results must be collected and published); pytest's own code for anything else (usage
    error, internal error, interrupted), so the Job is Failed and `ci` starts a new run.
    """
    out = sys.stdout if out is None else out
    args = list(argv)
    if len(args) < 2 or args[1] != "--":
        out.write("usage: python -m pytest_streamstress.cluster.job RESULTS_DIR -- PYTEST_ARGS...\n")
        return 2
    results_dir, pytest_args = Path(args[0]), args[2:]
    if run_pytest is None:
        import pytest

        def run_pytest(arguments: list[str]) -> int:
            return int(pytest.main(arguments))

    import os

    kubeconfig = Path.home() / ".kube" / "config"
    if (
        not os.environ.get("KUBECONFIG")
        and not kubeconfig.exists()
        and write_incluster_kubeconfig(kubeconfig, os.environ)
    ):
        out.write(f"streamstress job: wrote {kubeconfig} for the ServiceAccount (token file, not copied)\n")
    out.write(f"streamstress job: pytest {shlex.join(pytest_args)}\n")
    out.flush()
    code = run_pytest(pytest_args)
    out.write(f"{EXIT_MARKER} {code} ====\n")
    emit_archive(results_dir, out)
    return 0 if code in (0, 1) else code


if __name__ == "__main__":
    sys.exit(entry(sys.argv[1:]))
