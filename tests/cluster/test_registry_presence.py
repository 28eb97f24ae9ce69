"""Asking a registry whether an image is still there: the emulator's registry, and a Bearer-token one.

The emulator answers like OpenShift's registry route (Basic with the token, TLS signed by the
ingress CA); the second server is a minimal distribution endpoint that only accepts a Bearer token
fetched from its challenge's realm, the flow Quay and registry:2 with token auth use. Certificates
are verified, and credentials never go over plain HTTP (issue 19).
"""

from __future__ import annotations

import base64
import dataclasses
import http.server
import json
import ssl
import threading
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_streamstress._infra.redact import Secret
from pytest_streamstress.build.manifests import check_tls, image_present
from pytest_streamstress.build.registry import RegistryTarget
from pytest_streamstress.errors import ToolFailed
from pytest_streamstress.testing.emulator import Emulator
from pytest_streamstress.testing.emulator.tls import make_server_tls, serve_tls

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
    target = _cluster(registry, registry.registry.token)
    pulled = f"image-registry.openshift-image-registry.svc:5000/tekton-upstream/triggers-controller@{digest}"
    where = target.push_ref(pulled)
    assert where == f"{registry.registry.host}/tekton-upstream/triggers-controller@{digest}"

    assert image_present(where, target) is True

    token = registry.registry.token.reveal()
    request = urllib.request.Request(
        f"https://{registry.registry.host}/v2/tekton-upstream/triggers-controller/manifests/{digest}",
        method="DELETE",
        headers={"Authorization": "Basic " + base64.b64encode(f"pruner:{token}".encode()).decode()},
    )
    context = ssl.create_default_context(cadata=registry.registry.ca_pem.decode())
    with urllib.request.urlopen(request, timeout=10, context=context) as response:  # what the pruner does
        assert response.status == 202
    assert image_present(where, target) is False
    # Wrong credentials: the registry cannot say, which is not "present".
    stranger = _cluster(registry, Secret("not-the-token"))
    assert image_present(where, stranger) is None


def _cluster(registry: Emulator, token: Secret) -> RegistryTarget:
    return RegistryTarget.cluster(
        registry.registry.host, token=token, ca_pem=registry.registry.ca_pem, ca_source="the emulator"
    )


def test_the_build_refuses_a_registry_certificate_the_given_ca_does_not_sign(
    make_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    registry = make_emulator(state="empty", controllers=False)
    wrong = make_server_tls(tmp_path / "other", ca_name="some-other-ca").ca_pem
    target = RegistryTarget.cluster(
        registry.registry.host, token=registry.registry.token, ca_pem=wrong, ca_source="ConfigMap x/y"
    )
    with pytest.raises(ToolFailed) as excinfo:
        check_tls(target)
    message = str(excinfo.value)
    assert f"the registry {registry.registry.host} presents a certificate that is not trusted" in message
    assert "trusted: ConfigMap x/y" in message
    assert "--registry-insecure" in message
    check_tls(_cluster(registry, registry.registry.token))  # the right CA: no error
    check_tls(dataclasses.replace(target, insecure=True))  # --registry-insecure: not checked


class BearerRegistry(http.server.BaseHTTPRequestHandler):
    """HEAD manifests with `Bearer issued`; the token from /token for Basic user:secret."""

    present: str = ""
    scopes: list[str] = []
    authorizations: list[str] = []

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
        self.authorizations.append(self.headers.get("Authorization") or "")
        if self.headers.get("Authorization") != "Bearer issued":
            host = self.headers["Host"]
            self.send_response(401)
            self.send_header(
                "WWW-Authenticate",
                f'Bearer realm="https://{host}/token",service="registry",scope="repository:ns/img:pull"',
            )
            self.end_headers()
            return
        self.send_response(200 if self.path.endswith(self.present) else 404)
        self.end_headers()


@pytest.fixture
def bearer_registry(tmp_path: Path) -> Iterator[tuple[str, bytes]]:
    """An https token-auth registry: its host and the CA that signs it."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), BearerRegistry)
    served = make_server_tls(tmp_path / "bearer-tls", ca_name="bearer-test-ca")
    serve_tls(server, served)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_port}", served.ca_pem
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def plain_registry() -> Iterator[str]:
    """A plain-http endpoint that records the Authorization headers it was sent."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), BearerRegistry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


def test_credentials_never_go_to_a_plain_http_registry(plain_registry: str) -> None:
    BearerRegistry.authorizations = []
    target = RegistryTarget.from_option(
        f"http://{plain_registry}/ns", password=Secret("secret"), insecure=True
    )
    image_present(f"{plain_registry}/ns/img@sha256:{'d' * 64}", target)
    assert BearerRegistry.authorizations  # it was asked
    assert not any(a.startswith("Basic ") for a in BearerRegistry.authorizations)


def test_a_bearer_challenge_is_answered_with_a_token_from_its_realm(
    bearer_registry: tuple[str, bytes],
) -> None:
    host, ca_pem = bearer_registry
    digest = "sha256:" + "b" * 64
    BearerRegistry.present = digest
    target = dataclasses.replace(
        RegistryTarget.from_option(f"https://{host}/ns", password=Secret("secret")), ca_pem=ca_pem
    )

    assert image_present(f"{host}/ns/img@{digest}", target) is True
    assert image_present(f"{host}/ns/img@sha256:{'c' * 64}", target) is False
    assert BearerRegistry.scopes[0] == "/token?service=registry&scope=repository%3Ans%2Fimg%3Apull"
