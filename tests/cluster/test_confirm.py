"""`--confirm` proves an upstream regression on the emulated cluster (issue 18 part 3).

The gauge stand-in is scripted by what the cluster runs, never by the test: one scenario fails only
while the pipelines controller runs an image from `tekton-upstream` (our build), one fails on every
image, one fails in its first gauge process only. After the main run the plugin reruns them on the
upstream images, puts the operator's shipped images back, reruns what still fails, and files each
with the proof. Serial and under `-n 2` (confirmation runs once, on the controller, after the
workers), with `--restore`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_streamstress.cluster.deploy import RESTORE_RECORD

if TYPE_CHECKING:
    from conftest import JoinedArgs

    from pytest_streamstress.testing.emulator import Emulator

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

SPEC = """\
# Confirm

## Follows the upstream code: PIPELINES-96-TC01
Tags: e2e
* Create "a.yaml"

## Fails on every image: PIPELINES-96-TC02
Tags: e2e
* Create "b.yaml"

## Fails once: PIPELINES-96-TC03
Tags: e2e
* Create "c.yaml"

## Passes: PIPELINES-96-TC04
Tags: e2e
* Create "d.yaml"
"""
OUTCOMES = """\
[[scenario]]
match = "TC01"
status = "fail"
message = "pipelinerun p failed: expected 2 taskruns, got 1"
when_running = { deployment = "tekton-pipelines-controller", image_in = ["tekton-upstream/"] }

[[scenario]]
match = "TC02"
status = "fail"
message = "pipelinerun q failed: a step exited with code 1"

