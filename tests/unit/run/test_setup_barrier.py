"""The wait of ordinary scenarios for the setup scenarios under xdist (run/setup_first.SetupBarrier)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from pytest_streamstress.run.setup_first import SetupBarrier

INSTALL = "specs/olm.spec::Install: PIPELINES-09-TC01"
OTHER = "specs/chains.spec::Sign: PIPELINES-27-TC01"


def group(*nodeids: str) -> Any:
    return cast(Any, [SimpleNamespace(nodeid=n) for n in nodeids])


def test_an_ordinary_scenario_waits_until_the_setup_scenario_ended(tmp_path: Path) -> None:
    barrier = SetupBarrier(tmp_path, frozenset({INSTALL}))
    said: list[str] = []
    waited: dict[str, float] = {}

    def wait() -> None:
        started = time.monotonic()
        assert barrier.wait(group(OTHER), bound=60, progress=lambda _s, state: said.append(state)) == ""
        waited["s"] = time.monotonic() - started

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(1.0)
    assert waiter.is_alive(), "it must not start before the install scenario ended"
    SetupBarrier(tmp_path, frozenset({INSTALL})).ended([INSTALL, OTHER])  # another worker's view
    waiter.join(timeout=10)
    assert not waiter.is_alive()
    assert waited["s"] >= 1.0
    assert said and "PIPELINES-09-TC01" in said[0]


def test_the_setup_scenario_itself_and_a_session_without_one_never_wait(tmp_path: Path) -> None:
    def never(_s: float, _state: str) -> None:
        raise AssertionError("no wait expected")

    assert SetupBarrier(tmp_path, frozenset({INSTALL})).wait(group(INSTALL), bound=60, progress=never) == ""
    assert SetupBarrier(tmp_path, frozenset()).wait(group(OTHER), bound=60, progress=never) == ""
    assert SetupBarrier(None, frozenset({INSTALL})).wait(group(OTHER), bound=60, progress=never) == ""


def test_a_setup_scenario_that_never_ends_stops_holding_the_others_at_the_bound(tmp_path: Path) -> None:
    barrier = SetupBarrier(tmp_path, frozenset({INSTALL}))
    why = barrier.wait(group(OTHER), bound=0.5, progress=lambda _s, _state: None)
    assert why == (
        "the setup scenario Install: PIPELINES-09-TC01 had not ended after 0.5s (--gauge-timeout):"
        " the other scenarios run without it"
    )


def test_when_every_worker_waits_and_none_started_it_they_all_run_on(tmp_path: Path) -> None:
    """xdist queued the setup scenario behind the waiting ones (an explicit --loadscope-reorder)."""
    answers: dict[str, str] = {}

    def wait(worker: str) -> None:
        barrier = SetupBarrier(tmp_path, frozenset({INSTALL}), worker=worker, workers=2)
        answers[worker] = barrier.wait(group(OTHER), bound=60, progress=lambda _s, _state: None)

    waiters = [threading.Thread(target=wait, args=(w,)) for w in ("gw0", "gw1")]
    for waiter in waiters:
        waiter.start()
    for waiter in waiters:
        waiter.join(timeout=10)
    assert sorted(answers) == ["gw0", "gw1"], "neither waited until the 60 s bound"
    assert all(
        text.startswith("every worker waits for the setup scenario Install") for text in answers.values()
    )


def test_a_started_setup_scenario_is_waited_for_even_when_every_other_worker_waits(tmp_path: Path) -> None:
    SetupBarrier(tmp_path, frozenset({INSTALL}), worker="gw1", workers=2).starting([INSTALL])
    barrier = SetupBarrier(tmp_path, frozenset({INSTALL}), worker="gw0", workers=1)
    why = barrier.wait(group(OTHER), bound=0.5, progress=lambda _s, _state: None)
    assert why.startswith("the setup scenario Install: PIPELINES-09-TC01 had not ended after 0.5s")
