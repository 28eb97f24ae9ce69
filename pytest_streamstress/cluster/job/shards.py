"""An Indexed Job's shards: wait for all of them, describe each pod, copy each shard's results (issue 23).

Each index's newest pod is one shard: its node, phase, start and end, and why it ended, as the
kubelet and the Job controller said it (`Completed`, `Error`, `OOMKilled`, `Evicted`,
`DeadlineExceeded`). A shard whose log holds a verified results archive is collected whatever its
exit code; the shard is `finished` when its pod also Succeeded. Any other (failed, killed, evicted,
no pod left, a cut archive) is `lost`, with the reason, and the other shards are still collected.
What a lost shard's scenarios become is the merge's business (report/shard_merge.py); this module
only talks to the API and writes the shards' files.

The Job is done when the Job controller says so (condition Complete or Failed): with
`backoffLimitPerIndex` a failed index does not end the Job while the others run, so the pods'
`failed` count is no end signal (`state.JobState.phase` reads it that way for one-pod Jobs).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from pytest_streamstress.cluster.job.archive import ArchiveError, parse_archive
from pytest_streamstress.cluster.job.collect import extract_archive
from pytest_streamstress.cluster.job.follow import read_log
from pytest_streamstress.cluster.job.manifest import config_map_name
from pytest_streamstress.cluster.job.state import wait_on_job
from pytest_streamstress.errors import ClusterError, NotFound, StreamstressError
from pytest_streamstress.profile.shards import PLAN_ENV, ShardPlan

if TYPE_CHECKING:
    from pytest_streamstress.cluster.client import Cluster

log = logging.getLogger(__name__)

INDEX_ANNOTATION: Final = "batch.kubernetes.io/job-completion-index"


@dataclass(frozen=True, slots=True, kw_only=True)
class ShardPod:
    """One shard as its pod ended (or did not start)."""

    index: int
    pod: str = ""
    node: str = ""
    phase: str = ""
    reason: str = ""
    """Completed, Error, OOMKilled, Evicted, DeadlineExceeded, ...; "" while it runs."""
    message: str = ""
    exit_code: int | None = None
    started_at: str | None = None
    finished_at: str | None = None

    def describe(self, *, no_state: str) -> str:
        """'shard 1: pod streamstress-1-1-abcde on worker-1: OOMKilled (exit 137)' (status, collect)."""
        where = f" on {self.node}" if self.node else ""
        code = f" (exit {self.exit_code})" if self.exit_code is not None else ""
        state = self.reason or self.phase or no_state
        return f"shard {self.index}: pod {self.pod or 'none'}{where}: {state}{code}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ShardCollected:
    pod: ShardPod
    status: str
    """finished (its results archive was read and verified) or lost."""
    dest: Path | None = None
    """Where its results.json and logs went; None when lost."""
    pytest_exit_code: int | None = None
    problem: str = ""
    """Why it is lost, for the merged run's error and its scenarios' message."""

    @property
    def line(self) -> str:
        """'shard 1: pod streamstress-1-1-abcde on worker-1: OOMKilled (exit 137), lost'."""
        return f"{self.pod.describe(no_state='no end')}, {self.status}"


def indexed_completions(cluster: Cluster, namespace: str, name: str) -> int:
    """The Job's shard count: `completions` of an Indexed Job, 0 for any other Job."""
    job = cluster.call(f"get job {namespace}/{name}", cluster.batch.read_namespaced_job, name, namespace)
    spec = job.spec
    if spec is None or spec.completion_mode != "Indexed":
        return 0
    return int(spec.completions or 1)


def job_finished(cluster: Cluster, namespace: str, name: str) -> tuple[bool, str]:
    """(done, state) by the Job controller's conditions; the state names them for a wait's message."""
    job = cluster.call(f"get job {namespace}/{name}", cluster.batch.read_namespaced_job, name, namespace)
    status = job.status
    if status is None:  # just created: the Job controller has not written one yet
        return False, "no status yet"
    conditions = [c for c in (status.conditions or []) if c.status == "True"]
    done = any(c.type in ("Complete", "Failed") for c in conditions)
    counts = f"active={status.active or 0} succeeded={status.succeeded or 0} failed={status.failed or 0}"
    names = ", ".join(f"{c.type}({c.reason or ''})" for c in conditions) or "none"
    return done, f"conditions {names}; {counts}"


