"""A session reads every xml-report from 0.5.3 to 1.0.1 (issue 21 item 3): data-row names and
concept hook failures, end to end through the gauge stand-in (`GAUGE_STANDIN_PLUGINS` picks the
plugin version, as `gauge install xml-report -v X` would)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

GaugeProject = Callable[..., Path]

pytestmark = pytest.mark.tools

CATEGORIES = """\
default_category = "upstream-regression"

[[category]]
id = "config-gap"
label = "Config Gap"

[[category]]
id = "upstream-regression"
label = "Upstream Regression"

[[rule]]
name = "missing-secret"
category = "config-gap"
message = 'secrets? "?\\S+"? not found'
"""

DATA_SPEC = """\
# Data driven

|name |id|
|-----|--|
|Alice|1 |
|Bob  |2 |

## Say hello
* Say hello to <name>

## Own table
|size|
|----|
|S   |
|M   |
* Order <size>
"""

CONCEPT = "# Greet everyone\n* Say hi\n* Say bye\n"
CONCEPT_SPEC = "# Concept spec\n\n## Uses concept\n* Greet everyone\n* Final\n"


def run(pytester: pytest.Pytester, project: Path, *args: str) -> pytest.RunResult:
    (pytester.path / "categories.toml").write_text(CATEGORIES, encoding="utf-8")
    return pytester.runpytest(
        *args,
        "--streamstress",
        f"--release-tests-dir={project}",
        "--skip-build",
        "--skip-deploy",
        f"--categories={pytester.path / 'categories.toml'}",
        f"--results-dir={pytester.path / 'results'}",
        "-p",
        "no:cacheprovider",
    )


def scenarios(pytester: pytest.Pytester) -> dict[str, dict[str, Any]]:
    document = json.loads((pytester.path / "results" / "results.json").read_text(encoding="utf-8"))
    return {s["nodeid"]: s for s in document["scenarios"]}


@pytest.mark.parametrize("version", ["0.5.3", "0.5.4", "1.0.0", "1.0.1"])
def test_every_data_row_passes_with_its_own_testcase_in_each_xml_report_version(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, gauge_project: GaugeProject, version: str
) -> None:
    monkeypatch.setenv("GAUGE_STANDIN_PLUGINS", f"go:0.5.2,xml-report:{version}")
    project = gauge_project(
        {"dd.spec": DATA_SPEC},
        outcomes='[[scenario]]\nmatch = "Own table"\nmatch_step = "Order"\nstatus = "pass"\n',
    )
    result = run(pytester, project)
    result.assert_outcomes(passed=4)
    assert {nodeid: s["source"] for nodeid, s in scenarios(pytester).items()} == {
        "specs/dd.spec::Say hello[1]": "junit",
        "specs/dd.spec::Say hello[2]": "junit",
        "specs/dd.spec::Own table[1]": "junit",
        "specs/dd.spec::Own table[2]": "junit",
    }


def test_failing_rows_of_a_1_0_1_report_fail_their_own_items(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, gauge_project: GaugeProject
) -> None:
    monkeypatch.setenv("GAUGE_STANDIN_PLUGINS", "go:0.5.2,xml-report:1.0.1")
    project = gauge_project(
        {"dd.spec": DATA_SPEC}, outcomes='[[scenario]]\nmatch = "Own table"\nmessage = "out of stock"\n'
    )
    result = run(pytester, project)
    result.assert_outcomes(passed=2, failed=2)
    found = scenarios(pytester)
    assert [found[f"specs/dd.spec::Own table[{n}]"]["message"] for n in (1, 2)] == ["out of stock"] * 2


@pytest.mark.parametrize("hook", ["before-step", "after-step"])
def test_concept_hook_failure_names_the_inner_step_and_is_categorized_by_its_message(
    pytester: pytest.Pytester, gauge_project: GaugeProject, hook: str
) -> None:
    outcomes = (
        f'[[scenario]]\nmatch = "Uses concept"\nstatus = "hook-fail"\nhook = "{hook}"\nstep = "Say bye"\n'
        'message = """secrets "git-credentials" not found"""\n'
    )
    project = gauge_project({"c.spec": CONCEPT_SPEC}, outcomes=outcomes)
    (project / "greet.cpt").write_text(CONCEPT, encoding="utf-8")
    result = run(pytester, project)
    result.assert_outcomes(failed=1)
    record = scenarios(pytester)["specs/c.spec::Uses concept"]
    assert record["failing_step"] == {"text": "Say bye", "line": None}
    assert record["message"] == 'secrets "git-credentials" not found'
    assert record["category"] == "config-gap"


def test_concepts_under_specs_reach_gauge_through_the_session_overlay(
    pytester: pytest.Pytester, gauge_project: GaugeProject
) -> None:
    """release-tests keeps its concepts in specs/concepts/; gauge's Go walk (getgauge/common
    common.go:156-171) never enters a linked directory, so the overlay must not link `specs/`."""
    outcomes = '[[scenario]]\nmatch = "Uses concept"\nstep = "Say bye"\nmessage = "bye failed"\n'
    project = gauge_project({"c.spec": CONCEPT_SPEC}, outcomes=outcomes)
    (project / "specs" / "concepts").mkdir()
    (project / "specs" / "concepts" / "greet.cpt").write_text(CONCEPT, encoding="utf-8")
    result = run(pytester, project)
    result.assert_outcomes(failed=1)
    record = scenarios(pytester)["specs/c.spec::Uses concept"]
    assert (record["failing_step"], record["message"]) == ({"text": "Say bye", "line": None}, "bye failed")


ROWS_SPEC = """\
# Rows

|name |
|-----|
|Alice|
|Bob  |

## Say hello
* Say hello to <name>
"""
ALICE_FAILS = '[run]\nhook_output = false\n[[scenario]]\nmatch_step = \'"Alice"\'\nmessage = "no Alice"\n'


def rows_seen(pytester: pytest.Pytester) -> dict[str, tuple[str, int, bool]]:
    return {nodeid: (s["status"], s["attempts"], s["flaky"]) for nodeid, s in scenarios(pytester).items()}


def test_each_data_row_is_its_own_result_never_a_retry_of_another(
    pytester: pytest.Pytester, gauge_project: GaugeProject
) -> None:
    """gauge prints one block per row under one heading: a passing second row is not a flaky retry."""
    result = run(pytester, gauge_project({"rows.spec": ROWS_SPEC}, outcomes=ALICE_FAILS))
    result.assert_outcomes(passed=1, failed=1)
    assert rows_seen(pytester) == {
        "specs/rows.spec::Say hello[1]": ("failed", 1, False),
        "specs/rows.spec::Say hello[2]": ("passed", 1, False),
    }


def test_retries_of_one_data_row_are_counted_for_that_row_only(
    pytester: pytest.Pytester, gauge_project: GaugeProject
) -> None:
    project = gauge_project({"rows.spec": ROWS_SPEC}, outcomes=ALICE_FAILS + "fail_attempts = 1\n")
    result = run(pytester, project, "--gauge-retries=1")
    result.assert_outcomes(passed=2)
    assert rows_seen(pytester) == {
        "specs/rows.spec::Say hello[1]": ("passed", 2, True),
        "specs/rows.spec::Say hello[2]": ("passed", 1, False),
    }
