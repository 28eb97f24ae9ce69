"""Ctrl-C while deploy waits, with --restore: the images go back and results.json says interrupted."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path

import pytest

from pytest_streamstress._infra import proc as _proc

pytestmark = pytest.mark.emulator

WAIT_S = 120.0


def test_ctrl_c_during_the_deploy_wait_restores_the_operator_images(tmp_path: Path) -> None:
    lines: list[str] = []
    waiting = threading.Event()

    def collect(_stream: str, line: str) -> None:
        lines.append(line)
        if "streamstress: waiting" in line:
            waiting.set()

    env = {**os.environ, "STREAMSTRESS_EMULATOR_FAULTS": json.dumps({"slow_operator_s": 2.0})}
    env.pop("KUBECONFIG", None)
    running = _proc.spawn(
        [
            sys.executable,
            "-m",
            "pytest",
            "--streamstress",
            "--cluster",
            "emulated",
            "--components",
            "pipeline",
            "--restore",
            "--fail-on",
            "none",
            "--deploy-timeout",
            "60",
            "-p",
            "no:cacheprovider",
        ],
        cwd=tmp_path,
        env=env,
        on_line=collect,
    )
    assert waiting.wait(WAIT_S), "\n".join(lines[-20:])
    os.kill(running.pid, signal.SIGINT)
    done = running.wait(timeout=WAIT_S)
    output = "\n".join(lines)
    assert done.returncode == pytest.ExitCode.INTERRUPTED, output[-3000:]
    assert "--restore: putting the recorded operator images back" in output
    assert "restored; the record is kept as restore.json.restored" in output
    record = json.loads((tmp_path / "results" / "restore.json.restored").read_text())
    assert record["components"] == ["pipeline"]
    assert all(
        value is None or value.startswith("registry.redhat.io/") for value in record["original"].values()
    )
    document = json.loads((tmp_path / "results" / "results.json").read_text())
    assert document["status"] == "interrupted"
