"""Arguments shared by commands that talk to a cluster: kubeconfig, context, request timeout."""

from __future__ import annotations

import argparse
from pathlib import Path

from pytest_streamstress._infra.redact import Redactor
from pytest_streamstress.cluster.client import Access, Cluster


def add_cluster_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kubeconfig",
        type=Path,
        default=None,
        help="Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster)",
    )
    parser.add_argument("--context", default="", help="Kubeconfig context (default: the current one)")
    parser.add_argument("--api-timeout", type=float, default=30.0, help="Seconds one API request may take")


def connect(args: argparse.Namespace, redactor: Redactor | None = None) -> Cluster:
    access = Access(kubeconfig=args.kubeconfig, context=args.context, request_timeout=args.api_timeout)
    return Cluster.connect(access, redactor=redactor or Redactor())
