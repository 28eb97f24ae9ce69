"""A failed AfterSpec hook, end to end through the gauge stand-in (issue 21 gap 3).

gauge runs the hook once the spec's scenarios ran, fails the spec and exits 1; xml-report only counts
it in the suite's `failures`, with no testcase. The session must not read that as "all passed".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

GaugeProject = Callable[..., Path]

pytestmark = pytest.mark.tools

SPEC = """\
# Auto prune

## First: PIPELINES-91-TC01
* Create "a.yaml"

## Second: PIPELINES-91-TC02
* Create "b.yaml"
"""
AFTER_SPEC_FAILS = (
    '[run]\nhook_output = false\n[[spec]]\nmatch = "prune.spec"\n'
    'after_spec_fail = "failed to restore the pruner settings of TektonConfig config"\n'
)


def run(pytester: pytest.Pytester, project: Path, *args: str) -> pytest.RunResult:
    return pytester.runpytest(
        "--streamstress",
        f"--release-tests-dir={project}",
        "--skip-build",
        "--skip-deploy",
        f"--results-dir={pytester.path / 'results'}",
        "-p",
        "no:cacheprovider",
        *args,
    )


def document(pytester: pytest.Pytester) -> dict[str, Any]:
    text = (pytester.path / "results" / "results.json").read_text(encoding="utf-8")
    found: dict[str, Any] = json.loads(text)
    return found


def test_after_spec_failure_keeps_the_scenarios_passed_and_errors_the_specs_last_teardown(
    pytester: pytest.Pytester, gauge_project: GaugeProject
) -> None:
    result = run(pytester, gauge_project({"prune.spec": SPEC}, outcomes=AFTER_SPEC_FAILS))
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of scenario: Second: PIPELINES-91-TC02*",
            "AfterSpec hook of specs/prune.spec failed after its scenarios ran (their own results stand)",
            "Gauge message:",
            "    failed to restore the pruner settings of TektonConfig config",
        ]
    )
    assert result.ret == 1


def test_after_spec_failure_is_in_results_json_and_fails_the_verdict(
    pytester: pytest.Pytester, gauge_project: GaugeProject
) -> None:
    run(pytester, gauge_project({"prune.spec": SPEC}, outcomes=AFTER_SPEC_FAILS), "--fail-on=none")
    found = document(pytester)
    assert [s["status"] for s in found["scenarios"]] == ["passed", "passed"]
    assert found["errors"] == [
        {
            "phase": "after-spec",
            "message": "specs/prune.spec: failed to restore the pruner settings of TektonConfig config",
        }
    ]
    assert (found["status"], found["verdict"]["scored"]) == ("failed", True)
    assert "the AfterSpec hook of 1 spec failed" in found["verdict"]["sentence"]


def test_a_spec_without_hook_failures_has_no_teardown_error(
    pytester: pytest.Pytester, gauge_project: GaugeProject
) -> None:
    result = run(pytester, gauge_project({"prune.spec": SPEC}, outcomes="[run]\nhook_output = false\n"))
    result.assert_outcomes(passed=2)
    assert document(pytester)["errors"] == []
