"""Local upstream repositories for the embedded default: real git repos shaped like the real ones.

`--cluster emulated` must build without network, so each component of the catalog gets a local
repository with its `go.mod` module line, a `main.go` per image path (or a Dockerfile for
Containerfile builds), a few real commits, a release tag and a pull-request head
(`refs/pull/1/head`), so every ref form of `--components` works. Created once per results directory
and reused; the catalog handed to the session points at them (`file://` URLs).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Final

from pytest_streamstress._infra.git import Git
from pytest_streamstress.components import ComponentCatalog
from pytest_streamstress.model import BuildSystem, ComponentSpec

GIT_IDENTITY: Final = {
    "GIT_AUTHOR_NAME": "Upstream Dev",
    "GIT_AUTHOR_EMAIL": "dev@upstream.invalid",
    "GIT_COMMITTER_NAME": "Upstream Dev",
    "GIT_COMMITTER_EMAIL": "dev@upstream.invalid",
}
DATES: Final = ("2026-11-20T10:00:00+00:00", "2026-11-23T10:00:00+00:00", "2026-11-25T10:00:00+00:00")


def _module(spec: ComponentSpec) -> str:
    return spec.repo.removeprefix("https://").removeprefix("http://").rstrip("/").removesuffix(".git")


def _git(repo: Path, *args: str, date: str = DATES[0]) -> None:
    env = {**os.environ, **GIT_IDENTITY, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    Git(url=str(repo), clone_dir=repo, timeout=60, env=env).run(
        *args, what=f"preparing demo upstream {repo.name}"
    )


def make_upstream(spec: ComponentSpec, root: Path) -> Path:
    """One component's repository with three commits, tag `v0.1.0` on the first and PR #1 off the second."""
    repo = root / spec.name
    if (repo / ".git").is_dir():
        return repo
    repo.mkdir(parents=True, exist_ok=True)
    _git(repo, "init", "-q", "-b", spec.default_branch)
    if spec.build is BuildSystem.KO:
        (repo / "go.mod").write_text(f"module {_module(spec)}\n\ngo 1.24\n", encoding="utf-8")
    for index, date in enumerate(DATES):
        for image in spec.images:
            if spec.build is BuildSystem.KO:
                main = repo / image.path / "main.go"
                main.parent.mkdir(parents=True, exist_ok=True)
                main.write_text(f"package main\n\n// revision {index}\nfunc main() {{}}\n", encoding="utf-8")
            else:
                (repo / "Dockerfile").write_text(
                    f"FROM registry.access.redhat.com/ubi9/nginx-124\n# revision {index}\n", encoding="utf-8"
                )
        _git(repo, "add", "-A", date=date)
        _git(repo, "commit", "-q", "-m", f"{spec.name}: change {index + 1}", date=date)
        if index == 0:
            _git(repo, "tag", "v0.1.0", date=date)
        if index == 1:
            _git(repo, "update-ref", "refs/pull/1/head", "HEAD", date=date)
    return repo


def local_catalog(catalog: ComponentCatalog, root: Path) -> ComponentCatalog:
    """The same components, each pointing at a local repository made on first use."""
    local = tuple(dataclasses.replace(spec, repo=make_upstream(spec, root).as_uri()) for spec in catalog)
    return ComponentCatalog(local, catalog.source)
