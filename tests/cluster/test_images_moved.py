"""A run whose operator images someone else changed while its scenarios ran is not scored.

A second session's `--restore` (or deploy) on the same cluster, a person's `oc edit csv`, or an OLM
upgrade swaps the images under a running suite. Before, the failures after that were filed as
upstream regressions of this run's build and the run was scored like any other. Each test runs a
real session on one emulated cluster it shares with the test, which puts the shipped image back on
one variable of the CSV while the first scenario runs, as another session's `--restore` would.
"""

from __future__ import annotations

import fnmatch
import json
import threading
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
# Moved

## Takes a while: PIPELINES-97-TC01
Tags: {tags}
* Create "a.yaml"

## Fails: PIPELINES-97-TC02
Tags: e2e
* Create "b.yaml"
"""
OUTCOMES = """\
[[scenario]]
match = "TC01"
status = "pass"
sleep_s = 8

[[scenario]]
match = "TC02"
status = "fail"
message = "pipelinerun q failed: a step exited with code 1"
"""
CSV = ("operators.coreos.com/v1alpha1", "ClusterServiceVersion")
VARIABLE = "IMAGE_PIPELINES_WEBHOOK"


def put_back_the_shipped_webhook(emulator: Emulator) -> None:
    """What another session's --restore does to one variable: the CSV's own image again."""
    rtype = emulator.store.rtype(*CSV)
    name = "openshift-pipelines-operator-rh.v1.21.3"

    def edit(csv: dict[str, Any]) -> None:
        shipped = {r["name"]: r["image"] for r in csv["spec"]["relatedImages"]}
        for entry in csv["spec"]["install"]["spec"]["deployments"]:
            for container in entry["spec"]["template"]["spec"]["containers"]:
                for env in container.get("env", []):
                    if env["name"] == VARIABLE:
                        env["value"] = shipped[VARIABLE]

    emulator.store.mutate(rtype, "openshift-operators", name, edit)


Session = Callable[..., tuple[pytest.RunResult, dict[str, Any]]]


@pytest.fixture
def run_while_someone_restores(
    pytester: pytest.Pytester,
    gauge_project: Callable[..., Path],
    joined_cluster: Emulator,
    joined_args: JoinedArgs,
) -> Session:
    """`run(tags=..., extra=...)`: a session; the test changes its cluster while the first scenario runs."""
    results = pytester.path / "results"
    log = results / "logs" / "specs__moved.log"

    def meddle() -> None:
        def first_scenario_runs() -> Probe:
            text = log.read_text(errors="replace") if log.is_file() else ""
            return Probe(done="Takes a while" in text, state="")

        wait_until(first_scenario_runs, what="the first scenario", timeout=300, poll=0.05)
        put_back_the_shipped_webhook(joined_cluster)

    def run(*, tags: str, extra: tuple[str, ...] = ()) -> tuple[pytest.RunResult, dict[str, Any]]:
        root = gauge_project({"moved.spec": SPEC.format(tags=tags)}, outcomes=OUTCOMES)
        meddler = threading.Thread(target=meddle, daemon=True)
        meddler.start()
        args = joined_args(root, results, "--components=pipeline", "--fail-on=none", *extra)
        result = pytester.runpytest_subprocess(*args, timeout=300)
        meddler.join(timeout=5)
        return result, json.loads((results / "results.json").read_text())

    return run


def test_a_run_whose_operator_images_changed_under_it_is_incomplete_and_confirms_nothing(
    run_while_someone_restores: Session,
) -> None:
    result, document = run_while_someone_restores(tags="e2e", extra=("--confirm",))
    assert result.ret == 1, "not scored, whatever --fail-on says"
    assert document["status"] == "incomplete"
    (reason,) = document["verdict"]["reasons"]
    assert reason.startswith(
        f"CSV openshift-pipelines-operator-rh.v1.21.3 now sets {VARIABLE}=registry.redhat.io/"
    ), reason
    assert "another session or a person changed the operator's images" in reason
    result.stdout.fnmatch_lines(
        [f"verdict: INCOMPLETE: *now sets {VARIABLE}=*, whatever --fail-on says; exit 1"]
    )
    (failed,) = [s for s in document["scenarios"] if s["status"] == "failed"]
    assert failed["confirmation"] == {
        "verdict": "not-checked",
        "reason": "the operator's images changed during the run",
        "attempts": [],
    }


def test_a_change_the_suites_own_upgrade_scenario_explains_is_a_warning(
    run_while_someone_restores: Session,
) -> None:
    """Asked for beside another scenario (`--lifecycle-scenarios=run`; by default it is skipped there)."""
    result, document = run_while_someone_restores(tags="upgrade, admin", extra=("--lifecycle-scenarios=run",))
    assert document["status"] == "passed", document["verdict"]
    note = f"*now sets {VARIABLE}=*: the suite's specs/moved.spec::Takes a while* replaces the operator*"
    result.stdout.fnmatch_lines([f"*warning: {note}"])
    assert fnmatch.fnmatch(document["deploy"]["message"], note), "the morning reader sees it too"


def test_a_change_while_only_the_install_scenario_ran_is_not_excused_but_named(
    run_while_someone_restores: Session,
) -> None:
    """The install scenario re-subscribes to what is installed; the scenarios after it still ran on
    something else than this run's build if the images moved."""
    result, document = run_while_someone_restores(tags="install, admin")
    assert document["status"] == "incomplete"
    (reason,) = document["verdict"]["reasons"]
    assert "another session or a person changed the operator's images" in reason
    assert "(the suite's specs/moved.spec::Takes a while: PIPELINES-97-TC01 ran before)" in reason
    assert result.ret == 1


