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

from pytest_streamstress.model import ClusterChoice, ContainerTool, LifecycleScenarios
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
from pytest_streamstress.options.table_cluster import CLUSTER_OPTIONS

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
    Opt(
        "lifecycle_scenarios",
        choice(LifecycleScenarios),
        "auto",
        "The suite's operator lifecycle scenarios: 'auto' runs the install scenario first (it configures"
        " the cluster) and skips upgrade/uninstall unless nothing else runs, 'skip' skips those always,"
        " 'run' runs all of them where the suite has them, in file order",
        metavar="auto|skip|run",
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
    *CLUSTER_OPTIONS,
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
        "Workers for scenarios: a number, or 'auto' from this cluster's last profile"
        " (runs asked the same way first)",
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
