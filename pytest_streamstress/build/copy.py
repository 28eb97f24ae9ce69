"""Copy a built image from one registry to another by digest: `--clusters` builds once (issue 23).

Each cluster pulls from its own internal registry, so the images ko pushed to the first cluster's
registry are copied to every other cluster's, the way `oc image mirror` or `crane copy` would: the
manifest (and for an image index every platform's manifest) is read from the source, every blob
the destination lacks is uploaded, and the manifests are put unchanged, so the digest a results.json
records is the same on every cluster. The copy speaks the distribution HTTP API through
`build/manifests.py`'s auth (Basic, then the `Bearer` token flow), verifies TLS against each
target's CA, and never logs a credential. Nothing is rebuilt, so every cluster tests the same bytes.

Blobs are held in memory one at a time; release images have layers of tens of megabytes.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Final

from pytest_streamstress.build.manifests import ACCEPT, bearer_token
from pytest_streamstress.build.registry import RegistryTarget
from pytest_streamstress.build.tls import ssl_context
from pytest_streamstress.errors import ToolFailed

log = logging.getLogger(__name__)

TIMEOUT_S: Final = 120.0
_INDEX_TYPES: Final = frozenset(
    {"application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"}
)
COPY_TAG: Final = "latest"
"""The tag the top manifest also gets, as `ko build` tags what it pushes (a tagless image may be pruned)."""


@dataclass(frozen=True, slots=True)
class CopiedImage:
    """What one copy did: the destination's ref (same digest), and how many blobs it had to upload."""

    ref: str
    uploaded_blobs: int
    present_blobs: int


class _Client:
    """Requests to one registry host with its credentials; a Bearer challenge is answered once."""

    def __init__(self, target: RegistryTarget, timeout: float) -> None:
        self.target = target
        self.host = target.push_host
        self.timeout = timeout
        self.context = ssl_context(target.ca_pem, insecure=target.insecure)
        basic = target.basic_credentials()
        self.basic = f"Basic {basic}" if basic else ""
        self.authorization = self.basic

    def request(
        self, method: str, path: str, *, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        url = path if path.startswith(("https://", "http://")) else f"https://{self.host}{path}"
        status, answer_headers, data = self._once(method, url, body, headers)
        challenge = answer_headers.get("www-authenticate", "")
        if status == 401 and challenge.lower().startswith("bearer "):
            token = bearer_token(challenge, self.basic, self.context, self.timeout)
            if token:
                self.authorization = f"Bearer {token}"
                status, answer_headers, data = self._once(method, url, body, headers)
        return status, answer_headers, data

    def _once(
        self, method: str, url: str, body: bytes | None, headers: dict[str, str] | None
    ) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
        if self.authorization:
            request.add_unredirected_header("Authorization", self.authorization)  # not to blob storage
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=self.context) as response:
                return int(response.status), _lower(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            data = exc.read() if exc.fp is not None else b""
            return exc.code, _lower(exc.headers), data


def _lower(headers: object) -> dict[str, str]:
    items = getattr(headers, "items", None)
    return {str(k).lower(): str(v) for k, v in items()} if callable(items) else {}


def copy_image(
    ref: str, source: RegistryTarget, dest: RegistryTarget, *, timeout: float = TIMEOUT_S
) -> CopiedImage:
    """Copy `ref` (as pods pull it, or as pushed to `source`) to `dest`; the digest stays the same."""
    where = source.push_ref(ref) or ref
    repository, at, digest = where.partition("@")
    if not at or not digest.startswith("sha256:"):
        raise ToolFailed(f"cannot copy {ref}: not a digest reference", hint="copy what a build pushed")
    prefix = source.push + "/"
    if not repository.startswith(prefix):
        raise ToolFailed(f"cannot copy {ref}: it is not in the registry {source.push}")
    image_name = repository[len(prefix) :]
    source_name = repository.split("/", 1)[1]
    dest_name = dest.push_repository(image_name).split("/", 1)[1]
    copier = _Copier(_Client(source, timeout), _Client(dest, timeout), source_name, dest_name)
    try:
        copier.manifest(digest, tag=COPY_TAG)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ToolFailed(
            f"copying {image_name}@{digest[:19]} from {source.push_host} to {dest.push_host} failed:"
            f" {getattr(exc, 'reason', exc)}",
            hint="check that this machine reaches both registry routes and trusts their CAs",
        ) from None
    pulled = dest.pull_ref(f"{dest.push_repository(image_name)}@{digest}")
    log.info("copied %s to %s (%d blobs uploaded)", ref, pulled, copier.uploaded)
    return CopiedImage(ref=str(pulled), uploaded_blobs=copier.uploaded, present_blobs=copier.present)


class _Copier:
    def __init__(self, source: _Client, dest: _Client, source_name: str, dest_name: str) -> None:
        self.source, self.dest = source, dest
        self.source_name, self.dest_name = source_name, dest_name
        self.uploaded = 0
        self.present = 0

    def manifest(self, digest: str, *, tag: str = "") -> None:
        status, headers, body = self.source.request(
            "GET", f"/v2/{self.source_name}/manifests/{digest}", headers={"Accept": ACCEPT}
        )
        self._expect(status, body, f"reading manifest {digest[:19]} from {self.source.host}", 200)
        media_type = headers.get("content-type", "").split(";")[0] or json.loads(body).get("mediaType", "")
        document = json.loads(body)
        if media_type in _INDEX_TYPES:
            for child in document.get("manifests", []):
                self.manifest(str(child["digest"]))
        else:
            for blob in [document.get("config", {}), *document.get("layers", [])]:
                if blob.get("digest"):
                    self.blob(str(blob["digest"]))
        for reference in filter(None, (digest, tag)):
            status, answer, data = self.dest.request(
                "PUT",
                f"/v2/{self.dest_name}/manifests/{reference}",
                body=body,
                headers={"Content-Type": media_type},
            )
            self._expect(status, data, f"putting manifest {reference[:19]} to {self.dest.host}", 200, 201)
            put = answer.get("docker-content-digest", digest)
            if put != digest:
                raise ValueError(f"{self.dest.host} stored the manifest as {put}, not {digest}")

    def blob(self, digest: str) -> None:
        status, _, _ = self.dest.request("HEAD", f"/v2/{self.dest_name}/blobs/{digest}")
        if status == 200:
            self.present += 1
            return
        status, _, data = self.source.request("GET", f"/v2/{self.source_name}/blobs/{digest}")
        self._expect(status, data, f"reading blob {digest[:19]} from {self.source.host}", 200)
        status, headers, answer = self.dest.request("POST", f"/v2/{self.dest_name}/blobs/uploads/")
        self._expect(status, answer, f"starting an upload to {self.dest.host}", 202)
        location = headers.get("location", "")
        if not location:
            raise ValueError(f"{self.dest.host} started an upload without a Location")
        separator = "&" if "?" in location else "?"
        if location.startswith("/"):
            location = f"https://{self.dest.host}{location}"
        url = f"{location}{separator}{urllib.parse.urlencode({'digest': digest})}"
        status, _, answer = self.dest.request(
            "PUT", url, body=data, headers={"Content-Type": "application/octet-stream"}
        )
        self._expect(status, answer, f"uploading blob {digest[:19]} to {self.dest.host}", 201)
        self.uploaded += 1

    @staticmethod
    def _expect(status: int, body: bytes, what: str, *ok: int) -> None:
        if status in ok:
            return
        detail = body.decode("utf-8", "replace")[:300]
        raise ValueError(f"{what}: HTTP {status} {detail}".rstrip())
