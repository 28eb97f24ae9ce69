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
