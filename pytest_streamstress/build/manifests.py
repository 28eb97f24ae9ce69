"""Is an image still in the registry? One `HEAD /v2/<name>/manifests/<digest>` (distribution API).

`--since-last-run` deploys an unmoved component from last night's images instead of rebuilding it.
OpenShift's image pruner deletes images no pod references (a nightly job with `--restore` leaves
them unreferenced), and a pruned image would turn into an ImagePullBackOff and a false "deploy
failed" morning. The session asks the registry first and rebuilds what is gone.

With `copy.py`, which uses its auth, this module is the plugin's only door to a registry's HTTP API
(ko, docker and podman push themselves, R15). Auth follows the distribution token flow: Basic with
the build credentials; on a `Bearer` challenge, a token from the challenge's realm, then the request
again. The certificate is verified against the system's CAs and the target's `ca_pem` (the cluster's
ingress CA, issue 19); only an `insecure` target (`--registry-insecure`) skips that, and plain http
is tried only for it and only without credentials: they never cross the network in the clear. The
answer is True, False, or None when the registry cannot say (unreachable, refused): callers decide
what an unknown means. Credentials never reach a log.

`check_tls` is the build's first contact with the registry: a certificate the trusted CAs do not
sign is one clear error naming the CA's source and the fix, before any tool runs.
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
from pytest_streamstress.build.tls import ssl_context
from pytest_streamstress.errors import ToolFailed

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
    context = ssl_context(target.ca_pem, insecure=target.insecure)
    for scheme in schemes:
        url = f"{scheme}://{host}{path}"
        try:
            status = _head_with_auth(url, target, context, timeout, credentials=scheme == "https")
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


def check_tls(target: RegistryTarget, *, timeout: float = TIMEOUT_S) -> None:
    """`GET https://<push host>/v2/` with the trust the build tools get; a refused certificate is an error.

    An unreachable registry is left to the tools (they say it in their own words); an insecure
    target is not checked at all.
    """
    if target.insecure:
        return
    url = f"https://{target.push_host}/v2/"
    try:
        _head(url, "", ssl_context(target.ca_pem, insecure=False), timeout, method="GET")
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, ssl.SSLCertVerificationError):
            trusted = target.ca_source or "the system's CAs only (no cluster CA was found)"
            raise ToolFailed(
                f"the registry {target.push_host} presents a certificate that is not trusted:"
                f" {reason.verify_message or reason.reason}; trusted: {trusted}",
                hint="put the CA that signs the registry route into the ConfigMap"
                " openshift-config-managed/default-ingress-cert (ca-bundle.crt) or the route's"
                " spec.tls.caCertificate; or pass --registry-insecure to push without verifying"
                " (the cluster token then goes to whoever answers)",
            ) from None
        log.info("registry check %s: %s", url, reason)
    except (OSError, ValueError) as exc:
        log.info("registry check %s: %s", url, exc)


def _head_with_auth(
    url: str, target: RegistryTarget, context: ssl.SSLContext, timeout: float, *, credentials: bool
) -> int:
    basic_value = target.basic_credentials() if credentials else None
    basic = f"Basic {basic_value}" if basic_value else ""
    answer = _head(url, basic, context, timeout)
    if answer.status == 401 and answer.challenge.lower().startswith("bearer "):
        token = bearer_token(answer.challenge, basic, context, timeout)
        if token:
            answer = _head(url, f"Bearer {token}", context, timeout)
    return answer.status


def _head(
    url: str, authorization: str, context: ssl.SSLContext, timeout: float, *, method: str = "HEAD"
) -> _Answer:
    request = urllib.request.Request(url, method=method, headers={"Accept": ACCEPT})
    if authorization:
        request.add_header("Authorization", authorization)
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            return _Answer(int(response.status))
    except urllib.error.HTTPError as exc:
        return _Answer(exc.code, exc.headers.get("WWW-Authenticate", "") if exc.headers else "")


def bearer_token(challenge: str, basic: str, context: ssl.SSLContext, timeout: float) -> str:
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
    if basic and realm.startswith("https://"):  # never credentials to a plain-http token service
        request.add_header("Authorization", basic)
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            document = json.loads(response.read().decode("utf-8"))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        log.info("registry token from %s: %s", realm, getattr(exc, "reason", exc))
        return ""
    return str(document.get("token") or document.get("access_token") or "")
