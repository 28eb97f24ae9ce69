"""Waits end at their timeout, or earlier at a cutoff armed by a stop signal (R18, issue 19)."""

from __future__ import annotations

import pytest

from pytest_streamstress._infra.waits import Cutoff, Probe, wait_until
from pytest_streamstress.errors import WaitTimeout


class FakeClock:
    """Time moves only when the wait sleeps (R36: no real sleeps)."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def never(state: str = "TektonConfig not Ready") -> Probe:
    return Probe(done=False, state=state)


def test_a_timeout_names_what_was_awaited_the_last_state_and_the_given_hint() -> None:
    clock = FakeClock()
    with pytest.raises(WaitTimeout) as excinfo:
        wait_until(never, what="operands not ready", timeout=60, clock=clock, hint="raise --deploy-timeout")
    assert "operands not ready after 60s; last state: TektonConfig not Ready" in str(excinfo.value)
    assert "raise --deploy-timeout" in str(excinfo.value)


def test_an_armed_cutoff_ends_a_long_wait_at_its_own_bound_and_names_the_signal() -> None:
    clock = FakeClock()
    cutoff = Cutoff(clock)
    cutoff.arm(30, reason="SIGTERM")
    with pytest.raises(WaitTimeout, match="TektonConfig not Ready: stopped 30s after SIGTERM") as excinfo:
        wait_until(never, what="TektonConfig not Ready", timeout=900, clock=clock, cutoff=cutoff)
    assert "last state: TektonConfig not Ready" in str(excinfo.value)
    assert clock.now == pytest.approx(30)  # the fake clock moved only as far as the bound


def test_a_cutoff_that_is_not_armed_changes_nothing() -> None:
    clock = FakeClock()
    with pytest.raises(WaitTimeout, match="after 90s"):
        wait_until(never, what="x", timeout=90, clock=clock, cutoff=Cutoff(clock))


def test_the_first_arming_counts() -> None:
    clock = FakeClock()
    cutoff = Cutoff(clock)
    cutoff.arm(30, reason="SIGTERM")
    clock.now = 10
    cutoff.arm(30, reason="SIGINT")
    assert cutoff.remaining() == 20
    assert cutoff.reason == "SIGTERM"


def test_a_wait_that_finishes_before_the_cutoff_returns_its_probe() -> None:
    clock = FakeClock()
    cutoff = Cutoff(clock)
    cutoff.arm(30, reason="SIGHUP")
    looks = iter([never(), Probe(done=True, state="Ready")])
    assert wait_until(lambda: next(looks), what="x", timeout=900, clock=clock, cutoff=cutoff).state == "Ready"
