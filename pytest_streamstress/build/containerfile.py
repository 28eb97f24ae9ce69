"""Containerfile builds (the console plugin) with podman or docker: command lines and output parsing.

`--container-tool auto` picks podman when it is on PATH, else docker (like the original tool,
reference §12.2.5). Push flags differ: podman takes `--cert-dir` for the cluster's CA,
`--tls-verify=false` only for `--registry-insecure`, and writes the pushed manifest digest with
`--digestfile`; docker has none of them. Docker reads the digest from its push output's last line,
`<tag>: digest: sha256:<hex> size: <n>`; the docker daemon itself must trust the registry's CA
(`/etc/docker/certs.d/<host>/ca.crt`) or list the host under `insecure-registries` in
`/etc/docker/daemon.json`; no client flag exists (reference §13.9).
"""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from pytest_streamstress._infra.proc import INSTALL_HINTS
from pytest_streamstress.errors import ToolNotFound

log = logging.getLogger(__name__)

CONTAINERFILE_NAMES: Final = ("Containerfile", "Dockerfile")
_DOCKER_DIGEST: Final = re.compile(r"digest: (sha256:[0-9a-f]{64}) size: \d+")


def choose_tool(choice: str, *, env: Mapping[str, str]) -> str:
    """`auto` -> podman if on PATH, else docker; an explicit choice is kept (and must exist)."""
    path = env.get("PATH")
    if choice in ("docker", "podman"):
        if shutil.which(choice, path=path) is None:
            raise ToolNotFound(f"cannot run {choice!r}: not found on PATH", hint=INSTALL_HINTS[choice])
        return choice
    for tool in ("podman", "docker"):
        if shutil.which(tool, path=path) is not None:
            return tool
    raise ToolNotFound(
        "neither podman nor docker is on PATH (needed for the console plugin build)",
        hint=INSTALL_HINTS["podman"],
    )


def find_containerfile(context: Path) -> Path | None:
    for name in CONTAINERFILE_NAMES:
        if (context / name).is_file():
            return context / name
    return None


def build_argv(tool: str, *, tag: str, context: Path, containerfile: Path | None) -> list[str]:
    argv = [tool, "build", "-t", tag]
    if containerfile is not None:
        argv += ["-f", str(containerfile)]
    argv.append(str(context))
    return argv


def push_argv(
    tool: str, *, tag: str, insecure: bool, digest_file: Path, cert_dir: Path | None = None
) -> list[str]:
    """podman: `--cert-dir` trusts the cluster's CA, `--tls-verify=false` only when insecure was asked for;
    docker has neither flag (its daemon's certs.d decides, build/tls.py)."""
    if tool == "podman":
        argv = [tool, "push", "--digestfile", str(digest_file)]
        if insecure:
            argv.append("--tls-verify=false")
        elif cert_dir is not None:
            argv += ["--cert-dir", str(cert_dir)]
        return [*argv, tag]
    return [tool, "push", tag]


def pushed_digest(tool: str, *, output: str, digest_file_text: str) -> str | None:
    """The manifest digest the push reported: podman's digest file, or docker's last `digest:` line."""
    if tool == "podman":
        text = digest_file_text.strip()
        return text if re.fullmatch(r"sha256:[0-9a-f]{64}", text) else None
    found = _DOCKER_DIGEST.findall(output)
    return found[-1] if found else None
