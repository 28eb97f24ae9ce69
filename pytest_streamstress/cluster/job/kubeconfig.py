"""The kubeconfig a Job pod writes for its ServiceAccount, for release-tests' client-go and `oc`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from pytest_streamstress.cluster.job.rbac import SERVICE_ACCOUNT


def write_incluster_kubeconfig(
    path: Path, environ: Mapping[str, str], *, account_dir: Path | None = None
) -> bool:
    """A kubeconfig for the pod's ServiceAccount, for release-tests' client-go and `oc`.

    It points at the mounted token and CA files (`tokenFile`, `certificate-authority`) instead of
    copying them, so no secret is written anywhere and the kubelet's token rotation keeps working
    for every reader. The original tool wrote `/root/.kube/config` from the token (reference §12.6).
    Returns False (and writes nothing) outside a pod.
    """
    from pytest_streamstress.cluster.access import SERVICE_ACCOUNT_DIR

    account = SERVICE_ACCOUNT_DIR if account_dir is None else account_dir
    host = environ.get("KUBERNETES_SERVICE_HOST", "")
    if not host or not (account / "token").is_file():
        return False
    port = environ.get("KUBERNETES_SERVICE_PORT", "443")
    server = f"https://[{host}]:{port}" if ":" in host else f"https://{host}:{port}"
    namespace_file = account / "namespace"
    namespace = namespace_file.read_text(encoding="utf-8").strip() if namespace_file.is_file() else "default"
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "in-cluster",
                "cluster": {"server": server, "certificate-authority": str(account / "ca.crt")},
            }
        ],
        "users": [{"name": SERVICE_ACCOUNT, "user": {"tokenFile": str(account / "token")}}],
        "contexts": [
            {
                "name": "in-cluster",
                "context": {"cluster": "in-cluster", "user": SERVICE_ACCOUNT, "namespace": namespace},
            }
        ],
        "current-context": "in-cluster",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(config, indent=1) + "\n", encoding="utf-8"
    )  # JSON is YAML: every reader takes it
    return True
