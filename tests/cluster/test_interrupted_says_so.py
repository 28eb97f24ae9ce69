"""An interrupted build, deploy or auto-setup says "interrupted", never a tool's error (issue 22).

Ctrl-C during a build showed `build: pipeline FAILED` with the registry's `UNAUTHORIZED`: the stop
ended ko (and removed the registry credentials), and the build thread reported what ko said then.
Each test stops a real emulated session with a real signal while the step runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from test_stop_signals import RUN, _slow_build, assert_interrupted_by, on

if TYPE_CHECKING:
    from conftest import SessionRunner

pytestmark = [pytest.mark.emulator, pytest.mark.slow]


def ko_is_building(results: Path) -> Callable[[], bool]:
    """True once the ko stand-in said it builds: the signal then lands on a running tool."""
    log = results / "logs" / "build-pipeline.log"

    def building() -> bool:
        try:
            return "Building github.com/tektoncd/pipeline" in log.read_text(encoding="utf-8")
        except OSError:
            return False

    return building


@pytest.mark.parametrize(
    ("name", "workers"),
    [("SIGTERM", []), ("SIGINT", []), ("SIGTERM", ["-n", "2"])],
    ids=["sigterm", "ctrl-c", "sigterm-xdist"],
)
def test_a_build_stopped_while_ko_runs_says_interrupted_not_failed(
    session_runner: SessionRunner, tmp_path: Path, name: str, workers: list[str]
) -> None:
    results = tmp_path / "results"
    _slow_build(results / "emulator" / "upstreams")
    args = [*RUN[:-1], *workers] if workers else RUN
    stopped = session_runner.run(args, signal_when=(ko_is_building(results), name), results_dir=results)
    assert_interrupted_by(stopped, session_runner, name)
    said = f"streamstress: build: pipeline interrupted ({name}) after "
    assert said in stopped.output, stopped.output[-3000:]
    assert "FAILED" not in stopped.output
    assert "UNAUTHORIZED" not in stopped.output
    log = (results / "logs" / "build-pipeline.log").read_text(encoding="utf-8")
    assert f"# building pipeline was interrupted by {name} after " in log


def test_a_deploy_stopped_in_its_wait_says_interrupted(session_runner: SessionRunner) -> None:
    env = session_runner.env(STREAMSTRESS_EMULATOR_FAULTS=json.dumps({"slow_operator_s": 2.0}))
    stopped = session_runner.run(
        [*RUN, "--deploy-timeout", "60"], signals=[(on("streamstress: waiting"), "SIGTERM")], env=env
    )
    assert_interrupted_by(stopped, session_runner, "SIGTERM")
    assert "streamstress: deploy: interrupted (SIGTERM) after " in stopped.output, stopped.output[-3000:]
    assert "deploy: failed" not in stopped.output
    assert "did not finish within" not in stopped.output


def test_auto_setup_stopped_in_its_wait_says_interrupted(session_runner: SessionRunner) -> None:
    env = session_runner.env(STREAMSTRESS_EMULATOR_FAULTS=json.dumps({"operator_never_ready": True}))
    stopped = session_runner.run(
        [*RUN, "--skip-deploy", "--heartbeat", "0.6"],
        signals=[(on("streamstress: auto-setup: waiting"), "SIGTERM")],
        env=env,
    )
    assert_interrupted_by(stopped, session_runner, "SIGTERM")
    assert "streamstress: auto-setup: interrupted (SIGTERM) after " in stopped.output, stopped.output[-3000:]
    assert "auto-setup not complete" not in stopped.output
