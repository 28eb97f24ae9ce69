"""A failure that happened while the cluster's API did not answer is not blamed on upstream.

Before, such a failure was filed by the message rules alone: with the watch switched off, the
failure below reads ('upstream-regression', 'default') and the run is scored. The test runs a real
session on an emulator it shares, and makes the API answer 503 to every request for a while during
the second scenario, as a control-plane restart does.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_streamstress._infra.waits import Probe, wait_until

if TYPE_CHECKING:
    from conftest import JoinedArgs

    from pytest_streamstress.testing.emulator import Emulator

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

SPEC = """\
# Lost

## Passes first: PIPELINES-96-TC01
Tags: e2e
* Create "a.yaml"

## Fails while the API is down: PIPELINES-96-TC02
Tags: e2e
* Create "b.yaml"

## Fails after it is back: PIPELINES-96-TC03
Tags: e2e
* Create "c.yaml"
"""
OUTCOMES = """\
[[scenario]]
match = "TC01"
status = "pass"

[[scenario]]
match = "TC02"
status = "fail"
sleep_s = 24
message = "pipelinerun b failed: a step exited with code 1"

[[scenario]]
match = "TC03"
status = "fail"
message = "pipelinerun c failed: a step exited with code 1"
"""
TC02 = "specs/lost.spec::Fails while the API is down: PIPELINES-96-TC02"
TC03 = "specs/lost.spec::Fails after it is back: PIPELINES-96-TC03"


def api_down_for_a_while(emulator: Emulator, log: Path) -> None:
    """From 6 s into the second scenario, every request answers 503 for 8 s; then the API is back,
    10 s before the scenario ends, so the watch sees it answer again before the third one starts."""

    def second_scenario_runs() -> Probe:
        text = log.read_text(errors="replace") if log.is_file() else ""
        return Probe(done="PIPELINES-96-TC02" in text, state="")

    wait_until(second_scenario_runs, what="the second scenario", timeout=300, poll=0.05)
    time.sleep(6)
    emulator.faults.error_status = 503
    emulator.faults.error_rate = 1.0
    try:
        time.sleep(8)
    finally:
        emulator.faults.error_rate = 0.0


@pytest.fixture
def lost_session(
    pytester: pytest.Pytester,
    gauge_project: Callable[..., Path],
    joined_cluster: Emulator,
    joined_args: JoinedArgs,
) -> tuple[pytest.RunResult, dict[str, Any]]:
    results = pytester.path / "results"
    root = gauge_project({"lost.spec": SPEC}, outcomes=OUTCOMES)
    outage = threading.Thread(
        target=api_down_for_a_while, args=(joined_cluster, results / "logs" / "specs__lost.log"), daemon=True
    )
    outage.start()
    args = joined_args(root, results, "--components=pipeline", "--fail-on=none")
    result = pytester.runpytest_subprocess(*args, timeout=300)
    outage.join(timeout=5)
    return result, json.loads((results / "results.json").read_text())


def test_a_failure_while_the_api_did_not_answer_is_a_platform_issue_and_the_run_is_not_scored(
    lost_session: tuple[pytest.RunResult, dict[str, Any]],
) -> None:
    result, document = lost_session
    scenarios = {s["nodeid"]: s for s in document["scenarios"]}
    lost = scenarios[TC02]
    assert (lost["category"], lost["category_rule"], lost["category_field"]) == (
        "platform-issue",
        "cluster-unreachable",
        "cluster",
    )
    assert lost["category_evidence"].startswith("the cluster's API did not answer from "), lost
    assert "HTTP 503" in lost["category_evidence"]
    assert lost["category_evidence"].endswith("the rules had said upstream-regression (rule 'default')")
    after = scenarios[TC03]
    assert (after["category"], after["category_rule"]) == ("upstream-regression", "default")

    assert document["status"] == "incomplete"
    (reason,) = document["verdict"]["reasons"]
    assert reason.endswith(
        "1 failure in that time filed by rule 'cluster-unreachable', so they say nothing about upstream"
    ), reason
    result.stdout.fnmatch_lines(["verdict: INCOMPLETE: the cluster's API did not answer from *; exit 1"])
    assert result.ret == 1, "not scored, whatever --fail-on says"
