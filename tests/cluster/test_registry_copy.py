"""Copying a built image from one cluster's registry to another's (`--clusters`, issue 23).

Two emulated internal registries, each with its own token and ingress CA, reached over HTTPS like
OpenShift's registry route. The copy must keep the digest (every cluster tests the same bytes),
upload only what the destination lacks, and fail with one message naming both hosts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import pytest

from pytest_streamstress._infra.redact import Secret
from pytest_streamstress.build.copy import copy_image
from pytest_streamstress.build.registry import INTERNAL_PULL_HOST, RegistryTarget
from pytest_streamstress.errors import ToolFailed
from pytest_streamstress.testing.emulator import Emulator

pytestmark = pytest.mark.emulator

NAME = "tekton-upstream/pipeline-controller"
INDEX = "application/vnd.oci.image.index.v1+json"
IMAGE = "application/vnd.oci.image.manifest.v1+json"


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _blob(emulator: Emulator, data: bytes) -> dict[str, object]:
    upload = emulator.registry.start_upload()
    emulator.registry.finish_upload(upload, data, _digest(data))
    return {"mediaType": "application/octet-stream", "digest": _digest(data), "size": len(data)}


def _push_index(emulator: Emulator, platforms: list[str]) -> str:
    """An image index of one image per platform, each with a config and a layer of its own."""
    children = []
    for platform in platforms:
        config = _blob(emulator, json.dumps({"architecture": platform}).encode())
        layer = _blob(emulator, f"layer of {platform}".encode() * 100)
        manifest = json.dumps(
            {"schemaVersion": 2, "mediaType": IMAGE, "config": config, "layers": [layer]}
        ).encode()
        digest = emulator.registry.put_manifest(NAME, _digest(manifest), manifest, IMAGE)
        os_name, arch = platform.split("/")
        children.append(
            {
                "mediaType": IMAGE,
                "digest": digest,
                "size": len(manifest),
                "platform": {"os": os_name, "architecture": arch},
            }
        )
    index = json.dumps({"schemaVersion": 2, "mediaType": INDEX, "manifests": children}).encode()
    return emulator.registry.put_manifest(NAME, "latest", index, INDEX)


def _target(emulator: Emulator, token: Secret | None = None) -> RegistryTarget:
    return RegistryTarget.cluster(
        emulator.registry.host,
        token=token or emulator.registry.token,
        ca_pem=emulator.registry.ca_pem,
        ca_source="the emulator's ingress CA",
    )


@pytest.fixture
def two(make_emulator: Callable[..., Emulator]) -> tuple[Emulator, Emulator]:
    return make_emulator(state="empty", controllers=False), make_emulator(state="empty", controllers=False)


def test_an_image_index_is_copied_with_its_digest_and_only_missing_blobs_are_uploaded(
    two: tuple[Emulator, Emulator],
) -> None:
    home, other = two
    digest = _push_index(home, ["linux/amd64", "linux/arm64"])
    pulled = f"{INTERNAL_PULL_HOST}/{NAME}@{digest}"

    copied = copy_image(pulled, _target(home), _target(other))

    assert copied.ref == pulled  # pods pull the same ref on every cluster
    assert (copied.uploaded_blobs, copied.present_blobs) == (4, 0)
    assert other.registry.manifest(NAME, digest) == home.registry.manifest(NAME, digest)
    assert other.registry.has_image(pulled)
    assert other.registry.resolve(NAME, "latest") == digest  # tagged as ko tags what it pushes
    # Again: everything is there already, nothing is uploaded twice.
    again = copy_image(pulled, _target(home), _target(other))
    assert (again.uploaded_blobs, again.present_blobs) == (0, 4)


def test_a_destination_that_refuses_the_credentials_is_one_error_naming_both_registries(
    two: tuple[Emulator, Emulator],
) -> None:
    home, other = two
    digest = _push_index(home, ["linux/amd64"])
    with pytest.raises(ToolFailed) as caught:
        copy_image(f"{INTERNAL_PULL_HOST}/{NAME}@{digest}", _target(home), _target(other, Secret("wrong")))
    message = str(caught.value)
    assert home.registry.host in message and other.registry.host in message
    assert "HTTP 401" in message
    assert "wrong" not in message and home.registry.token.reveal() not in message  # no credential shown
    assert other.registry.manifest(NAME, digest) is None


def test_a_ref_that_is_not_in_the_home_registry_is_refused(two: tuple[Emulator, Emulator]) -> None:
    home, other = two
    with pytest.raises(ToolFailed, match="not in the registry"):
        copy_image("quay.io/someone/else@sha256:" + "1" * 64, _target(home), _target(other))
    with pytest.raises(ToolFailed, match="not a digest reference"):
        copy_image(f"{INTERNAL_PULL_HOST}/{NAME}:latest", _target(home), _target(other))
