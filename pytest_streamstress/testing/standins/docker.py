"""Stand-in for `docker` and `podman` (`prog` says which): build, push, version, image inspect.

Command lines: `build -t TAG [-f FILE] [--platform P] CONTEXT`, `push [--tls-verify=false]
[--digestfile F] REF` (podman only: docker answers `unknown flag: --tls-verify` with exit 125,
reference §13.9), `--version` / `version`, `image inspect --format '{{.Digest}}' REF`.
Output shapes: docker's classic builder (`Step 1/3 : FROM ...`, `Successfully built <id>`,
`Successfully tagged <tag>`) and push (`The push refers to repository [...]`, `<id>: Pushed`,
`<tag>: digest: sha256:<hex> size: <n>`); podman's `STEP 1/3: FROM ...`, `COMMIT <tag>`, the
image id, and on push `Getting image source signatures` ... `Writing manifest to image
destination` on stderr, with the digest in `--digestfile`.

The image is derived from the build context's files (same tree, same digest) and kept in a
per-user store (`${XDG_DATA_HOME:-~/.local/share}/streamstress-standins/<prog>`) between `build`
and `push`. Push is real HTTPS to the registry in the tag, verified against the system CAs plus
podman's `--cert-dir` (else containers-certs.d) or the docker daemon's `/etc/docker/certs.d/<host>`;
podman skips verification and may fall back to plain HTTP only with `--tls-verify=false`, docker
for 127.0.0.0/8 and localhost (the daemon's default insecure range).

Knobs live in the build context: `.container-standin.toml` (`duration_s`, `cpu_s`) and a
`FAIL_BUILD` file (a RUN step fails with its first line, exit 1). `CONTAINER_STANDIN_RECORD`
gets one JSON line per build with start/end stamps.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Final

from pytest_streamstress.testing.standins import _oci

KNOBS_FILE: Final = ".container-standin.toml"
FAIL_FILE: Final = "FAIL_BUILD"
VERSIONS: Final = {"docker": "Docker version 24.0.7, build afdd53b", "podman": "podman version 4.9.3"}


def _out(line: str) -> None:
    """One line of the tool's stdout (stand-ins print: that is their output)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class Usage(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def _store(prog: str) -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "streamstress-standins" / prog


def main(argv: list[str], prog: str = "docker") -> int:
    prog = prog if prog in VERSIONS else "docker"
    try:
        if not argv or argv[0] in ("--version", "-v", "version"):
            _out(VERSIONS[prog])
            return 0
        command, rest = argv[0], argv[1:]
        if command == "build":
            return _build(prog, rest)
        if command == "push":
            return _push(prog, rest)
        if command in ("inspect", "image"):
            return _inspect(prog, rest[1:] if command == "image" and rest[:1] == ["inspect"] else rest)
        raise Usage(
            f"unknown command: {command!r}"
            if prog == "podman"
            else f"docker: '{command}' is not a docker command.\nSee 'docker --help'",
            125,
        )
    except Usage as exc:
        sys.stderr.write(("Error: " if prog == "podman" else "") + f"{exc}\n")
        return exc.code


def _options(
    args: list[str], *, with_value: set[str], switches: set[str], prog: str, command: str
) -> tuple[dict[str, list[str]], list[str]]:
    values: dict[str, list[str]] = {}
    positional: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        name, eq, value = arg.partition("=")
        if name in with_value:
            if not eq:
                index += 1
                if index >= len(args):
                    raise Usage(f"flag needs an argument: {name}", 125)
                value = args[index]
            values.setdefault(name, []).append(value)
        elif name in switches:
            values.setdefault(name, []).append(value if eq else "true")
        elif arg.startswith("-") and arg != "-":
            hint = "" if prog == "podman" else f"\nSee '{prog} {command} --help'."
            raise Usage(f"unknown flag: {name}{hint}", 125)
        else:
            positional.append(arg)
        index += 1
    return values, positional


