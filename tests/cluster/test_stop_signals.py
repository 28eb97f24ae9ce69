"""SIGTERM and SIGHUP take the Ctrl-C path in every phase of a run, and the cleanup after them runs whole.

Each test runs a real emulated session in its own process and sends it real signals when a chosen
line appears (issue 19): the session must end with pytest's interrupted code, write results.json
with status `interrupted` and the signal, restore the operator with --restore, and leave neither a
process nor a `streamstress-auth-*` directory behind.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_streamstress._infra.git import Git
from pytest_streamstress.components import load_catalog
from pytest_streamstress.testing.upstreams import GIT_IDENTITY, make_upstream

if TYPE_CHECKING:
    from conftest import SessionRunner, Stopped

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

RUN = ("--components", "pipeline", "--fail-on", "none", "--restore", "-s")
SLOW_SCENARIO = '[[scenario]]\nmatch = "DEMO-03-TC01"\nstatus = "pass"\nsleep_s = 600\n'


def on(text: str) -> Callable[[str], bool]:
    return lambda line: text in line


def faults(**knobs: object) -> str:
    return json.dumps(knobs)


def assert_interrupted_by(stopped: Stopped, runner: SessionRunner, name: str) -> None:
    assert stopped.sent == [name], stopped.output[-3000:]
    assert stopped.returncode == pytest.ExitCode.INTERRUPTED, stopped.output[-3000:]
    document = stopped.results()
    assert document["status"] == "interrupted"
    assert document["signal"] == name
    assert document["exit_code"] == pytest.ExitCode.INTERRUPTED
    assert runner.stray_processes() == []
    assert runner.auth_dirs() == []


def assert_restored(stopped: Stopped) -> None:
    assert "restored; the record is kept as restore.json.restored" in stopped.output, stopped.output[-3000:]
    record = json.loads((stopped.results_dir / "restore.json.restored").read_text())
    assert record["components"] == ["pipeline"]
    assert all(v is None or v.startswith("registry.redhat.io/") for v in record["original"].values())


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP"])
def test_a_stop_signal_in_the_deploy_wait_restores_the_operator_and_says_interrupted(
    session_runner: SessionRunner, name: str
) -> None:
    env = session_runner.env(STREAMSTRESS_EMULATOR_FAULTS=faults(slow_operator_s=2.0))
    stopped = session_runner.run(
        [*RUN, "--deploy-timeout", "60"], signals=[(on("streamstress: waiting"), name)], env=env
    )
    assert_interrupted_by(stopped, session_runner, name)
    assert_restored(stopped)
    assert f"streamstress: {name}: stopping" in stopped.output
    document = stopped.results()
    # What was built and that the deploy was cut, not "components: [], deploy: not-run".
    assert [(c["name"], c["status"]) for c in document["components"]] == [("pipeline", "built")]
    assert document["deploy"]["status"] == "interrupted"
    assert "--restore puts the recorded ones back" in document["deploy"]["message"]
    assert document["deploy"]["restore"] == {
        "state": "restored",
        "message": "--restore put the recorded operator images back",
    }
    assert document["verdict"]["reasons"] == ["during the deploy, before any of the 7 scenarios ran"]
    assert f"INTERRUPTED by {name} during the deploy, before any of the 7 scenarios ran" in stopped.output


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP", "SIGINT"])
def test_a_stop_signal_in_the_gauge_run_ends_its_process_group_and_restores(
    session_runner: SessionRunner, tmp_path: Path, name: str
) -> None:
    outcomes = tmp_path / "slow.toml"
    outcomes.write_text(SLOW_SCENARIO, encoding="utf-8")
    env = session_runner.env(GAUGE_STANDIN_OUTCOMES=str(outcomes))
    stopped = session_runner.run(RUN, signals=[(on("## Run sample pipeline"), name)], env=env)
    assert_interrupted_by(stopped, session_runner, name)
    assert_restored(stopped)
    document = stopped.results()
    assert document["deploy"]["status"] == "deployed"
    assert document["verdict"]["reasons"] == ["before any of the 7 scenarios ran"]  # the first one hung


def test_a_stop_signal_in_a_later_spec_keeps_the_scenarios_that_ran_and_says_how_many(
    session_runner: SessionRunner, tmp_path: Path
) -> None:
    outcomes = tmp_path / "slow.toml"
    outcomes.write_text(SLOW_SCENARIO.replace("DEMO-03-TC01", "DEMO-05-TC01"), encoding="utf-8")
    env = session_runner.env(GAUGE_STANDIN_OUTCOMES=str(outcomes))
    stopped = session_runner.run(RUN, signals=[(on("## Create Eventlistener"), "SIGTERM")], env=env)
    assert_interrupted_by(stopped, session_runner, "SIGTERM")
    document = stopped.results()
    assert [s["id"].rsplit("::")[-1] for s in document["scenarios"]] == [
        f"DEMO-03-TC0{n}" for n in range(1, 5)
    ]
    assert document["verdict"]["reasons"] == ["after 4 of 7 scenarios"]
    assert "INTERRUPTED by SIGTERM after 4 of 7 scenarios: the results so far are kept" in stopped.output


def test_a_stop_signal_in_the_build_ends_ko_and_leaves_no_registry_credentials(
    session_runner: SessionRunner, tmp_path: Path
) -> None:
    results = tmp_path / "results"
    _slow_build(results / "emulator" / "upstreams")
    log = results / "logs" / "build-pipeline.log"
    stopped = session_runner.run(
        RUN, signal_when=(lambda: "$ ko build" in _text(log), "SIGTERM"), results_dir=results
    )
    assert_interrupted_by(stopped, session_runner, "SIGTERM")
    assert not (results / "restore.json").exists()  # nothing was deployed, so nothing to put back
    document = stopped.results()
    [pipeline] = document["components"]
    assert (pipeline["name"], pipeline["status"]) == ("pipeline", "failed")
    assert pipeline["error"].startswith("building pipeline was interrupted by SIGTERM")
    assert document["deploy"] == {
        "status": "skipped",
        "strategy": "",
        "message": "not deployed: the run stopped during build",
    }
    assert document["verdict"]["reasons"] == ["during the build, before any of the 7 scenarios ran"]


def test_a_stop_signal_in_the_build_keeps_the_components_already_built(
    session_runner: SessionRunner, tmp_path: Path
) -> None:
    """One component built, one still building: results.json lists both (it used to list none)."""
    results = tmp_path / "results"
    _slow_build(results / "emulator" / "upstreams")
    stopped = session_runner.run(
        ["--components", "pipeline,triggers", *RUN[2:]],
        signals=[(on("build: triggers built"), "SIGTERM")],
        results_dir=results,
    )
    assert_interrupted_by(stopped, session_runner, "SIGTERM")
    components = {c["name"]: c for c in stopped.results()["components"]}
    assert components["triggers"]["status"] == "built"
    assert components["triggers"]["commit"]["sha"]
    assert all("@sha256:" in image["ref"] for image in components["triggers"]["images"])
    # The slow one's thread reports its end within the step's grace, before results.json is written.
    assert components["pipeline"]["status"] == "failed"
    assert components["pipeline"]["error"].startswith("building pipeline was interrupted by SIGTERM")


def test_a_killed_runs_registry_credentials_are_swept_by_the_next_run(
    session_runner: SessionRunner, tmp_path: Path
) -> None:
    results = tmp_path / "results"
    _slow_build(results / "emulator" / "upstreams")

    # Killed once the credentials are on disk: the directory alone exists a moment before its file
    # (the kill once landed in between in a loaded full run, and the test found no file to sweep).
    def credentials_written() -> bool:
        return any((d / "config.json").is_file() for d in session_runner.auth_dirs())

    killed = session_runner.run(RUN, signal_when=(credentials_written, "SIGKILL"), results_dir=results)
    assert killed.returncode == -signal.SIGKILL
    [left] = session_runner.auth_dirs()
    assert (left / "config.json").is_file()  # what the issue found: the cluster token, on disk
    session_runner.kill_strays()  # nothing can handle SIGKILL: ko runs on until someone ends it

    session_runner.run(["--collect-only", "-q"], results_dir=tmp_path / "next")

    assert session_runner.auth_dirs() == []


def test_a_stop_signal_at_the_very_start_still_leaves_an_interrupted_results_json(
    session_runner: SessionRunner,
) -> None:
    """Landing in pytest's session start skips sessionfinish, where results.json is normally written."""
    stopped = session_runner.run(RUN, signals=[(on("test session starts"), "SIGTERM")])
    assert_interrupted_by(stopped, session_runner, "SIGTERM")
    assert stopped.results()["emulated"] is True


