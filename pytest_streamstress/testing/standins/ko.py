"""Stand-in for `ko build`: real command line, real output shapes, content-derived digests, a real push.

Command line (reference §8): `ko build [-B|--bare|-P] [-t TAG]... [--platform P] [--image-refs F]
[--sbom S] [--push=false] [--insecure-registry] [-j N] [-L|--local] IMPORTPATH...`, with
`KO_DOCKER_REPO` required unless `--local`. stdout is exactly one `<name>[:tag]@sha256:<hex>` per
import path (the image index for several platforms); logs go to stderr with Go's log timestamp
prefix (`Building ...`, `Publishing ...`, `Published ...`). `--image-refs` gets the same refs, plus
every per-platform child digest after its index.

The digest is derived from the files of the import path's directory, the import path and the
platform: the same tree gives the same digest. The image is pushed to the registry of
`KO_DOCKER_REPO` over HTTPS verified against the system CAs and `SSL_CERT_FILE` (as Go reads them);
`--insecure-registry` skips verification, and with it or for a 127.0.0.1/localhost host plain HTTP is
tried when HTTPS does not answer (go-containerregistry's loopback rule).

Behaviour knobs live in the repository being built, the way a real build's behaviour does:
- `.ko-standin.toml` at the module root: `duration_s` (wall time per import path, default 0),
  `cpu_s` (CPU burnt within it), `rendezvous` + `parties` (wait until that many builds have
  reached the folder: makes overlap certain in tests); a `[paths."./cmd/x"]` table overrides them.
  A `[labels]` table (and `[paths."./cmd/x".labels]`) goes into the image config's `config.Labels`,
  as `ko build --image-label` would put it: the emulated cluster reads an image's behaviour there
  (docs/emulator.md, "Tekton Pipelines").
- a file `FAIL_BUILD` in an import path's directory: the build fails like a Go compile error,
  quoting the file's first line, exit code 1.
- `KO_STANDIN_RECORD=<file>`: one JSON line per invocation (pid, cwd, import paths, repo, start
  and end wall-clock stamps, ok) so tests can see overlap and count builds.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path
from typing import Final

from pytest_streamstress._infra.toml import load_toml
from pytest_streamstress.testing.standins import _oci

KNOBS_FILE: Final = ".ko-standin.toml"
FAIL_FILE: Final = "FAIL_BUILD"
ALL_PLATFORMS: Final = ("linux/amd64", "linux/arm64", "linux/ppc64le", "linux/s390x")
VERSION: Final = "0.15.4"


class KoError(Exception):
    """Printed as `Error: <message>` with exit code 1, like cobra does for ko."""


def _log(message: str) -> None:
    stamp = time.strftime("%Y/%m/%d %H:%M:%S")
    sys.stderr.write(f"{stamp} {message}\n")
    sys.stderr.flush()


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, add_help=True)
    sub = parser.add_subparsers(dest="command")
    build = sub.add_parser("build", aliases=["publish"])
    build.add_argument("-B", "--base-import-paths", action="store_true")
    build.add_argument("--bare", action="store_true")
    build.add_argument("-P", "--preserve-import-paths", action="store_true")
    build.add_argument("-t", "--tags", action="append", default=None)
    build.add_argument("--platform", default="")
    build.add_argument("--image-refs", default="")
    build.add_argument("--sbom", default="spdx")
    build.add_argument("--push", dest="push", action="store_true", default=True)
    build.add_argument("--no-push", dest="push", action="store_false")
    build.add_argument("--insecure-registry", action="store_true")
    build.add_argument("-j", "--jobs", type=int, default=0)
    build.add_argument("-L", "--local", action="store_true")
    build.add_argument("--tag-only", action="store_true")
    build.add_argument("import_paths", nargs="*")
    sub.add_parser("version")
    return parser


BOOL_FLAGS: Final = (
    "--push",
    "--insecure-registry",
    "--bare",
    "--local",
    "--tag-only",
    "--base-import-paths",
    "--preserve-import-paths",
)


def go_bool_flags(argv: list[str]) -> list[str]:
    """Go's pflag booleans take `--flag=false`, never a separate value: map them for argparse."""
    out: list[str] = []
    for arg in argv:
        name, eq, value = arg.partition("=")
        if eq and name in BOOL_FLAGS:
            if value.lower() in ("true", "1"):
                out.append(name)
            elif name == "--push":
                out.append("--no-push")
            continue
        out.append(arg)
    return out


