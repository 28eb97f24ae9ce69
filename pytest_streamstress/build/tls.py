"""Trusting the registry's certificate: the cluster's CA, in the form each build tool reads (issue 19).

The cluster registry's route is signed by the cluster's ingress CA, which no machine trusts by
default. The session reads that CA from the cluster (cluster/tls.py) and hands it here as PEM; this
module writes it where the tools look, inside the build's private directory (`_infra.tempdirs`):

- ko (Go) reads `SSL_CERT_FILE`: a bundle of the system's CAs (base images come from public
  registries) plus the cluster's;
- podman reads every `*.crt` of `--cert-dir DIR`;
- the manifest check (build/manifests.py) uses `ssl_context`;
- docker has no client flag: its daemon reads `/etc/docker/certs.d/<host>/ca.crt` only, which a
  build cannot set; `DOCKER_CA_HINT` says what to do when such a push fails.

Verification is never turned off here unless `RegistryTarget.insecure` (`--registry-insecure`).
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

log = logging.getLogger(__name__)

SYSTEM_BUNDLES: Final = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu, Alpine
    "/etc/pki/tls/certs/ca-bundle.crt",  # Fedora, RHEL
    "/etc/ssl/cert.pem",  # macOS, Alpine
)
BUNDLE_NAME: Final = "ca-bundle.crt"
CERT_DIR_NAME: Final = "certs"
DOCKER_CA_HINT: Final = (
    "docker's daemon trusts a registry CA only from /etc/docker/certs.d/<host>/ca.crt: install the"
    " cluster's ingress CA there, use podman (--container-tool podman), or pass --registry-insecure"
)


@dataclass(frozen=True, slots=True)
class TrustFiles:
    """Where the tools find the CA: `bundle` for SSL_CERT_FILE, `cert_dir` for podman --cert-dir."""

    bundle: Path
    cert_dir: Path

    def env(self) -> dict[str, str]:
        return {"SSL_CERT_FILE": str(self.bundle)}


def system_bundle(environ: Mapping[str, str]) -> Path | None:
    """The CA bundle this machine trusts (the user's SSL_CERT_FILE first), or None if none is found."""
    paths = ssl.get_default_verify_paths()
    candidates = [environ.get("SSL_CERT_FILE", ""), paths.cafile or "", paths.openssl_cafile, *SYSTEM_BUNDLES]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def write_trust(directory: Path, ca_pem: bytes, *, environ: Mapping[str, str]) -> TrustFiles:
    """Write the cluster CA as a bundle (system CAs + it) and as `certs/ca.crt` under `directory`."""
    system = system_bundle(environ)
    base = system.read_bytes() if system is not None else b""
    if system is None:
        log.warning("no system CA bundle found: ko trusts only the cluster's CA (and SSL_CERT_DIR)")
    bundle = directory / BUNDLE_NAME
    bundle.write_bytes(base.rstrip(b"\n") + b"\n" + ca_pem if base else ca_pem)
    cert_dir = directory / CERT_DIR_NAME
    cert_dir.mkdir(mode=0o700)
    (cert_dir / "ca.crt").write_bytes(ca_pem)
    return TrustFiles(bundle=bundle, cert_dir=cert_dir)


def ssl_context(ca_pem: bytes, *, insecure: bool) -> ssl.SSLContext:
    """System trust plus the cluster's CA; with `insecure` (and only then) no verification at all."""
    context = ssl.create_default_context()
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif ca_pem:
        context.load_verify_locations(cadata=ca_pem.decode("ascii"))
    return context
