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
            "verdict: PASSED: 4 failures, none gates the job (--fail-on none); exit 0",
            "failures by category: 2 Upstream Regression, 1 Config Gap, 1 Missing Component",
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
    assert "restore" not in document["deploy"], "the embedded emulator ends with the session"


def test_under_xdist_the_workers_share_the_builds_and_deploy_once(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = pytester.path / "ko-record.jsonl"
    monkeypatch.setenv("KO_STANDIN_RECORD", str(record))
    result = pytester.runpytest_subprocess(
        "--streamstress",
        "--cluster",
        "emulated",
        "--components",
        "pipeline,triggers,chains",
        "--fail-on",
        "none",
        "-n",
        "2",
        "--build-jobs",
        "1",
        "-p",
        "no:cacheprovider",
        timeout=300,
    )
    assert result.ret == pytest.ExitCode.OK
    builds = [json.loads(line) for line in record.read_text().splitlines() if line.strip()]
    repositories = [b["repo"].rsplit("/", 1)[1] for b in builds]
    # One ko invocation per image, never twice: pipeline 8 images, triggers 4, chains 1.
    assert len(repositories) == len(set(repositories)) == 13
    # A worker that took the other's builds says so, not "built" (each worker prints its own line).
    summaries = [
        line for line in result.outlines if "component(s) ready in" in line or "component(s) built in" in line
    ]
    assert any("built by another worker" in line for line in summaries), summaries
    document = json.loads((pytester.path / "results" / "results.json").read_text())
    assert [c["status"] for c in document["components"]] == ["built", "built", "built"]
    assert document["deploy"]["status"] == "deployed"
    assert len(list((pytester.path / "results").glob("restore.json"))) == 1