def main(argv: list[str], prog: str = "ko") -> int:
    args = _parser(prog).parse_args(go_bool_flags(argv))
    if args.command == "version":
        sys.stdout.write(VERSION + "\n")
        return 0
    if args.command not in ("build", "publish"):
        sys.stderr.write(f'Error: unknown command "{args.command or ""}" for "ko"\n')
        return 1
    started = time.time()
    ok = False
    try:
        ok = _build(args)
        return 0
    except KoError as exc:
        sys.stderr.write(f"Error: {exc}\n")
        return 1
    finally:
        _oci.record(
            "KO_STANDIN_RECORD",
            {
                "tool": "ko",
                "pid": os.getpid(),
                "cwd": str(Path.cwd()),
                "import_paths": args.import_paths,
                "repo": os.environ.get("KO_DOCKER_REPO", ""),
                "start": started,
                "end": time.time(),
                "ok": ok,
            },
        )


def _build(args: argparse.Namespace) -> bool:
    repo = "ko.local" if args.local else os.environ.get("KO_DOCKER_REPO", "")
    if not repo:
        raise KoError("KO_DOCKER_REPO environment variable is unset")
    if not args.import_paths:
        raise KoError("requires at least 1 arg(s), only received 0")
    platforms = _platforms(args.platform)  # ko makes its builder before it reads any package
    module_root, module = _module()
    tags = [t for raw in (args.tags or ["latest"]) for t in raw.split(",") if t]
    push = args.push and not args.local
    refs: list[str] = []
    for import_path in args.import_paths:
        refs.extend(
            _one(
                import_path,
                repo=repo,
                args=args,
                module_root=module_root,
                module=module,
                platforms=platforms,
                tags=tags,
                push=push,
            )
        )
    if args.image_refs:
        Path(args.image_refs).write_text("".join(line + "\n" for line in refs), encoding="utf-8")
    return True


def _module() -> tuple[Path, str]:
    cwd = Path.cwd()
    for directory in (cwd, *cwd.parents):
        go_mod = directory / "go.mod"
        if go_mod.is_file():
            for line in go_mod.read_text(encoding="utf-8").splitlines():
                if line.startswith("module "):
                    return directory, line.split()[1]
            raise KoError(f"{go_mod}: no module directive")
    raise KoError("go.mod file not found in current directory or any parent directory; see 'go help modules'")


def _platforms(text: str) -> list[str]:
    """ko's choice (ko-build/ko pkg/commands/resolver.go:62-85): `--platform`, else GOOS/GOARCH, else
    linux/amd64; `--platform` with any of GOOS, GOARCH, GOARM in the environment (set, even empty)
    is refused, wrapped the way build.go:71-73 and resolver.go:157-159 wrap it."""
    if not text:
        goos, goarch, goarm = (os.environ.get(name, "") for name in ("GOOS", "GOARCH", "GOARM"))
        platform = f"{goos}/{goarch}" if goos and goarch else "linux/amd64"
        if "arm" in goarch and goarm:
            platform += f"/v{goarm}"
        return [platform]
    for name in ("GOOS", "GOARCH", "GOARM"):
        if name in os.environ:
            raise KoError(
                "error creating builder: error setting up builder options: cannot use --platform or"
                " defaultPlatforms in .ko.yaml or env KO_DEFAULTPLATFORMS combined with"
                f' {name}="{os.environ[name]}"'
            )
    if text == "all":
        return list(ALL_PLATFORMS)
    return [p.strip() for p in text.split(",") if p.strip()]


def _name(import_path: str, *, repo: str, args: argparse.Namespace) -> str:
    base = import_path.rsplit("/", 1)[-1]
    if args.bare:
        return repo
    if args.base_import_paths:
        return f"{repo}/{base}"
    if args.preserve_import_paths:
        return f"{repo}/{import_path.lower()}"
    return f"{repo}/{base}-{hashlib.md5(import_path.encode()).hexdigest()}"


def _resolve(raw: str, *, module_root: Path, module: str) -> tuple[str, Path]:
    path = raw.removeprefix("ko://")
    if path.startswith("."):
        directory = (Path.cwd() / path).resolve()
        relative = directory.relative_to(module_root).as_posix()
        import_path = module if relative == "." else f"{module}/{relative}"
    elif path == module or path.startswith(module + "/"):
        import_path = path
        directory = module_root / path[len(module) :].lstrip("/")
    else:
        raise KoError(
            f'failed to publish images: importpath "{path}" is not supported: package {path} is not in'
            f" the main module ({module})"
        )
    if not directory.is_dir():
        raise KoError(
            f'failed to publish images: error building "ko://{import_path}": stat {directory}: no such'
            " file or directory"
        )
    return import_path, directory


