"""`streamstress status [NAME]`: the in-cluster Job's phase, its pod and the pod's phase.

An Indexed Job (`--shards N`, issue 23) gets one line per shard under its own: the index's newest
pod, its node and phase, and how it ended, so a stuck or lost shard shows before `collect`.

Exit codes: 0 running or succeeded, 1 failed or no Job, 2 the API could not be asked. It reads only;
what the states mean for CI lives in `ci.py`.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Final

from pytest_streamstress.cli._cluster_args import add_cluster_arguments, connect
from pytest_streamstress.cluster.job.state import list_jobs, require_job

if TYPE_CHECKING:
    from pytest_streamstress.cluster.client import Cluster

HELP: Final = "Show the in-cluster Job: running, succeeded or failed, with its pod and the pod's phase"
DEFAULT_NAMESPACE: Final = "openshift-pipelines"


def add_job_arguments(parser: argparse.ArgumentParser, *, with_name: bool = True) -> None:
    """Cluster access, `--namespace` and an optional Job name (default: the newest Job)."""
    add_cluster_arguments(parser)
    parser.add_argument(
        "--namespace",
        "-n",
        default=DEFAULT_NAMESPACE,
        help=f"Namespace of the Job (default {DEFAULT_NAMESPACE}, as --job-namespace)",
    )
    if not with_name:
        return
    parser.add_argument(
        "name",
        nargs="?",
        default="",
        metavar="JOB",
        help="The Job's name (default: the newest Job labelled app=streamstress)",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_job_arguments(parser)
    parser.add_argument("--all", action="store_true", help="List every streamstress Job, newest first")


def run(args: argparse.Namespace) -> int:
    cluster = connect(args)
    try:
        jobs = (
            list_jobs(cluster, args.namespace)
            if args.all
            else [require_job(cluster, args.namespace, args.name)]
        )
        shards = {job.name: _shard_lines(cluster, job.namespace, job.name) for job in jobs}
    finally:
        cluster.close()
    for job in jobs:
        lines = shards[job.name]
        pod = (
            f"{len(lines)} shards" if lines else f"pod {job.pod} {job.pod_phase}" if job.pod else "no pod yet"
        )
        note = f"  {job.message}" if job.message else ""
        published = "  published" if job.published else ""
        sys.stdout.write(f"{job.namespace}/{job.name}  {job.phase.lower()}  {pod}{published}{note}\n")
        for line in lines:
            sys.stdout.write(f"  {line}\n")
    if not jobs:
        sys.stdout.write(f"no streamstress Job in namespace {args.namespace}\n")
        return 1
    return 1 if jobs[0].phase == "Failed" else 0


def _shard_lines(cluster: Cluster, namespace: str, name: str) -> list[str]:
    """'shard 1: pod streamstress-1-1-abcde on worker-1: Running' for each index; [] for a one-pod Job."""
    from pytest_streamstress.cluster.job.shards import indexed_completions, shard_pods

    count = indexed_completions(cluster, namespace, name)
    if not count:
        return []
    return [pod.describe(no_state="not started") for pod in shard_pods(cluster, namespace, name, count)]
