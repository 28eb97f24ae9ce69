"""Build phase: clone each component at its ref, build its images in parallel, push them, report digests.

Public API (R4): `build_components`, `BuildOptions`, `BuildEvent`, `RegistryTarget`,
`images_from_assignments` and `images_from_results` (for `--skip-build`), `decide`. The parts:
`orchestrate` (threads, xdist sharing, failure isolation), `images` (one component's images),
`ko` and `containerfile` (command lines and output parsing), `registry` (push/pull addresses and
credentials), `reuse` (images not built in this session),
`summary` (`decide`: deploy or skip after failures). git is reached only through `gitrepo`.
"""

from __future__ import annotations

from pytest_streamstress.build.orchestrate import BuildEvent, BuildOptions, build_components
from pytest_streamstress.build.registry import INTERNAL_PULL_HOST, RegistryTarget
from pytest_streamstress.build.reuse import (
    has_digest,
    images_from_assignments,
    images_from_results,
    result_from_json,
    result_to_json,
)
from pytest_streamstress.build.summary import BuildDecision, decide

__all__ = [
    "INTERNAL_PULL_HOST",
    "BuildDecision",
    "BuildEvent",
    "BuildOptions",
    "RegistryTarget",
    "build_components",
    "decide",
    "has_digest",
    "images_from_assignments",
    "images_from_results",
    "result_from_json",
    "result_to_json",
]
