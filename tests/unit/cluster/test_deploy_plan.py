"""Deploy's pure decisions: which variables a build sets, and whether the workloads run them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytest_streamstress.cluster.deploy_plan import ImageChange, plan_changes, verifiable, verify_workloads
from pytest_streamstress.components import load_catalog
from pytest_streamstress.model import BuildResult, BuildStatus, BuiltImage, ComponentName, ImageRef

REF = ImageRef(
    "image-registry.openshift-image-registry.svc:5000/tekton-upstream/pipeline-controller@sha256:" + "a" * 64
)
ENTRY = ImageRef(
    "image-registry.openshift-image-registry.svc:5000/tekton-upstream/pipeline-entrypoint@sha256:" + "b" * 64
)


def _build(component: str, *images: tuple[str, str], status: BuildStatus = BuildStatus.BUILT) -> BuildResult:
    return BuildResult(
        component=ComponentName(component),
        repo="r",
        status=status,
        images=tuple(BuiltImage(name=n, ref=ImageRef(ref), env_vars=()) for n, ref in images),
        log_path=Path("x"),
    )


def test_plan_maps_each_built_image_to_its_env_vars() -> None:
    changes = plan_changes(
        [_build("pipeline", ("pipeline-controller", REF), ("pipeline-entrypoint", ENTRY))],
        load_catalog(),
        {"IMAGE_PIPELINES_TEKTON_PIPELINES_CONTROLLER": "old"},
        legacy_console=False,
    )
    assert {(c.env_var, c.new, c.old) for c in changes} == {
        ("IMAGE_PIPELINES_TEKTON_PIPELINES_CONTROLLER", REF, "old"),
        ("IMAGE_PIPELINES_ARG__ENTRYPOINT_IMAGE", ENTRY, None),
    }


def test_plan_skips_failed_builds() -> None:
    changes = plan_changes(
        [_build("pipeline", ("pipeline-controller", REF), status=BuildStatus.FAILED)],
        load_catalog(),
        {},
        legacy_console=False,
    )
    assert changes == ()


def test_console_plugin_also_sets_the_legacy_variable_on_old_openshift() -> None:
    changes = plan_changes(
        [_build("console-plugin", ("console-plugin", "reg/ns/console-plugin@sha256:c"))],
        load_catalog(),
        {},
        legacy_console=True,
    )
    assert [c.env_var for c in changes] == [
        "IMAGE_PIPELINES_CONSOLE_PLUGIN",
        "IMAGE_PIPELINES_CONSOLE_PLUGIN_LEGACY",
    ]


def _deployment(
    image: str, args: list[str], *, ready: bool = True, pod_image: str | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    name = "tekton-pipelines-controller"
    deployment = {
        "metadata": {"name": name, "generation": 2},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {"spec": {"containers": [{"name": name, "image": image, "args": args}]}},
        },
        "status": {"observedGeneration": 2, "updatedReplicas": 1, "availableReplicas": 1},
    }
    pod = {
        "metadata": {"name": name + "-abc", "labels": {"app": name}},
        "spec": {"containers": [{"name": name, "image": pod_image or image}]},
        "status": {
            "phase": "Running",
            "containerStatuses": [
                {
                    "name": name,
                    "ready": ready,
                    "state": (
                        {"running": {}}
                        if ready
                        else {"waiting": {"reason": "ImagePullBackOff", "message": "pull failed"}}
                    ),
                }
            ],
        },
    }
    return deployment, [pod]


def _changes() -> list[ImageChange]:
    return [
        ImageChange(
            component=ComponentName("pipeline"),
            image="pipeline-controller",
            env_var="IMAGE_PIPELINES_TEKTON_PIPELINES_CONTROLLER",
            new=REF,
            old=None,
            deployment="tekton-pipelines-controller",
            container="tekton-pipelines-controller",
        ),
        ImageChange(
            component=ComponentName("pipeline"),
            image="pipeline-entrypoint",
            env_var="IMAGE_PIPELINES_ARG__ENTRYPOINT_IMAGE",
            new=ENTRY,
            old=None,
            deployment="tekton-pipelines-controller",
            container="tekton-pipelines-controller",
        ),
    ]


def test_verification_checks_container_images_and_controller_arguments() -> None:
    deployment, pods = _deployment(REF, ["-entrypoint-image", ENTRY])
    running, problems = verify_workloads(_changes(), {"tekton-pipelines-controller": deployment}, pods)
    assert problems == []
    assert {r.env_var for r in running} == {
        "IMAGE_PIPELINES_TEKTON_PIPELINES_CONTROLLER",
        "IMAGE_PIPELINES_ARG__ENTRYPOINT_IMAGE",
    }


def test_verification_names_the_argument_that_is_still_old() -> None:
    deployment, pods = _deployment(REF, ["-entrypoint-image", "registry.redhat.io/old@sha256:0"])
    _running, problems = verify_workloads(_changes(), {"tekton-pipelines-controller": deployment}, pods)
    assert problems == [
        f"Deployment/tekton-pipelines-controller container tekton-pipelines-controller arg"
        f" -entrypoint-image is registry.redhat.io/old@sha256:0, expected {ENTRY}"
    ]


def test_verification_reports_pods_that_cannot_pull() -> None:
    deployment, pods = _deployment(REF, ["-entrypoint-image", ENTRY], ready=False)
    _running, problems = verify_workloads(_changes(), {"tekton-pipelines-controller": deployment}, pods)
    assert any("ImagePullBackOff" in p for p in problems)


def test_verification_reports_pods_still_on_the_old_image() -> None:
    deployment, pods = _deployment(REF, ["-entrypoint-image", ENTRY], pod_image="old@sha256:0")
    _running, problems = verify_workloads(_changes()[:1], {"tekton-pipelines-controller": deployment}, pods)
    assert problems == ["pod tekton-pipelines-controller-abc still runs old@sha256:0"]


def _statefulset(image: str, *, current: str, update: str, ready: int) -> dict[str, Any]:
    deployment, _pods = _deployment(image, ["-entrypoint-image", ENTRY])
    return {
        **deployment,
        "kind": "StatefulSet",
        "status": {
            "observedGeneration": 2,
            "replicas": 1,
            "readyReplicas": ready,
            "updatedReplicas": 1,
            "currentRevision": current,
            "updateRevision": update,
        },
    }


def test_a_statefulset_operand_is_verified_by_its_own_status_and_named_as_one() -> None:
    _deployment_obj, pods = _deployment(REF, ["-entrypoint-image", ENTRY])
    sts = _statefulset(REF, current="c-2", update="c-2", ready=1)
    running, problems = verify_workloads(_changes(), {"tekton-pipelines-controller": sts}, pods)
    assert problems == []
    assert running[0].where == "StatefulSet/tekton-pipelines-controller container tekton-pipelines-controller"


def test_a_statefulset_still_rolling_out_is_not_verified() -> None:
    _deployment_obj, pods = _deployment(REF, ["-entrypoint-image", ENTRY])
    sts = _statefulset(REF, current="c-1", update="c-2", ready=1)
    _running, problems = verify_workloads(_changes()[:1], {"tekton-pipelines-controller": sts}, pods)
    assert problems == ["StatefulSet tekton-pipelines-controller: revision c-2 not rolled out yet"]


def _console_change() -> ImageChange:
    return ImageChange(
        component=ComponentName("console-plugin"),
        image="console-plugin",
        env_var="IMAGE_PIPELINES_CONSOLE_PLUGIN",
        new=REF,
        old=None,
        deployment="pipelines-console-plugin",
        container="pipelines-console-plugin",
    )


def test_an_unknown_openshift_version_leaves_the_console_plugin_unverified_with_a_note() -> None:
    kept, notes = verifiable([*_changes(), _console_change()], absent=[], openshift_version="")
    assert [c.env_var for c in kept] == [c.env_var for c in _changes()]
    assert notes == [
        "the operator cannot read the OpenShift version (ClusterVersion status.desired.version: none), so its"
        " console plugin keeps the manifest's default image; the console-plugin image is set but not verified"
    ]


def test_a_known_openshift_version_keeps_the_console_plugin_verified() -> None:
    kept, notes = verifiable([_console_change()], absent=[], openshift_version="4.20.3")
    assert (len(kept), notes) == (1, [])
