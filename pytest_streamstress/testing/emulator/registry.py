"""A minimal OCI distribution registry: the emulated cluster's internal image registry.

Owns blobs, manifests and tags in memory and the distribution HTTP API on its own port (127.0.0.1),
served over TLS with a certificate of the cluster's ingress CA (not the API's CA: on OpenShift the
route is signed by the ingress operator, and clients find that CA in the ConfigMap
`openshift-config-managed/default-ingress-cert`), so that `ko`/`docker` stand-ins push exactly as
the real tools push to the `default-route` of `openshift-image-registry`: `GET /v2/`, blob uploads
(monolithic POST+PUT, and chunked PATCH), blob HEAD/GET, manifest PUT/HEAD/GET (by tag or digest, with
`Docker-Content-Digest`) and DELETE (by digest, as a pruner deletes), `_catalog` and `tags/list`.
Auth: Basic with any user name and the emulator's token as password, or `Bearer <token>`. Names
have exactly two path levels (`<namespace>/<image>`) like OpenShift's registry; deeper names get
NAME_INVALID.
`has_image` answers for the Deployment controller whether a pod's image can be pulled;
`image_config` gives a pushed image's config document (its labels).
Must not touch the Kubernetes object store.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import threading
import urllib.parse
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

from pytest_streamstress._infra.redact import Secret
from pytest_streamstress.testing.emulator.faults import Faults
from pytest_streamstress.testing.emulator.server import read_body
from pytest_streamstress.testing.emulator.tls import ServerTLS, is_client_noise, serve_tls

log = logging.getLogger(__name__)

INTERNAL_HOST: Final = "image-registry.openshift-image-registry.svc:5000"
"""The in-cluster pull address of the registry (reference §9)."""
_NAME: Final = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$")
_DIGEST: Final = re.compile(r"^sha256:[0-9a-f]{64}$")
_MANIFEST_TYPES: Final = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)


@dataclass
class _Repo:
    manifests: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # digest -> (body, media type)
    tags: dict[str, str] = field(default_factory=dict)  # tag -> digest


class RegistryError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Registry:
    """The registry's content and its HTTP endpoint."""

    def __init__(self, *, token: Secret, faults: Faults) -> None:
        self.token = token
        self.faults = faults
        self._lock = threading.Lock()
        self._blobs: dict[str, bytes] = {}
        self._repos: dict[str, _Repo] = {}
        self._uploads: dict[str, bytearray] = {}
        self._server: ThreadingHTTPServer | None = None
        self.host = ""
        """`127.0.0.1:<port>` once started: what the `default-route` Route carries in spec.host."""
        self.ca_pem = b""
        """The CA that signed the registry's certificate (b"" when served over plain HTTP)."""

    # -- Python API ------------------------------------------------------------------------------
    def has_image(self, ref: str) -> bool:
        """Can a pod pull `ref`? `<host>/<ns>/<name>[:tag][@sha256:...]`.

        On this registry's hosts (route host, 127.0.0.1 port, internal service host) the image must
        have been pushed; any other host counts as pullable unless listed in
        `faults.unpullable_images`.
        """
        if ref in self.faults.unpullable_images:
            return False
        host, _, rest = ref.partition("/")
        if host not in (self.host, INTERNAL_HOST) or not rest:
            return True
        name, tag, digest = split_reference(rest)
        with self._lock:
            repo = self._repos.get(name)
            if repo is None:
                return False
            if digest:
                return digest in repo.manifests and (not tag or repo.tags.get(tag) == digest)
            return (tag or "latest") in repo.tags

    def image_config(self, ref: str) -> dict[str, Any] | None:
        """The config document of an image this registry holds (an index: its first manifest), or None.

        What a node sees of an image once pulled: the emulated Tekton controller reads `config.Labels`
        of the entrypoint image it runs steps with (docs/emulator.md, "Tekton Pipelines").
        """
        host, _, rest = ref.partition("/")
        if host not in (self.host, INTERNAL_HOST) or not rest:
            return None
        name, tag, digest = split_reference(rest)
        found = self.manifest(name, digest or tag or "latest")
        for _depth in range(2):  # an index points at per-platform manifests
            if found is None:
                return None
            try:
                document = json.loads(found[0])
            except json.JSONDecodeError:
                return None
            children = document.get("manifests") if isinstance(document, dict) else None
            if children:
                found = self.manifest(name, str(children[0].get("digest", "")))
                continue
            config = self.blob(str((document.get("config") or {}).get("digest", "")))
            try:
                parsed = json.loads(config) if config else None
            except json.JSONDecodeError:
                return None
            return parsed if isinstance(parsed, dict) else None
        return None

    def repositories(self) -> list[str]:
        with self._lock:
            return sorted(self._repos)

    def resolve(self, name: str, reference: str) -> str | None:
        """The manifest digest of `name:reference` (a tag or a digest), or None."""
        with self._lock:
            repo = self._repos.get(name)
            if repo is None:
                return None
            digest = reference if _DIGEST.match(reference) else repo.tags.get(reference)
            return digest if digest in repo.manifests else None

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self, *, port: int = 0, tls: ServerTLS | None = None) -> str:
        registry = self

        class Handler(_RegistryHandler):
            pass

        Handler.registry = registry
        server = _RegistryServer(("127.0.0.1", port), Handler)
        server.daemon_threads = True
        if tls is not None:
            serve_tls(server, tls)
            self.ca_pem = tls.ca_pem
        self._server = server
        self.host = f"127.0.0.1:{server.server_port}"
        threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"emulator-registry-{server.server_port}",
            daemon=True,
        ).start()
        return self.host

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # -- operations ------------------------------------------------------------------------------
    def start_upload(self) -> str:
        upload = uuid.uuid4().hex
        with self._lock:
            self._uploads[upload] = bytearray()
        return upload

    def append_upload(self, upload: str, data: bytes) -> int:
        with self._lock:
            buffer = self._uploads.get(upload)
            if buffer is None:
                raise RegistryError(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry")
            buffer.extend(data)
            return len(buffer)

    def finish_upload(self, upload: str, data: bytes, digest: str) -> None:
        with self._lock:
            buffer = self._uploads.pop(upload, None)
            if buffer is None:
                raise RegistryError(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry")
            buffer.extend(data)
            if not _DIGEST.match(digest) or _digest(bytes(buffer)) != digest:
                raise RegistryError(400, "DIGEST_INVALID", "provided digest did not match uploaded content")
            self._blobs[digest] = bytes(buffer)

    def blob(self, digest: str) -> bytes | None:
        with self._lock:
            return self._blobs.get(digest)

    def put_manifest(self, name: str, reference: str, body: bytes, media_type: str) -> str:
        try:
            document: Any = json.loads(body)
        except json.JSONDecodeError:
            raise RegistryError(400, "MANIFEST_INVALID", "manifest invalid: not JSON") from None
        digest = _digest(body)
        if _DIGEST.match(reference) and reference != digest:
            raise RegistryError(400, "DIGEST_INVALID", "provided digest did not match uploaded content")
        referenced = []
        if isinstance(document, dict) and "layers" in document:
            referenced = [
                document.get("config", {}).get("digest"),
                *(layer.get("digest") for layer in document["layers"]),
            ]
        with self._lock:
            missing = [d for d in referenced if d not in self._blobs]
            if missing:
                raise RegistryError(400, "MANIFEST_BLOB_UNKNOWN", f"blob unknown to registry: {missing[0]}")
            repo = self._repos.setdefault(name, _Repo())
            repo.manifests[digest] = (body, media_type or document.get("mediaType", _MANIFEST_TYPES[0]))
            if not _DIGEST.match(reference):
                repo.tags[reference] = digest
        return digest

    def manifest(self, name: str, reference: str) -> tuple[bytes, str, str] | None:
        digest = self.resolve(name, reference)
        if digest is None:
            return None
        with self._lock:
            body, media_type = self._repos[name].manifests[digest]
        return body, media_type, digest

    def delete_manifest(self, name: str, digest: str) -> bool:
        """What an image pruner does: the manifest and every tag on it go; False when absent."""
        with self._lock:
            repo = self._repos.get(name)
            if repo is None or repo.manifests.pop(digest, None) is None:
                return False
            for tag in [t for t, d in repo.tags.items() if d == digest]:
                del repo.tags[tag]
            return True

    def tags(self, name: str) -> list[str] | None:
        with self._lock:
            repo = self._repos.get(name)
            return sorted(repo.tags) if repo is not None else None


class _RegistryServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        if is_client_noise():  # a client that does not trust the ingress CA aborts the handshake
            log.debug("registry: client %s went away", client_address)
            return
        super().handle_error(request, client_address)


def split_reference(rest: str) -> tuple[str, str, str]:
    """`ns/name[:tag][@digest]` -> (name, tag, digest)."""
    name, _, digest = rest.partition("@")
    tag = ""
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name, _, tag = name.rpartition(":")
    return name, tag, digest


def authorized(header: str, token: Secret) -> bool:
    """`Bearer <token>`, or Basic with any user name and the token as password."""
    if header == f"Bearer {token.reveal()}":
        return True
    if header.startswith("Basic "):
        try:
            decoded = base64.b64decode(header[6:], validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return False
        return decoded.partition(":")[2] == token.reveal()
    return False


_ROUTE: Final = re.compile(
    r"^/v2/(?P<name>.+?)/(?:(?P<uploads>blobs/uploads/?(?P<upload>[^/]*))|blobs/(?P<blob>[^/]+)"
    r"|manifests/(?P<manifest>[^/]+)|(?P<tags>tags/list))$"
)


class _RegistryHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    registry: Registry

    def log_message(self, format: str, *args: Any) -> None:  # the base class's parameter name
        log.debug("registry %s", format % args)

    def _send(
        self,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        self.send_response(status)
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        self.send_header("Content-Type", content_type)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if "Content-Length" not in (headers or {}):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def _error(self, error: RegistryError, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(
            {"errors": [{"code": error.code, "message": error.message, "detail": None}]}
        ).encode()
        self._send(error.status, body, headers)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = lambda self: self._dispatch()

    def _dispatch(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
        body = read_body(self)
        try:
            if not authorized(self.headers.get("Authorization", ""), self.registry.token):
                self._error(
                    RegistryError(401, "UNAUTHORIZED", "authentication required"),
                    {"WWW-Authenticate": 'Basic realm="emulator"'},
                )
                return
            self._route(url.path, query, body)
        except RegistryError as exc:
            self._error(exc)

    def _route(self, path: str, query: dict[str, str], body: bytes) -> None:
        if path in ("/v2", "/v2/"):
            self._send(200, b"{}")
            return
        if path == "/v2/_catalog":
            self._send(200, json.dumps({"repositories": self.registry.repositories()}).encode())
            return
        match = _ROUTE.match(path)
        if match is None:
            raise RegistryError(404, "NOT_FOUND", f"no such endpoint: {path}")
        name = match["name"]
        if not _NAME.match(name) or name.count("/") != 1:
            raise RegistryError(
                400,
                "NAME_INVALID",
                f"invalid repository name {name!r}: use <namespace>/<image> (two path levels)",
            )
        if match["uploads"] is not None:
            self._upload(name, match["upload"], query, body)
        elif match["blob"] is not None:
            self._blob(match["blob"])
        elif match["manifest"] is not None:
            self._manifest(name, match["manifest"], body)
        else:
            tags = self.registry.tags(name)
            if tags is None:
                raise RegistryError(404, "NAME_UNKNOWN", f"repository name not known to registry: {name}")
            self._send(200, json.dumps({"name": name, "tags": tags}).encode())

    def _upload(self, name: str, upload: str, query: dict[str, str], body: bytes) -> None:
        registry = self.registry
        if self.command == "POST" and not upload:
            new = registry.start_upload()
            if query.get("digest"):
                registry.finish_upload(new, body, query["digest"])
                self._send(
                    201,
                    headers={
                        "Location": f"/v2/{name}/blobs/{query['digest']}",
                        "Docker-Content-Digest": query["digest"],
                    },
                )
                return
            self._send(
                202,
                headers={
                    "Location": f"/v2/{name}/blobs/uploads/{new}",
                    "Range": "0-0",
                    "Docker-Upload-UUID": new,
                },
            )
        elif self.command == "PATCH" and upload:
            size = registry.append_upload(upload, body)
            self._send(
                202,
                headers={
                    "Location": f"/v2/{name}/blobs/uploads/{upload}",
                    "Range": f"0-{max(size - 1, 0)}",
                    "Docker-Upload-UUID": upload,
                },
            )
        elif self.command == "PUT" and upload:
            digest = query.get("digest", "")
            registry.finish_upload(upload, body, digest)
            self._send(
                201, headers={"Location": f"/v2/{name}/blobs/{digest}", "Docker-Content-Digest": digest}
            )
        else:
            raise RegistryError(405, "UNSUPPORTED", "the operation is unsupported")

    def _blob(self, digest: str) -> None:
        if self.command not in ("GET", "HEAD"):
            raise RegistryError(405, "UNSUPPORTED", "the operation is unsupported")
        data = self.registry.blob(digest)
        if data is None:
            raise RegistryError(404, "BLOB_UNKNOWN", "blob unknown to registry")
        self._send(200, data, {"Docker-Content-Digest": digest}, content_type="application/octet-stream")

    def _manifest(self, name: str, reference: str, body: bytes) -> None:
        if self.command == "DELETE":  # distribution: by digest only, 202 Accepted
            if not _DIGEST.match(reference):
                raise RegistryError(400, "DIGEST_INVALID", "delete a manifest by its digest, not by a tag")
            if not self.registry.delete_manifest(name, reference):
                raise RegistryError(404, "MANIFEST_UNKNOWN", f"manifest unknown: {name}@{reference}")
            self._send(202)
            return
        if self.command == "PUT":
            media_type = (self.headers.get("Content-Type") or "").split(";")[0]
            digest = self.registry.put_manifest(name, reference, body, media_type)
            self._send(
                201, headers={"Location": f"/v2/{name}/manifests/{digest}", "Docker-Content-Digest": digest}
            )
            return
        if self.command not in ("GET", "HEAD"):
            raise RegistryError(405, "UNSUPPORTED", "the operation is unsupported")
        found = self.registry.manifest(name, reference)
        if found is None:
            raise RegistryError(404, "MANIFEST_UNKNOWN", f"manifest unknown: {name}:{reference}")
        data, media_type, digest = found
        self._send(200, data, {"Docker-Content-Digest": digest}, content_type=media_type)
