"""`streamstress collect DIR [NAME]`: copy a finished Job's results and pod log out through the API.

No `oc` needed: the pod printed its results as a checksummed archive at the end of its log
(docs/in-cluster.md); this reads it, verifies size and sha256, and only then writes DIR and says
so. A truncated or rotated log is an error (exit 1) and nothing is written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Final

from pytest_streamstress.cli._cluster_args import connect
from pytest_streamstress.cli.status import add_job_arguments
from pytest_streamstress.cluster.job.archive import ArchiveError
from pytest_streamstress.cluster.job.collect import collect_results
from pytest_streamstress.cluster.job.state import require_job

HELP: Final = "Copy results.json and logs out of the finished Job's pod, verified by size and sha256"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dest", type=Path, metavar="DIR", help="Where the results go (created if missing)")
    add_job_arguments(parser)


def run(args: argparse.Namespace) -> int:
    cluster = connect(args)
    try:
        job = require_job(cluster, args.namespace, args.name)
        try:
            collected = collect_results(cluster, args.namespace, job.name, args.dest)
        except ArchiveError as exc:
            sys.stderr.write(f"streamstress collect: {job.namespace}/{job.name}: {exc}\n")
            return 1
    finally:
        cluster.close()
    code = "" if collected.exit_code is None else f"; pytest exit code {collected.exit_code}"
    sys.stdout.write(
        f"collected {len(collected.files)} files ({collected.size} bytes,"
        f" sha256 {collected.sha256[:12]}… verified)"
        f" from {job.namespace}/{collected.job.pod} into {args.dest}{code}\n"
    )
    return 0
