"""The emulator's object store, as controllers use it in-process."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_streamstress.testing.emulator import kinds
from pytest_streamstress.testing.emulator.store import ApiError, Event, Store


@pytest.fixture
def store() -> Store:
    store = Store(history=5)
    kinds.register_all(store)
    store.create(store.rtype("v1", "Namespace"), {"metadata": {"name": "demo"}})
    return store


def _deployment(store: Store) -> dict[str, Any]:
    return store.create(
        store.rtype("apps/v1", "Deployment"),
        {"metadata": {"name": "d", "namespace": "demo"}, "spec": {"replicas": 1}, "status": {"replicas": 0}},
    )


def test_subscribers_get_every_event_in_commit_order(store: Store) -> None:
    seen: list[tuple[str, int]] = []
    store.subscribe(lambda event: seen.append((event.type, event.resource_version)))
    deployments = store.rtype("apps/v1", "Deployment")
    _deployment(store)
    store.mutate(deployments, "demo", "d", lambda obj: obj["spec"].update(replicas=2))
    store.delete(deployments, "demo", "d")
    assert seen == [("ADDED", 2), ("MODIFIED", 3), ("DELETED", 4)]


def test_events_caused_inside_a_callback_are_delivered_after_it(store: Store) -> None:
    seen: list[str] = []
    cms = store.rtype("v1", "ConfigMap")

    def react(event: Event) -> None:
        seen.append(f"{event.type} {event.obj['metadata']['name']}")
        if event.obj["metadata"]["name"] == "first" and event.type == "ADDED":
            store.create(cms, {"metadata": {"name": "second", "namespace": "demo"}})
            seen.append("created second")

    store.subscribe(react)
    store.create(cms, {"metadata": {"name": "first", "namespace": "demo"}})
    assert seen == ["ADDED first", "created second", "ADDED second"]


def test_mutate_that_changes_nothing_bumps_no_version(store: Store) -> None:
    before = _deployment(store)
    after = store.mutate(store.rtype("apps/v1", "Deployment"), "demo", "d", lambda obj: None)
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


def test_mutate_keeps_status_changes_and_status_subresource_keeps_only_status(store: Store) -> None:
    deployments = store.rtype("apps/v1", "Deployment")
    _deployment(store)
    store.mutate(deployments, "demo", "d", lambda obj: obj["status"].update(replicas=1))

    def change_both(obj: dict[str, Any]) -> None:
        obj["spec"]["replicas"] = 5
        obj["status"]["replicas"] = 2

    result = store.mutate(deployments, "demo", "d", change_both, subresource="status")
    assert (result["spec"]["replicas"], result["status"]["replicas"]) == (1, 2)


def test_spec_changes_bump_generation_but_metadata_changes_do_not(store: Store) -> None:
    deployments = store.rtype("apps/v1", "Deployment")
    _deployment(store)
    labelled = store.mutate(deployments, "demo", "d", lambda obj: obj["metadata"].update(labels={"a": "b"}))
    respecced = store.mutate(deployments, "demo", "d", lambda obj: obj["spec"].update(replicas=3))
    assert (labelled["metadata"]["generation"], respecced["metadata"]["generation"]) == (1, 2)


def test_events_older_than_the_history_window_are_gone(store: Store) -> None:
    cms = store.rtype("v1", "ConfigMap")
    for n in range(7):
        store.create(cms, {"metadata": {"name": f"c{n}", "namespace": "demo"}})
    with pytest.raises(ApiError) as caught:
        store.events_since(1, cms)
    assert caught.value.status == 410
    assert [e.obj["metadata"]["name"] for e in store.events_since(6, cms)] == ["c5", "c6"]


def test_deleting_a_namespace_deletes_its_objects(store: Store) -> None:
    cms = store.rtype("v1", "ConfigMap")
    store.create(cms, {"metadata": {"name": "c", "namespace": "demo"}})
    store.delete(store.rtype("v1", "Namespace"), None, "demo")
    assert store.list(cms)[0] == []


def test_a_failing_subscriber_does_not_fail_the_write(store: Store) -> None:
    def broken(event: Event) -> None:
        raise RuntimeError("controller bug")

    store.subscribe(broken)
    created = _deployment(store)
    assert created["metadata"]["name"] == "d"


def test_invalid_names_are_422(store: Store) -> None:
    with pytest.raises(ApiError) as caught:
        store.create(store.rtype("v1", "ConfigMap"), {"metadata": {"name": "Bad_Name", "namespace": "demo"}})
    assert (caught.value.status, caught.value.reason) == (422, "Invalid")
