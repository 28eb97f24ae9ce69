"""The serial gate: an exclusive holder never runs beside a shared one; shared holders run together."""

from __future__ import annotations

import threading
from pathlib import Path

from pytest_streamstress.run.serial import SerialGate, is_serial

WAIT = 10.0


def test_serial_tags_match_case_insensitively() -> None:
    assert is_serial(["e2e", "Admin"], ["admin", "install"])
    assert not is_serial(["e2e", "non-admin"], ["admin"])


def test_shared_holders_overlap(tmp_path: Path) -> None:
    gate = SerialGate(tmp_path)
    inside = threading.Barrier(2, timeout=WAIT)

    def worker() -> None:
        with gate.hold(exclusive=False):
            inside.wait()  # both must be inside at once, or the barrier times out

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)
    assert not inside.broken


def test_an_exclusive_holder_waits_for_shared_ones_and_blocks_new_ones(tmp_path: Path) -> None:
    gate = SerialGate(tmp_path)
    events: list[str] = []
    shared_in = threading.Event()
    release_shared = threading.Event()
    exclusive_waiting = threading.Event()

    def shared() -> None:
        with gate.hold(exclusive=False):
            events.append("shared-in")
            shared_in.set()
            release_shared.wait(WAIT)
            events.append("shared-out")

    def exclusive() -> None:
        exclusive_waiting.set()
        with gate.hold(exclusive=True):
            events.append("exclusive-in")
            events.append("exclusive-out")

    first = threading.Thread(target=shared)
    first.start()
    assert shared_in.wait(WAIT)
    second = threading.Thread(target=exclusive)
    second.start()
    assert exclusive_waiting.wait(WAIT)
    second.join(0.2)  # bounded look: the exclusive holder must still be waiting
    assert "exclusive-in" not in events
    release_shared.set()
    first.join(WAIT)
    second.join(WAIT)
    assert events == ["shared-in", "shared-out", "exclusive-in", "exclusive-out"]


def test_without_a_directory_the_gate_does_nothing(tmp_path: Path) -> None:
    with SerialGate(None).hold(exclusive=True), SerialGate(None).hold(exclusive=True):
        pass
    assert list(tmp_path.iterdir()) == []


def test_a_waiting_holder_says_what_it_waits_for_until_it_gets_the_gate(tmp_path: Path) -> None:
    """Issue 22: the wait is polled, and each poll reports the seconds so far and what is awaited."""
    gate = SerialGate(tmp_path)
    holding = threading.Event()
    reported = threading.Event()
    said: list[tuple[float, str]] = []
    got_it = threading.Event()

    def exclusive() -> None:
        with gate.hold(exclusive=True):
            holding.set()
            reported.wait(WAIT)  # released only once the other one has said it waits

    def shared() -> None:
        def progress(elapsed: float, what: str) -> None:
            said.append((elapsed, what))
            reported.set()

        with gate.hold(exclusive=False, progress=progress):
            got_it.set()

    first = threading.Thread(target=exclusive)
    first.start()
    assert holding.wait(WAIT)
    second = threading.Thread(target=shared)
    second.start()
    assert got_it.wait(WAIT)
    first.join(WAIT)
    second.join(WAIT)
    assert said and said[0][1] == "a scenario that runs alone (admin/install/upgrade)"
    assert all(elapsed >= 0 for elapsed, _ in said)