def _one(
    raw: str,
    *,
    repo: str,
    args: argparse.Namespace,
    module_root: Path,
    module: str,
    platforms: list[str],
    tags: list[str],
    push: bool,
) -> list[str]:
    """Build and publish one import path; the index (or single image) ref comes first."""
    import_path, directory = _resolve(raw, module_root=module_root, module=module)
    relative = "./" + directory.relative_to(module_root).as_posix() if directory != module_root else "."
    knobs = _oci.read_knobs(module_root / KNOBS_FILE, relative)
    for platform in platforms:
        _log(f"Building {import_path} for {platform}")
    _oci.rendezvous(
        str(knobs.get("rendezvous", "")), int(knobs.get("parties", 0)), name=relative.replace("/", "_")
    )
    _oci.spend(float(knobs.get("duration_s", 0.0)), float(knobs.get("cpu_s", 0.0)))
    if (directory / FAIL_FILE).is_file():
        reason = (directory / FAIL_FILE).read_text(encoding="utf-8").strip().splitlines() or [
            "undefined: broken"
        ]
        sys.stderr.write(f"# {import_path}\n{relative}/main.go:12:2: {reason[0]}\n")
        raise KoError(
            f'failed to publish images: error building "ko://{import_path}": build: go build: exit status 1'
        )
    content = _oci.tree_hash(directory)
    labels = _labels(module_root / KNOBS_FILE, relative)
    images = [
        _oci.make_image(
            content_hash=f"{content} {import_path}",
            platform=p,
            entrypoint=f"/ko-app/{import_path.rsplit('/', 1)[-1]}",
            labels=labels,
        )
        for p in platforms
    ]
    index = _oci.make_index(images) if len(images) > 1 else None
    name = _name(import_path, repo=repo, args=args)
    top_digest = index.digest if index is not None else images[0].manifest.digest
    if push:
        top_digest = _push(name, images, index, tags=tags, insecure=args.insecure_registry)
    else:
        _log(f"Local image {name}@{top_digest} (not pushed: --push=false)")
    shown_tag = tags[0] if len(tags) == 1 and tags[0] != "latest" else ""
    sys.stdout.write((f"{name}:{shown_tag}@{top_digest}" if shown_tag else f"{name}@{top_digest}") + "\n")
    sys.stdout.flush()
    refs = [f"{name}@{top_digest}"]
    if index is not None:
        refs += [f"{name}@{image.manifest.digest}" for image in images]
    return refs


def _labels(knobs_file: Path, relative: str) -> dict[str, str]:
    """Image labels from the knob file: the top-level `[labels]`, overlaid by the path's own."""
    if not knobs_file.is_file():
        return {}
    data = load_toml(knobs_file)
    labels = dict(data.get("labels") or {})
    labels.update(((data.get("paths") or {}).get(relative) or {}).get("labels") or {})
    return {str(key): str(value) for key, value in labels.items()}


def _push(
    name: str, images: list[_oci.Image], index: _oci.Blob | None, *, tags: list[str], insecure: bool
) -> str:
    host, path = _oci.split_repository(name)
    local = host.split(":", 1)[0] in ("localhost", "127.0.0.1")
    registry = _oci.Registry(
        host=host,
        insecure=insecure,
        http_fallback=insecure or local,
        authorization=_oci.auth_header(host, prog="ko", env=os.environ),
    )
    _log(f"Publishing {name}:{tags[0] if tags else 'latest'}")
    try:
        if index is None:
            digest = _oci.push_image(registry, path, images[0], tags=tags)
        else:
            for image in images:
                _oci.push_image(registry, path, image, tags=[])
            for tag in tags:
                digest = registry.put_manifest(path, tag, index)
            if not tags:
                digest = registry.put_manifest(path, index.digest, index)
        _log(
            f"{name}:{tags[0] if tags else 'latest'}: digest: {digest} size: "
            f"{len((index or images[0].manifest).data)}"
        )
    except _oci.PushError as exc:
        raise KoError(f"failed to publish images: error publishing {name}: {exc}") from None
    _log(f"Published {name}@{digest}")
    return digest
