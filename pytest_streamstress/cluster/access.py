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


def kubeconfig_path(access: Access) -> Path | None:
    """--kubeconfig, then $KUBECONFIG's first file, then ~/.kube/config when it exists."""
    if access.kubeconfig is not None:
        return access.kubeconfig
    env = os.environ.get("KUBECONFIG", "")
    if env:
        return Path(env.split(os.pathsep)[0])
    default = Path.home() / ".kube" / "config"
    return default if default.exists() else None


def has_credentials(access: Access) -> bool:
    """A kubeconfig file to read, or a pod's service account: something a client could connect with."""
    path = kubeconfig_path(access)
    return path.is_file() if path is not None else is_in_cluster()