def test_a_stop_signal_in_auto_setup_says_interrupted(session_runner: SessionRunner) -> None:
    env = session_runner.env(STREAMSTRESS_EMULATOR_FAULTS=faults(latency_s=0.2))
    stopped = session_runner.run(RUN, signals=[(on("auto-setup: checking"), "SIGTERM")], env=env)
    assert_interrupted_by(stopped, session_runner, "SIGTERM")
    assert "auto-setup: changed" not in stopped.output
    document = stopped.results()
    assert document["verdict"]["reasons"] == ["during auto-setup, before any of the 7 scenarios ran"]
    [pipeline] = document["components"]  # what the run was asked to build, not an empty list
    assert (pipeline["name"], pipeline["status"]) == ("pipeline", "not-built")
    assert pipeline["error"] == "not built: the run stopped during auto-setup"
    assert pipeline["images"] == []


@pytest.mark.parametrize("shards", [[], ["--shards", "2"]], ids=["one-pod", "indexed"])
def test_a_launcher_stopped_while_its_emulated_job_runs_writes_its_own_interrupted_run(
    session_runner: SessionRunner, shards: list[str]
) -> None:
    """It used to write nothing at all: it had handed the run to the Job before waiting for it."""
    stopped = session_runner.run(
        ["--components", "pipeline", "--fail-on", "none", "--in-cluster", *shards, "-s"],
        signals=[(on("Job launched"), "SIGTERM")],
    )
    assert_interrupted_by(stopped, session_runner, "SIGTERM")
    document = stopped.results()
    assert document["verdict"]["reasons"] == [
        "while the in-cluster Job ran, before any of the 7 scenarios ran"
    ]
    assert [(c["name"], c["status"]) for c in document["components"]] == [("pipeline", "built")]
    # With shards this session deployed (once, for every pod); a single pod deploys for itself.
    assert document["deploy"]["status"] == ("deployed" if shards else "skipped")