def _build(prog: str, args: list[str]) -> int:
    values, positional = _options(
        args,
        with_value={"-t", "--tag", "-f", "--file", "--platform"},
        switches=set(),
        prog=prog,
        command="build",
    )
    if len(positional) != 1:
        raise Usage(f'"{prog} build" requires exactly 1 argument.', 125 if prog == "podman" else 1)
    context = Path(positional[0]).resolve()
    file = Path((values.get("-f") or values.get("--file") or [""])[0])
    if not str(file) or str(file) == ".":
        file = next(
            (context / n for n in ("Containerfile", "Dockerfile") if (context / n).is_file()),
            context / "Dockerfile",
        )
    if not file.is_file():
        if prog == "podman":
            raise Usage("no Containerfile or Dockerfile specified or found in context directory", 125)
        raise Usage(
            "ERROR: failed to solve: failed to read dockerfile: open Dockerfile: no such file or directory", 1
        )
    tags = (values.get("-t") or []) + (values.get("--tag") or [])
    started = time.time()
    ok = False
    try:
        ok = _run_build(
            prog,
            context=context,
            file=file,
            tags=tags,
            platform=(values.get("--platform") or ["linux/amd64"])[0],
        )
    finally:
        _oci.record(
            "CONTAINER_STANDIN_RECORD",
            {
                "tool": prog,
                "pid": os.getpid(),
                "context": str(context),
                "tags": tags,
                "start": started,
                "end": time.time(),
                "ok": ok,
            },
        )
    return 0 if ok else 1


def _run_build(prog: str, *, context: Path, file: Path, tags: list[str], platform: str) -> bool:
    steps = [
        line.strip()
        for line in file.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    knobs = _oci.read_knobs(context / KNOBS_FILE)
    _oci.spend(float(knobs.get("duration_s", 0.0)), float(knobs.get("cpu_s", 0.0)))
    fail = context / FAIL_FILE
    for number, step in enumerate(steps, start=1):
        _out(
            f"STEP {number}/{len(steps)}: {step}"
            if prog == "podman"
            else f"Step {number}/{len(steps)} : {step}"
        )
        if fail.is_file() and step.upper().startswith("RUN"):
            _out((fail.read_text(encoding="utf-8").strip().splitlines() or ["build step failed"])[0])
            if prog == "podman":
                sys.stderr.write(f'Error: building at STEP "{step}": while running runtime: exit status 1\n')
            else:
                sys.stderr.write(f"The command '/bin/sh -c {step[3:].strip()}' returned a non-zero code: 1\n")
            return False
    image = _oci.make_image(
        content_hash=_oci.tree_hash(context), platform=platform, entrypoint="/usr/bin/app"
    )
    image_id = image.config.digest.removeprefix("sha256:")
    _save(prog, image, tags)
    if prog == "podman":
        _out(f"COMMIT {tags[0] if tags else ''}".rstrip())
        _out(f"--> {image_id[:12]}")
        for tag in tags:
            _out(f"Successfully tagged {tag if '/' in tag else 'localhost/' + tag}")
        _out(image_id)
    else:
        _out(f"Successfully built {image_id[:12]}")
        for tag in tags:
            _out(f"Successfully tagged {_normal(tag)}")
    return True


def _normal(tag: str) -> str:
    return tag if ":" in tag.rsplit("/", 1)[-1] else f"{tag}:latest"


def _save(prog: str, image: _oci.Image, tags: list[str]) -> None:
    store = _store(prog)
    (store / "blobs").mkdir(parents=True, exist_ok=True)
    for blob in (image.config, image.layer, image.manifest):
        (store / "blobs" / blob.digest.replace(":", "-")).write_bytes(blob.data)
    index_file = store / "tags.json"
    index = json.loads(index_file.read_text(encoding="utf-8")) if index_file.exists() else {}
    for tag in tags:
        index[_normal(tag)] = {
            "manifest": image.manifest.digest,
            "config": image.config.digest,
            "layer": image.layer.digest,
            "platform": image.platform,
        }
    tmp = index_file.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(index, indent=1), encoding="utf-8")
    tmp.replace(index_file)


def _load(prog: str, tag: str) -> _oci.Image | None:
    store = _store(prog)
    index_file = store / "tags.json"
    index = json.loads(index_file.read_text(encoding="utf-8")) if index_file.exists() else {}
    entry = index.get(_normal(tag))
    if entry is None:
        return None

    def blob(kind: str, media_type: str) -> _oci.Blob:
        return _oci.Blob(media_type, (store / "blobs" / entry[kind].replace(":", "-")).read_bytes())

    return _oci.Image(
        config=blob("config", _oci.CONFIG_TYPE),
        layer=blob("layer", _oci.LAYER_TYPE),
        manifest=blob("manifest", _oci.MANIFEST_TYPE),
        platform=entry["platform"],
    )


