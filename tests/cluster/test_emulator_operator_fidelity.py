"""The emulated operator behaves like tektoncd/operator where our deploy meets it (issue 21 item 4).

Unknown OpenShift version (console plugin), `statefulset-ordinals` (StatefulSets), the StatefulSet
controller, `TEKTON_REGISTRY_OVERRIDE`. Facts and file:line in docs/emulator.md; bounded,
event-driven waits only (R36).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config

from pytest_streamstress.testing.emulator import Emulator, manifests, seed, transform
from pytest_streamstress.testing.emulator.controllers import installer_sets, statefulsets

pytestmark = pytest.mark.emulator

WAIT_S = 60.0
TEKTON = ("operator.tekton.dev", "v1alpha1")
OPS_NS = manifests.OPERATOR_NAMESPACE
TARGET = manifests.TARGET_NAMESPACE
IMAGE_ENV = dict(manifests.IMAGE_ENV)
CONSOLE_DEFAULT = "gcr.io/tekton-releases/pipelines-console-plugin:placeholder"


@pytest.fixture
def installed(tmp_path: Path) -> Iterator[Emulator]:
    with Emulator(tmp_path / "emu", state="installed") as emu:
        yield emu


def until(emu: Emulator, probe: Callable[[], Any], what: str) -> Any:
    return seed.wait_for(emu.store, probe, what=what, timeout=WAIT_S)


def objects(emu: Emulator, api_version: str, kind: str, namespace: str | None = None) -> list[dict[str, Any]]:
    found, _ = emu.store.list(emu.store.rtype(api_version, kind), namespace)
    return found


def named(emu: Emulator, api_version: str, kind: str, name: str, namespace: str | None = None) -> Any:
    return next(
        (o for o in objects(emu, api_version, kind, namespace) if o["metadata"]["name"] == name), None
    )


def pipeline_set_prefixes(emu: Emulator, *, deleting: bool = False) -> set[str]:
    """The TektonPipeline installer sets by prefix; with `deleting`, also those whose finalizer (which
    deletes the set's objects) has not run yet."""
    return {
        s["metadata"]["name"].rsplit("-", 1)[0] + "-"
        for s in objects(emu, "operator.tekton.dev/v1alpha1", "TektonInstallerSet")
        if s["metadata"]["labels"].get(installer_sets.L_CREATED_BY) == "TektonPipeline"
        and (deleting or not s["metadata"].get("deletionTimestamp"))
    }


def ready(emu: Emulator) -> bool:
    return seed.tekton_config_ready(emu.store) is not None


def running(pod: dict[str, Any] | None) -> bool:
    return pod is not None and statefulsets.is_ready(pod)


def set_operator_env(emu: Emulator, values: dict[str, str]) -> None:
    apps = client.AppsV1Api(config.new_client_from_config(config_file=str(emu.kubeconfig)))
    env = [{"name": k, "value": v} for k, v in values.items()]
    patch = {
        "spec": {"template": {"spec": {"containers": [{"name": manifests.LIFECYCLE_CONTAINER, "env": env}]}}}
    }
    apps.patch_namespaced_deployment(manifests.OPERATOR_DEPLOYMENT, OPS_NS, patch)

    def rolled() -> bool:
        pods = [
            p
            for p in objects(emu, "v1", "Pod", OPS_NS)
            if p["metadata"]["labels"].get("name") == manifests.OPERATOR_DEPLOYMENT
        ]
        if len(pods) != 1 or not running(pods[0]):
            return False
        lifecycle = next(
            c for c in pods[0]["spec"]["containers"] if c["name"] == manifests.LIFECYCLE_CONTAINER
        )
        now = {e["name"]: e.get("value") for e in lifecycle.get("env", [])}
        return all(now.get(k) == v for k, v in values.items())

    until(emu, rolled, "operator pod restarted with the new env")


def console_image(emu: Emulator) -> str | None:
    pods = [
        p for p in objects(emu, "v1", "Pod", TARGET) if p["metadata"]["name"].startswith("pipelines-console-")
    ]
    if len(pods) != 1 or not running(pods[0]):
        return None
    return str(pods[0]["spec"]["containers"][0]["image"])


@pytest.mark.parametrize("version", ["", "not-a-version"], ids=["empty", "unparsable"])
def test_unknown_openshift_version_keeps_the_console_plugins_default_image(
    tmp_path: Path, version: str
) -> None:
    """console_plugin_reconciler.go:171-195: no version, no variable read, the manifest's image stays."""
    with Emulator(tmp_path / "emu", state="installed", openshift_version=version) as emu:
        assert console_image(emu) == CONSOLE_DEFAULT
        pod = next(
            p
            for p in objects(emu, "v1", "Pod", OPS_NS)
            if p["metadata"]["labels"].get("name") == manifests.OPERATOR_DEPLOYMENT
        )
        log = "".join(emu.store.read_log(OPS_NS, pod["metadata"]["name"], manifests.LIFECYCLE_CONTAINER))
        assert "continuing with the default image from the manifest" in log


def test_the_console_variable_is_chosen_once_per_operator_process(installed: Emulator) -> None:
    """`updateOnce` runs under a sync.Once: a new OpenShift version counts after the operator restarts."""
    legacy = IMAGE_ENV[transform.CONSOLE_PLUGIN_LEGACY_VAR]
    assert console_image(installed) == legacy  # the default emulated cluster is 4.20

    def upgrade(obj: dict[str, Any]) -> None:
        obj["status"]["desired"]["version"] = "4.22.0"

    rtype = installed.store.rtype("config.openshift.io/v1", "ClusterVersion")
    installed.store.mutate(rtype, None, "version", upgrade, subresource="status")
    set_operator_env(installed, {"IMAGE_PIPELINES_CONSOLE_PLUGIN": "registry.example/plugin:new"})

    assert until(installed, lambda: console_image(installed) == "registry.example/plugin:new", "new plugin")


def test_statefulset_ordinals_run_the_controller_and_resolvers_as_statefulsets(installed: Emulator) -> None:
    custom = client.CustomObjectsApi(config.new_client_from_config(config_file=str(installed.kubeconfig)))
    custom.patch_cluster_custom_object(
        *TEKTON,
        "tektonconfigs",
        "config",
        {"spec": {"pipeline": {"performance": {"statefulset-ordinals": True}}}},
    )

    def converted() -> bool:
        # The deployment set must be gone, not only marked for deletion: its finalizer deletes the
        # Deployments, and TektonConfig may be Ready before it has run (a loaded machine showed it).
        return (
            pipeline_set_prefixes(installed, deleting=True)
            == {"pipeline-pre-", "pipeline-main-static-", "pipeline-main-statefulset-", "pipeline-post-"}
            and running(named(installed, "v1", "Pod", "tekton-pipelines-controller-0", TARGET))
            and running(named(installed, "v1", "Pod", "tekton-pipelines-remote-resolvers-0", TARGET))
            and ready(installed)
        )

    until(installed, converted, "pipelines controller and resolvers as StatefulSets, TektonConfig Ready")
    for name in ("tekton-pipelines-controller", "tekton-pipelines-remote-resolvers"):
        assert named(installed, "apps/v1", "Deployment", name, TARGET) is None
        assert named(installed, "apps/v1", "StatefulSet", name, TARGET)["spec"]["serviceName"] == name
    pod = named(installed, "v1", "Pod", "tekton-pipelines-controller-0", TARGET)
    controller = pod["spec"]["containers"][0]
    assert controller["image"] == IMAGE_ENV["IMAGE_PIPELINES_TEKTON_PIPELINES_CONTROLLER"]
    assert {"name": "STATEFUL_SERVICE_NAME", "value": "tekton-pipelines-controller"} in controller["env"]
    assert pod["metadata"]["labels"][statefulsets.POD_NAME_LABEL] == "tekton-pipelines-controller-0"
    assert named(installed, "apps/v1", "Deployment", "tekton-pipelines-webhook", TARGET) is not None
    tekton_pipeline = named(installed, "operator.tekton.dev/v1alpha1", "TektonPipeline", "pipeline")
    assert tekton_pipeline["spec"]["performance"] == {"statefulset-ordinals": True}


def test_statefulset_rolls_a_new_template_out_from_the_highest_ordinal_down(installed: Emulator) -> None:
    store = installed.store
    sts_type = store.rtype("apps/v1", "StatefulSet")
    labels = {"app": "web"}
    store.create(
        sts_type,
        {
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {
                "replicas": 3,
                "serviceName": "web",
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "c", "image": "a"}]},
                },
            },
        },
    )

    def all_ready(image: str) -> bool:
        sts = named(installed, "apps/v1", "StatefulSet", "web", "default")
        pods = [named(installed, "v1", "Pod", f"web-{i}", "default") for i in range(3)]
        status = sts.get("status") or {}
        return (
            all(running(p) and p["spec"]["containers"][0]["image"] == image for p in pods)
            and status.get("readyReplicas") == 3
            and status.get("currentRevision") == status.get("updateRevision")
        )

    until(installed, lambda: all_ready("a"), "web-0..2 Ready on image a")
    deleted: list[str] = []
    unsubscribe = store.subscribe(
        lambda event: (
            deleted.append(event.obj["metadata"]["name"])
            if event.type == "DELETED"
            and event.rtype.kind == "Pod"
            and event.obj["metadata"]["namespace"] == "default"
            else None
        )
    )
    try:

        def new_image(obj: dict[str, Any]) -> None:
            obj["spec"]["template"]["spec"]["containers"][0]["image"] = "b"

        store.mutate(sts_type, "default", "web", new_image)
        until(installed, lambda: all_ready("b"), "web-0..2 Ready on image b")
    finally:
        unsubscribe()
    assert deleted == ["web-2", "web-1", "web-0"]


