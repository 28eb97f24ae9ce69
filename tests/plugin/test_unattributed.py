"""'Upstream regression' needs upstream: a new failure with every component unchanged is unattributed.

The run deploys last night's images (`--images-from`), so its component commits are known; the
history holds the run where the scenario passed. Same commit -> unattributed, a moved commit ->
upstream regression with the change as evidence (issue 18 part 2). The summary, results.json,
pytest's own failure section and JUnit all say the same.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.tools

SPEC = """\
# Verdicts

## Steady: PIPELINES-95-TC01
Tags: e2e
* Create "a.yaml"

## Breaks today: PIPELINES-95-TC02
Tags: e2e
* Create "b.yaml"

## After it: PIPELINES-95-TC03
Tags: e2e
* Create "c.yaml"
"""
BROKEN = """\
[[scenario]]
match = "TC02"
status = "fail"
message = "pipelinerun p failed: expected 2 taskruns, got 1"
"""
OLD_SHA = "a" * 40
NEW_SHA = "b" * 40
DIGEST = "sha256:" + "1" * 64
REGISTRY = "image-registry.openshift-image-registry.svc:5000"


def components(sha: str) -> list[dict[str, Any]]:
    return [
        {
            "name": "pipeline",
            "repo": "https://github.com/tektoncd/pipeline",
            "status": "built",
            "commit": {"sha": sha, "date": "2026-12-01T00:00:00Z", "subject": "a change"},
            "images": [
                {
                    "name": "controller",
                    "ref": f"{REGISTRY}/tekton-upstream/pipeline-controller@{DIGEST}",
                    "env_vars": ["IMAGE_PIPELINES_CONTROLLER"],
                }
            ],
        }
    ]


def earlier_run(history: Path, sha: str) -> None:
    run_id = "run-20261201T000000Z-000001"
    scenarios = [
        {
            "nodeid": f"specs/v.spec::{name}",
            "spec": "specs/v.spec",
            "scenario": name,
            "line": line,
            "tags": ["e2e"],
            "status": "passed",
            "duration_s": 1.0,
        }
        for name, line in (("Steady: PIPELINES-95-TC01", 3), ("Breaks today: PIPELINES-95-TC02", 7))
    ]
    folder = history / "runs" / run_id
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(
        json.dumps(
            {
                "schema_version": 1,
                "run_id": run_id,
                "started_at": "2026-12-01T00:00:00Z",
                "status": "passed",
                "components": components(sha),
                "scenarios": scenarios,
            }
        )
    )


def run_tonight(
    pytester: pytest.Pytester,
    gauge_project: Callable[..., Path],
    *args: str,
    last_night: str,
    tonight: str,
) -> tuple[pytest.RunResult, dict[str, Any]]:
    root = gauge_project({"v.spec": SPEC}, outcomes=BROKEN)
    history = pytester.path / "history"
    earlier_run(history, last_night)
    images = pytester.path / "images.json"
    images.write_text(json.dumps({"schema_version": 1, "components": components(tonight)}))
    result = pytester.runpytest_subprocess(
        "--streamstress",
        f"--release-tests-dir={root}",
        "--skip-build",
        "--skip-deploy",
        f"--images-from={images}",
        f"--history={history}",
        "--fail-on=upstream-regression",
        f"--junitxml={pytester.path / 'junit.xml'}",
        f"--results-dir={pytester.path / 'results'}",
        "-p",
        "no:cacheprovider",
        *args,
        timeout=120,
    )
    document = json.loads((pytester.path / "results" / "results.json").read_text())
    return result, {"status": document["status"]} | {
        s["scenario"].split(":")[0]: s for s in document["scenarios"]
    }


def junit_property(pytester: pytest.Pytester, name: str) -> str:
    tree = ET.parse(pytester.path / "junit.xml")
    case = next(c for c in tree.iter("testcase") if c.get("name", "").startswith("Breaks today"))
    return next(p.get("value", "") for p in case.iter("property") if p.get("name") == name)


def test_a_new_failure_with_every_component_unchanged_is_unattributed_everywhere(
    pytester: pytest.Pytester, gauge_project: Callable[..., Path]
) -> None:
    result, scenarios = run_tonight(pytester, gauge_project, last_night=OLD_SHA, tonight=OLD_SHA)
    broken = scenarios["Breaks today"]
    assert (broken["category"], broken["category_rule"]) == ("unattributed", "unattributed")
    assert broken["category_evidence"].startswith(
        "every built component is unchanged since run-20261201T000000Z-000001, where it passed"
        " (pipeline at aaaaaaaaaaaa)"
    )
    assert result.ret == 0, "nothing upstream to blame: --fail-on upstream-regression does not gate"
    result.stdout.fnmatch_lines(
        ["*Category: Unattributed (rule 'unattributed'*", "verdict: PASSED: 1 failure*"]
    )
    assert junit_property(pytester, "streamstress_category") == "unattributed"


def test_a_new_failure_after_a_component_moved_stays_an_upstream_regression_with_the_change(
    pytester: pytest.Pytester, gauge_project: Callable[..., Path]
) -> None:
    result, scenarios = run_tonight(pytester, gauge_project, last_night=OLD_SHA, tonight=NEW_SHA)
    broken = scenarios["Breaks today"]
    assert broken["category"] == "upstream-regression"
    assert result.ret == 1
    assert junit_property(pytester, "streamstress_category") == "upstream-regression"


def test_a_run_x_stopped_still_files_its_failure_as_unattributed(
    pytester: pytest.Pytester, gauge_project: Callable[..., Path]
) -> None:
    result, scenarios = run_tonight(pytester, gauge_project, "-x", last_night=OLD_SHA, tonight=OLD_SHA)
    assert scenarios["Breaks today"]["category"] == "unattributed", "the final verdicts run after -x too"
    assert "After it" not in scenarios
    assert scenarios["status"] == "incomplete"
    assert result.ret == 1
