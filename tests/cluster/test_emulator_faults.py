"""API-level faults of the emulator, switched per test, as the official client meets them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException

from pytest_streamstress.testing.emulator import Emulator

pytestmark = pytest.mark.emulator

TIMEOUT = 10


def _make_configmap(emulator: Emulator, name: str = "x") -> None:
    emulator.store.create(
        emulator.store.rtype("v1", "ConfigMap"), {"metadata": {"name": name, "namespace": "demo"}}
    )


def test_error_rate_one_answers_every_request_with_the_chosen_status(emulator: Emulator, kube: Any) -> None:
    emulator.faults.error_rate = 1.0
    emulator.faults.error_status = 503
    with pytest.raises(ApiException) as caught:
        client.CoreV1Api(kube).list_namespace(_request_timeout=TIMEOUT)
    assert (caught.value.status, json.loads(caught.value.body)["reason"]) == (503, "ServiceUnavailable")


def test_error_rate_is_deterministic_for_a_seed(emulator: Emulator, kube: Any) -> None:
    core = client.CoreV1Api(kube)

    def outcomes() -> list[bool]:
        emulator.faults.reseed(7)
        emulator.faults.error_rate = 0.5
        results = []
        for _ in range(12):
            try:
                core.list_namespace(_request_timeout=TIMEOUT)
                results.append(True)
            except ApiException:
                results.append(False)
        emulator.faults.error_rate = 0.0
        return results

    first = outcomes()
    assert first == outcomes()
    assert any(first)
    assert not all(first)


def test_throttle_next_answers_429_with_retry_after(emulator: Emulator, kube: Any) -> None:
    emulator.faults.throttle_next = 1
    emulator.faults.retry_after_s = 3
    configuration = kube.configuration
    configuration.retries = False  # urllib3 would otherwise honour Retry-After and retry by itself
    with client.ApiClient(configuration) as no_retries, pytest.raises(ApiException) as caught:
        client.CoreV1Api(no_retries).list_namespace(_request_timeout=TIMEOUT)
    assert (caught.value.status, caught.value.headers["Retry-After"]) == (429, "3")


def test_the_official_client_retries_a_throttled_request_by_itself(emulator: Emulator, kube: Any) -> None:
    emulator.faults.throttle_next = 2
    emulator.faults.retry_after_s = 0
    assert len(client.CoreV1Api(kube).list_namespace(_request_timeout=TIMEOUT).items) == 2
    assert emulator.faults.throttle_next == 0


def test_only_paths_and_methods_limit_errors_to_matching_requests(emulator: Emulator, kube: Any) -> None:
    _make_configmap(emulator)
    emulator.faults.error_rate = 1.0
    emulator.faults.only_paths = r"/configmaps/"
    emulator.faults.only_methods = frozenset({"PATCH"})
    core = client.CoreV1Api(kube)
    assert core.read_namespaced_config_map("x", "demo", _request_timeout=TIMEOUT).metadata.name == "x"
    with pytest.raises(ApiException) as caught:
        core.patch_namespaced_config_map("x", "demo", {"data": {"a": "b"}}, _request_timeout=TIMEOUT)
    assert caught.value.status == 500


def test_conflict_storm_fails_the_next_writes_of_a_kind_only(emulator: Emulator, kube: Any) -> None:
    _make_configmap(emulator)
    emulator.faults.conflict_storm = {"ConfigMap": 2}
    core = client.CoreV1Api(kube)
    for _ in range(2):
        with pytest.raises(ApiException) as caught:
            core.patch_namespaced_config_map("x", "demo", {"data": {"a": "b"}}, _request_timeout=TIMEOUT)
        assert caught.value.status == 409
    core.create_namespace({"metadata": {"name": "other"}}, _request_timeout=TIMEOUT)  # other kinds unaffected
    patched = core.patch_namespaced_config_map("x", "demo", {"data": {"a": "b"}}, _request_timeout=TIMEOUT)
    assert patched.data == {"a": "b"}


def test_drop_watch_after_events_closes_the_stream_early(emulator: Emulator, kube: Any) -> None:
    for name in ("a", "b", "c"):
        _make_configmap(emulator, name)
    emulator.faults.drop_watch_after_events = 2
    names = [
        event["object"].metadata.name
        for event in watch.Watch().stream(
            client.CoreV1Api(kube).list_namespaced_config_map,
            "demo",
            timeout_seconds=5,
            _request_timeout=TIMEOUT,
        )
    ]
    assert names == ["a", "b"]


def test_latency_fault_still_serves_the_request(emulator: Emulator, kube: Any) -> None:
    emulator.faults.latency_s = 0.05
    assert len(client.CoreV1Api(kube).list_namespace(_request_timeout=TIMEOUT).items) == 2
