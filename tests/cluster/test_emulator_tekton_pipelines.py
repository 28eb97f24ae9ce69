"""The emulated Tekton Pipelines controller (issue 21 items 1 and 2): PipelineRuns become TaskRuns and
pods that run, use what their usage script says, and fail when the entrypoint image carries a defect.

Expected conditions and messages follow tektoncd/pipeline (docs/emulator.md cites the lines);
waits are event-driven and bounded (R36).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config

from pytest_streamstress.testing.emulator import Emulator, manifests, seed
from pytest_streamstress.testing.emulator.controllers import metrics, tekton_pipelines

pytestmark = pytest.mark.emulator

RunEntrypoint = Callable[[Emulator, dict[str, str]], str]

WAIT_S = 30.0
NS = "releasetest-x2k9p"
TARGET = manifests.TARGET_NAMESPACE


@pytest.fixture
def installed(tmp_path: Path) -> Iterator[Emulator]:
    with Emulator(tmp_path / "emu", state="installed") as emu:
        emu.store.create(emu.store.rtype("v1", "Namespace"), {"metadata": {"name": NS}})
        yield emu


def until(emu: Emulator, probe: Callable[[], Any], what: str) -> Any:
    return seed.wait_for(emu.store, probe, what=what, timeout=WAIT_S)


def get(emu: Emulator, kind: str, name: str, api_version: str = "tekton.dev/v1") -> Any:
    found, _ = emu.store.list(emu.store.rtype(api_version, kind), NS)
    return next((o for o in found if o["metadata"]["name"] == name), None)


def condition(obj: dict[str, Any] | None) -> dict[str, Any]:
    return tekton_pipelines.succeeded(obj or {}) or {}


def pipelinerun(name: str, *, finally_tasks: tuple[str, ...] = (), duration_s: float = 0.2) -> dict[str, Any]:
    def task(task_name: str) -> dict[str, Any]:
        return {"name": task_name, "taskSpec": {"steps": [{"name": task_name, "image": "ubi9/ubi-minimal"}]}}

    return {
        "apiVersion": "tekton.dev/v1",
        "kind": "PipelineRun",
        "metadata": {
            "name": name,
            "annotations": {
                metrics.USAGE_ANNOTATION: json.dumps([[0, "300m", "200Mi"]]),
                tekton_pipelines.DURATION_ANNOTATION: str(duration_s),
            },
        },
        "spec": {
            "pipelineSpec": {
                "tasks": [task("build"), task("test")],
                "finally": [task(t) for t in finally_tasks],
            }
        },
    }


def create(emu: Emulator, body: dict[str, Any]) -> None:
    api = client.CustomObjectsApi(config.new_client_from_config(config_file=str(emu.kubeconfig)))
    api.create_namespaced_custom_object("tekton.dev", "v1", NS, "pipelineruns", body)


def test_a_pipelinerun_runs_its_tasks_then_its_finally_tasks_in_pods_and_succeeds(
    installed: Emulator,
) -> None:
    create(installed, pipelinerun("sample", finally_tasks=("cleanup",)))

    done = until(
        installed, lambda: condition(get(installed, "PipelineRun", "sample")).get("status") == "True", "done"
    )

    assert done
    run = get(installed, "PipelineRun", "sample")
    assert condition(run)["message"] == "Tasks Completed: 3 (Failed: 0, Cancelled 0), Skipped: 0"
    assert [c["name"] for c in run["status"]["childReferences"]] == [
        "sample-build",
        "sample-test",
        "sample-cleanup",
    ]
    cleanup = get(installed, "TaskRun", "sample-cleanup")
    assert cleanup["metadata"]["labels"][tekton_pipelines.L_MEMBER_OF] == "finally"
    assert condition(cleanup)["message"] == "All Steps have completed executing"
    pod = get(installed, "Pod", "sample-build-pod", api_version="v1")
    assert pod["status"]["phase"] == "Succeeded"
    entrypoint = dict(manifests.IMAGE_ENV)["IMAGE_PIPELINES_ARG__ENTRYPOINT_IMAGE"]
    assert pod["spec"]["initContainers"] == [{"name": "prepare", "image": entrypoint}]
    assert [c["name"] for c in pod["spec"]["containers"]] == ["step-build"]


def test_a_running_taskrun_pod_reports_its_scripted_usage_to_the_metrics_api(installed: Emulator) -> None:
    create(installed, pipelinerun("busy", duration_s=60.0))

    until(
        installed,
        lambda: (
            (get(installed, "Pod", "busy-build-pod", "v1") or {}).get("status", {}).get("phase") == "Running"
        ),
        "running",
    )

    items = client.CustomObjectsApi(config.new_client_from_config(config_file=str(installed.kubeconfig)))
    found = items.list_namespaced_custom_object("metrics.k8s.io", "v1beta1", NS, "pods")["items"]
    usage = {i["metadata"]["name"]: i["containers"][0]["usage"] for i in found}
    assert usage["busy-build-pod"] == {"cpu": "300000000n", "memory": "204800Ki"}


def test_a_defect_in_the_entrypoint_image_fails_the_finally_task_with_its_output(
    installed: Emulator, run_entrypoint: RunEntrypoint
) -> None:
    run_entrypoint(
        installed, {tekton_pipelines.DEFECT_LABEL: "finally: panic: runtime error: invalid memory address"}
    )

    create(installed, pipelinerun("finally-run", finally_tasks=("cleanup",)))

    until(
        installed,
        lambda: condition(get(installed, "PipelineRun", "finally-run")).get("status") == "False",
        "failed",
    )
    assert condition(get(installed, "PipelineRun", "finally-run"))["message"] == (
        "Tasks Completed: 3 (Failed: 1, Cancelled 0), Skipped: 0"
    )
    assert condition(get(installed, "TaskRun", "finally-run-cleanup"))["message"] == (
        '"step-cleanup" exited with code 2: Error'
    )
    assert condition(get(installed, "TaskRun", "finally-run-build"))["status"] == "True"  # not a finally task
    log = "".join(installed.store.read_log(NS, "finally-run-cleanup-pod", "step-cleanup"))
    assert log == "panic: runtime error: invalid memory address\n"