def test_a_second_signal_during_the_restore_does_not_abandon_it(session_runner: SessionRunner) -> None:
    env = session_runner.env(STREAMSTRESS_EMULATOR_FAULTS=faults(slow_operator_s=2.0))
    stopped = session_runner.run(
        [*RUN, "--deploy-timeout", "60"],
        signals=[(on("streamstress: waiting"), "SIGTERM"), (on("--restore: putting"), "SIGTERM")],
        env=env,
    )
    assert stopped.sent == ["SIGTERM", "SIGTERM"]
    assert "streamstress: SIGTERM again: still stopping" in stopped.output
    assert stopped.returncode == pytest.ExitCode.INTERRUPTED
    assert stopped.results()["status"] == "interrupted"
    assert_restored(stopped)
    assert session_runner.stray_processes() == []


def test_a_restore_cut_by_the_stop_timeout_keeps_the_record_and_names_streamstress_restore(
    session_runner: SessionRunner,
) -> None:
    env = session_runner.env(STREAMSTRESS_EMULATOR_FAULTS=faults(operator_never_ready=True))
    stopped = session_runner.run(
        [*RUN, "--deploy-timeout", "120", "--stop-timeout", "1"],
        signals=[(on("streamstress: waiting"), "SIGTERM")],
        env=env,
    )
    assert_interrupted_by(stopped, session_runner, "SIGTERM")
    assert "--restore stopped 1s after SIGTERM (--stop-timeout)" in stopped.output, stopped.output[-3000:]
    assert f"run `streamstress restore {stopped.results_dir}` to finish it" in stopped.output
    assert (stopped.results_dir / "restore.json").is_file()  # kept for `streamstress restore`


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


