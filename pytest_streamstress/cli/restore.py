"""`streamstress restore RESULTS_DIR`: undo a session's image swap from the record it left behind.

Deploy writes `restore.json` before its first patch, so even a session that died (OOM, kill -9,
lost laptop) can be undone: this puts the recorded IMAGE_* values back, re-creates the operands and
waits until TektonConfig is Ready and every operand runs them. `--shipped` puts the operator's
shipped images (the CSV's `spec.relatedImages`) on the same variables instead: for a cluster that
nightly runs without `--restore` left on upstream images, where "as found" was itself an earlier
run's images. Once done, the session's results.json says `deploy.restore: restored`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Final

from pytest_streamstress.cli._cluster_args import add_cluster_arguments, connect
from pytest_streamstress.cluster.deploy import RESTORE_RECORD, DeployParams, read_record
from pytest_streamstress.cluster.restore import restore
from pytest_streamstress.components import load_catalog
from pytest_streamstress.history.store import RESULTS_FILE
from pytest_streamstress.model import Restore, RestoreState
from pytest_streamstress.report.results_json import restore_json, write_atomically

HELP: Final = "Put back the operator images recorded by a session (RESULTS_DIR/restore.json)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("results_dir", type=Path, help="The session's results directory (holds restore.json)")
    add_cluster_arguments(parser)
    parser.add_argument(
        "--timeout",
        type=float,
        default=900.0,
        help="Seconds to wait until every operand runs the restored images",
    )
    parser.add_argument(
        "--components-config", type=Path, default=None, help="components.toml of that session"
    )
    parser.add_argument(
        "--shipped",
        action="store_true",
        help="Put the images the operator's CSV ships (spec.relatedImages) on the recorded variables,"
        " not the recorded ones (which are an earlier run's when that run ended without --restore)",
    )


def run(args: argparse.Namespace) -> int:
    record = args.results_dir / RESTORE_RECORD
    done = record.with_name(RESTORE_RECORD + ".restored")
    if args.shipped and not record.is_file() and done.is_file():
        record = done  # the variables and components to reset are the same
    elif not record.is_file() and done.is_file():
        # --restore, an earlier `streamstress restore` or --confirm already put the images back
        sys.stdout.write(
            f"nothing to restore: {done} says the recorded (or, with --shipped, the shipped) images"
            " were already put back; --shipped puts the shipped ones on again\n"
        )
        return 0
    read_record(record)  # a missing or broken record is named before any kubeconfig is read
    cluster = connect(args)
    try:
        restore(
            cluster,
            record,
            load_catalog(args.components_config),
            DeployParams(deploy_timeout=args.timeout, record_dir=args.results_dir),
            say=_say,
            shipped=args.shipped,
        )
    finally:
        cluster.close()
    _note_in_results(args.results_dir, shipped=args.shipped)
    return 0


def _note_in_results(results_dir: Path, *, shipped: bool) -> None:
    """The session's results.json stops saying the cluster was left on its images (`deploy.restore`),
    so its morning page does not send the next reader to restore a cluster that is back."""
    path = results_dir / RESULTS_FILE
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        left = document["deploy"]["restore"]
    except (OSError, ValueError, KeyError, TypeError):
        return  # no results.json, or one that never said how the cluster was left
    if not isinstance(left, dict) or left.get("state") == RestoreState.RESTORED.value:
        return
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    what = "put the operator's shipped images on" if shipped else "put the recorded operator images back"
    document["deploy"]["restore"] = restore_json(
        Restore(state=RestoreState.RESTORED, message=f"`streamstress restore` {what} at {now}")
    )
    write_atomically(path, document)
    sys.stdout.write(f"  .. {path} now says so (deploy.restore)\n")


def _say(text: str) -> None:
    sys.stdout.write(f"  .. {text}\n")
