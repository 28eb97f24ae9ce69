"""Watch streams and pod logs of the emulator, through the official client's `Watch` helper and raw
streaming requests."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException

from pytest_streamstress.testing.emulator import Emulator

pytestmark = pytest.mark.emulator

TIMEOUT = 10


def _pod(
    name: str, *, containers: tuple[str, ...] = ("main",), labels: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "demo", "labels": labels or {}},
        "spec": {"containers": [{"name": c, "image": "busybox"} for c in containers]},
        "status": {"phase": "Running"},
    }


def _raw_watch(kube: Any, path: str, **query: Any) -> list[dict[str, Any]]:
    """Read a whole watch stream (the server closes it) as parsed events."""
    response = kube.call_api(
        *kube.param_serialize("GET", path, query_params=list(query.items()), auth_settings=["BearerToken"]),
        _request_timeout=TIMEOUT,
    )
    data = response.response.data if hasattr(response, "response") else response.data
    return [json.loads(line) for line in data.decode().splitlines() if line.strip()]


def test_watch_helper_sees_added_modified_and_deleted_in_order(emulator: Emulator, kube: Any) -> None:
    core = client.CoreV1Api(kube)
    start = core.list_namespaced_config_map("demo", _request_timeout=TIMEOUT).metadata.resource_version
    cms = emulator.store.rtype("v1", "ConfigMap")
    emulator.store.create(cms, {"metadata": {"name": "x", "namespace": "demo"}})
    emulator.store.mutate(cms, "demo", "x", lambda obj: obj.update(data={"k": "v"}))
    emulator.store.delete(cms, "demo", "x")
    seen = []
    for event in watch.Watch().stream(
        core.list_namespaced_config_map,
        "demo",
        resource_version=start,
        timeout_seconds=1,
        _request_timeout=TIMEOUT,
    ):
        seen.append((event["type"], event["object"].metadata.name))
        if len(seen) == 3:
            break
    assert seen == [("ADDED", "x"), ("MODIFIED", "x"), ("DELETED", "x")]


def test_watch_without_resource_version_starts_with_synthetic_added_events(
    emulator: Emulator, kube: Any
) -> None:
    emulator.store.create(
        emulator.store.rtype("v1", "ConfigMap"), {"metadata": {"name": "old", "namespace": "demo"}}
    )
    stream = watch.Watch().stream(
        client.CoreV1Api(kube).list_namespaced_config_map, "demo", timeout_seconds=1, _request_timeout=TIMEOUT
    )
    first = next(iter(stream))
    assert (first["type"], first["object"].metadata.name) == ("ADDED", "old")


def test_watch_delivers_changes_made_while_it_is_open(emulator: Emulator, kube: Any) -> None:
    cms = emulator.store.rtype("v1", "ConfigMap")
    start = str(emulator.store.resource_version)
    # The writer races the watch request on purpose: from `start`, the event is seen either way.
    writer = threading.Thread(
        target=lambda: emulator.store.create(cms, {"metadata": {"name": "live", "namespace": "demo"}})
    )
    writer.start()
    try:
        for event in watch.Watch().stream(
            client.CoreV1Api(kube).list_namespaced_config_map,
            "demo",
            resource_version=start,
            timeout_seconds=5,
            _request_timeout=TIMEOUT,
        ):
            assert (event["type"], event["object"].metadata.name) == ("ADDED", "live")
            break
        else:
            pytest.fail("the watch ended without the live event")
    finally:
        writer.join(TIMEOUT)


def test_watch_from_a_compacted_version_raises_410_gone(emulator: Emulator, kube: Any) -> None:
    cms = emulator.store.rtype("v1", "ConfigMap")
    emulator.store.create(cms, {"metadata": {"name": "x", "namespace": "demo"}})
    emulator.store.compact()
    with pytest.raises(ApiException) as caught:
        for _event in watch.Watch().stream(
            client.CoreV1Api(kube).list_namespaced_config_map,
            "demo",
            resource_version="1",
            timeout_seconds=1,
            _request_timeout=TIMEOUT,
        ):
            pass
    assert caught.value.status == 410


def test_watch_sends_bookmarks_and_closes_at_timeout_seconds(emulator: Emulator, kube: Any) -> None:
    emulator.bookmark_interval_s = 0.2
    events = _raw_watch(
        kube,
        "/api/v1/namespaces/demo/configmaps",
        watch="true",
        allowWatchBookmarks="true",
        timeoutSeconds=1,
        resourceVersion=str(emulator.store.resource_version),
    )
    assert events and {e["type"] for e in events} == {"BOOKMARK"}
    assert events[-1]["object"]["metadata"]["resourceVersion"] == str(emulator.store.resource_version)


def test_an_object_leaving_the_label_selector_is_deleted_for_that_watcher(
    emulator: Emulator, kube: Any
) -> None:
    cms = emulator.store.rtype("v1", "ConfigMap")
    emulator.store.create(cms, {"metadata": {"name": "x", "namespace": "demo", "labels": {"app": "a"}}})
    start = str(emulator.store.resource_version)
    emulator.store.mutate(cms, "demo", "x", lambda obj: obj["metadata"].update(labels={"app": "b"}))
    events = _raw_watch(
        kube,
        "/api/v1/namespaces/demo/configmaps",
        watch="true",
        labelSelector="app=a",
        timeoutSeconds=1,
        resourceVersion=start,
    )
    assert [(e["type"], e["object"]["metadata"]["labels"]) for e in events] == [("DELETED", {"app": "b"})]


def test_read_namespaced_pod_log_returns_text_and_honours_tail_lines(emulator: Emulator, kube: Any) -> None:
    emulator.store.create(emulator.store.rtype("v1", "Pod"), _pod("p"))
    emulator.store.append_log("demo", "p", "main", "one\ntwo\nthree\n")
    core = client.CoreV1Api(kube)
    assert core.read_namespaced_pod_log("p", "demo", _request_timeout=TIMEOUT) == "one\ntwo\nthree\n"
    assert core.read_namespaced_pod_log("p", "demo", tail_lines=2, _request_timeout=TIMEOUT) == "two\nthree\n"


def test_pod_log_follow_streams_until_the_container_ends(emulator: Emulator, kube: Any) -> None:
    emulator.store.create(emulator.store.rtype("v1", "Pod"), _pod("p"))
    emulator.store.append_log("demo", "p", "main", "first\n")

    def finish() -> None:
        emulator.store.append_log("demo", "p", "main", "second\n")
        emulator.store.close_log("demo", "p", "main")

    writer = threading.Thread(target=finish)  # before or during the follow: the output is the same
    writer.start()
    lines = list(
        watch.Watch().stream(
            client.CoreV1Api(kube).read_namespaced_pod_log, "p", "demo", follow=True, _request_timeout=TIMEOUT
        )
    )
    writer.join(TIMEOUT)
    assert lines == ["first", "second"]


def test_pod_log_of_a_multi_container_pod_needs_a_container_name(emulator: Emulator, kube: Any) -> None:
    emulator.store.create(emulator.store.rtype("v1", "Pod"), _pod("p", containers=("a", "b")))
    with pytest.raises(ApiException) as caught:
        client.CoreV1Api(kube).read_namespaced_pod_log("p", "demo", _request_timeout=TIMEOUT)
    assert caught.value.status == 400
    assert "choose one of: [a b]" in json.loads(caught.value.body)["message"]


def test_pod_log_of_a_container_waiting_for_its_image_is_400(emulator: Emulator, kube: Any) -> None:
    pod = _pod("p")
    pod["status"] = {
        "phase": "Pending",
        "containerStatuses": [
            {"name": "main", "ready": False, "state": {"waiting": {"reason": "ImagePullBackOff"}}}
        ],
    }
    emulator.store.create(emulator.store.rtype("v1", "Pod"), pod)
    with pytest.raises(ApiException) as caught:
        client.CoreV1Api(kube).read_namespaced_pod_log("p", "demo", _request_timeout=TIMEOUT)
    assert "is waiting to start: trying and failing to pull image" in json.loads(caught.value.body)["message"]


def test_pod_metrics_come_from_the_provider_and_vanish_when_unavailable(
    emulator: Emulator, kube: Any
) -> None:
    sample = {
        "apiVersion": "metrics.k8s.io/v1beta1",
        "kind": "PodMetrics",
        "metadata": {"name": "p", "namespace": "demo"},
        "timestamp": "2026-01-01T00:00:00Z",
        "window": "30s",
        "containers": [{"name": "main", "usage": {"cpu": "5m", "memory": "10Mi"}}],
    }
    custom = client.CustomObjectsApi(kube)
    with pytest.raises(ApiException) as caught:
        custom.list_cluster_custom_object("metrics.k8s.io", "v1beta1", "pods", _request_timeout=TIMEOUT)
    assert caught.value.status == 404
    emulator.metrics_provider = lambda: [sample]
    listed = custom.list_cluster_custom_object("metrics.k8s.io", "v1beta1", "pods", _request_timeout=TIMEOUT)
    assert (listed["kind"], listed["items"]) == ("PodMetricsList", [sample])
    emulator.faults.metrics_unavailable = True
    with pytest.raises(ApiException) as caught:
        custom.get_namespaced_custom_object(
            "metrics.k8s.io", "v1beta1", "demo", "pods", "p", _request_timeout=TIMEOUT
        )
    assert caught.value.status == 404


def test_legacy_watch_path_on_one_object_sees_only_that_object(emulator: Emulator, kube: Any) -> None:
    cms = emulator.store.rtype("v1", "ConfigMap")
    for name in ("a", "b"):
        emulator.store.create(cms, {"metadata": {"name": name, "namespace": "demo"}})
    events = _raw_watch(kube, "/api/v1/watch/namespaces/demo/configmaps/b", timeoutSeconds=1)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "b")]


def test_node_metrics_are_served_from_the_providers_node_items(emulator: Emulator, kube: Any) -> None:
    node = {
        "apiVersion": "metrics.k8s.io/v1beta1",
        "kind": "NodeMetrics",
        "metadata": {"name": "worker-0"},
        "timestamp": "2026-01-01T00:00:00Z",
        "window": "30s",
        "usage": {"cpu": "1", "memory": "1Gi"},
    }
    pod = {
        "apiVersion": "metrics.k8s.io/v1beta1",
        "kind": "PodMetrics",
        "metadata": {"name": "p", "namespace": "demo"},
        "containers": [],
    }
    emulator.metrics_provider = lambda: [node, pod]
    custom = client.CustomObjectsApi(kube)
    nodes = custom.list_cluster_custom_object("metrics.k8s.io", "v1beta1", "nodes", _request_timeout=TIMEOUT)
    pods = custom.list_cluster_custom_object("metrics.k8s.io", "v1beta1", "pods", _request_timeout=TIMEOUT)
    assert (nodes["kind"], nodes["items"], pods["items"]) == ("NodeMetricsList", [node], [pod])
