"""results.json keeps gauge's milliseconds for a scenario's time and its window (issue 21 gap 4)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

GaugeProject = Callable[..., Path]

pytestmark = pytest.mark.tools

SPEC = '# Timed\n\n## First: PIPELINES-92-TC01\n* Create "a.yaml"\n'
OUTCOMES = '[run]\nhook_output = false\n[[scenario]]\nmatch = "TC01"\nstatus = "pass"\nduration_s = 41.022\n'
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def test_scenario_times_in_results_json_keep_gauges_milliseconds(
    pytester: pytest.Pytester, gauge_project: GaugeProject
) -> None:
    """gauge reports a scenario's time in milliseconds (xml-report `time="41.022"`); the stamps of its
    window are kept to the millisecond too, not cut to whole seconds."""
    project = gauge_project({"timed.spec": SPEC}, outcomes=OUTCOMES)
    pytester.runpytest(
        "--streamstress",
        f"--release-tests-dir={project}",
        "--skip-build",
        "--skip-deploy",
        f"--results-dir={pytester.path / 'results'}",
        "-p",
        "no:cacheprovider",
    ).assert_outcomes(passed=1)
    text = (pytester.path / "results" / "results.json").read_text(encoding="utf-8")
    (first,) = json.loads(text)["scenarios"]
    assert first["duration_s"] == 41.022
    assert STAMP.fullmatch(first["started_at"]), first["started_at"]
    assert STAMP.fullmatch(first["finished_at"]), first["finished_at"]
