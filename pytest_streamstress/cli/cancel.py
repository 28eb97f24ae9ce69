"""`streamstress cancel [NAME]`: stop the running in-cluster Job (deletes it, its pod and its Secret)."""

from __future__ import annotations

import argparse
import sys
from typing import Final

from pytest_streamstress.cli._cluster_args import connect
from pytest_streamstress.cli.status import add_job_arguments
from pytest_streamstress.cluster.job.state import cancel_job, require_job

HELP: Final = "Stop the in-cluster Job: delete it with its pod (its results are lost)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_job_arguments(parser)


def run(args: argparse.Namespace) -> int:
    cluster = connect(args)
    try:
        job = require_job(cluster, args.namespace, args.name)
        cancel_job(cluster, job.namespace, job.name)
    finally:
        cluster.close()
    was = job.phase.lower()
    sys.stdout.write(f"deleted Job {job.namespace}/{job.name} (was {was})\n")
    return 0
