"""How a session left the operator it patched is in results.json, JUnit, the summary and the morning page.

Before, `--restore` ran after results.json, the history and the dashboard were written, so a restore
that failed said so on the terminal only: a Job's or CI run's morning reader learnt nothing of a
cluster still running last night's upstream images, and the next run recorded those as "found".
Each test runs a real session on an emulator it shares; the shipped images the restore puts back
become unpullable while the last scenario runs (a pull secret that expired overnight does this).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree import ElementTree

import jsonschema
import pytest

from pytest_streamstress._infra import proc as _proc
from pytest_streamstress._infra.waits import Probe, wait_until
from pytest_streamstress.cli.main import main
from pytest_streamstress.report.results_json import load_schema

if TYPE_CHECKING:
    from conftest import JoinedArgs

    from pytest_streamstress.testing.emulator import Emulator

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

SPEC = """\
# Left

## Passes: PIPELINES-97-TC01
Tags: e2e
* Create "a.yaml"

## Runs while the shipped images go missing: PIPELINES-97-TC02
Tags: e2e
* Create "b.yaml"
"""
OUTCOMES = """\
[[scenario]]
match = "TC01"
status = "pass"

[[scenario]]
match = "TC02"
status = "pass"
sleep_s = 2
"""
DEPLOY_TIMEOUT = "--deploy-timeout=15"
"""The restore's wait for Ready: it fails this long after it starts."""


def shipped_images_go_missing(emulator: Emulator, results: Path) -> None:
    """While the second scenario runs (the deploy is done), every image the restore record would put
    back becomes unpullable, so the restore's new pods stay in ImagePullBackOff."""

    def second_scenario_runs() -> Probe:
        log = results / "logs" / "specs__left.log"
        text = log.read_text(errors="replace") if log.is_file() else ""
        return Probe(done="PIPELINES-97-TC02" in text, state="")

    wait_until(second_scenario_runs, what="the second scenario", timeout=300, poll=0.05)
    record = json.loads((results / "restore.json").read_text())
    emulator.faults.unpullable_images |= {image for image in record["original"].values() if image}


@dataclass(frozen=True)
class Breaking:
    """A gauge project, its session's results directory and its arguments; the images go missing."""

    results: Path
    args: list[str]


@pytest.fixture
def breaking(
    pytester: pytest.Pytester,
    gauge_project: Callable[..., Path],
    joined_cluster: Emulator,
    joined_args: JoinedArgs,
) -> Iterator[Breaking]:
    results = pytester.path / "results"
    root = gauge_project({"left.spec": SPEC}, outcomes=OUTCOMES)
    thread = threading.Thread(target=shipped_images_go_missing, args=(joined_cluster, results), daemon=True)
    thread.start()
    yield Breaking(results, joined_args(root, results, "--components=pipeline", "--restore", DEPLOY_TIMEOUT))
    thread.join(timeout=5)


def test_a_failed_restore_is_recorded_and_the_restore_command_clears_it(
    pytester: pytest.Pytester, breaking: Breaking, joined_cluster: Emulator
) -> None:
    results = breaking.results
    junit = pytester.path / "junit.xml"
    result = pytester.runpytest_subprocess(*breaking.args, f"--junitxml={junit}", timeout=300)
    document = json.loads((results / "results.json").read_text())
    jsonschema.validate(document, load_schema())

    left = document["deploy"]["restore"]
    assert left["state"] == "failed", left
    assert left["message"].startswith("--restore failed: "), left
    assert left["message"].startswith(
        "--restore failed: restore did not finish within 15s (--deploy-timeout): pod "
    )
    assert "ImagePullBackOff" in left["message"]
    assert left["message"].endswith(f"run `streamstress restore {results}` to retry")
    assert document["status"] == "passed", "the scenarios' verdict is not the restore's"
    # ... but the job is not green: the shared cluster still runs this run's images.
    sentence = (
        "PASSED: no scenario failed; --restore failed, so the cluster still runs this run's images; exit 1"
    )
    assert result.ret == 1
    assert (document["exit_code"], document["verdict"]["exit_code"]) == (1, 1)
    assert document["verdict"]["sentence"] == sentence
    assert document["verdict"]["restore_failed"] is True
    assert (results / "restore.json").is_file(), "the record is kept for the retry"
    result.stdout.fnmatch_lines([f"verdict: {sentence}", "cluster: --restore failed: *"])
    suite = ElementTree.parse(junit).getroot().find("testsuite")
    assert suite is not None
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["streamstress_restore"] == "failed"
    assert properties["streamstress_verdict_sentence"] == sentence
    page = (results / "site" / "index.html").read_text()
    assert 'data-testid="morning-cluster-left"' in page
    assert "The cluster may still run this run&#39;s images. --restore failed: " in page

    # The engineer reads the page, renews the pull secret and runs the command it names.
    joined_cluster.faults.unpullable_images.clear()
    assert main(["restore", str(results), "--timeout", "60"]) == 0
    after = json.loads((results / "results.json").read_text())
    assert after["deploy"]["restore"]["state"] == "restored"
    assert (
        "`streamstress restore` put the recorded operator images back at "
        in after["deploy"]["restore"]["message"]
    )
    jsonschema.validate(after, load_schema())


def test_a_session_killed_during_the_restore_leaves_results_that_say_pending(
    pytester: pytest.Pytester, breaking: Breaking
) -> None:
    results = breaking.results
    restoring = threading.Event()
    lines: list[str] = []

    def collect(_stream: str, line: str) -> None:
        lines.append(line)
        if "--restore: putting the recorded operator images back" in line:
            restoring.set()

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    argv = [sys.executable, "-m", "pytest", *breaking.args]
    running = _proc.spawn(argv, cwd=pytester.path, env=env, on_line=collect)
    try:
        assert restoring.wait(300), "\n".join(lines[-30:])
        os.kill(running.pid, signal.SIGKILL)  # an OOM kill, or a Job's grace period running out
    finally:
        done = running.wait(timeout=60)
    assert done.returncode == -signal.SIGKILL
    document = json.loads((results / "results.json").read_text())
    jsonschema.validate(document, load_schema())
    assert [s["status"] for s in document["scenarios"]] == ["passed", "passed"], "no result is lost"
    left = document["deploy"]["restore"]
    assert left["state"] == "pending"
    assert left["message"].endswith(f"run `streamstress restore {results}`")


def test_without_restore_a_cluster_that_outlives_the_session_is_said_to_run_its_images(
    pytester: pytest.Pytester,
    gauge_project: Callable[..., Path],
    joined_cluster: Emulator,
    joined_args: JoinedArgs,
) -> None:
    """The nightly's choice: nothing is restored, and results.json says what the cluster runs now."""
    results = pytester.path / "results"
    root = gauge_project({"left.spec": SPEC}, outcomes=OUTCOMES)
    result = pytester.runpytest_subprocess(*joined_args(root, results, "--components=pipeline"), timeout=300)
    document = json.loads((results / "results.json").read_text())
    left = document["deploy"]["restore"]
    assert left["state"] == "not-asked"
    assert left["message"] == (
        f"the operator runs this run's images (no --restore); `streamstress restore {results}` puts back"
        " what it ran before"
    )
    result.stdout.fnmatch_lines(["cluster: the operator runs this run's images (no --restore); *"])
