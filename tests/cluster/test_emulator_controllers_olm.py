"""OLM in the emulator: Subscription -> CSV phases -> operator Deployment, and what CSV vs Deployment
edits do (reference §5.4-5.5). Acts go through the official `kubernetes` client; waits are bounded
and event-driven (`seed.wait_for`), never sleeps."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config, watch

from pytest_streamstress.testing.emulator import Emulator, manifests, seed
from pytest_streamstress.testing.emulator.controllers import olm

pytestmark = pytest.mark.emulator

WAIT_S = 20.0
OLM_API = ("operators.coreos.com", "v1alpha1")
NS = manifests.OPERATOR_NAMESPACE


@pytest.fixture
def bare(tmp_path: Path) -> Iterator[Emulator]:
    with Emulator(tmp_path / "emu", state="bare") as emu:
        yield emu


@pytest.fixture
def installed(tmp_path: Path) -> Iterator[Emulator]:
    with Emulator(tmp_path / "emu", state="installed") as emu:
        yield emu


def api(emu: Emulator) -> client.ApiClient:
    return config.new_client_from_config(config_file=str(emu.kubeconfig))


def until(emu: Emulator, probe: Callable[[], Any], what: str) -> Any:
    return seed.wait_for(emu.store, probe, what=what, timeout=WAIT_S)


def get(
    emu: Emulator, api_version: str, kind: str, namespace: str | None, name: str
) -> dict[str, Any] | None:
    store = emu.store
    try:
        return store.get(store.rtype(api_version, kind), namespace, name)
    except Exception:
        return None


def csv_of(emu: Emulator) -> dict[str, Any]:
    csv = get(emu, "operators.coreos.com/v1alpha1", "ClusterServiceVersion", NS, manifests.CSV_NAME)
    assert csv is not None
    return csv


def operator_deployment(emu: Emulator) -> dict[str, Any]:
    deployment = get(emu, "apps/v1", "Deployment", NS, manifests.OPERATOR_DEPLOYMENT)
    assert deployment is not None
    return deployment


def operator_pods(emu: Emulator) -> list[dict[str, Any]]:
    store = emu.store
    pods, _ = store.list(store.rtype("v1", "Pod"), NS, label_selector=f"name={manifests.OPERATOR_DEPLOYMENT}")
    return pods


def lifecycle_env(pod_or_deployment: dict[str, Any]) -> dict[str, str]:
    spec = pod_or_deployment["spec"]
    spec = spec["template"]["spec"] if "template" in spec else spec
    container = next(c for c in spec["containers"] if c["name"] == manifests.LIFECYCLE_CONTAINER)
    return {e["name"]: e.get("value", "") for e in container.get("env", [])}


def only_running_pod_has(emu: Emulator, name: str, value: str) -> bool:
    pods = operator_pods(emu)
    return (
        len(pods) == 1
        and pods[0]["status"].get("phase") == "Running"
        and lifecycle_env(pods[0]).get(name) == value
    )


def set_csv_env(api_client: client.ApiClient, name: str, value: str) -> None:
    objects = client.CustomObjectsApi(api_client)
    csv = objects.get_namespaced_custom_object(*OLM_API, NS, "clusterserviceversions", manifests.CSV_NAME)
    for entry in csv["spec"]["install"]["spec"]["deployments"]:
        if entry["name"] != manifests.OPERATOR_DEPLOYMENT:
            continue
        for container in entry["spec"]["template"]["spec"]["containers"]:
            if container["name"] == manifests.LIFECYCLE_CONTAINER:
                env = [e for e in container["env"] if e["name"] != name]
                container["env"] = [*env, {"name": name, "value": value}]
    objects.replace_namespaced_custom_object(*OLM_API, NS, "clusterserviceversions", manifests.CSV_NAME, csv)


def test_subscription_walks_the_csv_through_the_real_phase_sequence(bare: Emulator) -> None:
    api_client = api(bare)
    objects = client.CustomObjectsApi(api_client)
    listed = objects.list_namespaced_custom_object(*OLM_API, NS, "clusterserviceversions")
    objects.create_namespaced_custom_object(*OLM_API, NS, "subscriptions", seed.subscription())
    phases: list[tuple[str, str]] = []
    stream = watch.Watch().stream(
        objects.list_namespaced_custom_object,
        *OLM_API,
        NS,
        "clusterserviceversions",
        resource_version=listed["metadata"]["resourceVersion"],
        timeout_seconds=20,
        _request_timeout=30,
    )
    for event in stream:
        status = event["object"].get("status") or {}
        step = (status.get("phase", ""), status.get("reason", ""))
        if step[0] and (not phases or phases[-1] != step):
            phases.append(step)
        if step[0] == "Succeeded":
            break

    assert phases[:4] == [
        ("Pending", "RequirementsUnknown"),
        ("Pending", "RequirementsNotMet"),
        ("InstallReady", "AllRequirementsMet"),
        ("Installing", "InstallSucceeded"),
    ]
    assert phases[-1] == ("Succeeded", "InstallSucceeded")


def test_subscription_status_names_the_installed_csv(bare: Emulator) -> None:
    bare.store.create(bare.store.rtype("operators.coreos.com/v1alpha1", "Subscription"), seed.subscription())

    sub = until(
        bare,
        lambda: (
            (s := get(bare, "operators.coreos.com/v1alpha1", "Subscription", NS, seed.SUBSCRIPTION_NAME))
            and (s.get("status") or {}).get("state") == "AtLatestKnown"
            and s
        ),
        "Subscription AtLatestKnown",
    )

    assert sub["status"]["installedCSV"] == manifests.CSV_NAME
    assert sub["status"]["currentCSV"] == manifests.CSV_NAME


def test_csv_has_the_lifecycle_image_vars_and_related_images(installed: Emulator) -> None:
    csv = csv_of(installed)
    env = lifecycle_env(csv["spec"]["install"]["spec"]["deployments"][0])
    related = {r["name"] for r in csv["spec"]["relatedImages"]}

    for name in (
        "IMAGE_PIPELINES_TEKTON_PIPELINES_CONTROLLER",
        "IMAGE_PIPELINES_ARG__ENTRYPOINT_IMAGE",
        "IMAGE_TRIGGERS_ARG__EL_IMAGE",
        "IMAGE_MAG_TEKTON_TASKGROUP_CONTROLLER",
        "IMAGE_PIPELINES_CONSOLE_PLUGIN_LEGACY",
        "IMAGE_RESULTS_POSTGRES",
        "IMAGE_JOB_PRUNER_TKN",
    ):
        assert env[name].startswith("registry.redhat.io/") and "@sha256:" in env[name], name
        assert name in related


def test_olm_stamps_the_operator_deployment_with_hash_owner_labels_and_condition_env(
    installed: Emulator,
) -> None:
    deployment = operator_deployment(installed)
    entry = csv_of(installed)["spec"]["install"]["spec"]["deployments"][0]
    labels = deployment["metadata"]["labels"]

    assert labels[olm.HASH_LABEL] == olm.deployment_hash(entry)
    assert labels["olm.owner"] == manifests.CSV_NAME
    assert labels["olm.owner.kind"] == "ClusterServiceVersion"
    assert labels["olm.owner.namespace"] == NS
    assert deployment["spec"]["revisionHistoryLimit"] == 1
    assert lifecycle_env(deployment)["OPERATOR_CONDITION_NAME"] == manifests.CSV_NAME


def test_csv_env_edit_reinstalls_and_rolls_the_operator_pod(installed: Emulator) -> None:
    old_pods = {p["metadata"]["name"] for p in operator_pods(installed)}
    old_hash = operator_deployment(installed)["metadata"]["labels"][olm.HASH_LABEL]

    set_csv_env(api(installed), "IMAGE_PIPELINES_WEBHOOK", "registry.example/new-webhook@sha256:" + "a" * 64)

    until(
        installed,
        lambda: only_running_pod_has(
            installed, "IMAGE_PIPELINES_WEBHOOK", "registry.example/new-webhook@sha256:" + "a" * 64
        ),
        "operator pod rolled with the new env",
    )
    reasons = [c["reason"] for c in csv_of(installed)["status"]["conditions"]]
    assert "NeedsReinstall" in reasons
    until(installed, lambda: csv_of(installed)["status"]["phase"] == "Succeeded", "CSV Succeeded again")
    assert operator_deployment(installed)["metadata"]["labels"][olm.HASH_LABEL] != old_hash
    assert not old_pods & {p["metadata"]["name"] for p in operator_pods(installed)}


def test_direct_deployment_edit_survives_until_the_next_csv_change(installed: Emulator) -> None:
    api_client = api(installed)
    apps = client.AppsV1Api(api_client)
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": manifests.LIFECYCLE_CONTAINER,
                            "env": [
                                {"name": "IMAGE_CHAINS_TEKTON_CHAINS_CONTROLLER", "value": "direct/edit:1"}
                            ],
                        }
                    ]
                }
            }
        }
    }
    apps.patch_namespaced_deployment(manifests.OPERATOR_DEPLOYMENT, NS, patch)

    until(
        installed,
        lambda: only_running_pod_has(installed, "IMAGE_CHAINS_TEKTON_CHAINS_CONTROLLER", "direct/edit:1"),
        "operator pod with the direct edit",
    )
    assert csv_of(installed)["status"]["phase"] == "Succeeded"
    assert (
        lifecycle_env(operator_deployment(installed))["IMAGE_CHAINS_TEKTON_CHAINS_CONTROLLER"]
        == "direct/edit:1"
    )

    set_csv_env(api_client, "IMAGE_RESULTS_API", "registry.example/results-api:2")

    until(
        installed,
        lambda: only_running_pod_has(installed, "IMAGE_RESULTS_API", "registry.example/results-api:2"),
        "operator pod with the CSV change",
    )
    reverted = lifecycle_env(operator_deployment(installed))["IMAGE_CHAINS_TEKTON_CHAINS_CONTROLLER"]
    assert reverted == dict(manifests.IMAGE_ENV)["IMAGE_CHAINS_TEKTON_CHAINS_CONTROLLER"]


def test_olm_ignoring_csv_env_keeps_the_deployment_env_while_the_csv_succeeds(installed: Emulator) -> None:
    installed.faults.olm_ignores_csv_env = True
    before = lifecycle_env(operator_deployment(installed))["IMAGE_PIPELINES_WEBHOOK"]
    old_hash = operator_deployment(installed)["metadata"]["labels"][olm.HASH_LABEL]

    set_csv_env(api(installed), "IMAGE_PIPELINES_WEBHOOK", "registry.example/ignored:1")

    until(
        installed,
        lambda: (
            operator_deployment(installed)["metadata"]["labels"][olm.HASH_LABEL] != old_hash
            and csv_of(installed)["status"]["phase"] == "Succeeded"
        ),
        "CSV re-applied and Succeeded",
    )
    assert lifecycle_env(operator_deployment(installed))["IMAGE_PIPELINES_WEBHOOK"] == before


def test_subscription_to_an_unknown_package_reports_resolution_failed(bare: Emulator) -> None:
    sub = seed.subscription()
    sub["spec"]["name"] = "no-such-operator"
    bare.store.create(bare.store.rtype("operators.coreos.com/v1alpha1", "Subscription"), sub)

    found = until(
        bare,
        lambda: (
            (s := get(bare, "operators.coreos.com/v1alpha1", "Subscription", NS, seed.SUBSCRIPTION_NAME))
            and (s.get("status") or {}).get("conditions")
            and s
        ),
        "Subscription condition",
    )

    condition = found["status"]["conditions"][0]
    assert (condition["type"], condition["reason"]) == ("ResolutionFailed", "ConstraintsNotSatisfiable")
    assert "no-such-operator" in condition["message"]
    assert get(bare, "operators.coreos.com/v1alpha1", "ClusterServiceVersion", NS, manifests.CSV_NAME) is None
