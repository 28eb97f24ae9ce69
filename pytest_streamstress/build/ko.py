"""`ko build` command lines and the parsing of what ko prints; no process is started here.

Naming: one `ko build --bare` per image with `KO_DOCKER_REPO=<push>/<image name>`. `--bare` pushes
to exactly `KO_DOCKER_REPO` (reference §8), so every image gets its unique two-level name
(`tekton-upstream/pipeline-controller`) that OpenShift's registry accepts. The alternatives fail:
`-B` names images by the last path element, so pipeline, triggers, chains and manual-approval-gate
all push `tekton-upstream/controller` and overwrite each other (reference §13.3); `-P` and a
per-component `KO_DOCKER_REPO` give three or more levels, which the internal registry rejects.
The images of one component are built one after the other in that component's thread; Go's build
cache is shared between them, so the repeat cost is mostly linking, which ko does per image anyway.

Parsing (reference §8): stdout holds one `<name>[:tag]@sha256:<hex>` per import path, and logs go
to stderr. We pick the line whose repository equals the `KO_DOCKER_REPO` we set, by name, never by
position. For a multi-platform build that line is the image index; the `--image-refs` file then
holds the index and each per-platform child, and is used only when stdout has no matching line
(the first matching line, which ko writes for the index, wins).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from pytest_streamstress.model import ImageSpec

log = logging.getLogger(__name__)

GOFLAGS: Final = "-mod=vendor"
"""Every upstream repo vendors its modules (reference §8), so builds need no module download."""
PLATFORM_ENV: Final = ("GOOS", "GOARCH", "GOARM")
"""ko refuses `--platform` while any of these is set, even empty (ko-build/ko
pkg/commands/resolver.go:79-84 uses os.LookupEnv), so a build with `--platform` drops them."""


def ko_argv(
    image: ImageSpec, *, refs_file: Path, platform: str = "", insecure: bool = False, push: bool = True
) -> list[str]:
    argv = ["ko", "build", "--bare", "--sbom=none", "--image-refs", str(refs_file)]
    if not push:
        argv.append("--push=false")
    if platform:
        argv += ["--platform", platform]
    if insecure:
        argv.append("--insecure-registry")
    argv.append(image.path)
    return argv


def ko_env(*, repository: str, base_env: Mapping[str, str], platform: str = "") -> dict[str, str]:
    """The build environment: `KO_DOCKER_REPO` is the image's own repository (with `--bare`).

    With `--platform` the platform comes from the flag alone: a `GOOS`/`GOARCH`/`GOARM` left in the
    user's shell would make ko refuse the build (`PLATFORM_ENV`).
    """
    env = {k: v for k, v in base_env.items() if not (platform and k in PLATFORM_ENV)}
    env["KO_DOCKER_REPO"] = repository
    flags = env.get("GOFLAGS", "")
    if GOFLAGS not in flags.split():
        env["GOFLAGS"] = f"{flags} {GOFLAGS}".strip()
    return env


def repository_of(ref: str) -> str:
    """`host:5000/ns/name:tag@sha256:..` -> `host:5000/ns/name`."""
    name = ref.split("@", 1)[0]
    head, slash, last = name.rpartition("/")
    return f"{head}{slash}{last.split(':', 1)[0]}"


def find_ref(text: str, *, repository: str) -> str | None:
    """The first `<repository>[:tag]@sha256:<hex>` line of ko's stdout or image-refs file, else None."""
    for raw in text.splitlines():
        line = raw.strip()
        if "@sha256:" not in line:
            continue
        if repository_of(line) == repository:
            return line
    return None


def built_ref(*, stdout: str, refs_file_text: str, repository: str) -> str | None:
    """The digest reference ko reported for `repository`: stdout first, then the image-refs file."""
    return find_ref(stdout, repository=repository) or find_ref(refs_file_text, repository=repository)
