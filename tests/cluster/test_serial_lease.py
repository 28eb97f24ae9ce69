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
from pytest_streamstress.cluster.lease import LEASE_NAME, WAITING, WRITER_EXPIRES, LeaseGate
from pytest_streamstress.errors import WaitTimeout
from pytest_streamstress.run.shard_setup import ShardSetupBarrier
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


def test_a_shard_waits_for_its_job_s_install_scenario_and_not_for_an_earlier_job_s(cluster: Cluster) -> None:
    """run/shard_setup.py: the shard with the install scenario marks the Lease when its gauge run ended;
    the other shards of that Job wait for the mark (an earlier Job's mark does not count)."""
    install = "specs/olm.spec::Install: PIPELINES-09-TC01"
    holder = ShardSetupBarrier(
        _gate(cluster, "shard-1"), run="job-b", mine=frozenset({install}), elsewhere=()
    )
    waiter = ShardSetupBarrier(
        _gate(cluster, "shard-0"), run="job-b", mine=frozenset(), elsewhere=[(1, install)], poll_s=0.05
    )
    _gate(cluster, "yesterday").mark_setup("job-a", ended=True)
    said: list[str] = []
    released: list[float] = []

    def wait() -> None:
        assert waiter.wait((), bound=BOUND_S, progress=lambda _s, what: said.append(what)) == ""
        released.append(time.monotonic())

    thread = threading.Thread(target=wait)
    thread.start()
    wait_until(lambda: Probe(bool(said), ""), what="the shard to wait", timeout=BOUND_S, poll=0.05)
    holder.ended(["specs/b.spec::not the install scenario"])  # another gauge run: no mark
    time.sleep(0.3)
    assert not released, "released by another gauge run, or by an earlier Job's mark"
    marked = time.monotonic()
    holder.ended([install])
    thread.join(timeout=BOUND_S)
    assert released and released[0] >= marked
    assert said[0] == (
        "the setup scenario Install: PIPELINES-09-TC01 in shard 1 (tagged install: it configures the cluster)"
    )
    said.clear()
    assert waiter.wait((), bound=BOUND_S, progress=lambda _s, what: said.append(what)) == ""
    assert said == [], "once seen, the next gauge runs do not ask again"


def test_a_shard_waits_for_another_shard_s_install_scenario_at_most_its_bound(cluster: Cluster) -> None:
    """A pod that died with the install scenario must not hold the others forever (--gauge-timeout)."""
    waiter = ShardSetupBarrier(
        _gate(cluster, "shard-0"),
        run="job-c",
        mine=frozenset(),
        elsewhere=[(1, "specs/olm.spec::Install: PIPELINES-09-TC01")],
        poll_s=0.05,
    )
    assert waiter.wait((), bound=0.3, progress=lambda _s, _w: None) == (
        "the setup scenario Install: PIPELINES-09-TC01 (shard 1) had not ended after 0.3s (--gauge-timeout):"
        " this shard runs without it"
    )
    assert waiter.wait((), bound=0.3, progress=lambda _s, _w: None) == "", "said once, then it runs on"


def test_a_shard_stops_waiting_when_the_one_running_the_install_scenario_died(cluster: Cluster) -> None:
    """Its pod was OOM-killed during the install scenario: the others ran on only after --gauge-timeout
    (an hour); now once its claims on the gate have lapsed."""
    install = "specs/olm.spec::Install: PIPELINES-09-TC01"
    running = _gate(cluster, "shard-1-pod-a-7")
    starter = ShardSetupBarrier(running, run="job-d", mine=frozenset({install}), elsewhere=())
    waiter = ShardSetupBarrier(
        _gate(cluster, "shard-0-pod-b-9"),
        run="job-d",
        mine=frozenset(),
        elsewhere=[(1, install)],
        poll_s=0.05,
        lapse_s=0.5,
    )
    starter.starting([install])
    with running.hold(exclusive=True):  # alive, running it, for longer than the lapse
        outcome: list[str] = []
        thread = threading.Thread(
            target=lambda: outcome.append(waiter.wait((), bound=BOUND_S, progress=lambda _s, _w: None))
        )
        thread.start()
        time.sleep(1.0)
        assert not outcome, "a live shard running it is waited for"
    # ... and then its pod is killed: no ended mark; its claim is gone (here: let go, as a lapse looks)
    thread.join(timeout=BOUND_S)
    assert outcome == [
        "the shard running the setup scenario Install: PIPELINES-09-TC01 (shard 1) stopped before it ended"
        " (its claims on the serial gate lapsed): this shard runs without it"
    ]


def test_outside_a_job_no_shard_waits(cluster: Cluster) -> None:
    """No JOB_NAME (a CI matrix shard): nothing tells this run's mark from an earlier run's."""
    waiter = ShardSetupBarrier(
        _gate(cluster, "shard-0"), run="", mine=frozenset(), elsewhere=[(1, "specs/olm.spec::Install")]
    )
    assert waiter.wait((), bound=BOUND_S, progress=lambda _s, _w: pytest.fail("it waited")) == ""


def test_a_lingering_claim_outlives_its_holder_and_one_carrier_s_end_never_frees_it(cluster: Cluster) -> None:
    """run/claim.py's hand-off: a shards launcher's claim lingers for its pods, which carry it on under
    its identity and never let it go, so it lapses only after the last of them stopped renewing."""
    launcher = LeaseGate(cluster, NAMESPACE, "alice@laptop pid 1", poll_s=0.05, timeout_s=1, name="claim")
    started = time.time()
    with launcher.hold(exclusive=True, linger_s=600):
        pass
    assert launcher.writer() == "alice@laptop pid 1", "still held after the launcher ended"
    other = LeaseGate(cluster, NAMESPACE, "bob@laptop pid 2", poll_s=0.05, timeout_s=0.3, name="claim")
    with pytest.raises(WaitTimeout), other.hold(exclusive=True):
        pass
    lease = cluster.coordination.read_namespaced_lease("claim", NAMESPACE, _request_timeout=10)
    assert float(lease.metadata.annotations[WRITER_EXPIRES]) >= started + 600

    pods = [
        LeaseGate(cluster, NAMESPACE, "alice@laptop pid 1", poll_s=0.05, timeout_s=1, name="claim")
        for _ in range(2)
    ]
    with pods[0].hold(exclusive=True, linger_s=0), pods[1].hold(exclusive=True, linger_s=0):
        pass  # both pods run, then the first ends, then the second
    assert launcher.writer() == "alice@laptop pid 1"
    with pytest.raises(WaitTimeout), other.hold(exclusive=True):
        pass


def test_a_claim_without_linger_is_let_go(cluster: Cluster) -> None:
    session = LeaseGate(cluster, NAMESPACE, "alice@laptop pid 1", poll_s=0.05, timeout_s=1, name="claim")
    with session.hold(exclusive=True):
        pass
    assert session.writer() == ""
