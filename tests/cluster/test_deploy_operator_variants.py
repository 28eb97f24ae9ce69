"""Deploy against operator behaviours a cluster can have (issue 21 item 4): operands that run as
StatefulSets (`statefulset-ordinals`) and an OpenShift version the operator cannot read."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_streamstress._infra.redact import Redactor
from pytest_streamstress.cluster.access import Access
from pytest_streamstress.cluster.client import Cluster
from pytest_streamstress.cluster.deploy import DeployParams, deploy
from pytest_streamstress.components import load_catalog
from pytest_streamstress.model import (
    BuildResult,
    BuildStatus,
    BuiltImage,
    ComponentName,
    DeployStatus,
    ImageRef,
)
from pytest_streamstress.testing.emulator import Emulator, seed

pytestmark = pytest.mark.emulator

INTERNAL = "image-registry.openshift-image-registry.svc:5000/tekton-upstream"
CATALOG = load_catalog()
TARGET = "openshift-pipelines"


@pytest.fixture
def connect() -> Iterator[Callable[[Emulator], Cluster]]:
    clusters: list[Cluster] = []

    def make(emulator: Emulator) -> Cluster:
        cluster = Cluster.connect(
            Access(kubeconfig=emulator.kubeconfig, request_timeout=10), redactor=Redactor()
        )
        clusters.append(cluster)
        return cluster

    yield make
    for cluster in clusters:
        cluster.close()


def push(emulator: Emulator, name: str) -> ImageRef:
    body = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "annotations": {"image": name}}).encode()  # fmt: skip
    digest = emulator.registry.put_manifest(
        f"tekton-upstream/{name}", "latest", body, "application/vnd.oci.image.manifest.v1+json"
    )
    return ImageRef(f"{INTERNAL}/{name}@{digest}")


def built(component: str, refs: dict[str, ImageRef]) -> BuildResult:
    spec = CATALOG[component]
    images = tuple(
        BuiltImage(name=i.name, ref=refs[i.name], env_vars=i.env_vars) for i in spec.images if i.name in refs
    )
    return BuildResult(
        component=ComponentName(component), repo=spec.repo, status=BuildStatus.BUILT, images=images
    )


def params(tmp_path: Path) -> DeployParams:
    return DeployParams(
        strategy="auto", olm_timeout=10.0, deploy_timeout=30.0, record_dir=tmp_path / "results"
    )


def enable_statefulset_ordinals(emulator: Emulator) -> None:
    store = emulator.store
    config_type = store.rtype("operator.tekton.dev/v1alpha1", "TektonConfig")

    def enable(obj: dict[str, Any]) -> None:
        obj["spec"]["pipeline"] = {"performance": {"statefulset-ordinals": True}}

    store.mutate(config_type, None, "config", enable)
    sts_type = store.rtype("apps/v1", "StatefulSet")

    def converted() -> bool:
        found = {s["metadata"]["name"] for s in store.list(sts_type, TARGET)[0]}
        return "tekton-pipelines-controller" in found and seed.tekton_config_ready(store) is not None

    seed.wait_for(store, converted, what="the pipelines controller as a StatefulSet", timeout=30)


def test_deploy_waits_for_and_verifies_operands_that_run_as_statefulsets(
    make_emulator: Any, connect: Any, tmp_path: Path
) -> None:
    emulator = make_emulator(state="installed")
    enable_statefulset_ordinals(emulator)
    refs = {
        name: push(emulator, name)
        for name in ("pipeline-controller", "pipeline-entrypoint", "pipeline-resolvers", "pipeline-webhook")
    }

    result = deploy(connect(emulator), [built("pipeline", refs)], CATALOG, params(tmp_path))

    assert result.status is DeployStatus.DEPLOYED
    where = {r.env_var: r.where for r in result.running}
    assert where["IMAGE_PIPELINES_TEKTON_PIPELINES_CONTROLLER"] == (
        "StatefulSet/tekton-pipelines-controller container tekton-pipelines-controller"
    )
    assert where["IMAGE_PIPELINES_ARG__ENTRYPOINT_IMAGE"] == (
        "StatefulSet/tekton-pipelines-controller container tekton-pipelines-controller arg -entrypoint-image"
    )
    assert (
        where["IMAGE_PIPELINES_CONTROLLER"]
        == "StatefulSet/tekton-pipelines-remote-resolvers container controller"
    )
    assert where["IMAGE_PIPELINES_WEBHOOK"] == "Deployment/tekton-pipelines-webhook container webhook"
    pod = emulator.store.get(emulator.store.rtype("v1", "Pod"), TARGET, "tekton-pipelines-controller-0")
    assert pod["spec"]["containers"][0]["image"] == refs["pipeline-controller"]


def test_an_unreadable_openshift_version_sets_the_console_plugin_but_does_not_wait_for_it(
    make_emulator: Any, connect: Any, tmp_path: Path
) -> None:
    emulator = make_emulator(state="installed", openshift_version="")
    said: list[str] = []

    result = deploy(
        connect(emulator),
        [built("console-plugin", {"console-plugin": push(emulator, "console-plugin")})],
        CATALOG,
        params(tmp_path),
        say=said.append,
    )

    assert result.status is DeployStatus.DEPLOYED
    assert "cannot read the OpenShift version" in result.message
    assert any(line.startswith("warning: the operator cannot read the OpenShift version") for line in said)
    assert result.cluster.openshift_version == ""
