"""The emulated Tekton operator: installer sets, TektonConfig conditions, images from the running
operator pod's env (reference §1, §3, §4, §6, §7). Bounded, event-driven waits only."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException

from pytest_streamstress.errors import WaitTimeout
from pytest_streamstress.testing.emulator import Emulator, manifests, seed, transform
from pytest_streamstress.testing.emulator.controllers import installer_sets, tekton_status

pytestmark = pytest.mark.emulator

WAIT_S = 20.0
TEKTON = ("operator.tekton.dev", "v1alpha1")
OPS_NS = manifests.OPERATOR_NAMESPACE
TARGET = manifests.TARGET_NAMESPACE
CSV_ENV = dict(manifests.IMAGE_ENV)


@pytest.fixture
def installed(tmp_path: Path) -> Iterator[Emulator]:
    with Emulator(tmp_path / "emu", state="installed") as emu:
        yield emu


def api(emu: Emulator) -> client.ApiClient:
    return config.new_client_from_config(config_file=str(emu.kubeconfig))


def until(emu: Emulator, probe: Callable[[], Any], what: str) -> Any:
    return seed.wait_for(emu.store, probe, what=what, timeout=WAIT_S)


def items(
    emu: Emulator, api_version: str, kind: str, namespace: str | None = None, selector: str = ""
) -> list[Any]:
    store = emu.store
    found, _ = store.list(store.rtype(api_version, kind), namespace, label_selector=selector)
    return found


def sets_by(emu: Emulator, created_by: str = "") -> list[dict[str, Any]]:
    selector = f"{installer_sets.L_CREATED_BY}={created_by}" if created_by else ""
    return items(emu, "operator.tekton.dev/v1alpha1", "TektonInstallerSet", selector=selector)


def tekton_config(emu: Emulator) -> dict[str, Any]:
    found = [
        c
        for c in items(emu, "operator.tekton.dev/v1alpha1", "TektonConfig")
        if c["metadata"]["name"] == "config"
    ]
    assert found, "TektonConfig config is missing"
    return found[0]


def condition(obj: dict[str, Any], ctype: str) -> dict[str, Any]:
    return next(c for c in obj.get("status", {}).get("conditions", []) if c["type"] == ctype)


def is_ready(emu: Emulator) -> bool:
    return seed.tekton_config_ready(emu.store) is not None


def running_pods(emu: Emulator, deployment: str) -> list[dict[str, Any]]:
    pods = items(emu, "v1", "Pod", TARGET)
    return [
        p
        for p in pods
        if p["metadata"]["name"].startswith(deployment + "-")
        and p["metadata"]["name"].count("-") == deployment.count("-") + 2
        and p["status"].get("phase") == "Running"
    ]


def containers(pod: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in pod["spec"]["containers"]}


def arg_after(args: list[str], flag: str) -> str:
    return args[args.index(flag) + 1]


def set_operator_env(emu: Emulator, values: dict[str, str]) -> None:
    """Change the operator Deployment's lifecycle env directly (what the newest original deploy does)."""
    apps = client.AppsV1Api(api(emu))
    env = [{"name": k, "value": v} for k, v in values.items()]
    patch = {
        "spec": {"template": {"spec": {"containers": [{"name": manifests.LIFECYCLE_CONTAINER, "env": env}]}}}
    }
    apps.patch_namespaced_deployment(manifests.OPERATOR_DEPLOYMENT, OPS_NS, patch)

    def rolled() -> bool:
        pods = items(emu, "v1", "Pod", OPS_NS, f"name={manifests.OPERATOR_DEPLOYMENT}")
        if len(pods) != 1 or pods[0]["status"].get("phase") != "Running":
            return False
        env_now = {
            e["name"]: e.get("value") for e in containers(pods[0])[manifests.LIFECYCLE_CONTAINER]["env"]
        }
        return all(env_now.get(k) == v for k, v in values.items())

    until(emu, rolled, "operator pod restarted with the new env")


