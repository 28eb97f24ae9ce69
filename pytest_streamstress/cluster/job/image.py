"""Which image the in-cluster Job runs when nobody named one: the one door for that choice (issue 23).

A release's wheel and sdist carry `job_image.txt` beside this module, one line
`ghcr.io/<owner>/pytest-streamstress@sha256:<digest>`, written by `.github/workflows/job-image.yml`
after it pushed the image built from that release's `Containerfile`, so the Job runs the very code
that launched it. A digest, not a tag: a tag can be pushed again, a digest cannot. A source checkout
has no such file (it is git-ignored and only the release workflow writes it), so it falls back to
the `:main` tag, which moves with every push to main; the caller says so in one line. An image the
user names (`--job-image`, `STREAMSTRESS_JOB_IMAGE`) always wins. This module reads the packaged file
and nothing else: it never asks a registry whether the image exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from pytest_streamstress.errors import ConfigError

__all__ = ["MOVING_IMAGE", "RECORD", "REPOSITORY", "JobImage", "parse_record", "resolve_job_image"]

REPOSITORY: Final = "ghcr.io/openshift-pipelines/pytest-streamstress"
"""Where job-image.yml pushes from the project's own repository (`ghcr.io/<lowercased owner>/...`).

The owner `openshift-pipelines` is an assumption, not read from anywhere: if the repository lives
under another owner, change it here (only a source checkout's fallback uses it)."""
MOVING_IMAGE: Final = f"{REPOSITORY}:main"
RECORD: Final = Path(__file__).with_name("job_image.txt")
"""Written by the release workflow before it builds the dist; declared a build artifact in pyproject."""

_PINNED: Final = re.compile(r"[a-z0-9][a-z0-9.-]*(?::[0-9]+)?(?:/[a-z0-9][a-z0-9._-]*)+@sha256:[0-9a-f]{64}")
"""registry[:port]/path@sha256:<64 hex>, lowercase as registries require; no tag beside the digest."""

Source = Literal["given", "release", "moving"]


@dataclass(frozen=True, slots=True, kw_only=True)
class JobImage:
    """The image the Job runs and why that one."""

    ref: str
    source: Source
    """given: the user named it; release: this release's recorded digest; moving: the `:main` fallback."""

    @property
    def note(self) -> str:
        """One line for the terminal when the image is unpinned, else "": a moving tag must not go unsaid."""
        if self.source != "moving":
            return ""
        return (
            f"job image: {self.ref} (this installation records no release digest; :main moves with every"
            " push, pin one with --job-image)"
        )


def parse_record(text: str, *, path: Path) -> str:
    """The recorded image reference; anything but one digest-pinned reference is the release's mistake."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) == 1 and _PINNED.fullmatch(lines[0]):
        return lines[0]
    found = f"{len(lines)} lines"
    if len(lines) == 1:
        found = repr(lines[0])
    elif not lines:
        found = "an empty file"
    raise ConfigError(
        f"not one image pinned by digest (found {found})",
        path=path,
        hint="expected one line REGISTRY/REPOSITORY@sha256:<64 hex digits>, as the release workflow"
        " writes it; reinstall the release, delete the file to use the moving :main image, or pass"
        " --job-image",
    )


def resolve_job_image(given: str, *, record: Path = RECORD) -> JobImage:
    """The named image, else the release's recorded digest, else the moving `:main` tag."""
    if given:
        return JobImage(ref=given, source="given")
    try:
        text = record.read_text(encoding="utf-8")
    except FileNotFoundError:
        return JobImage(ref=MOVING_IMAGE, source="moving")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the recorded job image: {exc}", path=record) from exc
    return JobImage(ref=parse_record(text, path=record), source="release")
