"""An API certificate the kubeconfig's CA does not sign fails at once, with the host, the reason and the fix.

Before issue 19 it was retried like a dropped connection for about 15 s and then reported as
"cannot reach the API".
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from pytest_streamstress._infra.redact import Redactor
from pytest_streamstress.cluster.access import Access
from pytest_streamstress.cluster.client import Cluster
from pytest_streamstress.errors import ClusterError
from pytest_streamstress.testing.embedded import DEMO_SUITE
from pytest_streamstress.testing.emulator import Emulator
from pytest_streamstress.testing.emulator.tls import make_server_tls

pytestmark = pytest.mark.emulator


class CountingClock:
    """Records the retries' back-off instead of sleeping (R36)."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return 0.0

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def _kubeconfig_with_another_ca(emulator: Emulator, tmp_path: Path) -> Path:
    config = yaml.safe_load(emulator.kubeconfig.read_text(encoding="utf-8"))
    other = make_server_tls(tmp_path / "other-ca", ca_name="some-other-ca").ca_pem
    config["clusters"][0]["cluster"]["certificate-authority-data"] = base64.b64encode(other).decode()
    path = tmp_path / "wrong-ca-kubeconfig"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def test_an_untrusted_api_certificate_fails_at_once_naming_host_reason_and_fix(
    make_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    emulator = make_emulator(state="empty", controllers=False)
    kubeconfig = _kubeconfig_with_another_ca(emulator, tmp_path)
    clock = CountingClock()
    cluster = Cluster.connect(
        Access(kubeconfig=kubeconfig, request_timeout=10), redactor=Redactor(), clock=clock
    )
    with pytest.raises(ClusterError) as excinfo:
        cluster.call("list namespaces", cluster.core.list_namespace)
    cluster.close()
    message = str(excinfo.value)
    host = emulator.url.removeprefix("https://")
    assert f"list namespaces: the API server's certificate at {host} is not trusted:" in message
    assert "certificate-authority-data" in message
    assert str(kubeconfig) in message
    assert clock.sleeps == []  # not retried: a retry cannot fix a certificate (R19)


def test_a_session_against_an_untrusted_api_stops_before_any_work_with_the_fix(
    make_emulator: Callable[..., Emulator], tmp_path: Path, pytester: pytest.Pytester
) -> None:
    """The preflight (issue 22) asks the API once: one usage error, not one error per scenario."""
    emulator = make_emulator(state="installed")
    kubeconfig = _kubeconfig_with_another_ca(emulator, tmp_path)
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--streamstress",
        f"--kubeconfig={kubeconfig}",
        "--skip-build",
        "--components=pipeline",
        f"--release-tests-dir={DEMO_SUITE}",
        "specs/versions.spec",
        timeout=120,
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: --kubeconfig/--context: the API server at https://127.0.0.1:* presented a certificate"
            " this kubeconfig does not trust*",
            "*certificate-authority-data*",
        ]
    )
    assert "cannot reach the API" not in result.stdout.str() + result.stderr.str()
    assert "PASSED" not in result.stdout.str() and " passed" not in result.stdout.str()
