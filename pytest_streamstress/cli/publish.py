"""`streamstress publish RESULTS_DIR`: push a finished run to the dashboard branch (gh-pages).

The same publish as `pytest --streamstress --publish` at session end, for runs made elsewhere (an
in-cluster Job, a CI artifact). The token comes from GITHUB_TOKEN or GH_TOKEN and never appears in
output or in the checkout's `.git/config`.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Final

from pytest_streamstress._infra.redact import Redactor
from pytest_streamstress.cli.report import size_argument
from pytest_streamstress.errors import ConfigError
from pytest_streamstress.report.publish import DEFAULT_TIMEOUT_S, default_repo, publish_run, token_from_env

HELP: Final = "Publish a run's results to the dashboard branch of a git remote"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "results_dir",
        type=Path,
        metavar="RESULTS_DIR",
        help="Results directory of a finished run (holds results.json)",
    )
    parser.add_argument(
        "--repo",
        default=None,
        metavar="URL",
        help="Git remote holding the dashboard branch (default: GitHub's GITHUB_REPOSITORY)",
    )
    parser.add_argument(
        "--branch", default="gh-pages", metavar="NAME", help="Dashboard branch (default gh-pages)"
    )
    parser.add_argument("--label", default="", help="Label of this run on the dashboard, e.g. 'nightly'")
    parser.add_argument(
        "--history-budget",
        type=size_argument,
        default=50_000_000,
        metavar="SIZE",
        help="Byte budget of the published history (default 50MB)",
    )
    parser.add_argument(
        "--publish-timeout",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        metavar="SECONDS",
        help="Seconds to keep retrying when other publishers move the branch"
        f" (default {DEFAULT_TIMEOUT_S:g})",
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=None,
        metavar="PATH",
        help="Where the branch is checked out (default: a temporary directory)",
    )


def run(args: argparse.Namespace) -> int:
    repo = args.repo or default_repo(os.environ)
    if not repo:
        raise ConfigError("no git remote to publish to", hint="pass --repo URL or set GITHUB_REPOSITORY")
    token = token_from_env(os.environ)
    redactor = Redactor([token] if token else [])
    with tempfile.TemporaryDirectory(prefix="streamstress-publish-") as temp:
        work_dir = args.work_dir or Path(temp)
        result = publish_run(
            args.results_dir,
            repo=repo,
            branch=args.branch,
            label=args.label,
            token=token,
            budget=args.history_budget,
            work_dir=work_dir,
            redactor=redactor,
            publish_timeout=args.publish_timeout,
        )
    verb = "already published" if result.already_published else "published"
    where = f" -> {result.pages_url}" if result.pages_url else ""
    sys.stdout.write(
        f"{verb} {result.run_id} to {redactor(result.repo)} ({result.branch}) at {result.commit[:12]};"
        f" {result.runs} runs in the history{where}\n"
    )
    return 0
