"""`streamstress merge OUT RESULTS...`: the shards of a CI matrix (`--shard i/N`) merged into one run.

`streamstress collect` merges the shards of an Indexed Job it reads from the cluster; a CI matrix
leaves its shards' results.json files as artifacts instead. This reads them, checks that they are
shards of one plan, and writes one `OUT/results.json` the same way (report/shard_merge.py): every
planned scenario once with its `shard`, and the scenarios of a shard whose file is missing (its job
failed, its artifact expired) as harness errors, so the run is `incomplete`, never a pass. With
`--history` the merged run joins the history; `streamstress publish OUT` publishes it. A shard
never adds itself to the history or builds a dashboard of its own (issue 23).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from pytest_streamstress.cli._history import add_to_history

if TYPE_CHECKING:
    from pytest_streamstress.report.shard_merge import ShardSummary


HELP: Final = "Merge the results.json of every shard of a CI matrix (--shard i/N) into one run"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dest", type=Path, metavar="OUT", help="Where the merged results.json goes (created)")
    parser.add_argument(
        "results", type=Path, nargs="+", metavar="RESULTS", help="Each shard's results.json (or its folder)"
    )
    parser.add_argument("--history", type=Path, metavar="DIR", help="Also add the merged run to this history")


def run(args: argparse.Namespace) -> int:
    from pytest_streamstress.history.store import HistoryError, load_document
    from pytest_streamstress.profile.shards import ShardPlan
    from pytest_streamstress.report.results_json import write_atomically
    from pytest_streamstress.report.shard_merge import merge_shards

    documents: dict[int, Mapping[str, Any]] = {}
    plan_json: Any = None
    for given in args.results:
        path = given / "results.json" if given.is_dir() else given
        try:
            document = load_document(path)
        except HistoryError as exc:
            return _fail(f"{path}: {exc.reason}", "give the results.json each shard's session wrote")
        shard = document.get("shards") if isinstance(document, dict) else None
        if not isinstance(shard, dict) or not isinstance(shard.get("index"), int) or "plan" not in shard:
            return _fail(
                f"{path}: not a shard's results.json (no shards.index)", "run each job with --shard I/N"
            )
        if plan_json is not None and shard["plan"] != plan_json:
            return _fail(
                f"{path}: its plan differs from the other shards'",
                "every shard of one run needs the same suite, selection and history (docs/shards.md)",
            )
        if shard["index"] in documents:
            return _fail(f"{path}: shard {shard['index']} is given twice", "give each shard's file once")
        plan_json = shard["plan"]
        documents[shard["index"]] = document
    plan = ShardPlan.from_json(plan_json)
    summaries = [_summary(index, documents.get(index)) for index in range(plan.count)]
    ids = ",".join(sorted(str(d.get("run_id", "")) for d in documents.values()))
    job = "matrix-" + hashlib.sha256(ids.encode()).hexdigest()[:12]
    merged = merge_shards(plan, documents, summaries, job=job, now=dt.datetime.now(dt.timezone.utc))
    path = args.dest / "results.json"
    write_atomically(path, merged)
    lost = [s.index for s in summaries if s.status == "lost"]
    for summary in summaries:
        sys.stdout.write(
            f"shard {summary.index}: {summary.status}{': ' + summary.message if summary.message else ''}\n"
        )
    sys.stdout.write(
        f"merged {plan.count} shards: {len(merged['scenarios'])} scenarios, run {merged['status']},"
        f" into {path}"
        + (f"; {len(lost)} shards missing, their scenarios are harness errors" if lost else "")
        + "\n"
    )
    code = add_to_history("merge", args.history, path)
    return code or (1 if lost else 0)


def _summary(index: int, document: Mapping[str, Any] | None) -> ShardSummary:
    from pytest_streamstress.report.shard_merge import ShardSummary

    if document is None:
        return ShardSummary(
            index=index,
            status="lost",
            message=f"no results.json was given for shard {index} (its job failed, or its artifact is gone)",
        )
    return ShardSummary(
        index=index,
        status="finished",
        pytest_exit_code=document.get("exit_code") if isinstance(document.get("exit_code"), int) else None,
        started_at=document.get("started_at"),
        finished_at=document.get("finished_at"),
    )


def _fail(message: str, hint: str) -> int:
    sys.stderr.write(f"streamstress merge: {message}\n  fix: {hint}\n")
    return 2
