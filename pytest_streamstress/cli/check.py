"""`streamstress check [--fix]`: is the cluster ready for a run, and what would auto-setup change.

Exit codes as the original tool (reference §12.7): 0 everything ok, 1 something missing or wrong,
2 the check itself could not run (no access, API error).
"""

from __future__ import annotations

import argparse
import sys
from typing import Final

from pytest_streamstress.cli._cluster_args import add_cluster_arguments, connect
from pytest_streamstress.cluster.setup import ItemStatus, SetupParams, check, ensure
from pytest_streamstress.errors import StreamstressError

HELP: Final = "Check that the cluster is ready for a run; with --fix, set up what is missing"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_cluster_arguments(parser)
    parser.add_argument(
        "--fix", action="store_true", help="Create and patch what is missing, then wait for Ready"
    )
    parser.add_argument("--channel", default="latest", help="OLM channel for the operator Subscription")
    parser.add_argument("--source", default="redhat-operators", help="OLM CatalogSource for the Subscription")
    parser.add_argument("--timeout", type=float, default=600.0, help="Seconds --fix may wait for Ready")


def run(args: argparse.Namespace) -> int:
    try:
        cluster = connect(args)
    except StreamstressError as exc:
        sys.stderr.write(f"check: {exc}\n")
        return 2
    try:
        if args.fix:
            report = ensure(
                cluster,
                SetupParams(channel=args.channel, source=args.source, timeout=args.timeout),
                on_progress=_say,
            )
            for change in report.changed:
                sys.stdout.write(f"  fixed: {change}\n")
            if not report.changed:
                sys.stdout.write("  nothing to change\n")
        else:
            report = check(cluster)
    except StreamstressError as exc:
        sys.stderr.write(f"check: {exc}\n")
        return 2
    finally:
        cluster.close()
    width = max(len(item.name) for item in report.items)
    for item in report.items:
        line = f"{item.status.value:8} {item.name:{width}}  {item.detail}"
        if item.status is not ItemStatus.OK and item.fix:
            line += f"\n{'':8} {'':{width}}  --fix: {item.fix}"
        sys.stdout.write(line + "\n")
    return 0 if report.ok else 1


def _say(text: str) -> None:
    sys.stdout.write(f"  .. {text}\n")