def _push(prog: str, args: list[str]) -> int:
    with_value = {"--digestfile", "--authfile", "--cert-dir"} if prog == "podman" else set()
    switches = {"--tls-verify"} if prog == "podman" else set()
    values, positional = _options(args, with_value=with_value, switches=switches, prog=prog, command="push")
    if len(positional) != 1:
        raise Usage(f'"{prog} push" requires exactly 1 argument.', 125)
    tag = positional[0]
    image = _load(prog, tag)
    if image is None:
        if prog == "podman":
            raise Usage(f"{tag}: image not known", 125)
        raise Usage(f"An image does not exist locally with the tag: {tag.rsplit(':', 1)[0]}", 1)
    repository, _, tag_name = _normal(tag).rpartition(":")
    host, name = _oci.split_repository(repository)
    tls_verify = (values.get("--tls-verify") or ["true"])[-1].lower() != "false"
    local = host.split(":", 1)[0] in ("localhost", "127.0.0.1")
    env = dict(os.environ)
    if values.get("--authfile"):
        env["REGISTRY_AUTH_FILE"] = values["--authfile"][-1]
    registry = _oci.Registry(
        host=host,
        insecure=(not tls_verify) if prog == "podman" else local,
        http_fallback=(not tls_verify) if prog == "podman" else local,
        authorization=_oci.auth_header(host, prog=prog, env=env),
        cafiles=_trusted_cas(prog, host, values.get("--cert-dir"), env),
    )
    if prog == "podman":
        sys.stderr.write("Getting image source signatures\n")
        sys.stderr.write(f"Copying blob {image.layer.digest}\nCopying config {image.config.digest}\n")
    else:
        _out(f"The push refers to repository [{repository}]")
    try:
        digest = _oci.push_image(registry, name, image, tags=[tag_name])
    except _oci.PushError as exc:
        if prog == "podman":
            raise Usage(f"trying to reuse blob {image.layer.digest} at destination: {exc}", 125) from None
        raise Usage(str(exc), 1) from None
    if prog == "podman":
        sys.stderr.write("Writing manifest to image destination\n")
        if values.get("--digestfile"):
            Path(values["--digestfile"][-1]).write_text(digest, encoding="utf-8")
    else:
        _out(f"{image.layer.digest.removeprefix('sha256:')[:12]}: Pushed")
        _out(f"{tag_name}: digest: {digest} size: {len(image.manifest.data)}")
    return 0


def _trusted_cas(prog: str, host: str, cert_dirs: list[str] | None, env: dict[str, str]) -> tuple[Path, ...]:
    """podman: `--cert-dir` (every *.crt), else containers-certs.d(5); docker: its daemon's certs.d."""
    if prog == "docker":
        return _oci.certs_d(Path("/etc/docker/certs.d"), host)
    if cert_dirs:
        return tuple(sorted(Path(cert_dirs[-1]).glob("*.crt")))
    home = Path(env.get("HOME") or str(Path.home()))
    return _oci.certs_d(home / ".config" / "containers" / "certs.d", host) + _oci.certs_d(
        Path("/etc/containers/certs.d"), host
    )


def _inspect(prog: str, args: list[str]) -> int:
    values, positional = _options(
        args, with_value={"--format", "-f"}, switches=set(), prog=prog, command="inspect"
    )
    if not positional:
        raise Usage(f'"{prog} image inspect" requires at least 1 argument.', 125)
    image = _load(prog, positional[0])
    if image is None:
        raise Usage(
            f"No such image: {positional[0]}" if prog == "docker" else f"{positional[0]}: image not known",
            1 if prog == "docker" else 125,
        )
    fmt = (values.get("--format") or values.get("-f") or [""])[0]
    if "{{.Digest}}" in fmt:
        _out(image.manifest.digest)
    elif "{{.Id}}" in fmt or "{{.ID}}" in fmt:
        _out(image.config.digest)
    else:
        inspected = {
            "Id": image.config.digest,
            "Digest": image.manifest.digest,
            "Architecture": image.platform.split("/")[-1],
        }
        _out(json.dumps([inspected], indent=4))
    return 0
