"""`streamstress collect DIR [NAME]`: copy a finished Job's results and pod log out through the API.

No `oc` needed: the pod printed its results as a checksummed archive at the end of its log
(docs/in-cluster.md); this reads it, verifies size and sha256, and only then writes DIR and says
so. A truncated or rotated log is an error (exit 1) and nothing is written.

An Indexed Job (`--shards N`, issue 23) is collected shard by shard into `DIR/shards/<index>/` and
merged into one `DIR/results.json`: a lost shard (pod failed, evicted, OOM-killed, past the
deadline) costs only its own scenarios, which become harness errors naming the pod's reason; the
exit code is then 1, with the merged results written all the same.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Final

from pytest_streamstress.cli._cluster_args import connect
from pytest_streamstress.cli._history import add_to_history
from pytest_streamstress.cli.status import add_job_arguments
from pytest_streamstress.cluster.job.archive import ArchiveError
from pytest_streamstress.cluster.job.collect import collect_results
from pytest_streamstress.cluster.job.shards import collect_and_merge, indexed_completions
from pytest_streamstress.cluster.job.state import require_job

if TYPE_CHECKING:
    from pytest_streamstress.cluster.client import Cluster


HELP: Final = "Copy results.json and logs out of the finished Job's pod, verified by size and sha256"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dest", type=Path, metavar="DIR", help="Where the results go (created if missing)")
    parser.add_argument(
        "--history",
        type=Path,
        metavar="DIR",
        help="Also add the collected (or merged) run to this history store, as a session's --history does",
    )
    add_job_arguments(parser)


def run(args: argparse.Namespace) -> int:
    cluster = connect(args)
    try:
        job = require_job(cluster, args.namespace, args.name)
        shards = indexed_completions(cluster, args.namespace, job.name)
        if shards:
            merged_code = _collect_shards(cluster, args.namespace, job.name, shards, args.dest)
            return add_to_history("collect", args.history, args.dest / "results.json") or merged_code
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
    return add_to_history("collect", args.history, args.dest / "results.json")


def _collect_shards(cluster: Cluster, namespace: str, name: str, shards: int, dest: Path) -> int:
    from pytest_streamstress.cluster.job.shards import job_finished

    done, state = job_finished(cluster, namespace, name)
    if not done:
        sys.stderr.write(
            f"streamstress collect: {namespace}/{name}: the shards have not all ended ({state});"
            f" wait for them: `streamstress status --namespace {namespace} {name}`\n"
        )
        return 1
    merged = collect_and_merge(cluster, namespace, name, shards, dest)
    for shard in merged.shards:
        sys.stdout.write(shard.line + "\n")
    lost = [shard for shard in merged.shards if shard.status == "lost"]
    sys.stdout.write(
        f"merged {len(merged.shards)} shards of {namespace}/{name}: {merged.scenarios} scenarios,"
        f" run {merged.status}, into {merged.path}"
        + (f"; {len(lost)} shards lost, their scenarios are harness errors" if lost else "")
        + "\n"
    )
    return 1 if lost else 0
