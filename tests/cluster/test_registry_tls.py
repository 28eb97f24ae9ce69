"""The build verifies the registry route's certificate with the ingress CA it reads from the cluster.

The emulator's registry serves TLS signed by its own ingress CA and publishes that CA in the
ConfigMap `openshift-config-managed/default-ingress-cert`, as OpenShift does (issue 19). The session
joins an emulator the test controls (`STREAMSTRESS_EMULATOR_KUBECONFIG`), so a test can publish the
wrong CA and see the build refuse to send the token to a server it cannot verify.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_streamstress.testing.embedded import ENV_KUBECONFIG
from pytest_streamstress.testing.emulator import Emulator
from pytest_streamstress.testing.emulator.tls import make_server_tls
from pytest_streamstress.testing.standins import install_standins

if TYPE_CHECKING:
    from conftest import SessionRunner

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

RUN = ("--components", "pipeline", "--fail-on", "none", "specs/versions.spec")


def _joined(session_runner: SessionRunner, emulator: Emulator, tmp_path: Path) -> dict[str, str]:
    bin_dir = install_standins(tmp_path / "bin")
    return session_runner.env(
        **{ENV_KUBECONFIG: str(emulator.kubeconfig)},
        PATH=os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")]),
    )


def _publish_wrong_ingress_ca(emulator: Emulator, tmp_path: Path) -> None:
    wrong = make_server_tls(tmp_path / "not-the-ingress", ca_name="streamstress-emulator-ingress-ca")
    rtype = emulator.store.rtype("v1", "ConfigMap")
    config_map = emulator.store.get(rtype, "openshift-config-managed", "default-ingress-cert")
    config_map["data"]["ca-bundle.crt"] = wrong.ca_pem.decode()
    emulator.store.update(rtype, config_map)


def test_the_default_build_verifies_the_registry_with_the_ingress_ca(
    session_runner: SessionRunner, make_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    emulator = make_emulator(state="installed")
    done = session_runner.run(RUN, env=_joined(session_runner, emulator, tmp_path))
    assert done.returncode == pytest.ExitCode.OK, done.output[-3000:]
    assert done.results()["components"][0]["status"] == "built"
    log = (done.results_dir / "logs" / "build-pipeline.log").read_text(encoding="utf-8")
    assert "ko build" in log
    assert "--insecure-registry" not in log
    assert "--registry-insecure" not in done.output


def test_a_wrong_ingress_ca_fails_the_build_with_the_source_and_the_fix(
    session_runner: SessionRunner, make_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    emulator = make_emulator(state="installed")
    _publish_wrong_ingress_ca(emulator, tmp_path)
    done = session_runner.run(RUN, env=_joined(session_runner, emulator, tmp_path))
    assert done.returncode == pytest.ExitCode.TESTS_FAILED, done.output[-3000:]
    assert f"the registry {emulator.registry_host} presents a certificate that is not trusted" in done.output
    assert "trusted: ConfigMap openshift-config-managed/default-ingress-cert" in done.output
    assert "--registry-insecure" in done.output
    assert emulator.registry.repositories() == []  # nothing was pushed, no token was sent
    document = done.results()
    assert document["errors"][0]["phase"] == "build"
    assert not list((done.results_dir / "logs").glob("build-*.log"))  # no tool ran


def test_registry_insecure_builds_anyway_and_says_so(
    session_runner: SessionRunner, make_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    emulator = make_emulator(state="installed")
    _publish_wrong_ingress_ca(emulator, tmp_path)
    done = session_runner.run([*RUN, "--registry-insecure"], env=_joined(session_runner, emulator, tmp_path))
    assert done.returncode == pytest.ExitCode.OK, done.output[-3000:]
    assert f"warning: --registry-insecure: the certificate of {emulator.registry_host} is not verified" in (
        done.output
    )
    log = (done.results_dir / "logs" / "build-pipeline.log").read_text(encoding="utf-8")
    assert "--insecure-registry" in log
    assert done.results()["components"][0]["status"] == "built"
