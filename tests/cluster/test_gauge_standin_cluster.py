"""The gauge stand-in acts on the cluster as release-tests' runner does (`[run] cluster = true`, issue 21).

BeforeScenario creates the `releasetest-*` namespace and waits for ServiceAccount `pipeline`
(RT steps/hooks.go:24-46); a scenario's PipelineRun is created and verified by its steps, its pods
run on the emulated Tekton controller with the usage the outcome file declares; AfterScenario
deletes a passed scenario's namespace and keeps a failed one's. Waits are bounded (R36).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_streamstress._infra import proc as _proc
from pytest_streamstress.testing.emulator import Emulator, manifests
from pytest_streamstress.testing.emulator.controllers import tekton_pipelines
from pytest_streamstress.testing.standins import install_standins, path_with

pytestmark = pytest.mark.emulator

SPEC = """\
# Runs

## Sample: PIPELINES-96-TC01
Tags: e2e
* Create
  |S.NO|resource_dir|
  |----|------------|
  |1   |pr.yaml     |
* Verify pipelinerun

## Install only: PIPELINES-96-TC02
Tags: install
* Install the operator
"""

PLAN = """\
[run]
cluster = true
seed = 3

[[scenario]]
match = "TC01"
status = "pass"
[scenario.pipelinerun]
name = "sample-run"
create = "^Create$"
verify = "^Verify pipelinerun$"
tasks = ["build"]
finally = ["cleanup"]
duration_s = 0.2
usage = [[0, "250m", "128Mi"]]
"""

Run = Callable[..., _proc.Completed]


@pytest.fixture
def installed(tmp_path: Path) -> Iterator[Emulator]:
    with Emulator(tmp_path / "emu", state="installed") as emu:
        yield emu


@pytest.fixture
def gauge(tmp_path: Path, installed: Emulator) -> Run:
    root = tmp_path / "project"
    (root / "specs").mkdir(parents=True)
    (root / "manifest.json").write_text('{"Language": "go", "Plugins": ["xml-report"]}', encoding="utf-8")
    (root / "specs" / "runs.spec").write_text(SPEC, encoding="utf-8")
    bin_dir = install_standins(tmp_path / "bin", ("gauge",))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GAUGE_", "gauge_"))}
    env.update({"PATH": path_with(bin_dir), "KUBECONFIG": str(installed.kubeconfig), "TERM": "dumb"})

    def run(outcomes: str, *args: str) -> _proc.Completed:
        (tmp_path / "outcomes.toml").write_text(outcomes, encoding="utf-8")
        full = {**env, "GAUGE_STANDIN_OUTCOMES": str(tmp_path / "outcomes.toml")}
        return _proc.run(
            ["gauge", "run", "--simple-console", "--verbose", *args], timeout=120, cwd=root, env=full
        )

    return run


def namespaces(emu: Emulator) -> set[str]:
    found, _ = emu.store.list(emu.store.rtype("v1", "Namespace"))
    return {n["metadata"]["name"] for n in found if n["metadata"]["name"].startswith("releasetest-")}


def objects(emu: Emulator, kind: str, api_version: str = "tekton.dev/v1") -> list[dict[str, Any]]:
    found, _ = emu.store.list(emu.store.rtype(api_version, kind))
    return found


def test_a_passing_scenario_creates_its_namespace_and_pipelinerun_then_deletes_the_namespace(
    gauge: Run, installed: Emulator
) -> None:
    created: list[dict[str, Any]] = []
    installed.store.subscribe(
        lambda e: (
            created.append(e.obj)
            if e.type == "ADDED" and e.rtype.kind in ("Namespace", "PipelineRun", "Pod")
            else None
        )
    )

    done = gauge(PLAN, "specs/runs.spec:3")

    assert done.returncode == 0, done.stdout
    namespace = re.search(r'Now using project "(releasetest-[a-z0-9]{5})"', done.stdout)
    assert namespace is not None
    assert "output: pipelinerun.tekton.dev/sample-run created" in done.stdout
    assert f"pipelineRun: sample-run is successful under namespace : {namespace.group(1)}" in done.stdout
    run = next(o for o in created if o["kind"] == "PipelineRun")
    assert run["metadata"]["namespace"] == namespace.group(1)
    assert run["metadata"]["annotations"]["emulator.streamstress.io/usage"] == '[[0.0, "250m", "128Mi"]]'
    pods = sorted(
        o["metadata"]["name"]
        for o in created
        if o.get("kind") == "Pod" and o["metadata"]["namespace"] == namespace.group(1)
    )
    assert pods == ["sample-run-build-pod", "sample-run-cleanup-pod"]
    assert namespace.group(1) not in namespaces(installed)  # passed: AfterScenario deleted it


def test_a_failed_pipelinerun_fails_the_verify_step_with_its_logs_and_keeps_the_namespace(
    gauge: Run, installed: Emulator, run_entrypoint: Callable[[Emulator, dict[str, str]], str]
) -> None:
    run_entrypoint(
        installed, {tekton_pipelines.DEFECT_LABEL: "finally: panic: runtime error: boom\ngoroutine 1"}
    )

    done = gauge(PLAN, "specs/runs.spec:3")

    assert done.returncode == 1
    assert (
        "        Failed Step: Verify pipelinerun\n"
        "        Specification: specs/runs.spec:9\n"
        "        Error Message: error waiting for pipeline run sample-run to finish \n"
        '        "sample-run" failed \n'
        "        pipelinerun logs: \n"
        "        [cleanup : cleanup] panic: runtime error: boom\n"
        "        [cleanup : cleanup] goroutine 1 \n"
        "        pipelinerun events: \n"
    ) in done.stdout
    kept = re.search(r"Skipping deletion of the namespace '(releasetest-[a-z0-9]{5})'", done.stdout)
    assert kept is not None and kept.group(1) in namespaces(installed)


def test_without_service_account_pipeline_the_before_scenario_hook_fails(
    gauge: Run, installed: Emulator
) -> None:
    operator = installed.store.rtype("apps/v1", "Deployment")

    def stop(obj: dict[str, Any]) -> None:
        obj["spec"]["replicas"] = 0  # no operator process: nobody creates ServiceAccount `pipeline`

    installed.store.mutate(operator, manifests.OPERATOR_NAMESPACE, manifests.OPERATOR_DEPLOYMENT, stop)

    done = gauge(PLAN.replace("seed = 3", "seed = 3\nwait_s = 0.2"), "specs/runs.spec:3")

    assert done.returncode == 1
    assert re.search(
        r"    Error Message: service account 'pipeline' not available in namespace releasetest-", done.stdout
    )
    assert not objects(installed, "PipelineRun")  # no step ran


def test_an_install_scenario_does_not_wait_for_the_service_account(gauge: Run, installed: Emulator) -> None:
    operator = installed.store.rtype("apps/v1", "Deployment")

    def stop(obj: dict[str, Any]) -> None:
        obj["spec"]["replicas"] = 0

    installed.store.mutate(operator, manifests.OPERATOR_NAMESPACE, manifests.OPERATOR_DEPLOYMENT, stop)

    done = gauge(PLAN.replace("seed = 3", "seed = 3\nwait_s = 30"), "specs/runs.spec:12")

    assert done.returncode == 0, done.stdout  # would have waited 30s and failed without the install tag


def test_a_pipelinerun_plan_needs_cluster_mode(gauge: Run) -> None:
    done = gauge(PLAN.replace("cluster = true", "cluster = false"), "specs/runs.spec:3")

    assert done.returncode == 1
    assert "pipelinerun needs [run] cluster = true" in done.stderr