[[scenario]]
match = "TC03"
status = "fail"
fail_runs = 1
message = "pipelinerun r failed: a step exited with code 1"
"""


def confirm_run(pytester: pytest.Pytester, gauge_project: Callable[..., Path], *extra: str) -> dict[str, Any]:
    root = gauge_project({"confirm.spec": SPEC}, outcomes=OUTCOMES)
    result = pytester.runpytest_subprocess(
        "--streamstress",
        "--cluster",
        "emulated",
        "--components",
        "pipeline",
        f"--release-tests-dir={root}",
        "--confirm",
        "--fail-on=confirmed",
        "--restore",
        f"--junitxml={pytester.path / 'junit.xml'}",
        f"--results-dir={pytester.path / 'results'}",
        "-p",
        "no:cacheprovider",
        *extra,
        timeout=300,
    )
    assert result.ret == 1, "the confirmed regression gates under --fail-on confirmed"
    result.stdout.fnmatch_lines(
        [
            "*confirm: rerunning 3 upstream regression(s) on the upstream images*",
            "*confirm: 2 still failing; putting the operator's shipped images back*",
            "verdict: FAILED: 1 failure fails the job (--fail-on confirmed); 2 more outside*; exit 1",
        ]
    )
    document: dict[str, Any] = json.loads((pytester.path / "results" / "results.json").read_text())
    return {s["scenario"].split(":")[0]: s for s in document["scenarios"]}


def verdicts(scenarios: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {
        name: (s["category"], (s.get("confirmation") or {}).get("verdict"))
        for name, s in scenarios.items()
        if s["status"] != "passed"
    }


EXPECTED = {
    "Follows the upstream code": ("upstream-regression", "confirmed"),
    "Fails on every image": ("unattributed", "fails-on-shipped"),
    "Fails once": ("upstream-regression", "passed-on-rerun"),
}


def test_confirm_tells_a_regression_from_a_flake_and_from_a_cluster_failure(
    pytester: pytest.Pytester, gauge_project: Callable[..., Path]
) -> None:
    scenarios = confirm_run(pytester, gauge_project)
    assert verdicts(scenarios) == EXPECTED
    confirmed = scenarios["Follows the upstream code"]["confirmation"]
    assert [(a["images"], a["status"]) for a in confirmed["attempts"]] == [
        ("upstream", "failed"),
        ("shipped", "passed"),
    ]
    assert scenarios["Passes"].get("confirmation") is None
    junit = (pytester.path / "junit.xml").read_text()
    assert 'name="streamstress_confirmation" value="confirmed"' in junit
    assert not (pytester.path / "results" / RESTORE_RECORD).exists(), "--restore left the shipped images on"


def test_confirm_runs_once_on_the_controller_under_xdist(
    pytester: pytest.Pytester, gauge_project: Callable[..., Path]
) -> None:
    scenarios = confirm_run(pytester, gauge_project, "-n", "2")
    assert verdicts(scenarios) == EXPECTED


def test_confirm_max_leaves_the_rest_not_checked(
    pytester: pytest.Pytester, gauge_project: Callable[..., Path]
) -> None:
    root = gauge_project({"confirm.spec": SPEC}, outcomes=OUTCOMES)
    pytester.runpytest_subprocess(
        "--streamstress",
        "--cluster",
        "emulated",
        "--components",
        "pipeline",
        f"--release-tests-dir={root}",
        "--confirm",
        "--confirm-max=1",
        f"--results-dir={pytester.path / 'results'}",
        "-p",
        "no:cacheprovider",
        timeout=300,
    )
    document = json.loads((pytester.path / "results" / "results.json").read_text())
    states = sorted((s.get("confirmation") or {}).get("verdict", "") for s in document["scenarios"])
    assert states.count("not-checked") == 2
    reasons = {(s.get("confirmation") or {}).get("reason") for s in document["scenarios"]}
    assert "over --confirm-max 1" in reasons


def test_fail_on_confirmed_without_confirm_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(
        "--streamstress", "--fail-on=confirmed", "--collect-only", "-p", "no:cacheprovider"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--fail-on confirmed: only --confirm proves regressions; add --confirm*"])


def test_confirm_reruns_on_the_shipped_images_of_a_cluster_an_earlier_run_left_patched(
    pytester: pytest.Pytester,
    gauge_project: Callable[..., Path],
    joined_cluster: Emulator,
    joined_args: JoinedArgs,
) -> None:
    """The nightly runs without --restore, so each night finds the last night's upstream images on.

    Before, --confirm put the restore record's values back and called them shipped: last night's
    upstream images, on which a regression that landed before last night fails too, so it was filed
    `fails-on-shipped` and blamed on the cluster; and a night that built nothing new (a no-op deploy,
    no record) was `not-checked`. The shipped images are the CSV's relatedImages.
    """
    emulator = joined_cluster
    root = gauge_project({"confirm.spec": SPEC}, outcomes=OUTCOMES)

    def night(name: str, component: str, *extra: str) -> dict[str, Any]:
        results = pytester.path / name
        args = joined_args(root, results, f"--components={component}", "-k", "TC01 or TC02", *extra)
        result = pytester.runpytest_subprocess(*args, timeout=300)
        assert result.ret in {0, 1}, result.stdout.str()
        document: dict[str, Any] = json.loads((results / "results.json").read_text())
        return document

    night("monday", "pipeline:v0.1.0", "--fail-on=none")  # leaves v0.1.0 on: no --restore
    left_on = lifecycle_values(emulator)
    assert "tekton-upstream/" in left_on["IMAGE_PIPELINES_TEKTON_PIPELINES_CONTROLLER"]
    tuesday = night("tuesday", "pipeline", "--confirm", "--fail-on=confirmed", "--restore")
    assert confirmations(tuesday) == {"TC01": "confirmed", "TC02": "fails-on-shipped"}
    shipped = [a for a in attempts(tuesday, "TC01") if a["images"] == "shipped"]
    assert [a["status"] for a in shipped] == ["passed"]
    assert "an earlier run left its images on" in tuesday["deploy"]["message"]
    assert lifecycle_values(emulator) == left_on, "--restore leaves the cluster as it was found"

    wednesday = night("wednesday", "pipeline:v0.1.0", "--confirm", "--fail-on=none")  # a no-op deploy
    assert wednesday["deploy"]["status"] == "noop"
    assert confirmations(wednesday) == {"TC01": "confirmed", "TC02": "fails-on-shipped"}
    assert lifecycle_values(emulator) == left_on, "this run's images are put back after the shipped reruns"


def confirmations(document: dict[str, Any]) -> dict[str, str]:
    return {
        s["scenario"].rsplit("-", 1)[-1]: s["confirmation"]["verdict"]
        for s in document["scenarios"]
        if s.get("confirmation")
    }


def attempts(document: dict[str, Any], case: str) -> list[dict[str, Any]]:
    found = [s for s in document["scenarios"] if s["scenario"].endswith(case)]
    return list(found[0]["confirmation"]["attempts"])


def lifecycle_values(emulator: Emulator) -> dict[str, str]:
    """The operator's IMAGE_* values as the CSV carries them (what OLM rolls into the operator)."""
    rtype = emulator.store.rtype("operators.coreos.com/v1alpha1", "ClusterServiceVersion")
    csv = emulator.store.get(rtype, "openshift-operators", "openshift-pipelines-operator-rh.v1.21.3")
    (entry,) = [
        d
        for d in csv["spec"]["install"]["spec"]["deployments"]
        if d["name"] == "openshift-pipelines-operator"
    ]
    (container,) = [
        c
        for c in entry["spec"]["template"]["spec"]["containers"]
        if c["name"] == "openshift-pipelines-operator-lifecycle"
    ]
    values = {e["name"]: e.get("value", "") for e in container["env"] if e["name"].startswith("IMAGE_")}
    assert values, "the lifecycle container carries the IMAGE_* variables"
    return values