def test_registry_override_rewrites_the_operands_and_updates_the_sets_in_place(installed: Emulator) -> None:
    """TEKTON_REGISTRY_OVERRIDE is in every set's hash (check.go:162-172): a new value is an update of
    the sets (update.go:83-110), which rewrites the operands' registries."""
    before = {
        s["metadata"]["name"]: s["metadata"]["annotations"]["operator.tekton.dev/last-applied-hash"]
        for s in objects(installed, "operator.tekton.dev/v1alpha1", "TektonInstallerSet")
        if "pipeline-main-deployment-" in s["metadata"]["name"]
    }

    set_operator_env(installed, {transform.REGISTRY_OVERRIDE_VAR: "mirror.example:5000"})

    def rewritten() -> bool:
        pods = [
            p
            for p in objects(installed, "v1", "Pod", TARGET)
            if p["metadata"]["name"].startswith("tekton-pipelines-webhook-") and running(p)
        ]
        return (
            len(pods) == 1
            and pods[0]["spec"]["containers"][0]["image"].startswith("mirror.example:5000/")
            and ready(installed)
        )

    until(installed, rewritten, "webhook on the mirror registry")
    after = {
        s["metadata"]["name"]: s["metadata"]["annotations"]["operator.tekton.dev/last-applied-hash"]
        for s in objects(installed, "operator.tekton.dev/v1alpha1", "TektonInstallerSet")
        if "pipeline-main-deployment-" in s["metadata"]["name"]
    }
    assert before.keys() == after.keys()  # updated, not re-created
    assert all(before[name] != after[name] for name in before)
    webhook = IMAGE_ENV["IMAGE_PIPELINES_WEBHOOK"]
    pod = next(
        p
        for p in objects(installed, "v1", "Pod", TARGET)
        if p["metadata"]["name"].startswith("tekton-pipelines-webhook-") and running(p)
    )
    assert pod["spec"]["containers"][0]["image"] == "mirror.example:5000/" + webhook.split("/", 1)[1]
