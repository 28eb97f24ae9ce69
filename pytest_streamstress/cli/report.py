"""`streamstress report RESULTS... -o SITE`: build the dashboard site locally, without publishing.

Each RESULTS is a results directory (holding results.json), a results.json file, or an existing
history/site directory (holding runs/); their runs are added to SITE's history, which keeps the
runs it already has, and the site is rebuilt. Open SITE/index.html through a web server (for
example `python -m http.server -d SITE`) to see run details; trends, grid and comparison also work
from the file.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Final

from pytest_streamstress.errors import ConfigError
from pytest_streamstress.history.store import RESULTS_FILE, RUNS_DIR, add_run, enforce_budget, update_index
from pytest_streamstress.options import parse_size
from pytest_streamstress.report.site import build_site

log = logging.getLogger(__name__)

HELP: Final = "Build the dashboard site from results directories (no publishing)"


def size_argument(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "results",
        nargs="+",
        type=Path,
        metavar="RESULTS",
        help="Results directory, results.json file, or a history/site directory with runs/",
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="SITE",
        help="Site directory; earlier runs in it are kept",
    )
    parser.add_argument("--label", default="", help="Label for the added run(s) on the dashboard")
    parser.add_argument(
        "--history-budget",
        type=size_argument,
        default=None,
        metavar="SIZE",
        help="Byte budget of the history, e.g. 50MB; older runs lose messages and traces first",
    )


def results_files(source: Path) -> list[Path]:
    """The results.json files a RESULTS argument stands for."""
    if source.is_file():
        return [source]
    if (source / RESULTS_FILE).is_file():
        return [source / RESULTS_FILE]
    runs = sorted((source / RUNS_DIR).glob(f"*/{RESULTS_FILE}"))
    if runs:
        return runs
    raise ConfigError(
        f"no {RESULTS_FILE} in {source}",
        path=source,
        hint="give a results directory of a finished run, a results.json, or a site with runs/",
    )


def run(args: argparse.Namespace) -> int:
    site: Path = args.output
    files = [path for source in args.results for path in results_files(source)]
    for path in files:
        add_run(site, path, label=args.label)
    if args.history_budget is not None:
        enforce_budget(site, update_index(site), args.history_budget)
    page = build_site(site, site)
    sys.stdout.write(f"dashboard: {page} ({len(files)} run(s) added)\n")
    return 0
