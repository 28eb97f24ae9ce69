"""Is an image still in the registry? One `HEAD /v2/<name>/manifests/<digest>` (distribution API).

`--since-last-run` deploys an unmoved component from last night's images instead of rebuilding it.
OpenShift's image pruner deletes images no pod references (a nightly job with `--restore` leaves
them unreferenced), and a pruned image would turn into an ImagePullBackOff and a false "deploy
failed" morning. The session asks the registry first and rebuilds what is gone.

This module is the plugin's only door to a registry's HTTP API (ko, docker and podman push
themselves, R15). Auth follows the distribution token flow: Basic with the build credentials; on a
`Bearer` challenge, a token from the challenge's realm, then the request again. `insecure` targets
(the cluster route with a self-signed certificate, or plain HTTP) skip certificate checks and fall
back to http. The answer is True, False, or None when the registry cannot say (unreachable,
refused): callers decide what an unknown means. Credentials never reach a log.
"""

from __future__ import annotations

import json
import logging
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Final

from pytest_streamstress.build.registry import RegistryTarget

log = logging.getLogger(__name__)

ACCEPT: Final = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)
TIMEOUT_S: Final = 20.0


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    challenge: str = ""
    """The `WWW-Authenticate` header of a 401."""


def image_present(ref: str, target: RegistryTarget, *, timeout: float = TIMEOUT_S) -> bool | None:
    """True/False when the registry at `ref`'s host says so; None when it cannot be asked."""
    host, _, rest = ref.partition("/")
    name, at, digest = rest.partition("@")
    if not at or not digest.startswith("sha256:") or not name:
        log.info("cannot check %s: not a digest reference", ref)
        return None
    path = f"/v2/{name}/manifests/{digest}"
    schemes = ("https", "http") if target.insecure else ("https",)
    context = ssl.create_default_context()
    if target.insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    for scheme in schemes:
        url = f"{scheme}://{host}{path}"
        try:
            status = _head_with_auth(url, target, context, timeout)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            log.info("registry check %s: %s", url, getattr(exc, "reason", exc))
            continue
        if status == 200:
            return True
        if status == 404:
            return False
        log.info("registry check %s: HTTP %d", url, status)
        return None
    return None


def _head_with_auth(url: str, target: RegistryTarget, context: ssl.SSLContext, timeout: float) -> int:
    credentials = target.basic_credentials()
    basic = f"Basic {credentials}" if credentials else ""
    answer = _head(url, basic, context, timeout)
    if answer.status == 401 and answer.challenge.lower().startswith("bearer "):
        token = _bearer_token(answer.challenge, basic, context, timeout)
        if token:
            answer = _head(url, f"Bearer {token}", context, timeout)
    return answer.status


def _head(url: str, authorization: str, context: ssl.SSLContext, timeout: float) -> _Answer:
    request = urllib.request.Request(url, method="HEAD", headers={"Accept": ACCEPT})
    if authorization:
        request.add_header("Authorization", authorization)
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            return _Answer(int(response.status))
    except urllib.error.HTTPError as exc:
        return _Answer(exc.code, exc.headers.get("WWW-Authenticate", "") if exc.headers else "")


def _bearer_token(challenge: str, basic: str, context: ssl.SSLContext, timeout: float) -> str:
    """GET the challenge's realm (with service and scope) using Basic auth; the token, or ""."""
    params = dict(
        (key.strip(), value.strip().strip('"'))
        for key, _, value in (part.partition("=") for part in challenge[len("bearer ") :].split(","))
    )
    realm = params.pop("realm", "")
    if not realm.startswith(("https://", "http://")):
        return ""
    query = urllib.parse.urlencode({k: v for k, v in params.items() if k in ("service", "scope")})
    request = urllib.request.Request(f"{realm}?{query}" if query else realm)
    if basic:
        request.add_header("Authorization", basic)
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            document = json.loads(response.read().decode("utf-8"))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        log.info("registry token from %s: %s", realm, getattr(exc, "reason", exc))
        return ""
    return str(document.get("token") or document.get("access_token") or "")