def test_installed_operands_run_the_csv_images_in_containers_and_controller_args(installed: Emulator) -> None:
    controller = containers(running_pods(installed, "tekton-pipelines-controller")[0])[
        "tekton-pipelines-controller"
    ]
    resolvers = containers(running_pods(installed, "tekton-pipelines-remote-resolvers")[0])["controller"]
    triggers = containers(running_pods(installed, "tekton-triggers-controller")[0])[
        "tekton-triggers-controller"
    ]
    mag_absent = running_pods(installed, "manual-approval-gate-controller")

    assert controller["image"] == CSV_ENV["IMAGE_PIPELINES_TEKTON_PIPELINES_CONTROLLER"]
    assert resolvers["image"] == CSV_ENV["IMAGE_PIPELINES_CONTROLLER"]
    for flag, var in (
        ("-entrypoint-image", "ENTRYPOINT"),
        ("-nop-image", "NOP"),
        ("-workingdirinit-image", "WORKINGDIRINIT"),
        ("-sidecarlogresults-image", "SIDECARLOGRESULTS"),
        ("-shell-image", "SHELL"),
    ):
        assert arg_after(controller["args"], flag) == CSV_ENV[f"IMAGE_PIPELINES_ARG__{var}_IMAGE"]
    assert arg_after(triggers["args"], "-el-image") == CSV_ENV["IMAGE_TRIGGERS_ARG__EL_IMAGE"]
    assert mag_absent == []


def test_installer_sets_carry_real_names_labels_owner_and_finalizer(installed: Emulator) -> None:
    sets = sets_by(installed, "TektonPipeline")
    deployment_set = next(s for s in sets if s["metadata"]["name"].startswith("pipeline-main-deployment-"))
    meta = deployment_set["metadata"]
    prefixes = sorted(s["metadata"]["name"].rsplit("-", 1)[0] + "-" for s in sets_by(installed))

    assert prefixes == sorted(
        [
            "chain-",
            "chain-config-",
            "chain-secret-",
            "pipeline-main-deployment-",
            "pipeline-main-static-",
            "pipeline-post-",
            "pipeline-pre-",
            "result-",
            "result-post-",
            "result-pre-",
            "tekton-config-console-plugin-manifests-",
            "trigger-main-deployment-",
            "trigger-main-static-",
        ]
    )
    # main sets get only the default labels, no installType (tektoncd/operator
    # tektoninstallerset/client/create.go:133-168)
    assert meta["labels"] == {
        "operator.tekton.dev/created-by": "TektonPipeline",
        "operator.tekton.dev/type": "main",
        "operator.tekton.dev/release-version": manifests.OPERATOR_VERSION,
    }
    assert meta["annotations"]["operator.tekton.dev/target-namespace"] == TARGET
    assert meta["ownerReferences"][0]["kind"] == "TektonPipeline"
    assert meta["finalizers"] == ["tektoninstallersets.operator.tekton.dev"]
    assert {m["metadata"]["name"] for m in deployment_set["spec"]["manifests"]} >= {
        "tekton-pipelines-controller"
    }


def test_tektonconfig_ready_has_the_real_condition_types(installed: Emulator) -> None:
    status = tekton_config(installed)["status"]

    assert {c["type"] for c in status["conditions"]} == {
        "PreInstall",
        "ComponentsReady",
        "PostInstall",
        "PreUpgrade",
        "PostUpgrade",
        "Ready",
    }
    assert all(c["status"] == "True" for c in status["conditions"])
    assert (status["version"], status["profile"]) == (manifests.OPERATOR_VERSION, "all")


def test_new_operator_env_alone_does_not_refresh_the_component_sets(installed: Emulator) -> None:
    before = {s["metadata"]["name"] for s in sets_by(installed, "TektonPipeline")}

    set_operator_env(installed, {"IMAGE_PIPELINES_WEBHOOK": "registry.example/webhook:new"})

    until(installed, lambda: is_ready(installed), "TektonConfig Ready")
    assert {s["metadata"]["name"] for s in sets_by(installed, "TektonPipeline")} == before
    webhook = containers(running_pods(installed, "tekton-pipelines-webhook")[0])["webhook"]
    assert webhook["image"] == CSV_ENV["IMAGE_PIPELINES_WEBHOOK"]