def someone_deploys_a_webhook(emulator: Emulator) -> None:
    """What another session's deploy does to one variable: its own build's image."""
    rtype = emulator.store.rtype(*CSV)
    theirs = (
        "image-registry.openshift-image-registry.svc:5000/tekton-upstream/pipeline-webhook@sha256:" + "e" * 64
    )

    def edit(csv: dict[str, Any]) -> None:
        for entry in csv["spec"]["install"]["spec"]["deployments"]:
            for container in entry["spec"]["template"]["spec"]["containers"]:
                for env in container.get("env", []):
                    if env["name"] == VARIABLE:
                        env["value"] = theirs

    emulator.store.mutate(rtype, "openshift-operators", "openshift-pipelines-operator-rh.v1.21.3", edit)


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_a_skip_deploy_run_whose_operator_images_changed_under_it_is_incomplete_too(
    pytester: pytest.Pytester,
    gauge_project: Callable[..., Path],
    joined_cluster: Emulator,
    joined_args: JoinedArgs,
    workers: tuple[str, ...],
) -> None:
    """A shard pod, a CI-matrix job, or a run of the cluster as it is deploys nothing: before, nothing
    checked its images, so another session's deploy under it was filed against upstream."""
    results = pytester.path / "results"
    root = gauge_project({"moved.spec": SPEC.format(tags="e2e")}, outcomes=OUTCOMES)

    def meddle() -> None:
        def first_scenario_runs() -> Probe:  # specs__moved.log, or under xdist specs__moved.gw0.log
            logs = sorted((results / "logs").glob("specs__moved*.log"))
            text = "".join(log.read_text(errors="replace") for log in logs)
            return Probe(done="Takes a while" in text, state="")

        wait_until(first_scenario_runs, what="the first scenario", timeout=300, poll=0.05)
        someone_deploys_a_webhook(joined_cluster)

    meddler = threading.Thread(target=meddle, daemon=True)
    meddler.start()
    args = joined_args(root, results, "--skip-build", "--skip-deploy", "--fail-on=none", *workers)
    result = pytester.runpytest_subprocess(*args, timeout=300)
    meddler.join(timeout=5)
    assert not meddler.is_alive(), "the test never saw the first scenario run"
    document = json.loads((results / "results.json").read_text())
    assert document["status"] == "incomplete", document["verdict"]
    (reason,) = document["verdict"]["reasons"]
    assert reason.startswith(
        f"CSV openshift-pipelines-operator-rh.v1.21.3 now sets {VARIABLE}=image-registry.openshift-image-"
        "registry.svc:5000/tekton-upstream/pipeline-webhook@sha256:eeeeeeeeeeee, not registry.redhat.io/"
    ), reason
    assert (
        "as when the scenarios started: another session or a person changed the operator's images" in reason
    )
    assert result.ret == 1


def test_a_skip_deploy_run_on_an_untouched_cluster_is_scored(
    pytester: pytest.Pytester,
    gauge_project: Callable[..., Path],
    joined_cluster: Emulator,
    joined_args: JoinedArgs,
) -> None:
    results = pytester.path / "results"
    root = gauge_project(
        {"moved.spec": SPEC.format(tags="e2e").replace("sleep_s = 8", "")}, outcomes=OUTCOMES
    )
    args = joined_args(root, results, "--skip-build", "--skip-deploy", "--fail-on=none")
    result = pytester.runpytest_subprocess(*args, timeout=300)
    document = json.loads((results / "results.json").read_text())
    assert document["status"] == "passed", document["verdict"]
    assert "could not read the operator's images" not in result.stdout.str()
