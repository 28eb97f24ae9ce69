"""components.toml -> `ComponentSpec`s, and the `--components` requests checked against them.

Adding a component is adding a TOML table: nothing in the code names a component. Every mistake
in the file (unknown key, missing field, wrong type, a duplicate image name or env var) is one
`ConfigError` naming the file, the component and the fix.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pytest_streamstress._infra.resources import shipped_config
from pytest_streamstress._infra.toml import load_toml
from pytest_streamstress.errors import ConfigError
from pytest_streamstress.model import (
    BuildSystem,
    ComponentName,
    ComponentRequest,
    ComponentSpec,
    ImageSpec,
    InstallerSetSelector,
)

_COMPONENT_KEYS: Final = {
    "description",
    "repo",
    "build",
    "default_branch",
    "tekton_config_field",
    "installer_sets",
    "images",
}
_IMAGE_KEYS: Final = {"name", "path", "env_vars", "deployment", "container"}
_SELECTOR_KEYS: Final = {"created_by", "types"}


@dataclass(frozen=True, slots=True)
class ComponentCatalog:
    """All known components, in file order."""

    components: tuple[ComponentSpec, ...]
    source: Path | None = None

    @property
    def names(self) -> tuple[ComponentName, ...]:
        return tuple(c.name for c in self.components)

    def __getitem__(self, name: str) -> ComponentSpec:
        for component in self.components:
            if component.name == name:
                return component
        raise KeyError(name)

    def __iter__(self) -> Iterator[ComponentSpec]:
        return iter(self.components)

    def select(
        self, requests: Sequence[ComponentRequest]
    ) -> tuple[tuple[ComponentSpec, ComponentRequest], ...]:
        """The requested components with their refs; no request means all of them at their default branch."""
        if not requests:
            return tuple((c, ComponentRequest(name=c.name)) for c in self.components)
        unknown = [r.name for r in requests if r.name not in self.names]
        if unknown:
            raise ConfigError(
                f"unknown component {unknown[0]!r}; known: {', '.join(sorted(self.names))}",
                hint="fix --components, or add the component to components.toml",
            )
        return tuple((self[r.name], r) for r in requests)

    def component_of_image(self, image_name: str) -> ComponentSpec | None:
        for component in self.components:
            if any(image.name == image_name for image in component.images):
                return component
        return None


def load_catalog(path: Path | None = None) -> ComponentCatalog:
    """Read components.toml (the shipped one when `path` is None)."""
    source = path if path is not None else shipped_config("components.toml")
    return catalog_from_toml(load_toml(source), source=source)


def catalog_from_toml(data: Mapping[str, Any], *, source: Path | None = None) -> ComponentCatalog:
    """Build the catalog from parsed TOML; pure, so malformed shapes are unit-tested without files."""
    components: list[ComponentSpec] = []
    image_names: dict[str, str] = {}
    env_owner: dict[str, str] = {}
    for name, table in data.items():
        where = f"component {name!r}"
        if not isinstance(table, Mapping):
            raise _error(f"{where} must be a table ([{name}])", source)
        _check_keys(table, _COMPONENT_KEYS, where, source)
        repo = _required_str(table, "repo", where, source)
        build_text = _required_str(table, "build", where, source)
        try:
            build = BuildSystem(build_text)
        except ValueError:
            raise _error(
                f"{where}: build = {build_text!r}; expected 'ko' or 'containerfile'", source
            ) from None
        raw_images = table.get("images")
        if not isinstance(raw_images, list) or not raw_images:
            raise _error(f"{where}: 'images' must be a non-empty list of tables", source)
        images: list[ImageSpec] = []
        for index, raw in enumerate(raw_images):
            image = _image(raw, f"{where} image #{index + 1}", source)
            if image.name in image_names:
                raise _error(
                    f"{where}: image name {image.name!r} is already used by {image_names[image.name]!r};"
                    " image names must be unique across components",
                    source,
                )
            image_names[image.name] = name
            for var in image.env_vars:
                if var in env_owner:
                    raise _error(f"{where}: env var {var} is already set by image {env_owner[var]!r}", source)
                env_owner[var] = image.name
            images.append(image)
        selectors = tuple(
            _selector(raw, f"{where} installer_sets", source) for raw in table.get("installer_sets", [])
        )
        components.append(
            ComponentSpec(
                name=ComponentName(name),
                repo=repo,
                build=build,
                images=tuple(images),
                installer_sets=selectors,
                description=str(table.get("description", "")),
                default_branch=str(table.get("default_branch", "main")),
                tekton_config_field=str(table.get("tekton_config_field", "")),
                source_file=source,
            )
        )
    if not components:
        raise _error("no components defined", source)
    return ComponentCatalog(tuple(components), source)


def _image(raw: object, where: str, source: Path | None) -> ImageSpec:
    if not isinstance(raw, Mapping):
        raise _error(f"{where} must be a table", source)
    _check_keys(raw, _IMAGE_KEYS, where, source)
    env_vars = raw.get("env_vars")
    if (
        not isinstance(env_vars, list)
        or not env_vars
        or not all(isinstance(v, str) and v.startswith("IMAGE_") for v in env_vars)
    ):
        raise _error(f"{where}: env_vars must be a non-empty list of IMAGE_* names", source)
    return ImageSpec(
        name=_required_str(raw, "name", where, source),
        path=_required_str(raw, "path", where, source),
        env_vars=tuple(env_vars),
        deployment=str(raw.get("deployment", "")),
        container=str(raw.get("container", "")),
    )


def _selector(raw: object, where: str, source: Path | None) -> InstallerSetSelector:
    if not isinstance(raw, Mapping):
        raise _error(f'{where}: each entry must be a table like {{ created_by = "TektonPipeline" }}', source)
    _check_keys(raw, _SELECTOR_KEYS, where, source)
    types = raw.get("types", [])
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise _error(f"{where}: types must be a list of strings", source)
    return InstallerSetSelector(
        created_by=_required_str(raw, "created_by", where, source), types=tuple(types)
    )


def _check_keys(table: Mapping[str, Any], allowed: set[str], where: str, source: Path | None) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise _error(f"{where}: unknown key {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}", source)


def _required_str(table: Mapping[str, Any], key: str, where: str, source: Path | None) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _error(f"{where}: {key!r} is required and must be a non-empty string", source)
    return value


def _error(message: str, source: Path | None) -> ConfigError:
    return ConfigError(
        message, path=source, hint="see the comments at the top of the shipped components.toml"
    )
