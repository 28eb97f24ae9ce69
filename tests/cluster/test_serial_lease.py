"""The serial gate across shards: one Lease on the emulator, overlapping windows (issue 23)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from pytest_streamstress._infra.redact import Redactor
from pytest_streamstress._infra.waits import Probe, wait_until
from pytest_streamstress.cluster.access import Access
from pytest_streamstress.cluster.client import Cluster
from pytest_streamstress.cluster.lease import LEASE_NAME, WAITING, LeaseGate
from pytest_streamstress.testing.emulator import Emulator

pytestmark = [pytest.mark.emulator]

NAMESPACE = "openshift-pipelines"
BOUND_S = 60.0


@pytest.fixture
def cluster(make_emulator: Callable[..., Emulator]) -> Iterator[Cluster]:
    emulator = make_emulator(state="bare")
    cluster = Cluster.connect(Access(kubeconfig=emulator.kubeconfig, request_timeout=10), redactor=Redactor())
    cluster.core.create_namespace({"metadata": {"name": NAMESPACE}})
    yield cluster
    cluster.close()


def _gate(cluster: Cluster, identity: str, now: Callable[[], float] = time.time) -> LeaseGate:
    return LeaseGate(cluster, NAMESPACE, identity, poll_s=0.05, timeout_s=BOUND_S, now=now)


def _waiting(cluster: Cluster) -> str:
    lease = cluster.coordination.read_namespaced_lease(LEASE_NAME, NAMESPACE, _request_timeout=10)
    return str((lease.metadata.annotations or {}).get(WAITING, "")).split(" ")[0]


def test_a_serial_scenario_waits_for_running_ones_and_holds_back_new_ones_until_it_is_done(
    cluster: Cluster,
) -> None:
    events: list[str] = []
    lock = threading.Lock()
    a_may_leave = threading.Event()

    def note(text: str) -> None:
        with lock:
            events.append(text)

    def ordinary(name: str, *, leave: threading.Event | None = None) -> None:
        with _gate(cluster, name).hold(exclusive=False):
            note(f"{name} in")
            if leave is not None:
                leave.wait(BOUND_S)
            note(f"{name} out")

    def serial() -> None:
        with _gate(cluster, "shard-1").hold(exclusive=True):
            note("shard-1 in")
            note("shard-1 out")

    first = threading.Thread(target=ordinary, args=("shard-0",), kwargs={"leave": a_may_leave})
    first.start()
    wait_until(
        lambda: Probe(done="shard-0 in" in events, state=str(events)), what="shard-0 not in", timeout=BOUND_S
    )
    writer = threading.Thread(target=serial)
    writer.start()
    wait_until(
        lambda: Probe(done=_waiting(cluster) == "shard-1", state=_waiting(cluster)),
        what="the serial shard did not queue on the Lease",
        timeout=BOUND_S,
    )
    late = threading.Thread(target=ordinary, args=("shard-2",))  # arrives while the serial one waits
    late.start()
    a_may_leave.set()
    for thread in (first, writer, late):
        thread.join(BOUND_S)

    assert events == ["shard-0 in", "shard-0 out", "shard-1 in", "shard-1 out", "shard-2 in", "shard-2 out"]


def test_ordinary_scenarios_of_different_shards_run_side_by_side(cluster: Cluster) -> None:
    with _gate(cluster, "shard-0").hold(exclusive=False), _gate(cluster, "shard-1").hold(exclusive=False):
        lease = cluster.coordination.read_namespaced_lease(LEASE_NAME, NAMESPACE, _request_timeout=10)

    assert '"shard-0"' in lease.metadata.annotations["streamstress.io/readers"]
    assert '"shard-1"' in lease.metadata.annotations["streamstress.io/readers"]
    assert lease.spec.holder_identity is None


def test_a_killed_shards_claim_expires_instead_of_blocking_the_others(cluster: Cluster) -> None:
    long_ago = time.time() - 3600
    dead = _gate(cluster, "killed-shard", now=lambda: long_ago)

    with dead.hold(exclusive=True), _gate(cluster, "shard-1").hold(exclusive=True):
        lease = cluster.coordination.read_namespaced_lease(LEASE_NAME, NAMESPACE, _request_timeout=10)

    assert lease.spec.holder_identity == "shard-1"


def test_a_shard_waiting_at_the_lease_says_who_holds_it(cluster: Cluster) -> None:
    """Issue 22 across shards: each poll of a blocked gate reports the time so far and the Lease state."""
    holding = threading.Event()
    reported = threading.Event()
    got_it = threading.Event()
    said: list[tuple[float, str]] = []

    def serial() -> None:
        with _gate(cluster, "shard-0").hold(exclusive=True):
            holding.set()
            reported.wait(BOUND_S)

    def ordinary() -> None:
        def progress(elapsed: float, what: str) -> None:
            said.append((elapsed, what))
            reported.set()

        with _gate(cluster, "shard-1").hold(exclusive=False, progress=progress):
            got_it.set()

    first = threading.Thread(target=serial)
    first.start()
    assert holding.wait(BOUND_S)
    second = threading.Thread(target=ordinary)
    second.start()
    assert got_it.wait(BOUND_S)
    first.join(BOUND_S)
    second.join(BOUND_S)
    assert said
    assert said[0][1].startswith(f"Lease {NAMESPACE}/{LEASE_NAME}: writer shard-0")
