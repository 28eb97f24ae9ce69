"""Triage asks the emulated cluster's discovery to tell a withdrawn API version from a missing component.

The same words ('no matches for kind ... in version ...') mean an upstream API removal when the
cluster serves the kind at a newer version (the emulator serves PipelineRun at tekton.dev/v1) and a
missing component when it serves no version of it (the emulator has no Knative Serving).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import OfflineSession

pytestmark = pytest.mark.emulator

SPEC = """\
# API versions

## Old PipelineRun API: PIPELINES-94-TC01
Tags: e2e
* Create "old.yaml"

## Knative service: PIPELINES-94-TC02
Tags: e2e
* Create "ksvc.yaml"

## Chains controller: PIPELINES-94-TC03
Tags: e2e
* Create "signed.yaml"
"""

OLD_API = (
    'error: resource mapping not found for name: "run" namespace: "" from "old.yaml": '
    'no matches for kind "PipelineRun" in version "tekton.dev/v1beta1"'
)
CHAINS = 'deployments.apps "tekton-chains-controller" not found in namespace openshift-pipelines'
KNATIVE = (
    'error: unable to recognize "ksvc.yaml": '
    'no matches for kind "Service" in version "serving.knative.dev/v1"'
)
OUTCOMES = f"""\
[[scenario]]
match = "PIPELINES-94-TC01"
status = "fail"
step = 'Create "old.yaml"'
message = {json.dumps(OLD_API)}

[[scenario]]
match = "PIPELINES-94-TC02"
status = "fail"
step = 'Create "ksvc.yaml"'
message = {json.dumps(KNATIVE)}

[[scenario]]
match = "PIPELINES-94-TC03"
status = "fail"
step = 'Create "signed.yaml"'
message = {json.dumps(CHAINS)}
"""


def run_suite(
    gauge_project: Callable[..., Path], offline_session: OfflineSession, *cluster: str
) -> dict[str, Any]:
    root = gauge_project({"api.spec": SPEC}, outcomes=OUTCOMES)
    result, document = offline_session(root, *cluster, timeout=120)
    result.assert_outcomes(failed=3)
    return {s["scenario"].split(":")[0]: s for s in document["scenarios"]}


def test_a_kind_served_at_a_newer_version_is_an_upstream_regression_with_the_served_version_as_evidence(
    gauge_project: Callable[..., Path], offline_session: OfflineSession
) -> None:
    records = run_suite(gauge_project, offline_session, "--cluster", "emulated")
    old = records["Old PipelineRun API"]
    assert (old["category"], old["category_rule"]) == ("upstream-regression", "api-version-withdrawn")
    assert old["category_evidence"].endswith("(cluster serves PipelineRun at tekton.dev/v1)")
    knative = records["Knative service"]
    # The emulator serves no Knative group: discovery says the component is absent (issue 18 part 2).
    assert (knative["category"], knative["category_rule"]) == ("missing-component", "component-not-installed")
    assert (knative["category_field"], knative["category_evidence"]) == (
        "installed",
        "knative-serving is not installed (named by 'serving.knative.dev/v1')",
    )
    # Chains installs no CRD: discovery alone called it absent, on a cluster whose operator runs it.
    chains = records["Chains controller"]
    assert chains["category"] != "missing-component", chains["category_evidence"]


def test_without_a_reachable_cluster_the_discovery_rule_stays_silent_and_the_run_completes(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    gauge_project: Callable[..., Path],
    offline_session: OfflineSession,
) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    nowhere = f"--kubeconfig={Path(str(pytester.path)) / 'nothing-here'}"
    records = run_suite(gauge_project, offline_session, nowhere)
    old = records["Old PipelineRun API"]
    assert (old["category"], old["category_rule"]) == ("missing-component", "crd-not-installed")
