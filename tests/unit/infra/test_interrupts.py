"""Critical sections: a stop signal never cuts a step that would leak something in two (issue 19)."""

from __future__ import annotations

import threading

import pytest

from pytest_streamstress._infra import interrupts


def test_a_signal_outside_a_critical_section_is_raised_at_once() -> None:
    assert interrupts.deliver("SIGTERM") is True


def test_a_signal_inside_a_critical_section_is_raised_when_the_section_ends() -> None:
    steps: list[str] = []
    with pytest.raises(KeyboardInterrupt, match="SIGHUP"), interrupts.critical():
        steps.append("first half")
        assert interrupts.deliver("SIGHUP") is False
        steps.append("second half")
    assert steps == ["first half", "second half"]


def test_nested_sections_hold_the_signal_until_the_outermost_ends() -> None:
    with pytest.raises(KeyboardInterrupt), interrupts.critical():
        with interrupts.critical():
            assert interrupts.deliver("SIGINT") is False
        assert interrupts.deliver("SIGINT") is False


def test_other_threads_are_never_held_back() -> None:
    seen: list[bool] = []

    def worker() -> None:
        with interrupts.critical():
            seen.append(interrupts.deliver("SIGTERM"))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(timeout=10)
    assert seen == [True]
