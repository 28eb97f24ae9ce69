"""Only `cluster/client.py` imports `kubernetes` when it is imported (R6; issue 17).

Everything else in cluster/ names `Cluster` only in annotations, so that run/ and cli/ can import
deploy's parameters, the restore record or the Job's state without paying for the client (~0.5 s)
in a session that never talks to a cluster. Each module is imported in a fresh interpreter.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[3] / "pytest_streamstress"
CLUSTER_MODULES = sorted(
    ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    for path in (PACKAGE / "cluster").rglob("*.py")
    if path.name not in ("__main__.py", "client.py") and "__pycache__" not in path.parts
)
WAIT_TIMEOUT = 60.0


@pytest.mark.parametrize("module", CLUSTER_MODULES)
def test_importing_a_cluster_module_other_than_the_client_does_not_import_kubernetes(module: str) -> None:
    probe = f"import sys, {module}; print(sorted(m for m in sys.modules if m.split('.')[0] == 'kubernetes'))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=WAIT_TIMEOUT, check=True
    )
    assert done.stdout.strip() == "[]"


def test_the_client_is_the_module_that_imports_kubernetes() -> None:
    probe = "import sys, pytest_streamstress.cluster.client; print('kubernetes' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=WAIT_TIMEOUT, check=True
    )
    assert done.stdout.strip() == "True"


def test_a_client_imports_only_the_api_groups_it_uses(tmp_path: Path) -> None:
    """A shard pod's serial gate talks only to Leases: its client must not load CoreV1Api's module
    (~0.4 s of CPU, paid by every pod of an Indexed Job on the same cores)."""
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:1', insecure-skip-tls-verify: true}}]\n"
        "users: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\n"
    )
    probe = (
        "import sys\n"
        "from pathlib import Path\n"
        "from pytest_streamstress._infra.redact import Redactor\n"
        "from pytest_streamstress.cluster.access import Access\n"
        "from pytest_streamstress.cluster.client import Cluster\n"
        f"cluster = Cluster.connect(Access(kubeconfig=Path({str(kubeconfig)!r})), redactor=Redactor())\n"
        "cluster.coordination\n"
        "print(sorted(m.rsplit('.', 1)[-1] for m in sys.modules if m.startswith('kubernetes.client.api.')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=WAIT_TIMEOUT, check=True
    )
    assert done.stdout.strip() == "['coordination_v1_api']"
