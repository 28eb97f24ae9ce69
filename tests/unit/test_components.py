"""components.toml: the shipped catalog and every way a user's file can be wrong."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_streamstress.components import catalog_from_toml, load_catalog
from pytest_streamstress.errors import ConfigError
from pytest_streamstress.model import BuildSystem, ComponentRequest


def test_shipped_catalog_has_the_six_components_of_the_design() -> None:
    catalog = load_catalog()
    assert set(catalog.names) == {
        "pipeline",
        "triggers",
        "chains",
        "results",
        "manual-approval-gate",
        "console-plugin",
    }
    assert catalog["console-plugin"].build is BuildSystem.CONTAINERFILE


def test_shipped_catalog_maps_resolvers_to_image_pipelines_controller() -> None:
    """IMAGE_PIPELINES_CONTROLLER is the remote-resolvers image (reference §1.2), a classic trap."""
    pipeline = load_catalog()["pipeline"]
    resolvers = next(i for i in pipeline.images if i.name == "pipeline-resolvers")
    assert resolvers.env_vars == ("IMAGE_PIPELINES_CONTROLLER",)
    assert resolvers.deployment == "tekton-pipelines-remote-resolvers"


def test_shipped_catalog_maps_manual_approval_gate_the_right_way_round() -> None:
    """The original tool swapped these (reference §13.2)."""
    mag = {i.name: i.env_vars for i in load_catalog()["manual-approval-gate"].images}
    assert mag["manual-approval-gate-controller"] == ("IMAGE_MAG_TEKTON_TASKGROUP_CONTROLLER",)
    assert mag["manual-approval-gate-webhook"] == ("IMAGE_MAG_MANUAL_APPROVAL",)


def test_argument_only_images_are_recognised() -> None:
    pipeline = load_catalog()["pipeline"]
    kinds = {i.name: i.is_argument for i in pipeline.images}
    assert kinds["pipeline-entrypoint"] is True
    assert kinds["pipeline-controller"] is False


def test_image_names_are_unique_across_components() -> None:
    names = [i.name for c in load_catalog() for i in c.images]
    assert len(names) == len(set(names))


def _component(**overrides: Any) -> dict[str, Any]:
    table: dict[str, Any] = {
        "repo": "https://example.com/x",
        "build": "ko",
        "images": [{"name": "x-controller", "path": "./cmd/controller", "env_vars": ["IMAGE_X_CONTROLLER"]}],
    }
    table.update(overrides)
    return table


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"x": _component(bild="ko")}, "unknown key 'bild'"),
        ({"x": _component(build="bazel")}, "expected 'ko' or 'containerfile'"),
        ({"x": _component(images=[])}, "non-empty list"),
        ({"x": _component(repo="")}, "'repo' is required"),
        ({"x": _component(images=[{"name": "a", "path": ".", "env_vars": ["PATH"]}])}, "IMAGE_"),
        ({"x": _component(), "y": _component()}, "already used by 'x'"),
        ({}, "no components"),
    ],
    ids=["unknown-key", "bad-build", "no-images", "no-repo", "bad-env-var", "duplicate-image", "empty"],
)
def test_malformed_catalog_is_one_clear_error(data: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        catalog_from_toml(data, source=Path("components.toml"))


def test_malformed_toml_names_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "components.toml"
    broken.write_text('[pipeline]\nrepo = "x"\nbuild = \n', encoding="utf-8")
    with pytest.raises(ConfigError) as excinfo:
        load_catalog(broken)
    assert f"{broken}:3" in str(excinfo.value)


def test_selecting_nothing_means_every_component() -> None:
    catalog = load_catalog()
    assert [c.name for c, _ in catalog.select(())] == list(catalog.names)


def test_selecting_an_unknown_component_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="known: chains, console-plugin"):
        load_catalog().select((ComponentRequest(name="pipline"),))  # type: ignore[arg-type]
