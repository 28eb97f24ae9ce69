"""The emulator's API server, exercised with the official `kubernetes` client's own calls."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from pytest_streamstress.testing.emulator import Emulator

pytestmark = pytest.mark.emulator

TIMEOUT = 10


def _configmap(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": labels or {}}, "data": {"k": "v"}}


def _deployment(name: str = "web") -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "nginx:1",
                            "env": [{"name": "A", "value": "1"}],
                            "ports": [{"containerPort": 80}],
                        },
                        {"name": "sidecar", "image": "busybox:1"},
                    ]
                },
            },
        },
    }


def _tekton_config(store_emulator: Emulator) -> None:
    rtype = store_emulator.store.rtype("operator.tekton.dev/v1alpha1", "TektonConfig")
    store_emulator.store.create(rtype, {"metadata": {"name": "config"}, "spec": {"profile": "all"}})


def _subscription() -> dict[str, Any]:
    return {
        "apiVersion": "operators.coreos.com/v1alpha1",
        "kind": "Subscription",
        "metadata": {"name": "openshift-pipelines-operator"},
        "spec": {"channel": "latest", "name": "openshift-pipelines-operator-rh"},
    }


def test_official_client_loads_the_kubeconfig_and_lists_namespaces(kube: Any) -> None:
    names = [ns.metadata.name for ns in client.CoreV1Api(kube).list_namespace(_request_timeout=TIMEOUT).items]
    assert names == ["default", "demo"]


def test_wrong_token_gets_a_401_status(emulator: Emulator, tmp_path: Any) -> None:
    from kubernetes import config

    wrong = tmp_path / "wrong-kubeconfig"
    wrong.write_text(emulator.kubeconfig.read_text().replace(emulator.token.reveal(), "wrong-token"))
    api = config.new_client_from_config(config_file=str(wrong))
    with pytest.raises(ApiException) as caught:
        client.CoreV1Api(api).list_namespace(_request_timeout=TIMEOUT)
    assert caught.value.status == 401
    assert json.loads(caught.value.body)["kind"] == "Status"


def test_create_fills_server_metadata_and_generate_name(kube: Any) -> None:
    created = client.CoreV1Api(kube).create_namespaced_config_map(
        "demo", {"metadata": {"generateName": "cm-"}}, _request_timeout=TIMEOUT
    )
    meta = created.metadata
    assert (meta.name.startswith("cm-"), len(meta.name), meta.generation) == (True, 8, None)
    assert meta.uid and meta.resource_version and meta.creation_timestamp and meta.namespace == "demo"


def test_creating_an_existing_name_is_409_already_exists(kube: Any) -> None:
    core = client.CoreV1Api(kube)
    core.create_namespaced_config_map("demo", _configmap("x"), _request_timeout=TIMEOUT)
    with pytest.raises(ApiException) as caught:
        core.create_namespaced_config_map("demo", _configmap("x"), _request_timeout=TIMEOUT)
    assert (caught.value.status, json.loads(caught.value.body)["reason"]) == (409, "AlreadyExists")


def test_creating_in_a_missing_namespace_is_404(kube: Any) -> None:
    with pytest.raises(ApiException) as caught:
        client.CoreV1Api(kube).create_namespaced_config_map("nope", _configmap("x"), _request_timeout=TIMEOUT)
    assert caught.value.status == 404
    assert json.loads(caught.value.body)["message"] == 'namespaces "nope" not found'


def test_replace_with_a_stale_resource_version_is_409_conflict(kube: Any) -> None:
    core = client.CoreV1Api(kube)
    first = core.create_namespaced_config_map("demo", _configmap("x"), _request_timeout=TIMEOUT)
    first.data = {"k": "new"}
    core.replace_namespaced_config_map("x", "demo", first, _request_timeout=TIMEOUT)
    first.data = {"k": "stale"}
    with pytest.raises(ApiException) as caught:
        core.replace_namespaced_config_map("x", "demo", first, _request_timeout=TIMEOUT)
    assert caught.value.status == 409
    assert "the object has been modified" in json.loads(caught.value.body)["message"]


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=a", ["one"]),
        ("app==a", ["one"]),
        ("app!=a", ["three", "two"]),
        ("app in (a,b)", ["one", "two"]),
        ("app notin (a)", ["three", "two"]),
        ("tier", ["two"]),
        ("!tier", ["one", "three"]),
        ("app=b,tier=db", ["two"]),
    ],
    ids=["equals", "double-equals", "not-equals", "in", "notin", "exists", "not-exists", "and"],
)
def test_label_selectors_match_like_the_real_server(kube: Any, selector: str, expected: list[str]) -> None:
    core = client.CoreV1Api(kube)
    core.create_namespaced_config_map("demo", _configmap("one", {"app": "a"}), _request_timeout=TIMEOUT)
    core.create_namespaced_config_map(
        "demo", _configmap("two", {"app": "b", "tier": "db"}), _request_timeout=TIMEOUT
    )
    core.create_namespaced_config_map("demo", _configmap("three"), _request_timeout=TIMEOUT)
    items = core.list_namespaced_config_map("demo", label_selector=selector, _request_timeout=TIMEOUT).items
    assert sorted(i.metadata.name for i in items) == expected


def test_field_selector_filters_pods_by_phase_and_rejects_unknown_fields(
    emulator: Emulator, kube: Any
) -> None:
    pods = emulator.store.rtype("v1", "Pod")
    for name, phase in (("a", "Running"), ("b", "Pending")):
        emulator.store.create(
            pods, {"metadata": {"name": name, "namespace": "demo"}, "status": {"phase": phase}}
        )
    core = client.CoreV1Api(kube)
    running = core.list_namespaced_pod(
        "demo", field_selector="status.phase=Running", _request_timeout=TIMEOUT
    )
    assert [p.metadata.name for p in running.items] == ["a"]
    with pytest.raises(ApiException) as caught:
        core.list_namespaced_pod("demo", field_selector="spec.bogus=x", _request_timeout=TIMEOUT)
    assert caught.value.status == 400


def test_list_across_all_namespaces_returns_every_namespace(kube: Any) -> None:
    core = client.CoreV1Api(kube)
    core.create_namespaced_config_map("demo", _configmap("x"), _request_timeout=TIMEOUT)
    core.create_namespaced_config_map("default", _configmap("y"), _request_timeout=TIMEOUT)
    items = core.list_config_map_for_all_namespaces(_request_timeout=TIMEOUT).items
    assert sorted((i.metadata.namespace, i.metadata.name) for i in items) == [("default", "y"), ("demo", "x")]


def test_list_pages_with_limit_and_continue(kube: Any) -> None:
    core = client.CoreV1Api(kube)
    for name in ("a", "b", "c"):
        core.create_namespaced_config_map("demo", _configmap(name), _request_timeout=TIMEOUT)
    first = core.list_namespaced_config_map("demo", limit=2, _request_timeout=TIMEOUT)
    second = core.list_namespaced_config_map(
        "demo", limit=2, _continue=first.metadata._continue, _request_timeout=TIMEOUT
    )
    assert [i.metadata.name for i in first.items + second.items] == ["a", "b", "c"]
    assert second.metadata._continue is None


def test_merge_patch_on_a_custom_object_is_the_clients_default_for_dicts(kube: Any) -> None:
    custom = client.CustomObjectsApi(kube)
    custom.create_namespaced_custom_object(
        "operators.coreos.com", "v1alpha1", "demo", "subscriptions", _subscription(), _request_timeout=TIMEOUT
    )
    patched = custom.patch_namespaced_custom_object(
        "operators.coreos.com",
        "v1alpha1",
        "demo",
        "subscriptions",
        "openshift-pipelines-operator",
        {"spec": {"channel": "pipelines-1.21", "config": {"env": [{"name": "A", "value": "1"}]}}},
        _request_timeout=TIMEOUT,
    )
    assert patched["spec"] == {
        "channel": "pipelines-1.21",
        "name": "openshift-pipelines-operator-rh",
        "config": {"env": [{"name": "A", "value": "1"}]},
    }


def test_json_patch_on_a_custom_object_applies_test_move_and_copy(kube: Any) -> None:
    custom = client.CustomObjectsApi(kube)
    custom.create_namespaced_custom_object(
        "operators.coreos.com", "v1alpha1", "demo", "subscriptions", _subscription(), _request_timeout=TIMEOUT
    )
    operations = [
        {"op": "test", "path": "/spec/channel", "value": "latest"},
        {"op": "copy", "from": "/spec/channel", "path": "/spec/startingCSV"},
        {"op": "move", "from": "/spec/channel", "path": "/spec/oldChannel"},
        {"op": "add", "path": "/metadata/labels", "value": {"a/b": "c"}},
    ]
    patched = custom.patch_namespaced_custom_object(
        "operators.coreos.com",
        "v1alpha1",
        "demo",
        "subscriptions",
        "openshift-pipelines-operator",
        operations,
        _content_type="application/json-patch+json",
        _request_timeout=TIMEOUT,
    )
    assert patched["spec"] == {
        "name": "openshift-pipelines-operator-rh",
        "startingCSV": "latest",
        "oldChannel": "latest",
    }
    assert patched["metadata"]["labels"] == {"a/b": "c"}


def test_json_patch_whose_test_fails_is_422_and_changes_nothing(kube: Any) -> None:
    custom = client.CustomObjectsApi(kube)
    custom.create_namespaced_custom_object(
        "operators.coreos.com", "v1alpha1", "demo", "subscriptions", _subscription(), _request_timeout=TIMEOUT
    )
    with pytest.raises(ApiException) as caught:
        custom.patch_namespaced_custom_object(
            "operators.coreos.com",
            "v1alpha1",
            "demo",
            "subscriptions",
            "openshift-pipelines-operator",
            [
                {"op": "replace", "path": "/spec/channel", "value": "x"},
                {"op": "test", "path": "/spec/name", "value": "other"},
            ],
            _content_type="application/json-patch+json",
            _request_timeout=TIMEOUT,
        )
    assert caught.value.status == 422
    current = custom.get_namespaced_custom_object(
        "operators.coreos.com",
        "v1alpha1",
        "demo",
        "subscriptions",
        "openshift-pipelines-operator",
        _request_timeout=TIMEOUT,
    )
    assert current["spec"]["channel"] == "latest"


def test_strategic_merge_patch_on_a_custom_resource_is_415(emulator: Emulator, kube: Any) -> None:
    _tekton_config(emulator)
    with pytest.raises(ApiException) as caught:
        client.CustomObjectsApi(kube).patch_cluster_custom_object(
            "operator.tekton.dev",
            "v1alpha1",
            "tektonconfigs",
            "config",
            {"spec": {"profile": "lite"}},
            _content_type="application/strategic-merge-patch+json",
            _request_timeout=TIMEOUT,
        )
    assert (caught.value.status, json.loads(caught.value.body)["reason"]) == (415, "UnsupportedMediaType")


def test_merge_patch_on_a_cluster_custom_object(emulator: Emulator, kube: Any) -> None:
    _tekton_config(emulator)
    patched = client.CustomObjectsApi(kube).patch_cluster_custom_object(
        "operator.tekton.dev",
        "v1alpha1",
        "tektonconfigs",
        "config",
        {"spec": {"targetNamespace": "x"}},
        _request_timeout=TIMEOUT,
    )
    assert patched["spec"] == {"profile": "all", "targetNamespace": "x"}
    assert patched["metadata"]["generation"] == 2


def test_strategic_merge_patch_merges_containers_env_and_ports_by_key(kube: Any) -> None:
    apps = client.AppsV1Api(kube)
    apps.create_namespaced_deployment("demo", _deployment(), _request_timeout=TIMEOUT)
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "nginx:2",
                            "env": [{"name": "B", "value": "2"}],
                            "ports": [{"containerPort": 80, "name": "http"}],
                        },
                    ]
                }
            }
        }
    }
    patched = apps.patch_namespaced_deployment("web", "demo", patch, _request_timeout=TIMEOUT)
    web, sidecar = patched.spec.template.spec.containers
    assert (web.image, [e.name for e in web.env], web.ports[0].name, sidecar.name) == (
        "nginx:2",
        ["A", "B"],
        "http",
        "sidecar",
    )


def test_strategic_merge_patch_delete_directive_removes_a_list_item(kube: Any) -> None:
    apps = client.AppsV1Api(kube)
    apps.create_namespaced_deployment("demo", _deployment(), _request_timeout=TIMEOUT)
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "sidecar", "$patch": "delete"}]}}}}
    patched = apps.patch_namespaced_deployment("web", "demo", patch, _request_timeout=TIMEOUT)
    assert [c.name for c in patched.spec.template.spec.containers] == ["web"]


def test_a_list_body_on_a_builtin_kind_is_sent_and_applied_as_json_patch(kube: Any) -> None:
    apps = client.AppsV1Api(kube)
    apps.create_namespaced_deployment("demo", _deployment(), _request_timeout=TIMEOUT)
    patched = apps.patch_namespaced_deployment(
        "web",
        "demo",
        [{"op": "replace", "path": "/spec/template/spec/containers/1/image", "value": "busybox:2"}],
        _request_timeout=TIMEOUT,
    )
    assert patched.spec.template.spec.containers[1].image == "busybox:2"


def test_main_resource_update_keeps_status_and_status_update_keeps_spec(
    emulator: Emulator, kube: Any
) -> None:
    apps = client.AppsV1Api(kube)
    apps.create_namespaced_deployment("demo", _deployment(), _request_timeout=TIMEOUT)
    apps.patch_namespaced_deployment_status(
        "web", "demo", {"status": {"readyReplicas": 1, "replicas": 1}}, _request_timeout=TIMEOUT
    )
    apps.patch_namespaced_deployment(
        "web", "demo", {"spec": {"replicas": 3}, "status": {"readyReplicas": 9}}, _request_timeout=TIMEOUT
    )
    apps.patch_namespaced_deployment_status(
        "web", "demo", {"spec": {"replicas": 7}}, _request_timeout=TIMEOUT
    )
    current = apps.read_namespaced_deployment("web", "demo", _request_timeout=TIMEOUT)
    assert (current.spec.replicas, current.status.ready_replicas, current.metadata.generation) == (3, 1, 2)


def test_delete_with_finalizers_marks_then_removes_when_finalizers_are_cleared(kube: Any) -> None:
    core = client.CoreV1Api(kube)
    core.create_namespaced_config_map(
        "demo", {"metadata": {"name": "x", "finalizers": ["example.com/keep"]}}, _request_timeout=TIMEOUT
    )
    core.delete_namespaced_config_map("x", "demo", _request_timeout=TIMEOUT)
    marked = core.read_namespaced_config_map("x", "demo", _request_timeout=TIMEOUT)
    assert marked.metadata.deletion_timestamp is not None
    core.patch_namespaced_config_map(
        "x", "demo", {"metadata": {"finalizers": None}}, _request_timeout=TIMEOUT
    )
    with pytest.raises(ApiException) as caught:
        core.read_namespaced_config_map("x", "demo", _request_timeout=TIMEOUT)
    assert caught.value.status == 404


def test_deletecollection_deletes_only_what_the_selector_matches(kube: Any) -> None:
    core = client.CoreV1Api(kube)
    core.create_namespaced_config_map("demo", _configmap("a", {"x": "1"}), _request_timeout=TIMEOUT)
    core.create_namespaced_config_map("demo", _configmap("b", {"x": "2"}), _request_timeout=TIMEOUT)
    core.delete_collection_namespaced_config_map("demo", label_selector="x=1", _request_timeout=TIMEOUT)
    remaining = core.list_namespaced_config_map("demo", _request_timeout=TIMEOUT).items
    assert [i.metadata.name for i in remaining] == ["b"]


def test_deleting_an_owner_garbage_collects_its_dependents(kube: Any) -> None:
    core = client.CoreV1Api(kube)
    owner = core.create_namespaced_config_map("demo", _configmap("owner"), _request_timeout=TIMEOUT)
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner.metadata.uid}
    core.create_namespaced_config_map(
        "demo", {"metadata": {"name": "child", "ownerReferences": [ref]}}, _request_timeout=TIMEOUT
    )
    core.delete_namespaced_config_map("owner", "demo", _request_timeout=TIMEOUT)
    assert core.list_namespaced_config_map("demo", _request_timeout=TIMEOUT).items == []


def test_scale_subresource_reads_and_patches_replicas(kube: Any) -> None:
    apps = client.AppsV1Api(kube)
    apps.create_namespaced_deployment("demo", _deployment(), _request_timeout=TIMEOUT)
    apps.patch_namespaced_deployment_scale("web", "demo", {"spec": {"replicas": 4}}, _request_timeout=TIMEOUT)
    scale = apps.read_namespaced_deployment_scale("web", "demo", _request_timeout=TIMEOUT)
    assert (scale.spec.replicas, scale.status.selector) == (4, "app=web")


def test_discovery_lists_groups_kinds_and_short_names(kube: Any) -> None:
    groups = {g.name for g in client.ApisApi(kube).get_api_versions(_request_timeout=TIMEOUT).groups}
    assert {"apps", "operators.coreos.com", "operator.tekton.dev", "route.openshift.io"} <= groups
    assert "metrics.k8s.io" not in groups  # no metrics provider yet
    resources = client.CustomObjectsApi(kube).get_api_resources(
        "operators.coreos.com", "v1alpha1", _request_timeout=TIMEOUT
    )
    csv = next(r for r in resources.resources if r.name == "clusterserviceversions")
    assert (csv.kind, csv.short_names, csv.namespaced) == ("ClusterServiceVersion", ["csv", "csvs"], True)


def test_version_reports_the_kubernetes_of_the_emulated_openshift(kube: Any) -> None:
    assert client.VersionApi(kube).get_code(_request_timeout=TIMEOUT).git_version == "v1.33.0"
