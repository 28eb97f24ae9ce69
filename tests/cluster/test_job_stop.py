"""Deleting the in-cluster Job's pod mid-run: SIGTERM, and the pod restores the operator in its grace period.

The emulator runs the pod as a local process and stops it as a kubelet does (SIGTERM, SIGKILL after
`terminationGracePeriodSeconds`). The pod runs this plugin through the Job's entry point (issue 19).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_streamstress._infra.redact import Redactor
from pytest_streamstress._infra.waits import Probe, wait_until
from pytest_streamstress.cluster.access import Access
from pytest_streamstress.cluster.client import Cluster
from pytest_streamstress.cluster.job.follow import read_log
from pytest_streamstress.cluster.job.launch import launch_job
from pytest_streamstress.cluster.job.manifest import DEFAULT_COMMAND, JobRequest
from pytest_streamstress.cluster.job.state import require_job
from pytest_streamstress.testing.embedded import DEMO_SUITE
from pytest_streamstress.testing.emulator import Emulator
from pytest_streamstress.testing.standins import install_standins, path_with

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

NAMESPACE = "openshift-pipelines"
WAIT_S = 180.0
CONTROLLER = "quay.io/example/pipeline-controller@sha256:" + "ab" * 32


def _operator_env(emulator: Emulator) -> dict[str, Any]:
    rtype = emulator.store.rtype("operators.coreos.com/v1alpha1", "ClusterServiceVersion")
    [csv] = emulator.store.list(rtype, "openshift-operators")[0]
    deployment = csv["spec"]["install"]["spec"]["deployments"][0]
    [container] = [
        c
        for c in deployment["spec"]["template"]["spec"]["containers"]
        if c["name"] == "openshift-pipelines-operator-lifecycle"
    ]
    return {e["name"]: e.get("value") for e in container["env"] if e["name"].startswith("IMAGE_")}


def test_deleting_the_job_pod_restores_the_operator_and_leaves_interrupted_results(
    make_emulator: Callable[..., Emulator], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = make_emulator(state="installed")
    emulator.faults.slow_operator_s = 2.0
    before = _operator_env(emulator)
    bin_dir = install_standins(tmp_path / "bin")
    # The pod inherits PATH: `python` must be this venv's, gauge the stand-in.
    monkeypatch.setenv(
        "PATH", path_with(bin_dir, os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    )
    # The first scenario takes two minutes, so the pod is still mid-run when the test deletes it. Before,
    # the test deleted it after the deploy's first "waiting" line; on a loaded machine its probe saw
    # that line only after the whole (fast) demo run and its --restore had ended (failed once in CI).
    outcomes = tmp_path / "outcomes.toml"
    outcomes.write_text('[[scenario]]\nmatch = "DEMO-03-TC01"\nstatus = "pass"\nsleep_s = 120\n')
    cluster = Cluster.connect(Access(kubeconfig=emulator.kubeconfig, request_timeout=10), redactor=Redactor())
    launch = launch_job(
        cluster,
        JobRequest(
            namespace=NAMESPACE,
            image="quay.io/example/streamstress:1",
            command=(sys.executable, *DEFAULT_COMMAND[1:]),
            plugin_args=(
                "--streamstress",
                "--skip-build",
                f"--image=pipeline-controller={CONTROLLER}",
                "--no-auto-setup",
                "--restore",
                "--deploy-timeout=120",
                "--stop-timeout=20",
                f"--release-tests-dir={DEMO_SUITE}",
                "--results-dir=results",
                "-p",
                "no:cacheprovider",
                "-s",
            ),
            env=(("STREAMSTRESS_EMULATED_CLUSTER", "1"), ("GAUGE_STANDIN_OUTCOMES", str(outcomes))),
            grace_s=50,
        ),
    )
    pod = _pod_of(cluster, launch.name)
    _wait_for_line(cluster, pod, "streamstress: deploy: deployed in ")
    assert _operator_env(emulator)["IMAGE_PIPELINES_TEKTON_PIPELINES_CONTROLLER"] == CONTROLLER

    cluster.call("delete pod", cluster.core.delete_namespaced_pod, pod, NAMESPACE)

    results = Path(emulator.workdir) / "pods" / NAMESPACE / pod / "results"
    _wait_for_file(results / "restore.json.restored")  # written after results.json, when restore is done
    document = json.loads((results / "results.json").read_text(encoding="utf-8"))
    assert document["status"] == "interrupted"
    # Deleted during the two-minute scenario: the pod's log said "deployed" at once (job/__main__.py
    # line-buffers it). Block-buffered, the line came only when that scenario had passed.
    assert [s["status"] for s in document["scenarios"] if s["scenario"].endswith("DEMO-03-TC01")] != [
        "passed"
    ]
    assert document["signal"] == "SIGTERM"
    assert document["emulated"] is True
    assert _operator_env(emulator) == before


def _pod_of(cluster: Cluster, job: str) -> str:
    found: dict[str, str] = {}

    def probe() -> Probe:
        state = require_job(cluster, NAMESPACE, job)
        found["pod"] = state.pod or ""
        return Probe(
            done=bool(state.pod) and state.pod_phase == "Running", state=f"{state.pod} {state.pod_phase}"
        )

    wait_until(probe, what="the Job's pod Running", timeout=WAIT_S, poll=0.2)
    return found["pod"]


def _wait_for_line(cluster: Cluster, pod: str, text: str) -> None:
    def probe() -> Probe:
        log = read_log(cluster, NAMESPACE, pod)
        return Probe(done=text in log, state=log[-2000:])

    wait_until(probe, what=f"{text!r} in the pod log", timeout=WAIT_S, poll=0.2)


def _wait_for_file(path: Path) -> None:
    def probe() -> Probe:
        return Probe(
            done=path.is_file(),
            state=f"{path} absent; beside it: {sorted(p.name for p in path.parent.glob('*'))}",
        )

    wait_until(probe, what=f"the pod's {path.name}", timeout=WAIT_S, poll=0.2)
