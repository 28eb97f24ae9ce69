"""Arguments shared by commands that talk to a cluster: kubeconfig, context, request timeout.

Their help texts and defaults come from the pytest options' table (`options/table.py`), so
`pytest --help` and `streamstress <command> --help` describe them alike (issue 22).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pytest_streamstress._infra.redact import Redactor
from pytest_streamstress.cluster.access import Access
from pytest_streamstress.cluster.client import Cluster
from pytest_streamstress.options import OPTIONS_BY_NAME
from pytest_streamstress.options.settings import help_with_default


def option_help(name: str) -> str:
    """The help text the pytest option of the same name has, so the commands say the same thing."""
    return help_with_default(OPTIONS_BY_NAME[name])


def option_default(name: str) -> Any:
    return OPTIONS_BY_NAME[name].default


def add_cluster_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kubeconfig", type=Path, default=None, help=option_help("kubeconfig"))
    parser.add_argument("--context", default="", help=option_help("context"))
    parser.add_argument(
        "--api-timeout", type=float, default=option_default("api_timeout"), help=option_help("api_timeout")
    )


def connect(args: argparse.Namespace, redactor: Redactor | None = None) -> Cluster:
    access = Access(kubeconfig=args.kubeconfig, context=args.context, request_timeout=args.api_timeout)
    return Cluster.connect(access, redactor=redactor or Redactor())
