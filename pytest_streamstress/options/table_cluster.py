"""The options about the cluster: setup, deploy, restore, stopping, the in-cluster Job, shards, clusters.

Part of the one table (options/table.py, STYLE R26), kept in its own module so neither exceeds the
size rule; `OPTIONS` there splices these in at their place, so the order of `--help` is unchanged.
"""

from __future__ import annotations

from typing import Any, Final

from pytest_streamstress.model import DeployStrategy
from pytest_streamstress.options.opt import Opt
from pytest_streamstress.options.parse import (
    choice,
    parse_bool,
    parse_non_negative_float,
    parse_path,
    parse_positive_float,
    parse_positive_int,
    parse_str,
)
from pytest_streamstress.profile.shards import parse_shard

GROUP: Final = "streamstress"
DEFAULT_RELEASE_TESTS_REPO: Final = "https://github.com/openshift-pipelines/release-tests.git"


CLUSTER_OPTIONS: Final[tuple[Opt[Any], ...]] = (
    # cluster setup and deploy
    Opt(
        "skip_deploy",
        parse_bool,
        False,
        "Do not touch the operator; test what the cluster runs now",
        switch=True,
    ),
    Opt(
        "no_auto_setup",
        parse_bool,
        False,
        "Do not prepare a bare cluster (registry route, namespace, operator subscription)",
        switch=True,
    ),
    Opt(
        "deploy_strategy",
        choice(DeployStrategy),
        "auto",
        "How images reach the operator: 'csv' (OLM rolls it), 'deployment' (direct edit) or 'auto' (CSV,"
        " verified, falling back to the Deployment)",
        metavar="HOW",
    ),
    Opt(
        "deploy_timeout",
        parse_positive_float,
        900.0,
        "Seconds the deploy waits for TektonConfig Ready and the operands on the new images (also for an"
        " installed operator that is not Ready)",
        metavar="SECONDS",
    ),
    Opt(
        "olm_timeout",
        parse_positive_float,
        180.0,
        "Seconds to wait for OLM to roll a CSV change into the operator before falling back",
        metavar="SECONDS",
    ),
    Opt(
        "setup_timeout",
        parse_positive_float,
        600.0,
        "Seconds auto-setup may wait for an operator it installs (and, with --skip-deploy, for TektonConfig"
        " Ready)",
        metavar="SECONDS",
    ),
    Opt(
        "api_timeout",
        parse_positive_float,
        30.0,
        "Seconds one Kubernetes API request may take",
        metavar="SECONDS",
    ),
    Opt(
        "restore",
        parse_bool,
        False,
        "Put the recorded IMAGE_* values back at session end, also after failures and Ctrl-C",
        switch=True,
    ),
    Opt(
        "confirm",
        parse_bool,
        False,
        "Prove each upstream regression: rerun it on the upstream images, then on the operator's shipped"
        " images (a regression fails on the first and passes on the second)",
        switch=True,
    ),
    Opt(
        "confirm_max",
        parse_positive_int,
        20,
        "Upstream regressions --confirm checks at most; the rest are marked not-checked",
        metavar="N",
    ),
    Opt(
        "confirm_timeout",
        parse_positive_float,
        3600.0,
        "Seconds --confirm may take in all (reruns, restoring the shipped images, putting ours back)",
        metavar="SECONDS",
    ),
    Opt(
        "stop_timeout",
        parse_positive_float,
        30.0,
        "Seconds --restore may wait after SIGINT/SIGTERM/SIGHUP before it stops and names"
        " `streamstress restore`",
        metavar="SECONDS",
    ),
    Opt(
        "cluster_wait",
        parse_non_negative_float,
        600.0,
        "Seconds to wait while another regression run holds the cluster (Lease"
        " openshift-operators/streamstress-run) before every scenario errors with who holds it; 0: do"
        " not wait",
        metavar="SECONDS",
    ),
    Opt(
        "heartbeat",
        parse_positive_float,
        30.0,
        "Seconds between the 'waiting' lines of a long wait (setup, build, deploy, Job, gauge); the first"
        " comes after a third of it",
        metavar="SECONDS",
    ),
    Opt(
        "operator_channel",
        parse_str,
        "latest",
        "OLM channel for auto-setup's operator Subscription",
        metavar="NAME",
    ),
    Opt(
        "operator_source",
        parse_str,
        "redhat-operators",
        "OLM CatalogSource for auto-setup's Subscription",
        metavar="NAME",
    ),
    Opt(
        "target_namespace",
        parse_str,
        "openshift-pipelines",
        "Namespace the operator installs Tekton into",
        metavar="NAME",
    ),
    # in-cluster
    Opt(
        "in_cluster",
        parse_bool,
        False,
        "Launch the run as a Kubernetes Job in the cluster and return",
        switch=True,
        issue=8,
    ),
    Opt(
        "job_image",
        parse_str,
        "",
        metavar="IMAGE",
        issue=8,
        help="Container image of the in-cluster Job (default: this release's own image, by digest; from a"
        " source checkout the moving :main tag, and the run says so)",
    ),
    Opt(
        "job_namespace",
        parse_str,
        "openshift-pipelines",
        "Namespace of the in-cluster Job",
        metavar="NAME",
        issue=8,
    ),
    Opt(
        "shards",
        parse_positive_int,
        1,
        "With --in-cluster: split the run over N pods of one Indexed Job, balanced by the history's"
        " spec durations (capped by the profile's recommendation); results are merged into one run",
        metavar="N",
        issue=23,
    ),
    Opt(
        "shard",
        parse_shard,
        None,
        "Run only shard INDEX of COUNT (0-based, e.g. 0/4): the plan --shards uses, for one CI matrix"
        " job or pod; every shard computes the same plan from the same suite and history",
        metavar="INDEX/COUNT",
        issue=23,
    ),
    Opt(
        "clusters",
        parse_path,
        None,
        "TOML file of clusters ([[cluster]]: name, kubeconfig or emulated, context, shards): build once,"
        " push to each cluster's registry, run on each in parallel; one run per cluster",
        metavar="FILE",
        issue=23,
    ),
    Opt(
        "cluster_name",
        parse_str,
        "",
        "Name of this cluster in results.json, the history and the dashboard: runs of one name are"
        " compared with each other only (--clusters sets it per cluster)",
        metavar="NAME",
        issue=23,
    ),
)
