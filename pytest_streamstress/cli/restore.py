"""`streamstress restore RESULTS_DIR`: undo a session's image swap from the record it left behind.

Deploy writes `restore.json` before its first patch, so even a session that died (OOM, kill -9,
lost laptop) can be undone: this puts the recorded IMAGE_* values back, re-creates the operands and
waits for TektonConfig Ready. `--shipped` puts the operator's shipped images (the CSV's
`spec.relatedImages`) on the same variables instead: for a cluster that nightly runs without
`--restore` left on upstream images, where "as found" was itself an earlier run's images.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Final

from pytest_streamstress.cli._cluster_args import add_cluster_arguments, connect
from pytest_streamstress.cluster.deploy import RESTORE_RECORD, DeployParams, read_record, restore
from pytest_streamstress.components import load_catalog

HELP: Final = "Put back the operator images recorded by a session (RESULTS_DIR/restore.json)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("results_dir", type=Path, help="The session's results directory (holds restore.json)")
    add_cluster_arguments(parser)
    parser.add_argument("--timeout", type=float, default=900.0, help="Seconds to wait for Ready again")
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
    return 0


def _say(text: str) -> None:
    sys.stdout.write(f"  .. {text}\n")
