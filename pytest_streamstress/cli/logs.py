"""`streamstress logs [-f] [NAME]`: the in-cluster Job's pod log, followed across dropped connections.

Resumes by byte count after a drop, so no line is shown twice (see `cluster.job.follow.LogFollower`). The
results archive at the end of the log is shown as one line, not as base64.
"""

from __future__ import annotations

import argparse
import sys
from typing import Final

from pytest_streamstress._infra.heartbeat import Heartbeat, Pace, terminal_width
from pytest_streamstress.cli._cluster_args import connect
from pytest_streamstress.cli.status import add_job_arguments
from pytest_streamstress.cluster.job.archive import ArchiveFilter
from pytest_streamstress.cluster.job.follow import LogFollower, pod_log_opener
from pytest_streamstress.cluster.job.state import find_job, require_job, wait_for_pod

HELP: Final = "Show the in-cluster Job's log; with -f, follow it until the pod ends (resuming after drops)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_job_arguments(parser)
    parser.add_argument("-f", "--follow", action="store_true", help="Follow the log until the pod ends")
    parser.add_argument(
        "--pod-timeout",
        type=float,
        default=60.0,
        help="Seconds to wait for the Job's pod to be scheduled and start (default: 60)",
    )
    parser.add_argument("--raw", action="store_true", help="Show the results archive's base64 too")


def run(args: argparse.Namespace) -> int:
    cluster = connect(args)
    try:
        job = require_job(cluster, args.namespace, args.name)
        beat = Heartbeat(
            lambda line: sys.stderr.write(f"streamstress logs: {line}\n"),
            what=f"the pod of Job {args.namespace}/{job.name}",
            bound=args.pod_timeout,
            option="--pod-timeout",
            pace=Pace(width=terminal_width(), prefix_len=len("streamstress logs: ")),
        )
        job = wait_for_pod(cluster, args.namespace, job.name, timeout=args.pod_timeout, progress=beat)
        out = sys.stdout
        shown = ArchiveFilter(out.write) if not args.raw else None
        write = shown if shown is not None else out.write

        def finished() -> bool:
            state = find_job(cluster, args.namespace, job.name)
            return state is None or state.pod_phase in ("Succeeded", "Failed", "")

        follower = LogFollower(
            opener=pod_log_opener(cluster, args.namespace, job.pod, follow=args.follow),
            write=write,
            is_finished=finished if args.follow else (lambda: True),
        )
        follower.run()
        if shown is not None:
            shown.flush()
        out.flush()
        final = find_job(cluster, args.namespace, job.name)
    finally:
        cluster.close()
    if args.follow and final is not None:
        sys.stderr.write(f"streamstress logs: Job {final.namespace}/{final.name} {final.phase.lower()}\n")
        return 1 if final.phase == "Failed" else 0
    return 0
