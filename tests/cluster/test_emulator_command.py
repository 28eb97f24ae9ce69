"""`streamstress emulator --faults JSON`: the faults a test sets, reproducible by hand (issue 19)."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_streamstress._infra import proc as _proc

pytestmark = pytest.mark.emulator

TIMEOUT = 60.0


def _command(kubeconfig: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pytest_streamstress.cli.main",
        "emulator",
        "--kubeconfig",
        str(kubeconfig),
        *extra,
    ]


@pytest.fixture
def with_faults(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """The standalone emulator started with `--faults`; yields its kubeconfig and its output so far."""
    kubeconfig = tmp_path / "kubeconfig"
    ready = threading.Event()
    lines: list[str] = []

    def on_line(_stream: str, line: str) -> None:
        lines.append(line)
        if "serving until" in line:
            ready.set()

    faults = json.dumps({"metrics_unavailable": True, "only_methods": ["GET"]})
    running = _proc.spawn(_command(kubeconfig, "--state", "installed", "--faults", faults), on_line=on_line)
    try:
        assert ready.wait(TIMEOUT), running.tail()
        yield kubeconfig, "\n".join(lines)
    finally:
        running.kill_group()
        running.wait(timeout=TIMEOUT, what="the standalone emulator")


def test_the_command_applies_the_faults_it_is_given(with_faults: tuple[Path, str]) -> None:
    from kubernetes import client, config
    from kubernetes.client.exceptions import ApiException

    kubeconfig, output = with_faults
    assert 'faults: {"metrics_unavailable": true, "only_methods": ["GET"]}' in output
    api = config.new_client_from_config(config_file=str(kubeconfig))
    try:
        with pytest.raises(ApiException) as excinfo:
            client.CustomObjectsApi(api).list_cluster_custom_object(
                "metrics.k8s.io", "v1beta1", "pods", _request_timeout=10
            )
    finally:
        api.close()
    assert excinfo.value.status == 404  # metrics-server "absent": what metrics_unavailable does


def test_an_unknown_fault_is_refused_naming_the_known_ones(tmp_path: Path) -> None:
    done = _proc.run(
        _command(tmp_path / "kubeconfig", "--state", "empty", "--faults", '{"operator_nevr_ready": true}'),
        timeout=TIMEOUT,
    )
    assert done.returncode == 2
    assert "--faults: unknown fault 'operator_nevr_ready'" in done.stderr
    assert "operator_never_ready" in done.stderr