def wait_for_shards(
    cluster: Cluster,
    namespace: str,
    name: str,
    *,
    timeout: float,
    progress: Callable[[float, str], None] | None = None,
    poll: float = 5.0,
) -> None:
    """Until the Job controller ended the Job (every shard ended, or the deadline stopped them);
    `progress` gets each look (a heartbeat, issue 22).

    Woken by a watch on the Job (R18), `poll` only backs it up: polling alone ended the wait up to
    `poll` seconds after the last shard, 5 s of a 40 s sharded run in bench/shards.py."""
    from pytest_streamstress._infra.waits import Probe

    def probe() -> Probe:
        done, state = job_finished(cluster, namespace, name)
        return Probe(done=done, state=state)

    what = f"shards of Job {namespace}/{name} not finished"
    wait_on_job(cluster, namespace, name, probe, what=what, timeout=timeout, poll=poll, progress=progress)


def shard_pods(cluster: Cluster, namespace: str, name: str, count: int) -> list[ShardPod]:
    """Each index's newest pod, described; an index without a pod is a ShardPod with no pod."""
    pods = cluster.call(
        f"list pods of job {namespace}/{name}",
        cluster.core.list_namespaced_pod,
        namespace,
        label_selector=f"job-name={name}",
    ).items
    newest: dict[int, Any] = {}
    for pod in pods:
        raw = (pod.metadata.annotations or {}).get(INDEX_ANNOTATION)
        if raw is None or not str(raw).isdigit():
            continue
        index = int(raw)
        created = pod.metadata.creation_timestamp
        current = newest.get(index)
        if current is None or (created and current.metadata.creation_timestamp < created):
            newest[index] = pod
    return [
        _describe(index, newest[index]) if index in newest else ShardPod(index=index)
        for index in range(count)
    ]


def _describe(index: int, pod: Any) -> ShardPod:
    status = pod.status
    terminated = None
    for container in (status.container_statuses or []) if status else []:
        if container.state is not None and container.state.terminated is not None:
            terminated = container.state.terminated
    reason = (status.reason if status else None) or (terminated.reason if terminated else None) or ""
    message = (status.message if status else None) or (terminated.message if terminated else None) or ""
    started = status.start_time if status else None
    finished = terminated.finished_at if terminated else None
    return ShardPod(
        index=index,
        pod=pod.metadata.name,
        node=(pod.spec.node_name if pod.spec else None) or "",
        phase=(status.phase if status else None) or "",
        reason=reason,
        message=message,
        exit_code=terminated.exit_code if terminated else None,
        started_at=_iso(started),
        finished_at=_iso(finished),
    )


def _iso(when: Any) -> str | None:
    if when is None:
        return None
    return str(when.isoformat()).replace("+00:00", "Z")


def collect_shards(
    cluster: Cluster, namespace: str, name: str, count: int, dest: Path
) -> list[ShardCollected]:
    """Every shard's results into `dest/shards/<index>/` (verified) and its pod log; lost ones say why."""
    collected = []
    for pod in shard_pods(cluster, namespace, name, count):
        collected.append(_collect_one(cluster, namespace, pod, dest / "shards" / str(pod.index)))
    return collected


def _collect_one(cluster: Cluster, namespace: str, pod: ShardPod, dest: Path) -> ShardCollected:
    if not pod.pod:
        return ShardCollected(pod=pod, status="lost", problem=f"shard {pod.index} has no pod")
    ended = _ending(pod)
    try:
        archive = parse_archive(read_log(cluster, namespace, pod.pod))
    except (ArchiveError, NotFound) as exc:
        log.warning("shard %d (%s/%s): %s", pod.index, namespace, pod.pod, exc)
        return ShardCollected(
            pod=pod, status="lost", problem=f"shard {pod.index} lost: pod {pod.pod} {ended}"
        )
    extract_archive(archive.data, dest)
    (dest / "logs").mkdir(parents=True, exist_ok=True)
    (dest / "logs" / f"{pod.pod}.log").write_text(
        cluster.redactor(archive.log_without_archive), encoding="utf-8"
    )
    if pod.phase != "Succeeded":  # it wrote results, but its pod failed: what it did not finish is lost
        problem = f"shard {pod.index} lost: pod {pod.pod} {ended}"
        return ShardCollected(
            pod=pod, status="lost", dest=dest, pytest_exit_code=archive.exit_code, problem=problem
        )
    return ShardCollected(pod=pod, status="finished", dest=dest, pytest_exit_code=archive.exit_code)


