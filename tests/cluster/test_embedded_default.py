"""The README's first command: the whole loop on the embedded emulated cluster, from an empty directory."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from pytest_streamstress.report.results_json import load_schema

pytestmark = pytest.mark.emulator

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_first_command() -> list[str]:
    """The pytest part of the README's first command, so this test keeps the README true."""
    line = next(
        line for line in README.read_text().splitlines() if "pytest --streamstress --cluster emulated" in line
    )
    command = re.search(r"pytest (--streamstress.*)$", line)
    assert command is not None
    return command.group(1).split()


def test_readme_first_command_builds_deploys_runs_and_reports_on_the_emulator(
    pytester: pytest.Pytester,
) -> None:
    result = pytester.runpytest_subprocess(*_readme_first_command(), "-p", "no:cacheprovider", timeout=300)
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(passed=3, failed=4)
    result.stdout.fnmatch_lines(
        [
            "streamstress: EMULATED cluster (built-in OpenShift emulator; not a real cluster)*",
            "*build: pipeline built in *",
            "*deployed 8 image variable(s) of pipeline via csv; verified 8 running*",
            "failures by category: 2 Upstream Regression, 1 Config Gap, 1 Missing Component",
            "4 failures outside --fail-on none: they do not fail the session",
            "dashboard: file://*/results/site/index.html",
        ]
    )
    document = json.loads((pytester.path / "results" / "results.json").read_text())
    jsonschema.validate(document, load_schema())
    assert document["emulated"] is True
    assert document["cluster"]["kind"] == "emulated"
    (pipeline,) = document["components"]
    assert pipeline["status"] == "built"
    assert len(pipeline["commit"]["sha"]) == 40
    assert all(
        "@sha256:" in image["ref"] and image["running"] == image["ref"] for image in pipeline["images"]
    )
    assert document["deploy"]["status"] == "deployed"
