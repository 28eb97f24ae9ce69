"""Every long wait says what it waits for, how long so far and its bound, on one line (issue 22).

Each test runs a real emulated session with a small `--heartbeat` and a fault or a slow scenario
that makes one wait long, then reads the lines it printed: no timing is asserted, only that the
lines came, what they say and that each fits the width (`COLUMNS`, or 200 without a terminal).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_streamstress._infra.git import Git
from pytest_streamstress._infra.heartbeat import Heartbeat, Pace
from pytest_streamstress.components import load_catalog
from pytest_streamstress.errors import WaitTimeout
from pytest_streamstress.testing.upstreams import GIT_IDENTITY, make_upstream

if TYPE_CHECKING:
    from conftest import SessionRunner

    from pytest_streamstress.testing.emulator import Emulator

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

RUN = ("--components", "pipeline", "--fail-on", "none", "--heartbeat", "0.6")
SLOW_SCENARIO = '[[scenario]]\nmatch = "DEMO-03-TC01"\nstatus = "pass"\nsleep_s = 4\n'
NEVER_READY = json.dumps({"operator_never_ready": True})


def lines_with(output: str, text: str) -> list[str]:
    return [line for line in output.splitlines() if text in line]


def test_auto_setup_says_what_it_waits_for_while_the_operator_is_never_ready(
    session_runner: SessionRunner,
) -> None:
    env = session_runner.env(STREAMSTRESS_EMULATOR_FAULTS=NEVER_READY, COLUMNS="120")
    done = session_runner.run([*RUN, "--skip-deploy", "--setup-timeout", "4"], env=env)
    beats = lines_with(done.output, "streamstress: auto-setup: waiting")
    assert len(beats) >= 2, done.output[-3000:]
    first = r"streamstress: auto-setup: waiting \d+s of 4s \(--setup-timeout\) for the operator; last: "
    assert re.match(first, beats[0]), beats
    assert all(len(line) <= 120 for line in beats), beats
    assert any("; last: TektonConfig not Ready: Components" in line for line in beats), beats
    assert "auto-setup not complete (--setup-timeout) after 4s" in done.output


def test_the_deploy_wait_repeats_its_state_in_lines_that_fit_the_terminal(
    session_runner: SessionRunner,
) -> None:
    env = session_runner.env(STREAMSTRESS_EMULATOR_FAULTS=NEVER_READY, COLUMNS="100")
    done = session_runner.run([*RUN, "--deploy-timeout", "4"], env=env)
    beats = lines_with(done.output, "(--deploy-timeout) for the operands on the new images")
    assert len(beats) >= 2, done.output[-3000:]
    assert all(len(line) <= 100 for line in beats), beats
    assert any(line.endswith("…") for line in beats), beats  # the state is longer than 100 characters
    assert "deploy did not finish within 4s (--deploy-timeout)" in done.output


def test_without_a_terminal_a_waiting_line_is_at_most_200_characters(session_runner: SessionRunner) -> None:
    env = session_runner.env(STREAMSTRESS_EMULATOR_FAULTS=NEVER_READY)
    env.pop("COLUMNS", None)
    done = session_runner.run([*RUN, "--deploy-timeout", "3"], env=env)
    beats = lines_with(done.output, "streamstress: waiting")
    assert beats, done.output[-3000:]
    assert max(len(line) for line in beats) <= 200, beats
    assert any(len(line) > 150 for line in beats), beats  # the long state fills the line, cut at 200


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_running_spec_names_its_scenario_and_its_bound(
    session_runner: SessionRunner, tmp_path: Path, workers: list[str]
) -> None:
    outcomes = tmp_path / "slow.toml"
    outcomes.write_text(SLOW_SCENARIO, encoding="utf-8")
    env = session_runner.env(GAUGE_STANDIN_OUTCOMES=str(outcomes), COLUMNS="150")
    done = session_runner.run([*RUN, *workers], env=env)
    assert done.returncode == pytest.ExitCode.OK, done.output[-3000:]
    beats = lines_with(done.output, "streamstress: gauge specs/pipelines/run.spec: scenario ")
    assert beats, done.output[-3000:]
    assert any('"Run sample pipeline: DEMO-03-TC01", running' in line for line in beats), beats
    assert all(re.search(r"scenario \d+/\d+ ", line) for line in beats), beats
    assert all("(--gauge-timeout)" in line or line.endswith("…") for line in beats), beats
    assert all(len(line) <= 150 for line in beats), beats


def test_a_long_build_names_what_it_still_builds(session_runner: SessionRunner, tmp_path: Path) -> None:
    results = tmp_path / "results"
    repo = make_upstream(load_catalog(None)["pipeline"], results / "emulator" / "upstreams")
    (repo / ".ko-standin.toml").write_text("duration_s = 1\n", encoding="utf-8")  # per image
    git = Git(url=str(repo), clone_dir=repo, timeout=60, env={**GIT_IDENTITY})
    git.run("add", "-A", what="slowing the build")
    git.run("commit", "-q", "-m", "a slow build", what="slowing the build")
    env = session_runner.env(COLUMNS="130")
    done = session_runner.run([*RUN, "--skip-deploy"], results_dir=results, env=env)
    beats = lines_with(done.output, "streamstress: build: waiting ")
    assert beats, done.output[-3000:]
    assert beats[0].startswith("streamstress: build: waiting "), beats
    assert "(--build-timeout, per component) for the build; last: still building pipeline" in beats[0]
    assert all(len(line) <= 130 for line in beats), beats
    assert "streamstress: build: pipeline built in " in done.output


def test_a_job_whose_pod_never_starts_says_what_it_waits_for(emulator: Emulator) -> None:
    """The API-only emulator runs no Job controller: the Job never gets a pod."""
    from pytest_streamstress._infra.redact import Redactor
    from pytest_streamstress.cluster.access import Access
    from pytest_streamstress.cluster.client import Cluster
    from pytest_streamstress.cluster.job.state import wait_for_pod

    cluster = Cluster.connect(Access(kubeconfig=emulator.kubeconfig), redactor=Redactor())
    # A plain body, as the product passes them. Not kubernetes' model classes: since kubernetes 37 they
    # load lazily, and one first imported inside an in-process pytester run is dropped from sys.modules
    # afterwards, so a later `client.V1Job` can be another class than the one the API validates
    # against ("Input should be a valid dictionary or instance of V1Job", once in a full -n 2 run).
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "streamstress-run-1"},
        "spec": {
            "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "r", "image": "x"}]}}
        },
    }
    cluster.batch.create_namespaced_job("demo", job)
    lines: list[str] = []
    pace = Pace(every_s=0.3, width=90)
    what = "the pod of Job demo/streamstress-run-1"
    beat = Heartbeat(lines.append, what=what, bound=2, option="--pod-timeout", pace=pace)
    try:
        with pytest.raises(WaitTimeout, match="pod of Job demo/streamstress-run-1 not started"):
            wait_for_pod(cluster, "demo", "streamstress-run-1", timeout=2, progress=beat, poll=pace.poll_s)
    finally:
        cluster.close()
    assert lines, "no heartbeat during a 2 s wait with a 0.3 s interval"
    # The elapsed seconds depend on the machine's load (a loaded CI machine printed "1s"): not asserted.
    form = rf"waiting [0-2]s of 2s \(--pod-timeout\) for {re.escape(what)}; last: job"
    assert re.match(form, lines[0]), lines
    assert all(len(line) <= 90 for line in lines), lines
