"""How a session reaches its cluster, without loading the Kubernetes client.

`Access` and the kubeconfig lookup live apart from cluster/client.py so that a question such as "is
there a cluster to watch at all?" (run/api_watch.py) costs a file check, not the import of the
`kubernetes` package.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

SERVICE_ACCOUNT_DIR: Final = Path("/var/run/secrets/kubernetes.io/serviceaccount")


@dataclass(frozen=True, slots=True, kw_only=True)
class Access:
    """How to reach the cluster; resolved from options, never from process-wide defaults."""

    kubeconfig: Path | None = None
    context: str = ""
    request_timeout: float = 30.0


def is_in_cluster() -> bool:
    """Running in a pod: the service-account token is mounted (the original tool's test, reference §12.6)."""
    return (SERVICE_ACCOUNT_DIR / "token").exists() and "KUBERNETES_SERVICE_HOST" in os.environ


def kubeconfig_files(access: Access) -> list[Path]:
    """The files a client reads, in order: --kubeconfig, else every file of $KUBECONFIG, else
    ~/.kube/config when it exists; none in a pod without one (the pod's account then)."""
    if access.kubeconfig is not None:
        return [access.kubeconfig]
    listed = [Path(p).expanduser() for p in os.environ.get("KUBECONFIG", "").split(os.pathsep) if p]
    if listed:
        return listed
    default = Path.home() / ".kube" / "config"
    return [default] if default.exists() else []


def kubeconfig_path(access: Access) -> Path | None:
    """The file our own client loads: the first of `kubeconfig_files`."""
    files = kubeconfig_files(access)
    return files[0] if files else None


def has_credentials(access: Access) -> bool:
    """A kubeconfig file to read, or a pod's service account: something a client could connect with."""
    path = kubeconfig_path(access)
    return path.is_file() if path is not None else is_in_cluster()
