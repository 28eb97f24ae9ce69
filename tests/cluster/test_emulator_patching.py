"""Pure patch and selector functions of the emulator: values in, values out."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_streamstress.testing.emulator import patching, selectors


@pytest.mark.parametrize(
    ("target", "patch", "expected"),
    [
        ({"a": 1, "b": {"c": 2}}, {"b": {"c": None, "d": 3}}, {"a": 1, "b": {"d": 3}}),
        ({"a": [1, 2]}, {"a": [3]}, {"a": [3]}),
        ({"a": 1}, {"a": None}, {}),
        ({"a": {"b": 1}}, {"a": "x"}, {"a": "x"}),
    ],
    ids=["nested-null-deletes", "lists-replace", "top-level-delete", "object-to-scalar"],
)
def test_merge_patch_follows_rfc_7386(target: Any, patch: Any, expected: Any) -> None:
    assert patching.merge_patch(target, patch) == expected


@pytest.mark.parametrize(
    ("operations", "expected"),
    [
        ([{"op": "add", "path": "/l/-", "value": 9}], {"l": [1, 2, 9], "o": {"a~b": 1, "x/y": 2}}),
        ([{"op": "add", "path": "/l/0", "value": 0}], {"l": [0, 1, 2], "o": {"a~b": 1, "x/y": 2}}),
        ([{"op": "remove", "path": "/o/a~0b"}], {"l": [1, 2], "o": {"x/y": 2}}),
        ([{"op": "replace", "path": "/o/x~1y", "value": 5}], {"l": [1, 2], "o": {"a~b": 1, "x/y": 5}}),
        ([{"op": "move", "from": "/l/0", "path": "/m"}], {"l": [2], "m": 1, "o": {"a~b": 1, "x/y": 2}}),
        ([{"op": "copy", "from": "/l", "path": "/c"}], {"l": [1, 2], "c": [1, 2], "o": {"a~b": 1, "x/y": 2}}),
        ([{"op": "test", "path": "/l/1", "value": 2}], {"l": [1, 2], "o": {"a~b": 1, "x/y": 2}}),
    ],
    ids=["append", "insert", "remove-escaped-tilde", "replace-escaped-slash", "move", "copy", "test-passes"],
)
def test_json_patch_follows_rfc_6902(operations: list[dict[str, Any]], expected: Any) -> None:
    assert patching.json_patch({"l": [1, 2], "o": {"a~b": 1, "x/y": 2}}, operations) == expected


@pytest.mark.parametrize(
    "operations",
    [
        [{"op": "test", "path": "/a", "value": 2}],
        [{"op": "remove", "path": "/missing"}],
        [{"op": "replace", "path": "/missing", "value": 1}],
        [{"op": "add", "path": "/l/5", "value": 1}],
    ],
    ids=["test-fails", "remove-missing", "replace-missing", "index-out-of-bounds"],
)
def test_json_patch_errors_are_422(operations: list[dict[str, Any]]) -> None:
    with pytest.raises(patching.PatchError) as caught:
        patching.json_patch({"a": 1, "l": []}, operations)
    assert caught.value.status == 422


def test_strategic_merge_replaces_lists_without_a_merge_key() -> None:
    target = {"spec": {"containers": [{"name": "a", "args": ["-x", "1"], "image": "i"}]}}
    patch = {"spec": {"containers": [{"name": "a", "args": ["-y"]}]}}
    assert patching.strategic_merge_patch(target, patch) == {
        "spec": {"containers": [{"name": "a", "args": ["-y"], "image": "i"}]}
    }


def test_strategic_merge_matches_volume_mounts_by_mount_path_and_service_ports_by_port() -> None:
    target = {"volumeMounts": [{"name": "a", "mountPath": "/a"}], "ports": [{"port": 80, "name": "http"}]}
    patch = {"volumeMounts": [{"name": "b", "mountPath": "/a"}], "ports": [{"port": 443, "name": "https"}]}
    assert patching.strategic_merge_patch(target, patch) == {
        "volumeMounts": [{"name": "b", "mountPath": "/a"}],
        "ports": [{"port": 80, "name": "http"}, {"port": 443, "name": "https"}],
    }


def test_strategic_merge_replace_directive_replaces_a_whole_list() -> None:
    target = {"env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}
    patch = {"env": [{"name": "C", "value": "3"}, {"$patch": "replace"}]}
    assert patching.strategic_merge_patch(target, patch) == {"env": [{"name": "C", "value": "3"}]}


def test_strategic_merge_honours_set_element_order_and_delete_from_primitive_list() -> None:
    target = {"env": [{"name": "A"}, {"name": "B"}], "metadata": {"finalizers": ["x", "y"]}}
    patch = {
        "$setElementOrder/env": [{"name": "B"}, {"name": "A"}],
        "metadata": {"$deleteFromPrimitiveList/finalizers": ["x"]},
    }
    assert patching.strategic_merge_patch(target, patch) == {
        "env": [{"name": "B"}, {"name": "A"}],
        "metadata": {"finalizers": ["y"]},
    }


def test_strategic_merge_unions_finalizers() -> None:
    assert patching.strategic_merge_patch({"finalizers": ["a"]}, {"finalizers": ["b", "a"]}) == {
        "finalizers": ["a", "b"]
    }


@pytest.mark.parametrize(
    "text",
    ["app in (a,b", "=x", "a b c", "app=-bad-"],
    ids=["unbalanced", "missing-key", "garbage", "invalid-value"],
)
def test_malformed_label_selectors_raise(text: str) -> None:
    with pytest.raises(selectors.SelectorError):
        selectors.parse_label_selector(text)


def test_an_empty_label_value_matches_an_empty_label() -> None:
    assert selectors.parse_label_selector("app=")({"metadata": {"labels": {"app": ""}}})


def test_field_selector_supports_not_equal_and_rejects_unsupported_fields() -> None:
    match = selectors.parse_field_selector("metadata.name!=a,status.phase=Running", kind="Pod")
    assert match({"metadata": {"name": "b"}, "status": {"phase": "Running"}})
    assert not match({"metadata": {"name": "a"}, "status": {"phase": "Running"}})
    with pytest.raises(selectors.SelectorError, match=r"field label not supported: status\.phase"):
        selectors.parse_field_selector("status.phase=Running", kind="ConfigMap")
