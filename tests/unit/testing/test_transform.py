"""The operator's IMAGE_* matching (reference §4), tested as pure code: env in, manifests out.

Expected values follow tektoncd/operator pkg/reconciler/common/transformers.go (snapshot 390143289;
docs/emulator.md cites the lines for each rule)."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_streamstress.testing.emulator import transform


def deployment(*containers: dict[str, Any], init: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {"template": {"spec": {"containers": list(containers), "initContainers": list(init)}}},
    }


def containers_of(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = transform.pod_spec_of(obj)
    assert spec is not None
    return list(spec["containers"])


def test_images_from_env_strips_prefix_and_lowercases_keys() -> None:
    entries = [
        "IMAGE_PIPELINES_TEKTON_PIPELINES_CONTROLLER=r/c@sha256:1",
        "IMAGE_TRIGGERS_WEBHOOK=r/t",
        "HOME=/",
    ]

    assert transform.images_from_env(entries, "IMAGE_PIPELINES_") == {
        "tekton_pipelines_controller": "r/c@sha256:1"
    }


def test_images_from_env_truncates_a_value_containing_an_equals_sign_like_the_operator() -> None:
    assert transform.images_from_env(["IMAGE_MAG_X=a=b"], "IMAGE_MAG_") == {"x": "a"}


def test_container_is_matched_by_name_with_hyphens_as_underscores() -> None:
    obj = deployment(
        {"name": "tekton-pipelines-controller", "image": "old"}, {"name": "webhook", "image": "old"}
    )

    out = transform.transform_manifest(obj, {"tekton_pipelines_controller": "new"})

    assert [c["image"] for c in containers_of(out)] == ["new", "old"]


def test_init_containers_are_matched_too() -> None:
    obj = deployment({"name": "main", "image": "m"}, init=({"name": "setup-db", "image": "old"},))

    out = transform.transform_manifest(obj, {"setup_db": "new"})

    assert out["spec"]["template"]["spec"]["initContainers"][0]["image"] == "new"


def test_transform_does_not_change_its_input() -> None:
    obj = deployment({"name": "webhook", "image": "old"})

    transform.transform_manifest(obj, {"webhook": "new"})

    assert containers_of(obj)[0]["image"] == "old"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-entrypoint-image", "old", "-nop-image", "n"], ["-entrypoint-image", "new", "-nop-image", "n"]),
        (["-entrypoint-image=old", "-x"], ["-entrypoint-image=new", "-x"]),
        (["--entrypoint-image", "old"], ["--entrypoint-image", "old"]),
    ],
    ids=["flag-space-value", "flag-equals-value", "double-dash-is-another-key"],
)
def test_arg_flags_replace_the_value_by_the_arg_double_underscore_key(
    args: list[str], expected: list[str]
) -> None:
    obj = deployment({"name": "tekton-pipelines-controller", "image": "c", "args": args})
    images = transform.images_from_env(["IMAGE_PIPELINES_ARG__ENTRYPOINT_IMAGE=new"], "IMAGE_PIPELINES_")

    out = transform.transform_manifest(obj, images)

    assert containers_of(out)[0]["args"] == expected


def test_a_trailing_flag_without_value_is_left_alone() -> None:
    obj = deployment({"name": "c", "image": "c", "args": ["-el-image"]})

    out = transform.transform_manifest(obj, {"arg__el_image": "new"})

    assert containers_of(out)[0]["args"] == ["-el-image"]


@pytest.mark.parametrize(
    "kind",
    ["CronJob", "DaemonSet", "ReplicaSet"],
)
def test_only_deployments_statefulsets_and_jobs_are_transformed(kind: str) -> None:
    """transformers.go:235-312: DeploymentImages, StatefulSetImages and JobImages; nothing else."""
    obj = {**deployment({"name": "tkn", "image": "o"}), "kind": kind}

    out = transform.transform_manifest(obj, {"tkn": "n"})

    assert out == obj


@pytest.mark.parametrize("kind", ["StatefulSet", "Job"])
def test_statefulset_and_job_containers_are_transformed_but_not_their_init_containers(kind: str) -> None:
    obj = {**deployment({"name": "tkn", "image": "o"}, init=({"name": "init", "image": "o"},)), "kind": kind}

    out = transform.transform_manifest(obj, {"tkn": "n", "init": "n"})

    spec = out["spec"]["template"]["spec"]
    assert (spec["containers"][0]["image"], spec["initContainers"][0]["image"]) == ("n", "o")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-entrypoint-image=old=x", "keep"], ["-entrypoint-image=old=x", "keep"]),
        (["-entrypoint-image=a=b", "next"], ["-entrypoint-image=a=b", "next"]),
    ],
    ids=["two-equals-is-a-flag-not-flag-value", "its-key-includes-the-value"],
)
def test_flag_value_needs_exactly_one_equals_sign(args: list[str], expected: list[str]) -> None:
    """SplitsByEqual (transformers.go:362-369): `a=b=c` is a flag whose key is the whole argument."""
    obj = deployment({"name": "c", "image": "c", "args": args})

    out = transform.transform_manifest(obj, {"arg__entrypoint_image": "new"})

    assert containers_of(out)[0]["args"] == expected


def test_registry_override_rewrites_unmatched_images_and_image_arguments() -> None:
    obj = deployment(
        {
            "name": "tekton-pipelines-controller",
            "image": "gcr.io/tekton/controller:v1",
            "args": ["-nop-image", "gcr.io/tekton/nop:v1", "-shell-image=cgr.dev/busybox", "-threads", "4"],
        },
        {"name": "sidecar", "image": "busybox"},
    )

    out = transform.transform_manifest(obj, {}, registry="mirror.example:5000")

    main, sidecar = containers_of(out)
    assert main["image"] == "mirror.example:5000/tekton/controller:v1"
    assert main["args"] == [
        "-nop-image",
        "mirror.example:5000/tekton/nop:v1",
        "-shell-image=mirror.example:5000/busybox",
        "-threads",
        "4",
    ]
    assert sidecar["image"] == "mirror.example:5000/busybox"


def test_registry_override_applies_to_the_variables_images_too() -> None:
    entries = ["IMAGE_PIPELINES_WEBHOOK=quay.io/me/webhook@sha256:1", "IMAGE_PIPELINES_X=$(params.image)"]

    images = transform.images_from_env(entries, "IMAGE_PIPELINES_", registry="mirror.example")

    assert images == {"webhook": "mirror.example/me/webhook@sha256:1", "x": "$(params.image)"}


def test_a_deployment_becomes_a_statefulset_with_its_service_and_ordinal_variables() -> None:
    obj = deployment(
        {"name": "tekton-pipelines-controller", "image": "c", "env": [{"name": "A", "value": "1"}]}
    )

    out = transform.to_statefulset(obj, "tekton-pipelines-controller", "STATEFUL_CONTROLLER_ORDINAL")

    assert (out["kind"], out["spec"]["serviceName"], out["spec"]["updateStrategy"]) == (
        "StatefulSet",
        "tekton-pipelines-controller",
        {"type": "RollingUpdate"},
    )
    assert containers_of(out)[0]["env"] == [
        {"name": "A", "value": "1"},
        {"name": "STATEFUL_SERVICE_NAME", "value": "tekton-pipelines-controller"},
        {"name": "STATEFUL_CONTROLLER_ORDINAL", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
    ]


def test_kinds_without_pod_template_pass_through_unchanged() -> None:
    obj = {"kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"webhook": "old"}}

    assert transform.transform_manifest(obj, {"webhook": "new"}) == obj


@pytest.mark.parametrize(
    ("cluster", "operator", "expected"),
    [
        ("4.20.3", "1.21.3", transform.CONSOLE_PLUGIN_LEGACY_VAR),
        ("4.21.0", "1.22.0", transform.CONSOLE_PLUGIN_LEGACY_VAR),
        ("4.22.0", "1.21.3", transform.CONSOLE_PLUGIN_VAR),
        ("4.20.3", "1.20.2", transform.CONSOLE_PLUGIN_VAR),
        ("4.22", "1.21.3", transform.CONSOLE_PLUGIN_VAR),
        (None, "1.21.3", None),
        ("", "1.21.3", None),
        ("garbage", "1.21.3", None),
    ],
    ids=[
        "ocp-4.20-legacy",
        "ocp-4.21-legacy",
        "ocp-4.22-current",
        "operator-1.20-current",
        "short-semver",
        "unknown",
        "empty",
        "unparsable",
    ],
)
def test_console_plugin_variable_follows_cluster_and_operator_version(
    cluster: str | None, operator: str, expected: str | None
) -> None:
    """console_plugin_reconciler.go:171-195: an unknown version leaves the key empty (None)."""
    assert transform.console_plugin_env_var(cluster, operator) == expected


def test_console_plugin_image_is_set_by_container_name() -> None:
    obj = deployment({"name": "pipelines-console-plugin", "image": "old"}, {"name": "other", "image": "o"})

    out = transform.transform_console_plugin(obj, "new")

    assert [c["image"] for c in containers_of(out)] == ["new", "o"]
