"""The emulator's Indexed Jobs (issue 23): one real local process per index, as a cluster runs them.

Each pod's process is a small Python program; what it prints and how it exits come from its index,
so the tests read the index env var, the `$(VAR)` expansion and the Job's counts from the API.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_streamstress._infra.waits import Probe, wait_until
from pytest_streamstress.testing.emulator import Emulator
from pytest_streamstress.testing.emulator.controllers.jobs import INDEX_KEY, TERMINATE_ANNOTATION

pytestmark = pytest.mark.emulator

NAMESPACE = "default"
WAIT_TIMEOUT = 60.0

PROGRAM = """
import os, pathlib, sys, time
index = os.environ["JOB_COMPLETION_INDEX"]
print(f"index {index} argv {sys.argv[1:]} host {os.environ['HOSTNAME']}", flush=True)
gate = pathlib.Path(sys.argv[0]).parent / f"gate-{index}"
deadline = time.monotonic() + 60
while not gate.exists() and time.monotonic() < deadline:
    time.sleep(0.02)
sys.exit(int(gate.read_text() or 0) if gate.exists() else 3)
"""


@pytest.fixture
def emu(make_emulator: Callable[..., Emulator]) -> Emulator:
    emulator = make_emulator(state="bare")
    return emulator


@pytest.fixture
def program(tmp_path: Path) -> Path:
    path = tmp_path / "indexed_program.py"
    path.write_text(PROGRAM, encoding="utf-8")
    return path


@pytest.fixture
def kube(emu: Emulator) -> Iterator[Any]:
    from kubernetes import client, config

    api = config.new_client_from_config(config_file=str(emu.kubeconfig))
    yield client.BatchV1Api(api), client.CoreV1Api(api)
    api.close()


def _job(program: Path, *, completions: int, per_index: bool = True) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "completionMode": "Indexed",
        "completions": completions,
        "parallelism": completions,
        "backoffLimit": completions,
        "template": {
            "spec": {
                "restartPolicy": "Never",
                "containers": [
                    {
                        "name": "main",
                        "image": "quay.io/example/x:1",
                        "command": [sys.executable, str(program)],
                        "args": [f"--shard=$(JOB_COMPLETION_INDEX)/{completions}", "$$(KEPT)"],
                    }
                ],
            }
        },
    }
    if per_index:
        spec["backoffLimitPerIndex"] = 0
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "shards"}, "spec": spec}


def _pods(core: Any, count: int) -> list[Any]:
    found: list[Any] = []

    def running() -> Probe:
        selector = "job-name=shards"
        pods = core.list_namespaced_pod(NAMESPACE, label_selector=selector, _request_timeout=10).items
        found[:] = sorted(pods, key=lambda p: int(p.metadata.annotations[INDEX_KEY]))
        phases = [p.status.phase for p in found]
        return Probe(done=phases.count("Running") == count, state=f"pods {phases}")

    wait_until(running, what="the Job's pods are not all running", timeout=WAIT_TIMEOUT, poll=0.05)
    return found


def _finished_job(batch: Any) -> Any:
    seen: list[Any] = []

    def done() -> Probe:
        job = batch.read_namespaced_job("shards", NAMESPACE, _request_timeout=10)
        seen[:] = [job]
        types = [c.type for c in job.status.conditions or [] if c.status == "True"]
        return Probe(done=bool(types), state=f"conditions {types}, status {job.status}")

    wait_until(done, what="the Job did not finish", timeout=WAIT_TIMEOUT, poll=0.05)
    return seen[0]


def _log(core: Any, pod: Any) -> str:
    return str(core.read_namespaced_pod_log(pod.metadata.name, NAMESPACE, _request_timeout=10))


def test_each_index_runs_in_its_own_pod_with_the_index_in_its_env_and_expanded_args(
    kube: Any, program: Path, tmp_path: Path
) -> None:
    batch, core = kube
    batch.create_namespaced_job(NAMESPACE, _job(program, completions=3), _request_timeout=10)
    pods = _pods(core, 3)
    for index in range(3):
        (tmp_path / f"gate-{index}").write_text("0")
    job = _finished_job(batch)

    assert [p.metadata.name.rsplit("-", 1)[0] for p in pods] == ["shards-0", "shards-1", "shards-2"]
    assert [p.metadata.labels[INDEX_KEY] for p in pods] == ["0", "1", "2"]
    assert "index 1 argv ['--shard=1/3', '$(KEPT)'] host shards-1" in _log(core, pods[1])
    assert job.status.succeeded == 3
    assert job.status.completed_indexes == "0-2"
    assert [c.type for c in job.status.conditions if c.status == "True"] == ["Complete"]


def test_with_a_backoff_limit_per_index_a_failed_index_does_not_stop_the_others(
    kube: Any, program: Path, tmp_path: Path
) -> None:
    batch, core = kube
    batch.create_namespaced_job(NAMESPACE, _job(program, completions=3), _request_timeout=10)
    _pods(core, 3)
    (tmp_path / "gate-1").write_text("1")  # index 1 fails first; 0 and 2 still run to the end
    (tmp_path / "gate-0").write_text("0")
    (tmp_path / "gate-2").write_text("0")
    job = _finished_job(batch)

    assert (job.status.succeeded, job.status.failed) == (2, 1)
    assert (job.status.completed_indexes, job.status.failed_indexes) == ("0,2", "1")
    [failed] = [c for c in job.status.conditions if c.type == "Failed"]
    assert failed.reason == "FailedIndexes"


def test_without_a_per_index_limit_the_first_failure_beyond_backoff_limit_stops_the_job(
    kube: Any, program: Path, tmp_path: Path
) -> None:
    batch, core = kube
    body = _job(program, completions=2, per_index=False)
    body["spec"]["backoffLimit"] = 0
    batch.create_namespaced_job(NAMESPACE, body, _request_timeout=10)
    _pods(core, 2)
    (tmp_path / "gate-0").write_text("1")
    job = _finished_job(batch)

    [failed] = [c for c in job.status.conditions if c.type == "Failed"]
    assert failed.reason == "BackoffLimitExceeded"


@pytest.mark.parametrize(
    ("reason", "pod_reason", "container_reason"),
    [("OOMKilled", None, "OOMKilled"), ("Evicted", "Evicted", "Error")],
    ids=["oom-killed", "evicted"],
)
def test_a_pod_terminated_from_outside_reports_the_kubelets_reason(
    kube: Any, program: Path, tmp_path: Path, reason: str, pod_reason: str | None, container_reason: str
) -> None:
    batch, core = kube
    batch.create_namespaced_job(NAMESPACE, _job(program, completions=2), _request_timeout=10)
    pods = _pods(core, 2)
    core.patch_namespaced_pod(
        pods[0].metadata.name,
        NAMESPACE,
        {"metadata": {"annotations": {TERMINATE_ANNOTATION: reason}}},
        _request_timeout=10,
    )
    (tmp_path / "gate-1").write_text("0")
    job = _finished_job(batch)

    pod = core.read_namespaced_pod(pods[0].metadata.name, NAMESPACE, _request_timeout=10)
    terminated = pod.status.container_statuses[0].state.terminated
    assert (pod.status.phase, pod.status.reason) == ("Failed", pod_reason)
    assert (terminated.reason, terminated.exit_code) == (container_reason, 137)
    assert (job.status.completed_indexes, job.status.failed_indexes) == ("1", "0")


def test_the_jobs_deadline_ends_every_pod_as_deadline_exceeded_whichever_clock_ran_out_first(
    kube: Any, program: Path
) -> None:
    """No gate opens: both pods outlive the Job's 2 s deadline. The first pod whose clock runs out
    ends the Job and every other pod with it; each pod says DeadlineExceeded, so `streamstress
    collect` can name the reason of every lost shard (the other one used to stay Running, reasonless,
    which made a shard test fail on a loaded machine when the other shard's pod ran out first)."""
    batch, core = kube
    body = _job(program, completions=2)
    body["spec"]["activeDeadlineSeconds"] = 2
    batch.create_namespaced_job(NAMESPACE, body, _request_timeout=10)
    pods = _pods(core, 2)
    job = _finished_job(batch)

    [failed] = [c for c in job.status.conditions if c.type == "Failed"]
    assert failed.reason == "DeadlineExceeded"

    def both_ended() -> Probe:
        ended = [core.read_namespaced_pod(p.metadata.name, NAMESPACE, _request_timeout=10) for p in pods]
        state = [(p.status.phase, p.status.reason) for p in ended]
        return Probe(done=state == [("Failed", "DeadlineExceeded")] * 2, state=f"pods {state}")

    wait_until(both_ended, what="not every pod ended by the deadline", timeout=WAIT_TIMEOUT, poll=0.05)


def test_the_launchers_waits_on_a_job_are_woken_by_its_watch_not_by_polling(
    emu: Emulator, kube: Any, program: Path, tmp_path: Path
) -> None:
    """wait_for_pod (the one-pod path) and wait_for_shards end on the Job's own change. Their poll
    and timeout are an hour here, so without the watch they would still be sleeping when the bound
    every wait in this file has (WAIT_TIMEOUT) runs out. The pods stay Pending for a second, so
    wait_for_pod's first look cannot already find them running."""
    import threading

    from pytest_streamstress._infra.redact import Redactor
    from pytest_streamstress.cluster.access import Access
    from pytest_streamstress.cluster.client import Cluster
    from pytest_streamstress.cluster.job.shards import wait_for_shards
    from pytest_streamstress.cluster.job.state import JobState, wait_for_pod

    batch, _core = kube
    cluster = Cluster.connect(Access(kubeconfig=emu.kubeconfig, request_timeout=10), redactor=Redactor())
    hour = 3600.0
    emu.faults.pod_ready_delay_s = 1.0
    started: list[JobState] = []
    pod_running, shards_done = threading.Event(), threading.Event()

    def wait() -> None:
        started.append(wait_for_pod(cluster, NAMESPACE, "shards", timeout=hour, poll=hour))
        pod_running.set()
        wait_for_shards(cluster, NAMESPACE, "shards", timeout=hour, poll=hour)
        shards_done.set()

    try:
        batch.create_namespaced_job(NAMESPACE, _job(program, completions=2), _request_timeout=10)
        threading.Thread(target=wait, daemon=True).start()
        assert pod_running.wait(WAIT_TIMEOUT), "wait_for_pod was not woken by the pods' watch"
        assert started[0].pod_phase == "Running"
        for index in range(2):
            (tmp_path / f"gate-{index}").write_text("0")
        assert shards_done.wait(WAIT_TIMEOUT), "wait_for_shards was not woken by the Job's watch"
        assert _finished_job(batch).status.succeeded == 2
    finally:
        cluster.close()