def test_deleting_a_components_sets_rolls_its_operands_to_the_new_images(installed: Emulator) -> None:
    new = {
        "IMAGE_PIPELINES_TEKTON_PIPELINES_CONTROLLER": "registry.example/controller@sha256:" + "1" * 64,
        "IMAGE_PIPELINES_ARG__ENTRYPOINT_IMAGE": "registry.example/entrypoint@sha256:" + "2" * 64,
    }
    set_operator_env(installed, new)
    objects = client.CustomObjectsApi(api(installed))
    listed = objects.list_cluster_custom_object(*TEKTON, "tektonconfigs")
    old_sets = [s["metadata"]["name"] for s in sets_by(installed, "TektonPipeline")]

    for name in old_sets:
        try:
            objects.delete_cluster_custom_object(*TEKTON, "tektoninstallersets", name)
        except ApiException as exc:
            # The operator may delete the other main set first (main-set validity rule), like on a cluster.
            assert exc.status == 404

    seen_not_ready = None
    for event in watch.Watch().stream(
        objects.list_cluster_custom_object,
        *TEKTON,
        "tektonconfigs",
        resource_version=listed["metadata"]["resourceVersion"],
        timeout_seconds=20,
        _request_timeout=30,
    ):
        ready = condition(event["object"], "Ready")
        if ready["status"] == "False":
            seen_not_ready = (
                ready.get("message"),
                condition(event["object"], "ComponentsReady").get("reason"),
            )
        elif seen_not_ready:
            break
    assert seen_not_ready == (tekton_status.NOT_READY_MESSAGE, "Error")
    until(installed, lambda: is_ready(installed), "TektonConfig Ready again")
    assert not set(old_sets) & {s["metadata"]["name"] for s in sets_by(installed, "TektonPipeline")}
    controller = containers(running_pods(installed, "tekton-pipelines-controller")[0])[
        "tekton-pipelines-controller"
    ]
    assert controller["image"] == new["IMAGE_PIPELINES_TEKTON_PIPELINES_CONTROLLER"]
    assert arg_after(controller["args"], "-entrypoint-image") == new["IMAGE_PIPELINES_ARG__ENTRYPOINT_IMAGE"]
    assert arg_after(controller["args"], "-nop-image") == CSV_ENV["IMAGE_PIPELINES_ARG__NOP_IMAGE"]


def test_deleting_only_the_static_main_set_recreates_both_main_sets(installed: Emulator) -> None:
    main = {
        s["metadata"]["name"] for s in sets_by(installed, "TektonPipeline") if "main" in s["metadata"]["name"]
    }
    static = next(n for n in main if "static" in n)

    installed.store.delete(
        installed.store.rtype("operator.tekton.dev/v1alpha1", "TektonInstallerSet"), None, static
    )

    def fresh_main() -> bool:
        names = {
            s["metadata"]["name"]
            for s in sets_by(installed, "TektonPipeline")
            if "main" in s["metadata"]["name"]
        }
        return len(names) == 2 and not names & main and is_ready(installed)

    until(installed, fresh_main, "two new main sets")


def test_disabling_chains_removes_the_chains_operands(installed: Emulator) -> None:
    objects = client.CustomObjectsApi(api(installed))
    objects.patch_cluster_custom_object(
        *TEKTON, "tektonconfigs", "config", {"spec": {"chain": {"disabled": True}}}
    )

    until(
        installed,
        lambda: (
            not sets_by(installed, "TektonChain") and not running_pods(installed, "tekton-chains-controller")
        ),
        "chains removed",
    )
    until(installed, lambda: is_ready(installed), "TektonConfig Ready without chains")
    assert [c for c in items(installed, "operator.tekton.dev/v1alpha1", "TektonChain")] == []
    assert running_pods(installed, "tekton-pipelines-controller")


def test_manual_approval_gate_is_deployed_once_its_cr_exists(installed: Emulator) -> None:
    client.CustomObjectsApi(api(installed)).create_cluster_custom_object(
        *TEKTON,
        "manualapprovalgates",
        {
            "apiVersion": "operator.tekton.dev/v1alpha1",
            "kind": "ManualApprovalGate",
            "metadata": {"name": "manual-approval-gate"},
            "spec": {"targetNamespace": TARGET},
        },
    )

    pods = until(
        installed, lambda: running_pods(installed, "manual-approval-gate-controller"), "MAG controller pod"
    )

    assert (
        containers(pods[0])["tekton-taskgroup-controller"]["image"]
        == CSV_ENV["IMAGE_MAG_TEKTON_TASKGROUP_CONTROLLER"]
    )
    names = {s["metadata"]["name"].rsplit("-", 1)[0] for s in sets_by(installed, "ManualApprovalGate")}
    assert names == {"manualapprovalgate-main-static", "manualapprovalgate-main-deployment"}


