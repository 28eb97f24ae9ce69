"""The emulator's OCI distribution endpoint, spoken to over real HTTP as a pushing tool would."""

from __future__ import annotations

import base64
import hashlib
import json
import ssl
import urllib.error
import urllib.request
from typing import Any

import pytest

from pytest_streamstress.testing.emulator import INTERNAL_HOST, Emulator

pytestmark = pytest.mark.emulator

TIMEOUT = 10
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"


class Pusher:
    """A tiny distribution client: what `ko`/`docker push` send, in the same order."""

    def __init__(self, emulator: Emulator, *, password: str | None = None) -> None:
        self.base = f"https://{emulator.registry_host}"
        secret = emulator.token.reveal() if password is None else password
        self.auth = "Basic " + base64.b64encode(f"builder:{secret}".encode()).decode()
        # The registry is the cluster's ingress: its CA is the ingress CA, not the API's.
        self.context = ssl.create_default_context(cadata=emulator.registry.ca_pem.decode())

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        url = path if path.startswith("http") else self.base + path
        request = urllib.request.Request(
            url, data=body, method=method, headers={"Authorization": self.auth, **(headers or {})}
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT, context=self.context) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def push_blob(self, name: str, data: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        status, headers, _ = self.request("POST", f"/v2/{name}/blobs/uploads/")
        assert status == 202
        location = headers["Location"]
        status, _, body = self.request("PUT", f"{location}?digest={digest}", data)
        assert status == 201, body
        return digest

    def push_image(self, name: str, tag: str) -> tuple[int, dict[str, str], bytes, bytes]:
        config = self.push_blob(name, b'{"architecture":"amd64","os":"linux"}')
        layer = self.push_blob(name, b"layer-bytes")
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": MANIFEST_TYPE,
                "config": {
                    "mediaType": "application/vnd.oci.image.config.v1+json",
                    "digest": config,
                    "size": 37,
                },
                "layers": [
                    {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer, "size": 11}
                ],
            }
        ).encode()
        status, headers, body = self.request(
            "PUT", f"/v2/{name}/manifests/{tag}", manifest, {"Content-Type": MANIFEST_TYPE}
        )
        return status, headers, body, manifest


def test_the_registry_speaks_only_tls_signed_by_its_own_ingress_ca(emulator: Emulator) -> None:
    """Not the API's CA (a client must read the ingress CA), and no plain HTTP to fall back to."""
    assert Pusher(emulator).request("GET", "/v2/")[0] == 200
    api_ca = ssl.create_default_context(cadata=_api_ca(emulator))
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        urllib.request.urlopen(f"https://{emulator.registry_host}/v2/", timeout=TIMEOUT, context=api_ca)
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        urllib.request.urlopen(f"http://{emulator.registry_host}/v2/", timeout=TIMEOUT)


def _api_ca(emulator: Emulator) -> str:
    import yaml

    config = yaml.safe_load(emulator.kubeconfig.read_text())
    return base64.b64decode(config["clusters"][0]["cluster"]["certificate-authority-data"]).decode()


def test_v2_root_needs_credentials_and_names_the_basic_realm(emulator: Emulator) -> None:
    status, headers, _ = Pusher(emulator, password="wrong").request("GET", "/v2/")
    assert (status, headers["WWW-Authenticate"]) == (401, 'Basic realm="emulator"')
    assert Pusher(emulator).request("GET", "/v2/")[0] == 200


def test_pushed_manifest_answers_with_the_digest_of_its_bytes(emulator: Emulator) -> None:
    status, headers, _, manifest = Pusher(emulator).push_image("tekton-upstream/controller", "latest")
    assert (status, headers["Docker-Content-Digest"]) == (
        201,
        "sha256:" + hashlib.sha256(manifest).hexdigest(),
    )


def test_pushed_image_is_listed_and_fetchable_by_tag_and_digest(emulator: Emulator) -> None:
    pusher = Pusher(emulator)
    _, headers, _, manifest = pusher.push_image("tekton-upstream/webhook", "v1")
    digest = headers["Docker-Content-Digest"]
    assert json.loads(pusher.request("GET", "/v2/_catalog")[2]) == {
        "repositories": ["tekton-upstream/webhook"]
    }
    assert json.loads(pusher.request("GET", "/v2/tekton-upstream/webhook/tags/list")[2])["tags"] == ["v1"]
    assert pusher.request("GET", "/v2/tekton-upstream/webhook/manifests/v1")[2] == manifest
    status, by_digest, _ = pusher.request("HEAD", f"/v2/tekton-upstream/webhook/manifests/{digest}")
    assert (status, by_digest["Content-Type"]) == (200, MANIFEST_TYPE)


def test_a_manifest_referring_to_a_missing_blob_is_rejected(emulator: Emulator) -> None:
    manifest = json.dumps(
        {"schemaVersion": 2, "config": {"digest": "sha256:" + "0" * 64}, "layers": []}
    ).encode()
    status, _, body = Pusher(emulator).request(
        "PUT", "/v2/ns/app/manifests/x", manifest, {"Content-Type": MANIFEST_TYPE}
    )
    assert (status, json.loads(body)["errors"][0]["code"]) == (400, "MANIFEST_BLOB_UNKNOWN")


def test_a_blob_whose_digest_does_not_match_is_rejected(emulator: Emulator) -> None:
    pusher = Pusher(emulator)
    _, headers, _ = pusher.request("POST", "/v2/ns/app/blobs/uploads/")
    status, _, body = pusher.request("PUT", f"{headers['Location']}?digest=sha256:{'1' * 64}", b"data")
    assert (status, json.loads(body)["errors"][0]["code"]) == (400, "DIGEST_INVALID")


def test_names_deeper_than_two_levels_are_name_invalid(emulator: Emulator) -> None:
    status, _, body = Pusher(emulator).request("POST", "/v2/a/b/c/blobs/uploads/")
    assert (status, json.loads(body)["errors"][0]["code"]) == (400, "NAME_INVALID")


@pytest.mark.parametrize("host", ["route", "internal"], ids=["route-host", "internal-service-host"])
def test_has_image_knows_pushed_images_on_both_registry_hosts(emulator: Emulator, host: str) -> None:
    _, headers, _, _ = Pusher(emulator).push_image("tekton-upstream/controller", "latest")
    digest = headers["Docker-Content-Digest"]
    prefix = emulator.registry_host if host == "route" else INTERNAL_HOST
    assert emulator.has_image(f"{prefix}/tekton-upstream/controller@{digest}")
    assert emulator.has_image(f"{prefix}/tekton-upstream/controller:latest")
    assert not emulator.has_image(f"{prefix}/tekton-upstream/controller:other")
    assert not emulator.has_image(f"{prefix}/tekton-upstream/missing@{digest}")


def test_images_on_other_hosts_are_pullable_unless_marked_unpullable(emulator: Emulator) -> None:
    ref = "registry.redhat.io/openshift-pipelines/pipelines-controller-rhel9@sha256:" + "a" * 64
    assert emulator.has_image(ref)
    emulator.faults.unpullable_images.add(ref)
    assert not emulator.has_image(ref)


def test_bearer_token_is_accepted_like_basic(emulator: Emulator) -> None:
    request: Any = urllib.request.Request(
        f"https://{emulator.registry_host}/v2/",
        headers={"Authorization": f"Bearer {emulator.token.reveal()}"},
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT, context=Pusher(emulator).context) as response:
        assert response.status == 200
