"""Writes the kubeconfig that points a client at the emulator.

Owns the file's shape only: one cluster, one user with a bearer token, one context named
`streamstress-emulator`, written 0600 because it holds the token. The official client
(`new_client_from_config`) and `kubectl --kubeconfig` load it unchanged. Must not log the token.
"""

from __future__ import annotations

import base64
import logging
import os
from pathlib import Path
from typing import Any, Final

import yaml

from pytest_streamstress._infra.redact import Secret

log = logging.getLogger(__name__)

CONTEXT: Final = "streamstress-emulator"


def kubeconfig_dict(
    *, server: str, token: Secret, ca_pem: bytes | None, namespace: str = "default"
) -> dict[str, Any]:
    cluster: dict[str, Any] = {"server": server}
    if ca_pem is not None:
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem).decode("ascii")
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": CONTEXT, "cluster": cluster}],
        "users": [{"name": CONTEXT, "user": {"token": token.reveal()}}],
        "contexts": [
            {"name": CONTEXT, "context": {"cluster": CONTEXT, "user": CONTEXT, "namespace": namespace}}
        ],
        "current-context": CONTEXT,
        "preferences": {},
    }


def write_kubeconfig(path: Path, *, server: str, token: Secret, ca_pem: bytes | None) -> Path:
    """Write the kubeconfig atomically with mode 0600 and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(kubeconfig_dict(server=server, token=token, ca_pem=ca_pem), sort_keys=False)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    tmp.replace(path)
    log.debug("wrote kubeconfig %s for %s", path, server)
    return path
