"""Images that are not built in this session: `--image NAME=REF` and `--images-from results.json`.

Both give `BuildResult`s with status REUSED, so deploy and the report treat them like builds. A file
that a session hands to the sessions it starts for the same run (`--clusters`' members, a Job's
pods; `history.store.handed_over_images`) keeps its built components BUILT: this run built them.
Every reused ref must carry a digest: a tag can move between the run that built it and this one,
and everything downstream (deploy verification, results.json) compares digests (issue 6). A ref
without `@sha256:` is refused with the fix, not resolved behind the user's back.

Also the JSON form of one `BuildResult` that xdist workers share through the build's shared
directory (R27: JSON, never a pickle).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from pytest_streamstress.components import ComponentCatalog
from pytest_streamstress.errors import ConfigError
from pytest_streamstress.model import (
    BuildResult,
    BuildStatus,
    BuiltImage,
    ComponentName,
    ImageRef,
    SourceCommit,
)

if TYPE_CHECKING:
    from pytest_streamstress.history.store import ComponentResult, ImageResult

log = logging.getLogger(__name__)

_DIGEST_REF: Final = re.compile(r"^[^@\s]+@sha256:[0-9a-f]{64}$")


def has_digest(ref: str) -> bool:
    return bool(_DIGEST_REF.match(ref))


def images_from_assignments(
    assignments: Sequence[tuple[str, str]], catalog: ComponentCatalog
) -> tuple[BuildResult, ...]:
    """`--image NAME=REF` (repeatable) -> one REUSED result per component, images in catalog order."""
    chosen: dict[str, str] = {}
    for name, ref in assignments:
        if catalog.component_of_image(name) is None:
            known = ", ".join(sorted(i.name for c in catalog for i in c.images))
            raise ConfigError(
                f"--image {name}={ref}: unknown image name {name!r}; known: {known}",
                hint="image names are the 'name' fields of components.toml",
            )
        if not has_digest(ref):
            raise _no_digest(f"--image {name}={ref}", ref)
        chosen[name] = ref
    results: list[BuildResult] = []
    for component in catalog:
        images = tuple(
            BuiltImage(name=i.name, ref=ImageRef(chosen[i.name]), env_vars=i.env_vars)
            for i in component.images
            if i.name in chosen
        )
        if images:
            results.append(
                BuildResult(
                    component=component.name, repo=component.repo, status=BuildStatus.REUSED, images=images
                )
            )
    return tuple(results)


def images_from_results(path: Path, catalog: ComponentCatalog | None = None) -> tuple[BuildResult, ...]:
    """`--images-from PATH`: the images of an earlier results.json (`components[].images[]`).

    Components that failed or were not built there have no images and are left out. With a
    catalog, env vars come from today's components.toml (it may have been fixed since that run).
    The file is read by the history's one typed reader (`history.store.read_images_file`).
    """
    from pytest_streamstress.history.store import HistoryError, read_images_file

    try:
        images = read_images_file(path)
    except HistoryError as exc:
        raise ConfigError(
            f"--images-from: {exc.reason}", path=path, hint="give the results.json of an earlier run"
        ) from None
    handed_over = bool(images.handed_over_by)
    reused = (
        _reused(entry, index, path, catalog, handed_over) for index, entry in enumerate(images.components)
    )
    results = [r for r in reused if r]
    if not results:
        raise ConfigError(
            "--images-from: no component in this file has images",
            path=path,
            hint="use the results.json of a run whose builds succeeded",
        )
    return tuple(results)


def _reused(
    entry: ComponentResult, index: int, path: Path, catalog: ComponentCatalog | None, handed_over: bool
) -> BuildResult | None:
    where = f"--images-from: components[{index}] ({entry.name})"
    images = tuple(_reused_image(image, where, path, catalog) for image in entry.images)
    if not images:
        return None
    commit = entry.commit
    source = (
        None
        if commit is None
        else SourceCommit(sha=commit.sha, date=commit.date, subject=commit.subject, ref=entry.ref)
    )
    return BuildResult(
        component=ComponentName(entry.name),
        repo=entry.repo,
        status=BuildStatus.BUILT if handed_over and entry.status == "built" else BuildStatus.REUSED,
        source=source,
        images=images,
    )


def _reused_image(image: ImageResult, where: str, path: Path, catalog: ComponentCatalog | None) -> BuiltImage:
    if not has_digest(image.ref):
        raise _no_digest(f"{where} image {image.name}", image.ref, path=path)
    env_vars = image.env_vars
    if catalog is not None:
        component = catalog.component_of_image(image.name)
        if component is None:
            log.warning(
                "%s: image %s is not in components.toml; its env vars come from the file", where, image.name
            )
        else:
            env_vars = next(i.env_vars for i in component.images if i.name == image.name)
    return BuiltImage(name=image.name, ref=ImageRef(image.ref), env_vars=env_vars)


def _no_digest(where: str, ref: str, *, path: Path | None = None) -> ConfigError:
    return ConfigError(
        f"{where}: {ref!r} has no digest; a tag can point elsewhere by the time it is deployed",
        hint="give the ref as registry/namespace/name@sha256:<64 hex> (ko, `podman push --digestfile` and"
        " `skopeo inspect --format '{{.Digest}}'` print it)",
        path=path,
    )


# -- the shared-directory record of one build (xdist workers) ------------------------------------------


def result_to_json(result: BuildResult) -> dict[str, Any]:
    source = result.source
    return {
        "component": result.component,
        "repo": result.repo,
        "status": result.status.value,
        "source": None
        if source is None
        else {"sha": source.sha, "date": source.date, "subject": source.subject, "ref": source.ref},
        "images": [{"name": i.name, "ref": i.ref, "env_vars": list(i.env_vars)} for i in result.images],
        "error": result.error,
        "log_path": None if result.log_path is None else str(result.log_path),
        "duration_s": result.duration_s,
    }


def result_from_json(data: dict[str, Any]) -> BuildResult:
    source = data.get("source")
    return BuildResult(
        component=ComponentName(data["component"]),
        repo=data["repo"],
        status=BuildStatus(data["status"]),
        source=None
        if source is None
        else SourceCommit(
            sha=source["sha"], date=source["date"], subject=source["subject"], ref=source.get("ref")
        ),
        images=tuple(
            BuiltImage(name=i["name"], ref=ImageRef(i["ref"]), env_vars=tuple(i["env_vars"]))
            for i in data.get("images", [])
        ),
        error=data.get("error", ""),
        log_path=Path(data["log_path"]) if data.get("log_path") else None,
        duration_s=float(data.get("duration_s", 0.0)),
    )
