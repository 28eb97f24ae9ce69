"""Local upstream repositories for the embedded default: real git repos shaped like the real ones.

`--cluster emulated` must build without network, so each component of the catalog gets a local
repository with its `go.mod` module line, a `main.go` per image path (or a Dockerfile for
Containerfile builds), a few real commits, a release tag and a pull-request head
(`refs/pull/1/head`), so every ref form of `--components` works. Created once per results directory
and reused; the catalog handed to the session points at them (`file://` URLs). The commits are
deterministic (fixed identity, dates and contents), so every results directory gets the same SHAs.

The `pipeline` repository has a longer history, and one of its commits plants a regression the
demo finds: `DEFECT_SUBJECT` changes `cmd/entrypoint` and gives its image the label the emulated
Tekton controller reads (`.ko-standin.toml`, docs/standins.md "ko"), so from that commit on the
steps of finally tasks panic and DEMO-03-TC02 fails; an image built before it passes. Nothing else
knows: the outcome of the scenario follows the code that was built and deployed.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
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
DEFECT_LABEL: Final = "emulator.streamstress.io/defect"
DEFECT_SUBJECT: Final = "entrypoint: read the results of finally tasks from the shared results dir"
DEFECT_OUTPUT: Final = (
    "panic: runtime error: invalid memory address or nil pointer dereference\n"
    "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x1c3a5e]\n"
    "\n"
    "goroutine 1 [running]:\n"
    "main.readFinallyResults(...)\n"
    "\t/go/src/github.com/tektoncd/pipeline/cmd/entrypoint/results.go:41"
)
"""What a step of a finally task prints with the broken entrypoint (a Go panic, exit code 2)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Change:
    """One commit of the pipeline demo history: its date, subject and what it edits."""

    date: str
    subject: str
    path: str
    """The image directory whose `main.go` changes (its image digest changes)."""
    plants_defect: bool = False


PIPELINE_HISTORY: Final = (
    Change("2026-11-20T10:00:00+00:00", "pipeline: log reconcile durations at debug level", "cmd/controller"),
    Change("2026-11-21T10:00:00+00:00", "webhook: validate the names of finally tasks", "cmd/webhook"),
    Change("2026-11-23T10:00:00+00:00", DEFECT_SUBJECT, "cmd/entrypoint", plants_defect=True),
    Change("2026-11-24T10:00:00+00:00", "resolvers: cache git resolver clones per revision", "cmd/resolvers"),
    Change("2026-11-25T10:00:00+00:00", "events: send a cloud event when a TaskRun is retried", "cmd/events"),
)
"""After the initial commit (tag v0.1.0): PR #1 is the second commit, the defect the fourth."""


def _module(spec: ComponentSpec) -> str:
    return spec.repo.removeprefix("https://").removeprefix("http://").rstrip("/").removesuffix(".git")


def _git(repo: Path, *args: str, date: str = DATES[0]) -> None:
    env = {**os.environ, **GIT_IDENTITY, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    Git(url=str(repo), clone_dir=repo, timeout=60, env=env).run(
        *args, what=f"preparing demo upstream {repo.name}"
    )


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _commit(repo: Path, subject: str, date: str, *, index: int) -> None:
    _git(repo, "add", "-A", date=date)
    _git(repo, "commit", "-q", "-m", subject, date=date)
    if index == 0:
        _git(repo, "tag", "v0.1.0", date=date)
    if index == 1:
        _git(repo, "update-ref", "refs/pull/1/head", "HEAD", date=date)


def _knobs(*, defect: bool) -> str:
    """The ko stand-in's knob file of the pipeline tree; with the defect, the entrypoint's label."""
    text = "# ko stand-in knobs (docs/standins.md, ko): what this tree's images do on the emulated cluster.\n"
    if defect:
        output = DEFECT_OUTPUT.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
        text += f'\n[paths."./cmd/entrypoint".labels]\n"{DEFECT_LABEL}" = "finally: {output}"\n'
    return text


def _pipeline_history(repo: Path, spec: ComponentSpec) -> None:
    """The initial tree, then `PIPELINE_HISTORY`, one commit each."""
    for image in spec.images:
        _write(repo / image.path / "main.go", "package main\n\nfunc main() {}\n")
    _write(repo / ".ko-standin.toml", _knobs(defect=False))
    _commit(repo, f"{spec.name}: initial layout", "2026-11-18T10:00:00+00:00", index=0)
    for index, change in enumerate(PIPELINE_HISTORY, start=1):
        main = repo / change.path / "main.go"
        _write(main, main.read_text(encoding="utf-8") + f"\n// {change.subject}\n")
        if change.plants_defect:
            _write(repo / ".ko-standin.toml", _knobs(defect=True))
        _commit(repo, change.subject, change.date, index=index)


def _plain_history(repo: Path, spec: ComponentSpec) -> None:
    """Three commits, each touching every image."""
    for index, date in enumerate(DATES):
        for image in spec.images:
            if spec.build is BuildSystem.KO:
                main = f"package main\n\n// revision {index}\nfunc main() {{}}\n"
                _write(repo / image.path / "main.go", main)
            else:
                dockerfile = f"FROM registry.access.redhat.com/ubi9/nginx-124\n# revision {index}\n"
                _write(repo / "Dockerfile", dockerfile)
        _commit(repo, f"{spec.name}: change {index + 1}", date, index=index)


def make_upstream(spec: ComponentSpec, root: Path) -> Path:
    """One component's repository: tag `v0.1.0` on the first commit and PR #1 off the second."""
    repo = root / spec.name
    if (repo / ".git").is_dir():
        return repo
    repo.mkdir(parents=True, exist_ok=True)
    _git(repo, "init", "-q", "-b", spec.default_branch)
    if spec.build is BuildSystem.KO:
        _write(repo / "go.mod", f"module {_module(spec)}\n\ngo 1.24\n")
    history: Callable[[Path, ComponentSpec], None] = (
        _pipeline_history if spec.name == "pipeline" and spec.build is BuildSystem.KO else _plain_history
    )
    history(repo, spec)
    return repo


def local_catalog(catalog: ComponentCatalog, root: Path) -> ComponentCatalog:
    """The same components, each pointing at a local repository made on first use."""
    local = tuple(dataclasses.replace(spec, repo=make_upstream(spec, root).as_uri()) for spec in catalog)
    return ComponentCatalog(local, catalog.source)
