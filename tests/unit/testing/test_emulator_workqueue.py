"""The controllers' work queue: de-duplication, earlier re-adds win, stop releases the worker."""

from __future__ import annotations

import threading

from pytest_streamstress.testing.emulator.controllers._base import WorkQueue


def test_a_key_added_twice_is_handed_out_once() -> None:
    queue = WorkQueue()
    queue.add("a")
    queue.add("a")
    queue.add("b")

    assert [queue.get(), queue.get()] == ["a", "b"]
    queue.stop()
    assert queue.get() is None


def test_an_earlier_add_overrides_a_delayed_one() -> None:
    queue = WorkQueue()
    queue.add("a", delay=3600)
    queue.add("a", delay=0)

    assert queue.get() == "a"


def test_a_later_add_does_not_postpone_a_queued_key() -> None:
    queue = WorkQueue()
    queue.add("a", delay=0)
    queue.add("a", delay=3600)

    assert queue.get() == "a"


def test_stop_releases_a_worker_waiting_for_a_delayed_key() -> None:
    queue = WorkQueue()
    queue.add("later", delay=3600)
    got: list[object] = []
    worker = threading.Thread(target=lambda: got.append(queue.get()))
    worker.start()

    queue.stop()
    worker.join(timeout=10)

    assert got == [None]
