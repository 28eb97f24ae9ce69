"""Every option, declared once (STYLE R26): flag, ini key, parser, default and help in one table.

One loop registers them all for the CLI and the ini file (options/settings.py), so a single scenario
can run from an IDE with no arguments, and the README's option table is generated from it
(options/render.py). An option whose feature is not built yet is declared with `supported=False`
and is a usage error when set.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Final

from pytest_streamstress.model import ClusterChoice, ContainerTool, DeployStrategy
from pytest_streamstress.options.opt import Opt
from pytest_streamstress.options.parse import (
    choice,
    parse_bool,
    parse_components,
    parse_csv,
    parse_date,
    parse_image_assignment,
    parse_non_negative_int,
    parse_parallel,
    parse_path,
    parse_positive_float,
    parse_positive_int,
    parse_size,
    parse_str,
)
from pytest_streamstress.profile.shards import parse_shard

GROUP: Final = "streamstress"
DEFAULT_RELEASE_TESTS_REPO: Final = "https://github.com/openshift-pipelines/release-tests.git"


OPTIONS: Final[tuple[Opt[Any], ...]] = (
    # activation and sources
    Opt(
        "streamstress",
        parse_bool,
        False,
        "Run the Gauge release-tests suite as one streamstress regression run",
        switch=True,
    ),
    Opt(
        "cluster",
        choice(ClusterChoice),
        "kubeconfig",
        "Cluster to use: 'kubeconfig' (a real cluster) or 'emulated' (the built-in OpenShift emulator)",
        metavar="KIND",
    ),
    Opt(
        "kubeconfig",
        parse_path,
        None,
        "Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the pod's service account)",
        metavar="PATH",
    ),
    Opt("context", parse_str, "", "Kubeconfig context (default: the current context)", metavar="NAME"),
    Opt(
        "components",
        parse_components,
        (),
        "Components to build and deploy, e.g. 'pipeline,triggers:v0.34.0,chains:pr/123' (default: all)",
        metavar="LIST",
    ),
    Opt(
        "components_config",
        parse_path,
        None,
        "Components file to use instead of the shipped components.toml",
        metavar="PATH",
    ),
    Opt(
        "release_tests_repo",
        parse_str,
        DEFAULT_RELEASE_TESTS_REPO,
        "Git URL of the release-tests suite",
        metavar="URL",
    ),
    Opt(
        "release_tests_ref",
        parse_str,
        "master",
        "Branch, tag or commit of release-tests to clone",
        metavar="REF",
    ),
    Opt(
        "release_tests_dir",
        parse_path,
        None,
        "Use this release-tests checkout instead of cloning --release-tests-repo",
        metavar="PATH",
    ),
    # gauge
    Opt(
        "gauge_tags",
        parse_str,
        "",
        "Gauge tag expression selecting scenarios, e.g. 'e2e & !tls'",
        metavar="EXPR",
    ),
    Opt(
        "gauge_env",
        parse_str,
        "default",
        "Gauge environment (env/<NAME>/*.properties) passed as --env",
        metavar="NAME",
    ),
    Opt("gauge_binary", parse_str, "gauge", "The gauge executable", metavar="PATH"),
    Opt(
        "gauge_timeout",
        parse_positive_float,
        3600.0,
        "Seconds one gauge run (all selected scenarios of one spec) may take before it is killed",
        metavar="SECONDS",
    ),
    Opt(
        "gauge_retries",
        parse_non_negative_int,
        0,
        "Retries for a failed scenario (gauge --max-retries-count=N+1); a pass on retry is flaky",
        metavar="N",
    ),
    # triage
    Opt(
        "categories",
        parse_path,
        None,
        "Failure rules file (default: the shipped categories.toml)",
        metavar="PATH",
    ),
    Opt(
        "fail_on",
        parse_csv,
        ("all",),
        "Categories whose failures fail the session: 'all', 'none' or a list such as"
        " 'upstream-regression'; 'confirmed' narrows it to regressions --confirm proved; add '-known'"
        " to excuse known failures",
        metavar="LIST",
    ),
    Opt(
        "known_failures",
        parse_path,
        None,
        "Known failures file listing failures with issue links and expiry dates",
        metavar="PATH",
    ),
    Opt(
        "history",
        parse_path,
        None,
        "History directory (runs/<id>/results.json, e.g. a checkout of the"
        " published site) for new/known/flaky classification and regressions",
        metavar="PATH",
    ),
    # results and publishing
    Opt(
        "results_dir",
        parse_path,
        Path("results"),
        "Where results.json, logs and the site are written",
        metavar="PATH",
    ),
    Opt("run_label", parse_str, "", "Label of this run on the dashboard, e.g. 'nightly'", metavar="TEXT"),
    Opt(
        "allure_results",
        parse_path,
        None,
        "Also write the run as Allure results into this folder (for Allure 3, Allure 2 or ReportPortal);"
        " not allure-pytest's --alluredir, both may be given",
        metavar="DIR",
        flag_override="--allure-results",
    ),
    Opt(
        "publish",
        parse_bool,
        False,
        "Publish the run to the dashboard's gh-pages branch at session end",
        switch=True,
        supported=True,
        issue=7,
    ),
    Opt(
        "publish_repo",
        parse_str,
        "",
        "Git remote (URL or path) that holds the dashboard branch",
        metavar="URL",
        supported=True,
        issue=7,
    ),
    Opt(
        "publish_branch",
        parse_str,
        "gh-pages",
        "Branch the dashboard is published to",
        metavar="NAME",
        supported=True,
        issue=7,
    ),
    Opt(
        "publish_timeout",
        parse_positive_float,
        120.0,
        "Seconds publishing may keep retrying when other publishers move the branch (jittered back-off)",
        metavar="SECONDS",
    ),
    Opt(
        "history_budget",
        parse_size,
        50_000_000,
        "Byte budget of the published history; older runs lose messages and traces first",
        metavar="SIZE",
        supported=True,
        issue=7,
    ),
    # build
    Opt(
        "skip_build",
        parse_bool,
        False,
        "Do not build; deploy --image/--images-from images or none",
        switch=True,
    ),
    Opt(
        "registry",
        parse_str,
        "",
        "Registry to push to (default: the cluster's internal registry route)",
        metavar="HOST[/NS]",
    ),
    Opt(
        "registry_insecure",
        parse_bool,
        False,
        "Do not verify the registry's TLS certificate (ko --insecure-registry, podman --tls-verify=false);"
        " prints a warning",
        switch=True,
    ),
    Opt(
        "image",
        parse_image_assignment,
        (),
        "Deploy this image, NAME=REF (repeatable), for a component this run does not build",
        multiple=True,
        metavar="NAME=REF",
    ),
    Opt(
        "images_from",
        parse_path,
        None,
        "Deploy an earlier results.json's images of the components this run does not build",
        metavar="PATH",
    ),
    Opt(
        "as_of",
        parse_date,
        None,
        "Build components without an explicit ref at their last commit on this date",
        metavar="YYYY-MM-DD",
    ),
    Opt(
        "build_jobs",
        parse_positive_int,
        os.cpu_count() or 1,
        "Components built at the same time",
        metavar="N",
    ),
    Opt(
        "build_timeout",
        parse_positive_float,
        1800.0,
        "Seconds one component's build may take",
        metavar="SECONDS",
    ),
    Opt(
        "platform",
        parse_str,
        "",
        "Platforms for ko builds, e.g. linux/amd64,linux/arm64 (default: ko's)",
        metavar="LIST",
    ),
    Opt(
        "container_tool",
        choice(ContainerTool),
        "auto",
        "Tool for Containerfile builds (console-plugin): auto picks podman, then docker",
        metavar="TOOL",
    ),
    Opt(
        "deploy_partial",
        parse_bool,
        False,
        "Deploy the components that built even when another failed",
        switch=True,
    ),
    Opt(
        "since_last_run",
        parse_bool,
        False,
        "Build, deploy and test only when a component moved since the last run in the history",
        switch=True,
    ),
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
        "job_image", parse_str, "", metavar="IMAGE", issue=8,
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
    # profiling and parallelism
    Opt(
        "profile",
        parse_bool,
        False,
        "Sample pod metrics while scenarios run and recommend a parallelism",
        switch=True,
    ),
    Opt(
        "profile_interval",
        parse_positive_float,
        5.0,
        "Seconds between metrics samples with --profile; with --cluster emulated 0.2 unless given,"
        " as its pods live about a second",
        metavar="SECONDS",
    ),
    Opt(
        "parallel",
        parse_parallel,
        1,
        "Workers for scenarios: a number, or 'auto' from the last profile",
        metavar="N|auto",
        flag_override="--streamstress-parallel",
    ),
    Opt(
        "serial_tags",
        parse_csv,
        ("admin", "install", "upgrade"),
        "Tags of scenarios that change cluster-wide state and must run alone",
        metavar="LIST",
    ),
)

OPTIONS_BY_NAME: Final = {opt.name: opt for opt in OPTIONS}
