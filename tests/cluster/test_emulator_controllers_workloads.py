"""Deployments, pods, Jobs, the registry route and metrics in the emulator, through the official
client where a user of the API would act. Bounded, event-driven waits only (no sleeps)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config

from pytest_streamstress.testing.emulator import Emulator, seed
from pytest_streamstress.testing.emulator.controllers import jobs, metrics

pytestmark = pytest.mark.emulator

WAIT_S = 20.0
NS = "default"


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[Emulator]:
    with Emulator(tmp_path / "emu", state="bare") as emulator:
        yield emulator


def api(emulator: Emulator) -> client.ApiClient:
    return config.new_client_from_config(config_file=str(emulator.kubeconfig))


def until(emulator: Emulator, probe: Callable[[], Any], what: str) -> Any:
    return seed.wait_for(emulator.store, probe, what=what, timeout=WAIT_S)


def pods_of(emulator: Emulator, selector: str) -> list[dict[str, Any]]:
    store = emulator.store
    return store.list(store.rtype("v1", "Pod"), NS, label_selector=selector)[0]


def deployment(name: str, image: str, *, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}, "annotations": annotations or {}},
                "spec": {"containers": [{"name": "main", "image": image}]},
            },
        },
    }


def waiting_reason(pod: dict[str, Any]) -> str:
    statuses = pod.get("status", {}).get("containerStatuses") or [{}]
    return str(statuses[0].get("state", {}).get("waiting", {}).get("reason", ""))


def test_deployment_gets_a_ready_pod_and_real_status_fields(emu: Emulator) -> None:
    apps = client.AppsV1Api(api(emu))
    apps.create_namespaced_deployment(NS, deployment("web", "quay.io/example/web:1"))

    status = until(
        emu,
        lambda: (s := apps.read_namespaced_deployment("web", NS).status) and s.available_replicas == 1 and s,
        "web available",
    )

    pod = pods_of(emu, "app=web")[0]
    assert pod["metadata"]["name"].startswith("web-") and pod["metadata"]["labels"]["pod-template-hash"]
    assert pod["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet"
    assert (status.replicas, status.updated_replicas, status.ready_replicas, status.observed_generation) == (
        1,
        1,
        1,
        1,
    )
    assert {c.type: c.status for c in status.conditions} == {"Available": "True", "Progressing": "True"}


def test_template_change_replaces_the_pod_and_deleted_pods_come_back(emu: Emulator) -> None:
    apps = client.AppsV1Api(api(emu))
    core = client.CoreV1Api(api(emu))
    apps.create_namespaced_deployment(NS, deployment("web", "quay.io/example/web:1"))
    first = until(
        emu, lambda: [p for p in pods_of(emu, "app=web") if p["status"].get("phase") == "Running"], "pod"
    )

    apps.patch_namespaced_deployment(
        "web",
        NS,
        {
            "spec": {
                "template": {"spec": {"containers": [{"name": "main", "image": "quay.io/example/web:2"}]}}
            }
        },
    )

    second = until(
        emu,
        lambda: (
            (p := pods_of(emu, "app=web"))
            and len(p) == 1
            and p[0]["spec"]["containers"][0]["image"].endswith(":2")
            and p[0]["status"].get("phase") == "Running"
            and p
        ),
        "rolled pod",
    )
    assert second[0]["metadata"]["name"] != first[0]["metadata"]["name"]
    core.delete_namespaced_pod(second[0]["metadata"]["name"], NS)
    until(
        emu,
        lambda: [
            p for p in pods_of(emu, "app=web") if p["metadata"]["name"] != second[0]["metadata"]["name"]
        ],
        "replacement pod",
    )


def test_deleting_a_deployment_removes_its_pods(emu: Emulator) -> None:
    apps = client.AppsV1Api(api(emu))
    apps.create_namespaced_deployment(NS, deployment("web", "quay.io/example/web:1"))
    until(emu, lambda: pods_of(emu, "app=web"), "pod")

    apps.delete_namespaced_deployment("web", NS)

    until(emu, lambda: not pods_of(emu, "app=web"), "pods gone")


def test_image_missing_from_the_cluster_registry_goes_to_image_pull_backoff_with_a_warning(
    emu: Emulator,
) -> None:
    image = f"{emu.registry_host}/tekton-upstream/controller:latest"
    client.AppsV1Api(api(emu)).create_namespaced_deployment(NS, deployment("pull", image))

    pod = until(
        emu,
        lambda: (p := pods_of(emu, "app=pull")) and waiting_reason(p[0]) == "ImagePullBackOff" and p[0],
        "backoff",
    )
    events = client.CoreV1Api(api(emu)).list_namespaced_event(NS).items

    assert pod["status"]["phase"] == "Pending"
    assert image in pod["status"]["containerStatuses"][0]["state"]["waiting"]["message"]
    assert any(
        e.type == "Warning"
        and e.reason == "Failed"
        and f'Failed to pull image "{image}"' in e.message
        and e.involved_object.name == pod["metadata"]["name"]
        for e in events
    )


def test_unpullable_fault_blocks_any_host(emu: Emulator) -> None:
    emu.faults.unpullable_images = {"quay.io/example/broken"}
    emu.store.create(
        emu.store.rtype("apps/v1", "Deployment"), deployment("broken", "quay.io/example/broken:1")
    )

    until(
        emu,
        lambda: (p := pods_of(emu, "app=broken")) and waiting_reason(p[0]) == "ImagePullBackOff",
        "backoff",
    )


def test_crashloop_fault_shows_crash_loop_back_off_with_growing_restarts(emu: Emulator) -> None:
    emu.faults.crashloop_images = {"quay.io/example/crash:1"}
    emu.store.create(emu.store.rtype("apps/v1", "Deployment"), deployment("crash", "quay.io/example/crash:1"))

    pod = until(
        emu,
        lambda: (
            (p := pods_of(emu, "app=crash"))
            and waiting_reason(p[0]) == "CrashLoopBackOff"
            and p[0]["status"]["containerStatuses"][0]["restartCount"] >= 2
            and p[0]
        ),
        "crash loop with restarts",
    )

    assert pod["status"]["phase"] == "Running"
    assert {c["type"]: c["status"] for c in pod["status"]["conditions"]}["Ready"] == "False"


def test_default_route_follows_the_registry_config(emu: Emulator) -> None:
    objects = client.CustomObjectsApi(api(emu))
    route_api = ("route.openshift.io", "v1", "openshift-image-registry", "routes")
    reg = ("imageregistry.operator.openshift.io", "v1", "configs", "cluster")

    objects.patch_cluster_custom_object(*reg, {"spec": {"defaultRoute": True}})
    route = until(
        emu,
        lambda: [
            r
            for r in objects.list_namespaced_custom_object(*route_api)["items"]
            if r["metadata"]["name"] == "default-route"
        ],
        "route",
    )
    assert route[0]["spec"]["host"] == emu.registry_host

    objects.patch_cluster_custom_object(*reg, {"spec": {"defaultRoute": False}})
    until(emu, lambda: not objects.list_namespaced_custom_object(*route_api)["items"], "route gone")


def job(
    name: str,
    *,
    command: list[str] | None = None,
    script: dict[str, Any] | None = None,
    deadline: int | None = None,
) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "streamstress", "image": "quay.io/example/cli:1"}
    if command:
        container["command"] = command
    spec: dict[str, Any] = {
        "backoffLimit": 0,
        "template": {
            "metadata": {"annotations": {jobs.SCRIPT_ANNOTATION: json.dumps(script)} if script else {}},
            "spec": {"restartPolicy": "Never", "containers": [container]},
        },
    }
    if deadline:
        spec["activeDeadlineSeconds"] = deadline
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": NS},
        "spec": spec,
    }


def finished_job(emulator: Emulator, name: str) -> Any:
    batch = client.BatchV1Api(api(emulator))
    return until(
        emulator,
        lambda: (j := batch.read_namespaced_job(name, NS)).status.conditions and j,
        f"job {name} finished",
    )


def test_job_runs_its_command_as_a_process_with_pod_env_and_logs(emu: Emulator) -> None:
    code = "import os; print('hello from', os.environ['HOSTNAME']); print('kube', os.environ['KUBECONFIG'])"
    client.BatchV1Api(api(emu)).create_namespaced_job(NS, job("ok", command=[sys.executable, "-c", code]))

    done = finished_job(emu, "ok")
    pod = pods_of(emu, "job-name=ok")[0]
    log = client.CoreV1Api(api(emu)).read_namespaced_pod_log(pod["metadata"]["name"], NS)

    assert (done.status.succeeded, done.status.conditions[0].type) == (1, "Complete")
    assert pod["status"]["phase"] == "Succeeded"
    assert f"hello from {pod['metadata']['name']}" in log
    assert f"kube {emu.kubeconfig}" in log


def test_failing_job_command_fails_the_pod_and_the_job(emu: Emulator) -> None:
    code = "import sys; print('boom'); sys.exit(3)"
    client.BatchV1Api(api(emu)).create_namespaced_job(NS, job("bad", command=[sys.executable, "-c", code]))

    done = finished_job(emu, "bad")
    pod = pods_of(emu, "job-name=bad")[0]

    assert (done.status.failed, done.status.conditions[0].type) == (1, "Failed")
    assert pod["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 3
    assert "boom" in "".join(emu.store.read_log(NS, pod["metadata"]["name"], "streamstress"))


def test_job_past_its_deadline_is_killed(emu: Emulator) -> None:
    code = "import time; print('started', flush=True); time.sleep(60)"
    emu.store.create(
        emu.store.rtype("batch/v1", "Job"), job("slow", command=[sys.executable, "-c", code], deadline=1)
    )

    done = finished_job(emu, "slow")

    assert (done.status.conditions[0].type, done.status.conditions[0].reason) == (
        "Failed",
        "DeadlineExceeded",
    )


def test_scripted_job_outcome_gives_exit_and_log(emu: Emulator) -> None:
    emu.store.create(
        emu.store.rtype("batch/v1", "Job"), job("scripted", script={"exit": 1, "log": "scripted fail"})
    )

    done = finished_job(emu, "scripted")
    pod = pods_of(emu, "job-name=scripted")[0]

    assert done.status.conditions[0].type == "Failed"
    assert "scripted fail" in "".join(emu.store.read_log(NS, pod["metadata"]["name"], "streamstress"))


def test_pod_metrics_follow_the_usage_script_through_the_api(emu: Emulator) -> None:
    script = json.dumps([[0, "250m", "128Mi"]])
    emu.store.create(
        emu.store.rtype("apps/v1", "Deployment"),
        deployment("hungry", "quay.io/example/h:1", annotations={metrics.USAGE_ANNOTATION: script}),
    )
    until(
        emu,
        lambda: [p for p in pods_of(emu, "app=hungry") if p["status"].get("phase") == "Running"],
        "running",
    )

    listed = client.CustomObjectsApi(api(emu)).list_cluster_custom_object("metrics.k8s.io", "v1beta1", "pods")
    item = next(i for i in listed["items"] if i["metadata"]["name"].startswith("hungry-"))

    assert listed["kind"] == "PodMetricsList"
    assert item["containers"] == [{"name": "main", "usage": {"cpu": "250000000n", "memory": "131072Ki"}}]


def test_nodes_are_seeded_with_capacity_and_allocatable(emu: Emulator) -> None:
    nodes = client.CoreV1Api(api(emu)).list_node().items

    assert len(nodes) == 3
    assert all(n.status.allocatable["cpu"] == "7500m" and n.status.capacity["pods"] == "250" for n in nodes)


def test_deleting_a_running_job_kills_its_process_group(emu: Emulator, tmp_path: Path) -> None:
    psutil = pytest.importorskip("psutil")
    pid_file = tmp_path / "pid"
    code = (
        f"import os, pathlib, time; pathlib.Path({str(pid_file)!r}).write_text(str(os.getpid())); "
        "print('up', flush=True); time.sleep(60)"
    )
    emu.store.create(emu.store.rtype("batch/v1", "Job"), job("victim", command=[sys.executable, "-c", code]))
    until(
        emu,
        lambda: any(
            "up" in "".join(emu.store.read_log(NS, p["metadata"]["name"], "streamstress"))
            for p in pods_of(emu, "job-name=victim")
        ),
        "job process up",
    )
    process = psutil.Process(int(pid_file.read_text()))

    client.BatchV1Api(api(emu)).delete_namespaced_job("victim", NS)

    process.wait(timeout=WAIT_S)
    assert not process.is_running()
    until(emu, lambda: not pods_of(emu, "job-name=victim"), "job pod collected")


def test_job_env_resolves_configmap_and_secret_keys(emu: Emulator) -> None:
    core = client.CoreV1Api(api(emu))
    core.create_namespaced_config_map(NS, {"metadata": {"name": "cfg"}, "data": {"mode": "fast"}})
    core.create_namespaced_secret(NS, {"metadata": {"name": "tok"}, "data": {"token": "c2VjcmV0LXZhbHVl"}})
    manifest = job(
        "env", command=[sys.executable, "-c", "import os; print(os.environ['MODE'], os.environ['TOKEN'])"]
    )
    manifest["spec"]["template"]["spec"]["containers"][0]["env"] = [
        {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "mode"}}},
        {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "tok", "key": "token"}}},
    ]
    client.BatchV1Api(api(emu)).create_namespaced_job(NS, manifest)

    finished_job(emu, "env")
    pod = pods_of(emu, "job-name=env")[0]

    assert "fast secret-value" in "".join(emu.store.read_log(NS, pod["metadata"]["name"], "streamstress"))
