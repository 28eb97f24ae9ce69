"""One regression run per cluster at a time (run/claim.py).

Before, a second session on the same cluster (a person's manual run while the nightly Job ran)
patched the operator under the first one's scenarios. Each test runs real sessions on one emulated
cluster the test shares with them, and holds the claim itself where another run would.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_streamstress._infra import proc
from pytest_streamstress._infra.redact import Redactor
from pytest_streamstress.cluster.access import Access
from pytest_streamstress.cluster.client import Cluster
from pytest_streamstress.cluster.lease import LeaseGate
from pytest_streamstress.run.claim import CLAIM_LEASE

if TYPE_CHECKING:
    from conftest import JoinedArgs

    from pytest_streamstress.testing.emulator import Emulator

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

SPEC = """\
# Claimed

## Passes: PIPELINES-98-TC01
Tags: e2e
* Create "a.yaml"
"""
NIGHTLY = "nightly@ci-runner pid 7 since 2026-12-06T01:17:00+00:00"
CSV = ("operators.coreos.com/v1alpha1", "ClusterServiceVersion")


@pytest.fixture
def shared_cluster(joined_cluster: Emulator, gauge_project: Callable[..., Path]) -> tuple[Emulator, Path]:
    """The cluster every session of the test joins, and the suite they run."""
    return joined_cluster, gauge_project({"claimed.spec": SPEC})


@pytest.fixture
def nightly_claim(shared_cluster: tuple[Emulator, Path]) -> Iterator[LeaseGate]:
    """The claim another run (the nightly Job) holds, as its session holds it."""
    emulator, _root = shared_cluster
    cluster = Cluster.connect(Access(kubeconfig=emulator.kubeconfig, request_timeout=10), redactor=Redactor())
    gate = LeaseGate(cluster, "openshift-operators", NIGHTLY, poll_s=0.1, timeout_s=10, name=CLAIM_LEASE)
    yield gate
    cluster.close()


@pytest.fixture
def argv(joined_args: JoinedArgs) -> JoinedArgs:
    return lambda root, results, *extra: joined_args(
        root, results, "--components=pipeline", "--fail-on=none", *extra
    )


def operator_env(emulator: Emulator) -> list[dict[str, Any]]:
    csv = emulator.store.get(
        emulator.store.rtype(*CSV), "openshift-operators", "openshift-pipelines-operator-rh.v1.21.3"
    )
    return list(csv["spec"]["install"]["spec"]["deployments"][0]["spec"]["template"]["spec"]["containers"])


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_a_run_that_cannot_claim_the_cluster_patches_nothing_and_says_who_holds_it(
    pytester: pytest.Pytester,
    shared_cluster: tuple[Emulator, Path],
    nightly_claim: LeaseGate,
    workers: tuple[str, ...],
    argv: JoinedArgs,
) -> None:
    emulator, root = shared_cluster
    before = operator_env(emulator)
    results = pytester.path / "results"
    with nightly_claim.hold(exclusive=True):
        result = pytester.runpytest_subprocess(
            *argv(root, results, "--cluster-wait=1", *workers), timeout=300
        )
    assert result.ret == 1
    document = json.loads((results / "results.json").read_text())
    assert document["status"] == "error"
    assert [e["phase"] for e in document["errors"]] == ["cluster claim"]
    (reason,) = document["verdict"]["reasons"]
    assert reason == (
        f"another regression run holds this cluster: {NIGHTLY} (Lease openshift-operators/{CLAIM_LEASE});"
        " waited 1s (--cluster-wait)"
    )
    result.stdout.fnmatch_lines(
        ["verdict: ERROR: cluster claim failed, so the scenarios could not run as asked*"]
    )
    assert operator_env(emulator) == before, "nothing was deployed under the other run"


@pytest.fixture
def start_waiting(
    pytester: pytest.Pytester, shared_cluster: tuple[Emulator, Path], argv: JoinedArgs
) -> Callable[[], proc.Running]:
    """Start a session and return once it says it waits for the cluster (the caller holds the claim)."""
    _emulator, root = shared_cluster
    command = [sys.executable, "-m", "pytest", *argv(root, pytester.path / "results", "--heartbeat=0.3")]

    def start() -> proc.Running:
        waiting = threading.Event()
        lines: list[str] = []

        def on_line(_stream: str, line: str) -> None:
            lines.append(line)
            if "(--cluster-wait)" in line:  # the rest of the line may be cut to the terminal width
                waiting.set()

        running = proc.spawn(command, cwd=pytester.path, env=dict(os.environ), on_line=on_line)
        assert waiting.wait(120), "\n".join(lines[-40:])
        return running

    return start


def test_a_run_waits_for_the_claim_and_runs_once_the_other_run_lets_go(
    pytester: pytest.Pytester, nightly_claim: LeaseGate, start_waiting: Callable[[], proc.Running]
) -> None:
    with nightly_claim.hold(exclusive=True):
        running = start_waiting()
    done = running.wait(timeout=300)
    assert done.returncode == 0
    document = json.loads((pytester.path / "results" / "results.json").read_text())
    assert (document["status"], document["counts"]["passed"]) == ("passed", 1)
    assert nightly_claim.writer() == "", "the run let the cluster go when it ended"


def test_a_stop_signal_while_waiting_for_the_claim_says_where_it_stopped(
    pytester: pytest.Pytester, nightly_claim: LeaseGate, start_waiting: Callable[[], proc.Running]
) -> None:
    with nightly_claim.hold(exclusive=True):
        running = start_waiting()
        os.kill(running.pid, signal.SIGTERM)
        done = running.wait(timeout=300)
        assert nightly_claim.writer() == NIGHTLY, "the stopped run left the other run's claim alone"
    assert done.returncode == pytest.ExitCode.INTERRUPTED
    document = json.loads((pytester.path / "results" / "results.json").read_text())
    assert (document["status"], document["signal"]) == ("interrupted", "SIGTERM")
    assert document["verdict"]["reasons"] == [
        "while waiting for another regression run to let the cluster go"
    ]


def test_a_shards_launcher_claims_the_cluster_and_hands_the_claim_to_its_pods(
    pytester: pytest.Pytester, shared_cluster: tuple[Emulator, Path], argv: JoinedArgs
) -> None:
    """`--shards N --in-cluster` deploys and (on a real cluster) returns once the Job is launched.
    Before, it claimed nothing: another run could deploy under its shards. Now it claims the cluster,
    its pods carry the claim on under its identity, and it lingers for them after the launcher ends."""
    emulator, root = shared_cluster
    results = pytester.path / "results"
    result = pytester.runpytest_subprocess(*argv(root, results, "--in-cluster", "--shards=2"), timeout=300)
    result.stdout.fnmatch_lines(["*merged 2 shards: *"])
    cluster = Cluster.connect(Access(kubeconfig=emulator.kubeconfig, request_timeout=10), redactor=Redactor())
    try:
        (job,) = cluster.batch.list_namespaced_job("openshift-pipelines", _request_timeout=10).items
        env = {e.name: e.value for e in job.spec.template.spec.containers[0].env}
        identity = env["STREAMSTRESS_CLAIM"]
        assert identity.split(" pid ")[0] and " since " in identity
        claim = LeaseGate(cluster, "openshift-operators", "bob@laptop", timeout_s=0.3, name=CLAIM_LEASE)
        assert claim.writer() == identity, "the launcher's claim lingers for its pods"
    finally:
        cluster.close()