def _ending(pod: ShardPod) -> str:
    """'ended OOMKilled (exit 137) on worker-1: ...': what the pod's end says, for the user."""
    how = pod.reason or pod.phase or "did not end"
    code = f" (exit {pod.exit_code})" if pod.exit_code is not None else ""
    where = f" on {pod.node}" if pod.node else ""
    why = f": {pod.message}" if pod.message else ""
    return f"ended {how}{code}{where}{why}".strip()


@dataclass(frozen=True, slots=True, kw_only=True)
class MergedRun:
    path: Path
    """The merged results.json."""
    shards: tuple[ShardCollected, ...]
    scenarios: int
    status: str


def collect_and_merge(
    cluster: Cluster, namespace: str, name: str, count: int, dest: Path, *, now: dt.datetime | None = None
) -> MergedRun:
    """Every shard collected under `dest/shards/`, merged into `dest/results.json` (written atomically)."""
    from pytest_streamstress.report.results_json import write_atomically
    from pytest_streamstress.report.shard_merge import ShardSummary, merge_shards

    collected = collect_shards(cluster, namespace, name, count, dest)
    documents: dict[int, dict[str, Any]] = {}
    for shard in collected:
        document = _read_document(shard)
        if document is not None:
            documents[shard.pod.index] = document
    plan = _plan(cluster, namespace, name, documents)
    summaries = [
        ShardSummary(
            index=shard.pod.index,
            status=shard.status if shard.pod.index in documents else "lost",
            pod=shard.pod.pod,
            node=shard.pod.node,
            phase=shard.pod.phase,
            reason=shard.pod.reason,
            exit_code=shard.pod.exit_code,
            pytest_exit_code=shard.pytest_exit_code,
            started_at=shard.pod.started_at,
            finished_at=shard.pod.finished_at,
            message=shard.problem or shard.pod.message,
        )
        for shard in collected
    ]
    merged = merge_shards(
        plan, documents, summaries, job=f"{namespace}/{name}", now=now or dt.datetime.now(dt.timezone.utc)
    )
    _cluster_versions(cluster, merged)
    path = dest / "results.json"
    write_atomically(path, merged)
    return MergedRun(
        path=path, shards=tuple(collected), scenarios=len(merged["scenarios"]), status=merged["status"]
    )


def _cluster_versions(cluster: Cluster, merged: dict[str, Any]) -> None:
    """The OCP and operator versions of the run's cluster (the dimension the history groups by).

    The shard pods deploy nothing (the launcher did) and so never read them; the cluster they ran
    on still knows them. Best effort: a cluster that cannot say leaves them empty, as a pod would.
    """
    from pytest_streamstress.cluster.operator_env import find_operator

    block = merged.setdefault("cluster", {"kind": "none"})
    if block.get("openshift_version") and block.get("operator_version"):
        return
    try:
        target = find_operator(cluster)
    except StreamstressError as exc:
        log.info("merged run: the cluster's versions are unknown (%s)", exc)
        return
    block["openshift_version"] = block.get("openshift_version") or target.openshift_version
    block["operator_csv"] = block.get("operator_csv") or target.csv
    block["operator_version"] = block.get("operator_version") or target.operator_version


def _read_document(shard: ShardCollected) -> dict[str, Any] | None:
    if shard.dest is None:
        return None
    path = shard.dest / "results.json"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("shard %d: no readable results.json in its archive (%s)", shard.pod.index, exc)
        return None
    return document if isinstance(document, dict) else None


def _plan(
    cluster: Cluster, namespace: str, name: str, documents: Mapping[int, Mapping[str, Any]]
) -> ShardPlan:
    """The plan every shard ran: from a shard's results.json, else from the Job's ConfigMap."""
    for document in documents.values():
        plan = (document.get("shards") or {}).get("plan")
        if isinstance(plan, Mapping):
            return ShardPlan.from_json(plan)
    config = cluster.call(
        f"get configmap {namespace}/{config_map_name(name)}",
        cluster.core.read_namespaced_config_map,
        config_map_name(name),
        namespace,
    )
    text = (config.data or {}).get(PLAN_ENV)
    if not text:
        raise ClusterError(
            f"no shard finished and ConfigMap {namespace}/{config_map_name(name)} holds no plan",
            hint="the Job was not launched by --shards, or its ConfigMap was deleted; nothing to merge",
        )
    return ShardPlan.from_json(json.loads(text))
