"""Failures that follow a failed install scenario are not blamed on upstream without evidence of their own.

The install scenario configures what the other specs need (the hub, the Chains signing secret, the
manual approval gate). Before, when it failed half way, every later failure no rule recognised was
filed an upstream regression by the default rule, and a nightly gated on `--fail-on
upstream-regression` went red on each of them. Each test runs a real session over the gauge stand-in.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import GaugeProject, OfflineSession

pytestmark = pytest.mark.tools

HUB_SPEC = """\
# Hub

## Search the hub: PIPELINES-21-TC02
Tags: e2e
* Search for "git-clone"

## Show a task's page: PIPELINES-21-TC04
Tags: e2e
* Open "git-clone"
"""
OLM_SPEC = """\
# Olm

## Install openshift-pipelines operator: PIPELINES-09-TC01
Tags: install, admin
* Subscribe to operator
* Validate hub deployment
* Enable console plugin
"""
RUN_SPEC = """\
# Run

## Run sample pipeline: PIPELINES-03-TC01
Tags: e2e
* Create "pipeline.yaml"

## Run a pipeline with a bundle: PIPELINES-03-TC02
Tags: e2e
* Create "bundle.yaml"
"""
OUTCOMES = """\
[[scenario]]
match = "PIPELINES-09-TC01"
step = "Validate hub deployment"
message = "deployment tekton-hub-api not available after 5m0s: timed out waiting for the condition"

[[scenario]]
match = "PIPELINES-21-TC0"
message = "GET https://tekton-hub-api.apps.example.com/v1/query?name=git-clone returned 503"

[[scenario]]
match = "PIPELINES-03-TC01"
message = "panic: runtime error: invalid memory address or nil pointer dereference"

[[scenario]]
match = "PIPELINES-03-TC02"
status = "pass"
"""
INSTALL = "Install openshift-pipelines operator: PIPELINES-09-TC01"


def by_scenario(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["scenario"].rpartition(" ")[2]: s for s in document["scenarios"]}


@pytest.fixture
def root(gauge_project: GaugeProject) -> Path:
    return gauge_project(
        {"hub.spec": HUB_SPEC, "olm.spec": OLM_SPEC, "run.spec": RUN_SPEC}, outcomes=OUTCOMES
    )


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_failures_with_no_evidence_after_a_failed_install_are_unattributed(
    root: Path, offline_session: OfflineSession, workers: list[str], pytester: pytest.Pytester
) -> None:
    result, document = offline_session(root, "--fail-on=upstream-regression", *workers)
    scenarios = by_scenario(document)

    for hub in ("PIPELINES-21-TC02", "PIPELINES-21-TC04"):
        filed = scenarios[hub]
        assert (filed["category"], filed["category_rule"], filed["category_field"]) == (
            "unattributed",
            "after-failed-install",
            "run",
        ), filed
        assert filed["category_evidence"].startswith(
            f"the install scenario '{INSTALL}' (specs/olm.spec:3) failed at step 'Validate hub deployment':"
            " deployment tekton-hub-api not available after 5m0s"
        ), filed["category_evidence"]
        assert filed["category_evidence"].endswith(
            "no rule found evidence of an upstream regression (rule 'default')"
        )
    # Evidence of its own (a Go panic in the product) does not depend on the setup: it stays.
    assert (scenarios["PIPELINES-03-TC01"]["category"], scenarios["PIPELINES-03-TC01"]["category_rule"]) == (
        "upstream-regression",
        "controller-panic",
    )
    # The install scenario keeps its own verdict: if upstream broke the install, it says so.
    assert scenarios["PIPELINES-09-TC01"]["category"] == "upstream-regression"

    assert document["verdict"]["gating"] == 2, "the install scenario and the panic gate; the hub ones do not"
    assert document["verdict"]["sentence"] == (
        "FAILED: 2 failures fail the job (--fail-on upstream-regression); 2 more outside --fail-on; exit 1"
    )
    result.stdout.fnmatch_lines(
        [
            f"setup: the install scenario {INSTALL} (specs/olm.spec:3) failed at step 'Validate hub"
            " deployment'; 2 later failures with no evidence of their own filed Unattributed (rule"
            " 'after-failed-install'): fix the install first",
        ]
    )
    # pytest's own failure section says what results.json says.
    result.stdout.fnmatch_lines(["*Category: Unattributed (rule 'after-failed-install'*"])
    assert result.ret == 1
    page = (pytester.path / "results" / "site" / "index.html").read_text()
    assert (
        '<p class="note after-install" data-testid="morning-after-install">The install scenario failed, and 2'
        " failures after it had no evidence of their own: filed Unattributed (rule after-failed-install)."
        " Fix the install first.</p>"
    ) in page


def test_in_file_order_a_failure_before_the_install_scenario_keeps_its_verdict(
    root: Path, offline_session: OfflineSession, pytester: pytest.Pytester
) -> None:
    """`--lifecycle-scenarios=run`: hub.spec runs before olm.spec, so its failures did not follow the
    failed install; run.spec's, after it, did (the panic still keeps its own evidence)."""
    result, document = offline_session(root, "--lifecycle-scenarios=run")
    scenarios = by_scenario(document)
    assert scenarios["PIPELINES-21-TC02"]["started_at"] < scenarios["PIPELINES-09-TC01"]["started_at"]
    assert {scenarios[s]["category_rule"] for s in ("PIPELINES-21-TC02", "PIPELINES-21-TC04")} == {"default"}
    assert scenarios["PIPELINES-03-TC01"]["category_rule"] == "controller-panic"
    assert "setup: the install scenario" not in result.stdout.str()
    assert (
        'data-testid="morning-after-install"'
        not in (pytester.path / "results" / "site" / "index.html").read_text()
    )


def test_a_passing_install_scenario_refiles_nothing(
    gauge_project: GaugeProject, offline_session: OfflineSession
) -> None:
    root = gauge_project(
        {"hub.spec": HUB_SPEC, "olm.spec": OLM_SPEC},
        outcomes=OUTCOMES.replace('step = "Validate hub deployment"', 'status = "pass"'),
    )
    result, document = offline_session(root)
    scenarios = by_scenario(document)
    assert scenarios["PIPELINES-09-TC01"]["status"] == "passed"
    assert {scenarios[s]["category_rule"] for s in ("PIPELINES-21-TC02", "PIPELINES-21-TC04")} == {"default"}
    assert "setup: the install scenario" not in result.stdout.str()
