"""What the ko, docker and podman stand-ins share: content-derived images and a real registry push.

An image here is a deterministic OCI image: one gzip layer (a tar with one file that holds the
source tree's hash, zero timestamps as ko uses) and a config naming the platform. Same tree and
platform, same bytes, same digest. `push` speaks the OCI distribution API over real HTTP
(urllib): monolithic blob upload (`POST .../blobs/uploads/`, `PUT <Location>?digest=`) and
`PUT .../manifests/<tag or digest>`, over TLS verified as the real tools verify (system CAs,
`SSL_CERT_FILE`, and the tool's own CA files; plain HTTP only where the real tool would fall back to
it), authenticating the way the real tools do: `auths[host].auth`
(base64 `user:password`) from `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`, and for
podman first `$REGISTRY_AUTH_FILE` and `${XDG_RUNTIME_DIR}/containers/auth.json`.

Stand-ins may print (that is their output) and must not know which test runs them.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import ssl
import tarfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pytest_streamstress._infra.toml import load_toml

MANIFEST_TYPE: Final = "application/vnd.oci.image.manifest.v1+json"
INDEX_TYPE: Final = "application/vnd.oci.image.index.v1+json"
CONFIG_TYPE: Final = "application/vnd.oci.image.config.v1+json"
LAYER_TYPE: Final = "application/vnd.oci.image.layer.v1.tar+gzip"
HTTP_TIMEOUT_S: Final = 30.0


class PushError(Exception):
    """The registry refused; the message reads like the real tools' (`METHOD URL: CODE: message`)."""


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def tree_hash(directory: Path) -> str:
    """Hash of every file's relative path and content under `directory` (`.git` excluded)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file() and ".git" not in p.parts):
        digest.update(str(path.relative_to(directory)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Blob:
    media_type: str
    data: bytes

    @property
    def digest(self) -> str:
        return sha256(self.data)

    def descriptor(self, **extra: Any) -> dict[str, Any]:
        return {"mediaType": self.media_type, "digest": self.digest, "size": len(self.data), **extra}


@dataclass(frozen=True, slots=True)
class Image:
    config: Blob
    layer: Blob
    manifest: Blob
    platform: str


def make_image(
    *, content_hash: str, platform: str, entrypoint: str, labels: Mapping[str, str] | None = None
) -> Image:
    os_name, _, arch = platform.partition("/")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        payload = f"{content_hash} {platform}\n".encode()
        info = tarfile.TarInfo(name=entrypoint.lstrip("/"))
        info.size, info.mtime, info.mode = len(payload), 0, 0o755
        tar.addfile(info, io.BytesIO(payload))
    layer_tar = buffer.getvalue()
    layer = Blob(LAYER_TYPE, gzip.compress(layer_tar, mtime=0))
    config_doc = {
        "architecture": arch or "amd64",
        "os": os_name or "linux",
        "created": "1970-01-01T00:00:00Z",
        "config": {"Entrypoint": [entrypoint], "Labels": dict(labels or {})},
        "rootfs": {"type": "layers", "diff_ids": [sha256(layer_tar)]},
    }
    config = Blob(CONFIG_TYPE, _canonical(config_doc))
    manifest = Blob(
        MANIFEST_TYPE,
        _canonical(
            {
                "schemaVersion": 2,
                "mediaType": MANIFEST_TYPE,
                "config": config.descriptor(),
                "layers": [layer.descriptor()],
            }
        ),
    )
    return Image(config=config, layer=layer, manifest=manifest, platform=platform)


def make_index(images: list[Image]) -> Blob:
    manifests = []
    for image in images:
        os_name, _, arch = image.platform.partition("/")
        manifests.append(image.manifest.descriptor(platform={"os": os_name, "architecture": arch}))
    return Blob(INDEX_TYPE, _canonical({"schemaVersion": 2, "mediaType": INDEX_TYPE, "manifests": manifests}))


def _canonical(doc: Mapping[str, Any]) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def split_repository(repository: str) -> tuple[str, str]:
    """`host:port/ns/name` -> (`host:port`, `ns/name`)."""
    host, _, name = repository.partition("/")
    return host, name


# -- credentials --------------------------------------------------------------------------------------


def auth_header(host: str, *, prog: str, env: Mapping[str, str]) -> str | None:
    """`Basic <b64>` from the first auth file that has `host`, as the real tool would look."""
    home = Path(env.get("HOME") or str(Path.home()))
    candidates: list[Path] = []
    if prog == "podman":
        if env.get("REGISTRY_AUTH_FILE"):
            candidates.append(Path(env["REGISTRY_AUTH_FILE"]))
        if env.get("XDG_RUNTIME_DIR"):
            candidates.append(Path(env["XDG_RUNTIME_DIR"]) / "containers" / "auth.json")
        candidates.append(home / ".config" / "containers" / "auth.json")
    candidates.append(Path(env.get("DOCKER_CONFIG") or home / ".docker") / "config.json")
    for path in candidates:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        entry = (data.get("auths") or {}).get(host) if isinstance(data, dict) else None
        if isinstance(entry, dict) and entry.get("auth"):
            return "Basic " + str(entry["auth"])
    return None


# -- push ---------------------------------------------------------------------------------------------


@dataclass
class Registry:
    """One registry host as a pushing tool sees it: TLS first, verified like the real tools verify."""

    host: str
    insecure: bool
    """No certificate verification (ko --insecure-registry, podman --tls-verify=false)."""
    authorization: str | None
    http_fallback: bool = False
    """Plain HTTP may be tried when HTTPS does not work: insecure registries, and loopback hosts for ko
    (go-containerregistry tries https, then http, for localhost and 127.0.0.1)."""
    cafiles: tuple[Path, ...] = ()
    """CA files trusted besides the system's and SSL_CERT_FILE's (podman --cert-dir, certs.d)."""
    scheme: str = ""

    @property
    def base(self) -> str:
        if not self.scheme:
            self.scheme = self._ping()
        return f"{self.scheme}://{self.host}"

    def context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()  # honours SSL_CERT_FILE / SSL_CERT_DIR, as Go does
        if self.insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        for cafile in self.cafiles:
            context.load_verify_locations(cafile=str(cafile))
        return context

    def _ping(self) -> str:
        """`GET /v2/` over https (and http when allowed): the scheme that answers, or the tool's error."""
        url = f"https://{self.host}/v2/"
        try:
            urllib.request.urlopen(url, timeout=HTTP_TIMEOUT_S, context=self.context()).close()
            return "https"
        except urllib.error.HTTPError:
            return "https"  # 401 and friends: TLS worked
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, ssl.SSLCertVerificationError):
                problem = (
                    f'Get "{url}": tls: failed to verify certificate: x509: certificate signed by unknown'
                    f" authority ({reason.verify_message})"
                )
            else:
                problem = f'Get "{url}": dial tcp {self.host}: {reason}'
        if self.http_fallback:
            try:
                urllib.request.urlopen(f"http://{self.host}/v2/", timeout=HTTP_TIMEOUT_S).close()
                return "http"
            except urllib.error.HTTPError:
                return "http"
            except (urllib.error.URLError, OSError):
                pass
        raise PushError(problem)

    def request(
        self, method: str, url: str, *, data: bytes | None = None, headers: Mapping[str, str] | None = None
    ) -> tuple[int, Mapping[str, str], bytes]:
        all_headers = dict(headers or {})
        if self.authorization:
            all_headers["Authorization"] = self.authorization
        request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
        context = self.context() if url.startswith("https://") else None
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S, context=context) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            raise PushError(f"{method} {url}: {_registry_error(exc)}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise PushError(f"{method} {url}: dial tcp {self.host}: {reason}") from None

    def upload_blob(self, name: str, blob: Blob) -> None:
        _, headers, _ = self.request("POST", f"{self.base}/v2/{name}/blobs/uploads/", data=b"")
        location = headers.get("Location") or headers.get("location") or ""
        url = urllib.parse.urljoin(self.base + "/", location)
        joiner = "&" if "?" in url else "?"
        self.request(
            "PUT",
            f"{url}{joiner}digest={urllib.parse.quote(blob.digest)}",
            data=blob.data,
            headers={"Content-Type": "application/octet-stream"},
        )

    def put_manifest(self, name: str, reference: str, blob: Blob) -> str:
        _, headers, _ = self.request(
            "PUT",
            f"{self.base}/v2/{name}/manifests/{reference}",
            data=blob.data,
            headers={"Content-Type": blob.media_type},
        )
        return headers.get("Docker-Content-Digest") or headers.get("docker-content-digest") or blob.digest


def certs_d(directory: Path, host: str) -> tuple[Path, ...]:
    """The `*.crt` CA files of `<directory>/<host>/` (containers-certs.d(5), docker's certs.d)."""
    folder = directory / host
    return tuple(sorted(folder.glob("*.crt"))) if folder.is_dir() else ()


def _registry_error(exc: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(exc.read() or b"{}")
        errors = body.get("errors") or []
        if errors:
            return "; ".join(f"{e.get('code', 'UNKNOWN')}: {e.get('message', '')}" for e in errors)
    except (ValueError, AttributeError):
        # Not a distribution-spec error body (a proxy's HTML page, say): report the status line.
        return f"unexpected status code {exc.code} {exc.reason}"
    return f"unexpected status code {exc.code} {exc.reason}"


def push_image(registry: Registry, name: str, image: Image, *, tags: list[str]) -> str:
    """Upload blobs, then the manifest under each tag (or by digest when no tag); returns its digest."""
    registry.upload_blob(name, image.layer)
    registry.upload_blob(name, image.config)
    digest = image.manifest.digest
    for reference in tags or [digest]:
        digest = registry.put_manifest(name, reference, image.manifest)
    return digest


# -- stand-in behaviour knobs (files in the source tree) and the record of runs -------------------------


def read_knobs(path: Path, section: str | None = None) -> dict[str, Any]:
    """Top-level keys of a stand-in TOML file, overlaid with `[paths."<section>"]` when given."""
    if not path.is_file():
        return {}
    data = load_toml(path)
    knobs = {k: v for k, v in data.items() if not isinstance(v, dict)}
    if section is not None:
        knobs.update((data.get("paths") or {}).get(section) or {})
    return knobs


def spend(duration_s: float, cpu_s: float) -> None:
    """Take `duration_s` of wall time, burning `cpu_s` of it on the CPU and sleeping the rest."""
    start = time.monotonic()
    burn_until = time.process_time() + max(0.0, min(cpu_s, duration_s))
    value = 0
    while time.process_time() < burn_until:
        value = (value * 31 + 7) % 1_000_003
    left = duration_s - (time.monotonic() - start)
    if left > 0:
        time.sleep(left)


def rendezvous(directory: str, parties: int, *, name: str, timeout_s: float = 60.0) -> None:
    """Wait until `parties` builds have arrived in `directory` (a knob that makes overlap certain).

    Each build leaves a marker file; a build that waits longer than `timeout_s` goes on anyway, so a
    test that asks for more parties than it starts fails on its assertions, not by hanging.
    """
    if not directory or parties <= 1:
        return
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{os.getpid()}-{name}").write_text("", encoding="utf-8")
    deadline = time.monotonic() + timeout_s
    while len(list(folder.iterdir())) < parties and time.monotonic() < deadline:
        time.sleep(0.01)


def record(env_var: str, entry: Mapping[str, Any]) -> None:
    """Append one JSON line to the file named by `env_var` (one write: safe across processes)."""
    target = os.environ.get(env_var)
    if not target:
        return
    line = (json.dumps(dict(entry), sort_keys=True) + "\n").encode()
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
