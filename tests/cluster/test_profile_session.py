"""--profile end to end on the emulated cluster: each scenario gets its own namespace's scripted usage."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.emulator

SPEC = """\
# Profiled spec

## Heavy: PIPELINES-93-TC01
Tags: e2e
* Create "a.yaml"

## Light: PIPELINES-93-TC02
Tags: e2e
* Create "b.yaml"
"""

OUTCOMES = """\
[[scenario]]
match = "PIPELINES-93-TC01"
status = "pass"
sleep_s = 1.5
runner_output = ['2026/11/26 10:00:00 output: Now using project "releasetest-heavy1" on server "https://api.x:6443".']

[[scenario]]
match = "PIPELINES-93-TC02"
status = "pass"
sleep_s = 1.5
runner_output = ['2026/11/26 10:00:05 output: Now using project "releasetest-light1" on server "https://api.x:6443".']
"""

# What the scenarios' step code would create: one namespace each, with pods whose usage is scripted.
CONFTEST = """\
import json, os
from kubernetes import client, config

USAGE = {"releasetest-heavy1": ["300m", "256Mi"], "releasetest-light1": ["150m", "64Mi"]}


def pytest_sessionstart(session):
    api = client.CoreV1Api(config.new_client_from_config(config_file=os.environ["KUBECONFIG"]))
    for namespace, (cpu, memory) in USAGE.items():
        api.create_namespace({"metadata": {"name": namespace}})
        api.create_namespaced_pod(namespace, {
            "metadata": {"name": "step-pod", "annotations": {
                "emulator.streamstress.io/usage": json.dumps([[0, cpu, memory]])}},
            "spec": {"containers": [{"name": "step", "image": "registry.redhat.io/ubi9/ubi-minimal:latest"}]},
        })
"""


def test_profile_attributes_each_scenario_its_namespace_usage(
    pytester: pytest.Pytester, gauge_project: Callable[..., Path]
) -> None:
    root = gauge_project({"p.spec": SPEC}, outcomes=textwrap.dedent(OUTCOMES))
    pytester.makeconftest(CONFTEST)
    result = pytester.runpytest_subprocess(
        "--streamstress",
        "--cluster",
        "emulated",
        f"--release-tests-dir={root}",
        "--skip-build",
        "--skip-deploy",
        "--profile",
        "--profile-interval=0.2",
        f"--results-dir={pytester.path / 'results'}",
        "-p",
        "no:cacheprovider",
        timeout=120,
    )
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["profile: You can safely run * specs in parallel on this cluster (limited by *)"]
    )
    document = json.loads((pytester.path / "results" / "results.json").read_text())
    profiles = {s["scenario"].split(":")[0]: s["profile"] for s in document["scenarios"]}
    assert "releasetest-heavy1" in profiles["Heavy"]["namespaces"]
    assert "releasetest-light1" not in profiles["Heavy"]["namespaces"]
    assert profiles["Heavy"]["peak_cpu_m"] == pytest.approx(300.0)
    assert profiles["Heavy"]["peak_memory_b"] == 256 * 2**20
    assert profiles["Light"]["peak_cpu_m"] == pytest.approx(150.0)
    assert document["profile"]["status"] == "ok"
    assert document["profile"]["recommendation"]["max_parallel_specs"] >= 1


def test_profile_without_a_metrics_api_is_one_warning_and_the_run_passes(
    pytester: pytest.Pytester, gauge_project: Callable[..., Path]
) -> None:
    root = gauge_project({"p.spec": SPEC})
    kubeconfig = pytester.path / "nothing-here"
    result = pytester.runpytest_subprocess(
        "--streamstress",
        f"--kubeconfig={kubeconfig}",
        f"--release-tests-dir={root}",
        "--skip-build",
        "--skip-deploy",
        "--profile",
        f"--results-dir={pytester.path / 'results'}",
        "-p",
        "no:cacheprovider",
        timeout=120,
    )
    result.assert_outcomes(passed=2)
    assert result.stdout.str().count("the run goes on without a profile") == 1
    document = json.loads((pytester.path / "results" / "results.json").read_text())
    assert document["profile"]["status"] == "unavailable"
