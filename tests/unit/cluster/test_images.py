"""IMAGE_* rules (reference §4): variable keys, argument flags, both argument forms, env edits."""

from __future__ import annotations

import pytest

from pytest_streamstress.cluster import images


@pytest.mark.parametrize(
    ("env_var", "key"),
    [
        ("IMAGE_PIPELINES_TEKTON_PIPELINES_CONTROLLER", "tekton_pipelines_controller"),
        ("IMAGE_PIPELINES_ARG__ENTRYPOINT_IMAGE", "arg__entrypoint_image"),
        ("IMAGE_MAG_TEKTON_TASKGROUP_CONTROLLER", "tekton_taskgroup_controller"),
        ("IMAGE_RESULTS_RETENTION_POLICY_AGENT", "retention_policy_agent"),
    ],
    ids=["container", "argument", "mag", "results"],
)
def test_variable_key_strips_the_component_prefix(env_var: str, key: str) -> None:
    assert images.variable_key(env_var) == key


def test_argument_variables_name_their_flag_with_one_dash() -> None:
    assert images.argument_flag("IMAGE_PIPELINES_ARG__ENTRYPOINT_IMAGE") == "-entrypoint-image"
    assert images.argument_flag("IMAGE_TRIGGERS_ARG__EL_IMAGE") == "-el-image"
    assert images.argument_flag("IMAGE_PIPELINES_WEBHOOK") is None


@pytest.mark.parametrize(
    "args",
    [["-entrypoint-image", "reg/x@sha256:1", "-nop-image", "n"], ["-entrypoint-image=reg/x@sha256:1"]],
    ids=["flag-then-value", "flag-equals-value"],
)
def test_argument_value_reads_both_forms_the_operator_writes(args: list[str]) -> None:
    assert images.argument_value(args, "-entrypoint-image") == "reg/x@sha256:1"


def test_an_argument_with_two_equals_signs_is_not_flag_value() -> None:
    """tektoncd/operator transformers.go:362-369 (SplitsByEqual): exactly one `=` makes `flag=value`."""
    assert images.argument_value(["-entrypoint-image=reg/x=1"], "-entrypoint-image") is None


@pytest.mark.parametrize(
    ("version", "known"),
    [("4.20.3", True), ("4.22", True), ("v4.21.0-rc.1", True), ("", False), ("stable", False)],
    ids=["full", "short", "prerelease", "empty", "not-semver"],
)
def test_the_openshift_version_is_known_when_the_operator_can_parse_it(version: str, known: bool) -> None:
    assert images.openshift_version_known(version) is known


def test_set_env_overwrites_drops_value_from_and_appends() -> None:
    container = {
        "env": [
            {"name": "IMAGE_A", "value": "old"},
            {"name": "IMAGE_B", "valueFrom": {"configMapKeyRef": {"name": "x", "key": "y"}}},
            {"name": "IMAGE_GONE", "value": "x"},
        ]
    }
    changed = images.set_env(
        container, {"IMAGE_A": "new", "IMAGE_B": "b", "IMAGE_C": "c", "IMAGE_GONE": None}
    )
    assert changed
    assert container["env"] == [
        {"name": "IMAGE_A", "value": "new"},
        {"name": "IMAGE_B", "value": "b"},
        {"name": "IMAGE_C", "value": "c"},
    ]
    assert images.set_env(container, {"IMAGE_A": "new"}) is False


@pytest.mark.parametrize(
    ("ocp", "operator", "legacy"),
    [
        ("4.20.3", "1.21.3", True),
        ("4.22.0", "1.21.3", False),
        ("4.18.1", "1.20.2", False),
        ("", "1.21.3", False),
    ],
    ids=["old-ocp-new-operator", "new-ocp", "old-operator", "unknown-ocp"],
)
def test_legacy_console_variable_rule(ocp: str, operator: str, legacy: bool) -> None:
    assert images.needs_legacy_console_var(ocp, operator) is legacy
