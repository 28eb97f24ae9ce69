"""The demo acts on the emulated cluster and its upstream regression follows the code (issue 21 items 1, 2).

The README's first command with `--profile`: each pipelines scenario's PipelineRun pods report the
usage the demo's outcome file declares, so the profile has non-zero peaks, the heaviest specs and a
recommendation above one. The demo upstream plants a defect in one commit of `pipeline`
(testing/upstreams.py): an image built before it passes "Pipelinerun with finally tasks", one built
at or after it fails, which the culprit range and `streamstress bisect` trace to that commit.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from pytest_streamstress._infra import proc as _proc
from pytest_streamstress.testing.upstreams import DEFECT_SUBJECT, PIPELINE_HISTORY

pytestmark = pytest.mark.emulator

FINALLY = "specs/pipelines/run.spec::Pipelinerun with finally tasks: DEMO-03-TC02"
README_RUN = ("--streamstress", "--cluster", "emulated", "--components", "pipeline", "--fail-on", "none")


def session(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict[str, Any]]:
    result = pytester.runpytest_subprocess(*args, "-o", f"cache_dir={pytester.path / 'cache'}", timeout=600)
    document = json.loads((pytester.path / "results" / "results.json").read_text(encoding="utf-8"))
    return result, document


def by_nodeid(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["nodeid"]: s for s in document["scenarios"]}


def test_the_readme_run_with_profile_measures_each_scenarios_pipeline_pods(pytester: pytest.Pytester) -> None:
    result, document = session(pytester, *README_RUN, "--profile")

    scenarios = by_nodeid(document)
    peaks = {nodeid.rsplit(": ", 1)[-1]: s["profile"] for nodeid, s in scenarios.items()}
    # Within what the demo's outcome file declares per pod (two tasks side by side, then `finally`):
    # the samples land somewhere in each pod's second of life, so peaks are bounded, not exact.
    assert 0 < peaks["DEMO-03-TC01"]["peak_cpu_m"] <= 2 * 700
    assert 0 < peaks["DEMO-03-TC02"]["peak_cpu_m"] <= 2 * 1200
    assert 0 < peaks["DEMO-03-TC02"]["peak_memory_b"] <= 2 * 640 * 2**20
    assert peaks["DEMO-03-TC03"]["peak_cpu_m"] == pytest.approx(150.0)  # one pod, constant usage
    assert peaks["DEMO-22-TC01"]["peak_pods"] == 0  # it creates no pipeline
    recommendation = document["profile"]["recommendation"]
    assert recommendation["max_parallel_specs"] > 1
    result.stdout.fnmatch_lines(
        [
            "profile: 3 of 7 scenarios ran pods; peaks per scenario, heaviest first:",
            f"profile:   *m cpu, *, * pod*  {FINALLY}",
            "profile: heaviest specs: specs/pipelines/run.spec (*m cpu, *)",
            f"profile: You can safely run {recommendation['max_parallel_specs']} specs in parallel"
            " on this cluster (limited by cpu); 1 admin/install/upgrade scenario still runs alone",
        ]
    )
    # A passed scenario's namespace was deleted by AfterScenario, a failed one's kept (RT hooks.go:49-60).
    namespaces = {s["scenario"].rsplit(": ", 1)[-1]: s["namespaces"][0] for s in scenarios.values()}
    log = (pytester.path / "results" / "logs" / "specs__pipelines__run.log").read_text(encoding="utf-8")
    assert f"Skipping deletion of the namespace '{namespaces['DEMO-03-TC02']}'" in log
    assert f"Skipping deletion of the namespace '{namespaces['DEMO-03-TC01']}'" not in log


def test_finally_tasks_pass_on_the_operators_shipped_images(pytester: pytest.Pytester) -> None:
    """What `--confirm` reruns on: the CSV's own images carry no defect, so the regression is upstream's."""
    _result, document = session(pytester, "--streamstress", "--cluster", "emulated", "--skip-build",
                                "--skip-deploy", "--fail-on", "none", FINALLY)  # fmt: skip

    assert by_nodeid(document)[FINALLY]["status"] == "passed"


@pytest.mark.slow
def test_the_planted_commit_breaks_finally_tasks_and_the_culprit_range_and_bisect_name_it(
    pytester: pytest.Pytester,
) -> None:
    history = f"--history={pytester.path / 'history'}"
    good, good_doc = session(pytester, *README_RUN[:4], "pipeline:v0.1.0", *README_RUN[5:], history)
    assert by_nodeid(good_doc)[FINALLY]["status"] == "passed"
    assert good.ret == pytest.ExitCode.OK

    _bad, bad_doc = session(pytester, *README_RUN, history)

    failed = by_nodeid(bad_doc)[FINALLY]
    assert failed["status"] == "failed"
    assert failed["category"] == "upstream-regression"
    assert "[cleanup : cleanup] panic: runtime error: invalid memory address" in failed["message"]
    (culprit,) = [c for c in bad_doc["analysis"]["culprits"] if c["test"].endswith("DEMO-03-TC02")]
    (pipeline,) = culprit["components"]
    assert [c["subject"] for c in pipeline["commits"]] == [change.subject for change in PIPELINE_HISTORY]
    planted = next(c["sha"] for c in pipeline["commits"] if c["subject"] == DEFECT_SUBJECT)

    good_run = next((pytester.path / "history" / "runs").glob(f"{good_doc['run_id']}*/results.json"))
    bisect = _proc.run(
        [
            sys.executable,
            "-m",
            "pytest_streamstress.cli.main",
            "bisect",
            "--component",
            "pipeline",
            "--scenario",
            FINALLY,
            "--good-run",
            str(good_run),
            "--bad-run",
            str(pytester.path / "results" / "results.json"),
            "--cluster",
            "emulated",
            "--state-dir",
            str(pytester.path / "state"),
            "--workdir",
            str(pytester.path),
        ],
        cwd=pytester.path,
        timeout=1800,
    )

    assert bisect.returncode == 0, bisect.tail()
    assert f"culprit: {planted} (confirmed: its parent passes)" in bisect.stdout


@pytest.mark.slow
def test_the_readmes_confirm_run_proves_the_planted_regression_and_clears_the_shipped_failure(
    pytester: pytest.Pytester,
) -> None:
    """The README's "Reading a run": after a good run, `--confirm` keeps only what upstream broke."""
    history = f"--history={pytester.path / 'history'}"
    session(pytester, *README_RUN[:4], "pipeline:v0.1.0", *README_RUN[5:], history)

    result, document = session(pytester, *README_RUN, history, "--confirm")

    scenarios = by_nodeid(document)
    finally_tasks = scenarios[FINALLY]
    assert finally_tasks["category"] == "upstream-regression"
    assert finally_tasks["confirmation"]["verdict"] == "confirmed"
    listener = scenarios["specs/triggers/eventlistener.spec::Create Eventlistener: DEMO-05-TC01"]
    assert listener["confirmation"]["verdict"] == "fails-on-shipped"
    assert listener["category"] == "unattributed"
    assert [s["nodeid"] for s in document["scenarios"] if s.get("category") == "upstream-regression"] == [
        FINALLY
    ]
    assert document["verdict"]["status"] == "passed" and result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "verdict: PASSED: 4 failures, none gates the job (--fail-on none); exit 0",
            "*failures by category: 1 Upstream Regression, 1 Config Gap, 1 Missing Component, 1 Unattributed",
            "Upstream Regression (1):",
            f"  {FINALLY}",
            "*confirmation: confirmed (fails on the upstream images, passes on the shipped ones)",
        ]
    )