def _slow_build(upstreams: Path) -> None:
    """The embedded pipeline repository, with one more commit that makes the ko stand-in take long."""
    spec = load_catalog(None)["pipeline"]
    repo = make_upstream(spec, upstreams)
    (repo / ".ko-standin.toml").write_text("duration_s = 600\n", encoding="utf-8")
    git = Git(url=str(repo), clone_dir=repo, timeout=60, env={**GIT_IDENTITY})
    git.run("add", "-A", what="slowing the build")
    git.run("commit", "-q", "-m", "a slow build", what="slowing the build")


def test_under_xdist_a_stop_signal_reaches_the_workers_and_the_controller_restores(
    session_runner: SessionRunner, tmp_path: Path
) -> None:
    outcomes = tmp_path / "slow.toml"
    outcomes.write_text(SLOW_SCENARIO, encoding="utf-8")
    env = session_runner.env(GAUGE_STANDIN_OUTCOMES=str(outcomes))
    stopped = session_runner.run(
        [*RUN[:-1], "-n", "2"], signals=[(on("deploy: deployed"), "SIGTERM")], env=env
    )
    assert_interrupted_by(stopped, session_runner, "SIGTERM")  # no worker's gauge group is left
    assert_restored(stopped)


def test_under_xdist_the_restore_waits_until_every_worker_is_done(session_runner: SessionRunner) -> None:
    """The worker that deployed used to restore when it finished, under the feet of the others."""
    done = session_runner.run([*RUN[:-1], "-n", "2"])
    assert done.returncode == pytest.ExitCode.OK, done.output[-3000:]
    assert_restored(done)
    assert done.output.index("[100%]") < done.output.index("--restore: putting the recorded")


CONFIRM_HANGS_ON_SHIPPED = """\
[[scenario]]
match = "DEMO-03-TC02"
status = "pass"
sleep_s = 600
when_running = { deployment = "tekton-pipelines-controller", image_in = ["registry.redhat.io/"] }

[[scenario]]
match = "DEMO-03-TC02"
status = "fail"
message = "pipelinerun finally-run failed: expected 2 taskruns, got 1"
"""


def nth(text: str, count: int) -> Callable[[str], bool]:
    seen = []
    return lambda line: text in line and (seen.append(line) or len(seen) == count)


def test_a_stop_signal_during_confirm_keeps_the_first_rerun_and_says_which_images_run(
    session_runner: SessionRunner, tmp_path: Path
) -> None:
    """Before, the verdict read only "after all 7 scenarios" and the regression had no confirmation
    at all, although its rerun on the upstream images had failed and the operator now ran its
    shipped images."""
    outcomes = tmp_path / "confirm.toml"
    outcomes.write_text(CONFIRM_HANGS_ON_SHIPPED, encoding="utf-8")
    env = session_runner.env(GAUGE_STANDIN_OUTCOMES=str(outcomes))
    heading = "## Pipelinerun with finally tasks"  # the run, the upstream rerun, the shipped rerun
    stopped = session_runner.run(
        ["--components", "pipeline", "--fail-on", "none", "--confirm", "-s"],
        signals=[(nth(heading, 3), "SIGTERM")],
        env=env,
    )
    assert_interrupted_by(stopped, session_runner, "SIGTERM")
    document = stopped.results()
    where = (
        "during the --confirm reruns on the shipped images (the operator runs them now), after all 7"
        " scenarios"
    )
    assert document["verdict"]["reasons"] == [where]
    (regression,) = [s for s in document["scenarios"] if s["status"] != "passed"]
    confirmation = regression["confirmation"]
    assert (confirmation["verdict"], confirmation["reason"]) == (
        "not-checked",
        "the run was stopped during the confirmation",
    )
    assert [(a["images"], a["status"]) for a in confirmation["attempts"]] == [("upstream", "failed")]
    # No --restore: the operator stays on its shipped images, and results.json says so by the deploy.
    assert document["deploy"]["status"] == "deployed"
    assert "the operator runs its shipped images now, not this run's" in document["deploy"]["message"]
