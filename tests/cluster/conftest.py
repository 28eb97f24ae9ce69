"""Fixtures for tests that talk to the OpenShift emulator over real HTTP(S).

`make_emulator(**kwargs)` starts a fresh `Emulator` in `tmp_path` (stopped at teardown);
`emulator` is an API-only one (no controllers, no seed) with namespaces `default` and `demo`;
`kube` is an official-client `ApiClient` loaded from its kubeconfig. `run_entrypoint(emu, labels)`
pushes an entrypoint image with those labels and has the operator roll the pipelines controller
onto it, as a deploy of a built entrypoint would (returns the image reference).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_streamstress.testing.emulator import Emulator, manifests, seed
from pytest_streamstress.testing.standins import _oci

MakeEmulator = Callable[..., Emulator]


@pytest.fixture
def make_emulator(tmp_path: Path) -> Iterator[MakeEmulator]:
    started: list[Emulator] = []

    def make(**kwargs: Any) -> Emulator:
        workdir = tmp_path / f"emulator-{len(started)}"
        emulator = Emulator(workdir, **kwargs).start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()


@pytest.fixture
def emulator(make_emulator: MakeEmulator) -> Emulator:
    emulator = make_emulator(state="empty", controllers=False)
    ns_type = emulator.store.rtype("v1", "Namespace")
    for name in ("default", "demo"):
        emulator.store.create(ns_type, {"metadata": {"name": name}})
    return emulator


@pytest.fixture
def kube(emulator: Emulator) -> Iterator[Any]:
    from kubernetes import config

    client = config.new_client_from_config(config_file=str(emulator.kubeconfig))
    yield client
    client.close()


@pytest.fixture
def run_entrypoint() -> Callable[[Emulator, dict[str, str]], str]:
    def run(emulator: Emulator, labels: dict[str, str]) -> str:
        image = _oci.make_image(
            content_hash="entrypoint", platform="linux/amd64", entrypoint="/ko-app/entrypoint", labels=labels
        )
        registry = emulator.registry
        for blob in (image.config, image.layer):
            registry.finish_upload(registry.start_upload(), blob.data, blob.digest)
        digest = registry.put_manifest(
            "tekton-upstream/pipeline-entrypoint", "latest", image.manifest.data, _oci.MANIFEST_TYPE
        )
        ref = f"{registry.host}/tekton-upstream/pipeline-entrypoint@{digest}"
        _roll_the_controller_onto(emulator, ref)
        return ref

    return run


def _roll_the_controller_onto(emulator: Emulator, entrypoint: str) -> None:
    """A new operator env, then the pipeline sets re-created from it (what a deploy does)."""
    from kubernetes import client, config

    store = emulator.store
    apps = client.AppsV1Api(config.new_client_from_config(config_file=str(emulator.kubeconfig)))
    env = [{"name": "IMAGE_PIPELINES_ARG__ENTRYPOINT_IMAGE", "value": entrypoint}]
    patch = {
        "spec": {"template": {"spec": {"containers": [{"name": manifests.LIFECYCLE_CONTAINER, "env": env}]}}}
    }
    apps.patch_namespaced_deployment(manifests.OPERATOR_DEPLOYMENT, manifests.OPERATOR_NAMESPACE, patch)

    def operator_rolled() -> bool:
        pods, _ = store.list(
            store.rtype("v1", "Pod"),
            manifests.OPERATOR_NAMESPACE,
            label_selector=f"name={manifests.OPERATOR_DEPLOYMENT}",
        )
        ready = [
            p
            for p in pods
            if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")
        ]
        return len(ready) == 1 and any(
            e.get("value") == entrypoint for c in ready[0]["spec"]["containers"] for e in c.get("env", [])
        )

    seed.wait_for(store, operator_rolled, what="operator restarted with the new entrypoint", timeout=30)
    sets = store.rtype("operator.tekton.dev/v1alpha1", "TektonInstallerSet")
    for tis in store.list(sets)[0]:
        if tis["metadata"]["labels"].get("operator.tekton.dev/created-by") == "TektonPipeline":
            store.delete(sets, None, tis["metadata"]["name"])

    def controller_runs_it() -> bool:
        pods, _ = store.list(
            store.rtype("v1", "Pod"),
            manifests.TARGET_NAMESPACE,
            label_selector="app=tekton-pipelines-controller",
        )
        return (
            len(pods) == 1
            and pods[0]["status"].get("phase") == "Running"
            and (entrypoint in pods[0]["spec"]["containers"][0].get("args", []))
        )

    seed.wait_for(
        store, controller_runs_it, what="the pipelines controller on the new entrypoint", timeout=30
    )
