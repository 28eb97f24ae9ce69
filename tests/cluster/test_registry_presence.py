"""Asking a registry whether an image is still there: the emulator's registry, and a Bearer-token one.

The emulator answers like OpenShift's registry route (Basic with the token); the second server is a
minimal distribution endpoint that only accepts a Bearer token fetched from its challenge's realm,
the flow Quay and registry:2 with token auth use.
"""

from __future__ import annotations

import base64
import http.server
import json
import threading
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pytest_streamstress._infra.redact import Secret
from pytest_streamstress.build.manifests import image_present
from pytest_streamstress.build.registry import RegistryTarget
from pytest_streamstress.testing.emulator import Emulator

pytestmark = pytest.mark.emulator

MANIFEST = json.dumps(
    {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []}
)


@pytest.fixture
def registry(make_emulator: Callable[..., Emulator]) -> Emulator:
    return make_emulator(state="empty", controllers=False)


def test_present_then_pruned_on_the_emulated_internal_registry(registry: Emulator) -> None:
    digest = registry.registry.put_manifest(
        "tekton-upstream/triggers-controller",
        "latest",
        MANIFEST.encode(),
        "application/vnd.oci.image.index.v1+json",
    )
    target = RegistryTarget.cluster(registry.registry.host, token=registry.registry.token)
    pulled = f"image-registry.openshift-image-registry.svc:5000/tekton-upstream/triggers-controller@{digest}"
    where = target.push_ref(pulled)
    assert where == f"{registry.registry.host}/tekton-upstream/triggers-controller@{digest}"

    assert image_present(where, target) is True

    token = registry.registry.token.reveal()
    request = urllib.request.Request(
        f"http://{registry.registry.host}/v2/tekton-upstream/triggers-controller/manifests/{digest}",
        method="DELETE",
        headers={"Authorization": "Basic " + base64.b64encode(f"pruner:{token}".encode()).decode()},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # what the image pruner does
        assert response.status == 202
    assert image_present(where, target) is False
    # Wrong credentials: the registry cannot say, which is not "present".
    stranger = RegistryTarget.cluster(registry.registry.host, token=Secret("not-the-token"))
    assert image_present(where, stranger) is None


class BearerRegistry(http.server.BaseHTTPRequestHandler):
    """HEAD manifests with `Bearer issued`; the token from /token for Basic user:secret."""

    present: str = ""
    scopes: list[str] = []

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        if self.path.startswith("/token"):
            expected = "Basic " + base64.b64encode(b"streamstress:secret").decode()
            if self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.end_headers()
                return
            self.scopes.append(self.path)
            body = json.dumps({"token": "issued"}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(404)
        self.end_headers()

    def do_HEAD(self) -> None:
        if self.headers.get("Authorization") != "Bearer issued":
            host = self.headers["Host"]
            self.send_response(401)
            self.send_header(
                "WWW-Authenticate",
                f'Bearer realm="http://{host}/token",service="registry",scope="repository:ns/img:pull"',
            )
            self.end_headers()
            return
        self.send_response(200 if self.path.endswith(self.present) else 404)
        self.end_headers()


@pytest.fixture
def bearer_registry() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), BearerRegistry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


def test_a_bearer_challenge_is_answered_with_a_token_from_its_realm(bearer_registry: str) -> None:
    digest = "sha256:" + "b" * 64
    BearerRegistry.present = digest
    target = RegistryTarget.from_option(f"http://{bearer_registry}/ns", password=Secret("secret"))

    assert image_present(f"{bearer_registry}/ns/img@{digest}", target) is True
    assert image_present(f"{bearer_registry}/ns/img@sha256:{'c' * 64}", target) is False
    assert BearerRegistry.scopes[0] == "/token?service=registry&scope=repository%3Ans%2Fimg%3Apull"
