"""`streamstress status [NAME]`: the in-cluster Job's phase, its pod and the pod's phase.

Exit codes: 0 running or succeeded, 1 failed or no Job, 2 the API could not be asked. It reads only;
what the states mean for CI lives in `ci.py`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Final

from pytest_streamstress.cli._cluster_args import add_cluster_arguments, connect
from pytest_streamstress.cluster.job.state import list_jobs, require_job

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
    finally:
        cluster.close()
    for job in jobs:
        pod = f"pod {job.pod} {job.pod_phase}" if job.pod else "no pod yet"
        note = f"  {job.message}" if job.message else ""
        published = "  published" if job.published else ""
        sys.stdout.write(f"{job.namespace}/{job.name}  {job.phase.lower()}  {pod}{published}{note}\n")
    if not jobs:
        sys.stdout.write(f"no streamstress Job in namespace {args.namespace}\n")
        return 1
    return 1 if jobs[0].phase == "Failed" else 0