@pytest.mark.parametrize(
    ("openshift_version", "variable"),
    [("4.20.3", transform.CONSOLE_PLUGIN_LEGACY_VAR), ("4.22.1", transform.CONSOLE_PLUGIN_VAR)],
    ids=["ocp-4.20-legacy", "ocp-4.22-current"],
)
def test_console_plugin_image_follows_the_cluster_version(
    tmp_path: Path, openshift_version: str, variable: str
) -> None:
    with Emulator(tmp_path / "emu", state="installed", openshift_version=openshift_version) as emu:
        pod = running_pods(emu, "pipelines-console-plugin")[0]

        assert containers(pod)["pipelines-console-plugin"]["image"] == CSV_ENV[variable]


def test_console_plugin_set_is_recreated_when_only_its_image_changes(installed: Emulator) -> None:
    old = {s["metadata"]["name"] for s in sets_by(installed, "tekton-config-console-plugin-manifests")}

    set_operator_env(installed, {transform.CONSOLE_PLUGIN_LEGACY_VAR: "registry.example/plugin:2"})

    def new_plugin() -> bool:
        pods = running_pods(installed, "pipelines-console-plugin")
        return bool(pods) and all(
            containers(p)["pipelines-console-plugin"]["image"] == "registry.example/plugin:2" for p in pods
        )

    until(installed, new_plugin, "console plugin on the new image")
    assert not old & {
        s["metadata"]["name"] for s in sets_by(installed, "tekton-config-console-plugin-manifests")
    }


def test_operator_never_ready_fault_keeps_tektonconfig_not_ready_with_a_message(tmp_path: Path) -> None:
    with Emulator(tmp_path / "emu", state="bare") as emu:
        emu.faults.operator_never_ready = True
        emu.store.create(
            emu.store.rtype("operators.coreos.com/v1alpha1", "Subscription"), seed.subscription()
        )

        until(emu, lambda: running_pods(emu, "tekton-pipelines-controller"), "operands running")
        with pytest.raises(WaitTimeout, match=r"Ready=False \(Ready: Components not ready\)"):
            seed.wait_until_installed(emu, timeout=0.5)
        assert condition(tekton_config(emu), "ComponentsReady")["reason"] == "Error"


def test_operator_without_a_ready_pod_reconciles_nothing(tmp_path: Path) -> None:
    with Emulator(tmp_path / "emu", state="bare") as emu:
        emu.faults.unpullable_images = {manifests.OPERATOR_IMAGE}
        emu.store.create(
            emu.store.rtype("operators.coreos.com/v1alpha1", "Subscription"), seed.subscription()
        )

        with pytest.raises(WaitTimeout, match="TektonConfig config absent"):
            seed.wait_until_installed(emu, timeout=0.5)
        assert sets_by(emu) == []


def test_slow_operator_fault_holds_reconciles_until_it_is_lifted(tmp_path: Path) -> None:
    with Emulator(tmp_path / "emu", state="bare") as emu:
        emu.faults.slow_operator_s = 3600.0
        emu.store.create(
            emu.store.rtype("operators.coreos.com/v1alpha1", "Subscription"), seed.subscription()
        )
        csv_type = emu.store.rtype("operators.coreos.com/v1alpha1", "ClusterServiceVersion")
        until(
            emu,
            lambda: any(
                c.get("status", {}).get("phase") == "Succeeded" for c in emu.store.list(csv_type, OPS_NS)[0]
            ),
            "CSV Succeeded with the operator pod Ready",
        )
        assert items(emu, "operator.tekton.dev/v1alpha1", "TektonConfig") == []

        emu.faults.slow_operator_s = 0.0
        emu.store.mutate(
            emu.store.rtype("config.openshift.io/v1", "ClusterVersion"),
            None,
            "version",
            lambda obj: obj["metadata"].setdefault("annotations", {}).update(touched="1"),
        )

        until(emu, lambda: is_ready(emu), "TektonConfig Ready once the fault is lifted")


def test_operator_pod_log_tells_which_installer_sets_it_created(installed: Emulator) -> None:
    [pod] = items(installed, "v1", "Pod", OPS_NS, f"name={manifests.OPERATOR_DEPLOYMENT}")
    log = client.CoreV1Api(api(installed)).read_namespaced_pod_log(
        pod["metadata"]["name"], OPS_NS, container=manifests.LIFECYCLE_CONTAINER
    )

    lines = [json.loads(line) for line in log.splitlines()]
    created = {line["msg"] for line in lines}
    assert any(m.startswith("created TektonInstallerSet pipeline-main-deployment-") for m in created)
    assert all(line["level"] == "info" for line in lines)
