"""Build one component's images from its checked-out clone and return them as in-cluster pull refs.

ko components: one `ko build --bare` per image (why: `build/ko.py`). Containerfile components:
`<tool> build -t <push repo>:<sha12> <context>`, then `<tool> push`. Each image's pushed reference
becomes `RegistryTarget.pull_ref(...)`: same repository name and digest on the host pods pull
from. Processes run through `_proc` with the time left until the component's deadline.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pytest_streamstress._infra import proc as _proc
from pytest_streamstress._infra.redact import Redactor
from pytest_streamstress.build import containerfile, ko
from pytest_streamstress.build.registry import RegistryTarget
from pytest_streamstress.build.tls import DOCKER_CA_HINT
from pytest_streamstress.errors import ToolFailed, ToolTimedOut
from pytest_streamstress.model import (
    BuildSystem,
    BuiltImage,
    ComponentSpec,
    ContainerTool,
    ImageSpec,
    SourceCommit,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Tools:
    """Everything an image build needs besides the component and its source."""

    registry: RegistryTarget
    env: Mapping[str, str]
    redactor: Redactor
    log_path: Path
    work_dir: Path
    deadline: float
    """`time.monotonic()` value by which the whole component must be done."""
    platform: str = ""
    container_tool: ContainerTool = "auto"
    push: bool = True
    """False: ko builds with `--push=false` (a dry build for tests and benchmarks; ko only)."""
    cert_dir: Path | None = None
    """Directory of the registry's CA for podman's --cert-dir (ko reads SSL_CERT_FILE from `env`)."""

    def remaining(self, what: str) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise ToolTimedOut(
                f"no time left for {what}: the build timeout was used up",
                hint="raise --build-timeout",
                log_path=self.log_path,
            )
        return left

    def run(self, argv: list[str], *, what: str, env: Mapping[str, str], cwd: Path) -> _proc.Completed:
        with self.log_path.open("a", encoding="utf-8") as handle:
            handle.write(self.redactor("$ " + " ".join(argv)) + "\n")
        return _proc.run(
            argv,
            timeout=self.remaining(what),
            env=env,
            cwd=cwd,
            log_to=self.log_path,
            redactor=self.redactor,
            check=True,
            what=what,
        )


def build_images(
    spec: ComponentSpec, *, source: SourceCommit, clone_dir: Path, tools: Tools
) -> tuple[BuiltImage, ...]:
    tools.work_dir.mkdir(parents=True, exist_ok=True)
    if spec.build is BuildSystem.KO:
        return tuple(_ko_image(spec, image, clone_dir=clone_dir, tools=tools) for image in spec.images)
    if not tools.push:
        raise ToolFailed(
            f"{spec.name} is a Containerfile build, which cannot run without pushing",
            hint="dry builds (push=False) support ko components only",
        )
    tool = containerfile.choose_tool(tools.container_tool, env=tools.env)
    return tuple(
        _container_image(spec, image, tool=tool, source=source, clone_dir=clone_dir, tools=tools)
        for image in spec.images
    )


def _ko_image(spec: ComponentSpec, image: ImageSpec, *, clone_dir: Path, tools: Tools) -> BuiltImage:
    repository = tools.registry.push_repository(image.name)
    refs_file = tools.work_dir / f"{image.name}.image-refs"
    refs_file.unlink(missing_ok=True)
    argv = ko.ko_argv(
        image, refs_file=refs_file, platform=tools.platform, insecure=tools.registry.insecure, push=tools.push
    )
    done = tools.run(
        argv,
        what=f"ko build {image.path} ({spec.name})",
        env=ko.ko_env(repository=repository, base_env=tools.env, platform=tools.platform),
        cwd=clone_dir,
    )
    refs_text = refs_file.read_text(encoding="utf-8") if refs_file.exists() else ""
    pushed = ko.built_ref(stdout=done.stdout, refs_file_text=refs_text, repository=repository)
    if pushed is None:
        raise ToolFailed(
            f"ko build {image.path} exited 0 but printed no {repository}@sha256:... reference; stdout was:\n"
            f"{done.stdout.strip()[-2000:] or '(empty)'}",
            hint=f"see the full log {tools.log_path}",
            log_path=tools.log_path,
        )
    return BuiltImage(name=image.name, ref=tools.registry.pull_ref(pushed), env_vars=image.env_vars)


def _container_image(
    spec: ComponentSpec, image: ImageSpec, *, tool: str, source: SourceCommit, clone_dir: Path, tools: Tools
) -> BuiltImage:
    repository = tools.registry.push_repository(image.name)
    tag = f"{repository}:{source.sha[:12]}"
    context = (clone_dir / image.path).resolve()
    build = containerfile.build_argv(
        tool, tag=tag, context=context, containerfile=containerfile.find_containerfile(context)
    )
    tools.run(build, what=f"{tool} build ({spec.name})", env=tools.env, cwd=clone_dir)
    digest_file = tools.work_dir / f"{image.name}.digest"
    digest_file.unlink(missing_ok=True)
    push = containerfile.push_argv(
        tool, tag=tag, insecure=tools.registry.insecure, digest_file=digest_file, cert_dir=tools.cert_dir
    )
    try:
        done = tools.run(push, what=f"{tool} push ({spec.name})", env=tools.env, cwd=clone_dir)
    except ToolFailed as exc:
        if tool == "docker" and tools.registry.ca_pem and "x509" in exc.message:
            raise ToolFailed(
                exc.message, hint=DOCKER_CA_HINT, returncode=exc.returncode, log_path=exc.log_path
            ) from exc
        raise
    digest = containerfile.pushed_digest(
        tool,
        output=done.stdout + done.stderr,
        digest_file_text=digest_file.read_text(encoding="utf-8") if digest_file.exists() else "",
    )
    if digest is None:
        raise ToolFailed(
            f"{tool} push {tag} exited 0 but reported no digest",
            hint=f"see {tools.log_path}",
            log_path=tools.log_path,
        )
    return BuiltImage(
        name=image.name, ref=tools.registry.pull_ref(f"{repository}@{digest}"), env_vars=image.env_vars
    )
