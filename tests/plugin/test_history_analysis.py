"""A run read against its history through the plugin: new failures first, in results.json and the summary."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.tools

SPEC = """\
# History spec

## Stable: PIPELINES-91-TC01
Tags: e2e
* Create "a.yaml"

## Breaks today: PIPELINES-91-TC02
Tags: e2e
* Create "b.yaml"

## Broken for days: PIPELINES-91-TC03
Tags: e2e
* Create "c.yaml"
"""


def _history_run(root: Path, index: int, statuses: dict[str, str]) -> None:
    run_id = f"run-2026110{index}T000000Z-00000{index}"
    scenarios = [
        {
            "nodeid": f"specs/h.spec::{name}",
            "spec": "specs/h.spec",
            "scenario": name,
            "line": 1,
            "tags": ["e2e"],
            "status": status,
            "duration_s": 1.0,
        }
        for name, status in statuses.items()
    ]
    folder = root / "runs" / run_id
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(
        json.dumps(
            {
                "schema_version": 1,
                "run_id": run_id,
                "started_at": f"2026-11-0{index}T00:00:00Z",
                "scenarios": scenarios,
            }
        )
    )


@pytest.fixture
def project(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, gauge_project: Callable[..., Path]
) -> Path:
    monkeypatch.setenv("KUBECONFIG", str(pytester.path / "no-kubeconfig"))
    outcomes = textwrap.dedent("""\
        [[scenario]]
        match = "PIPELINES-91-TC0[23]"
        status = "fail"
        message = "pipelinerun failed in releasetest-abcde"
        """)
    root = gauge_project({"h.spec": SPEC}, outcomes=outcomes)
    history = pytester.path / "history"
    names = [
        "Stable: PIPELINES-91-TC01",
        "Breaks today: PIPELINES-91-TC02",
        "Broken for days: PIPELINES-91-TC03",
    ]
    for index, third in enumerate(["passed", "failed", "failed"], start=1):
        _history_run(history, index, {names[0]: "passed", names[1]: "passed", names[2]: third})
    return root


def _run(pytester: pytest.Pytester, project: Path, *extra: str) -> pytest.RunResult:
    """A session over the project's specs with nothing built or deployed, results in ./results."""
    return pytester.runpytest(
        "--streamstress",
        f"--release-tests-dir={project}",
        "--skip-build",
        "--skip-deploy",
        *extra,
        f"--results-dir={pytester.path / 'results'}",
        "-p",
        "no:cacheprovider",
    )


def test_new_failures_are_told_apart_from_old_ones(pytester: pytest.Pytester, project: Path) -> None:
    result = _run(pytester, project, f"--history={pytester.path / 'history'}")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*against the history*",
            "compared with 3 earlier run(s)",
            "NEW failures (1): specs/h.spec::PIPELINES-91-TC02",
            "still failing: specs/h.spec::PIPELINES-91-TC03 since run-20261102T000000Z-000002 (3 runs)",
            "one cause, 2 failures: *",
        ]
    )
    document = json.loads((pytester.path / "results" / "results.json").read_text())
    assert document["analysis"]["new_failures"] == ["specs/h.spec::PIPELINES-91-TC02"]
    assert document["analysis"]["history_runs"] == 3
    histories = {s["scenario"]: s["history"]["verdict"] for s in document["scenarios"]}
    assert histories == {
        "Stable: PIPELINES-91-TC01": "passing",
        "Breaks today: PIPELINES-91-TC02": "new-failure",
        "Broken for days: PIPELINES-91-TC03": "still-failing",
    }


def test_an_unreadable_run_file_in_the_history_is_named_and_the_others_are_still_read(
    pytester: pytest.Pytester, project: Path
) -> None:
    broken = pytester.path / "history" / "runs" / "run-20261101T000000Z-00000x" / "results.json"
    broken.parent.mkdir(parents=True)
    broken.write_text('{"schema_version": 1, "run_id": "cut', encoding="utf-8")  # a write cut short
    result = _run(pytester, project, f"--history={pytester.path / 'history'}")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*against the history*",
            f"history: skipped {broken}: not valid JSON (*); this run is not compared with it"
            " (fix or remove the file)",
            "compared with 3 earlier run(s)",
        ]
    )


def test_a_run_the_history_could_not_take_says_so_on_the_terminal(
    pytester: pytest.Pytester, project: Path
) -> None:
    """It was a log warning: tomorrow's run would have compared without tonight, and nobody knew."""
    history = pytester.path / "history"
    (history / "index.json").mkdir(parents=True)  # the index cannot be written over a folder
    result = _run(pytester, project, f"--history={history}")
    result.assert_outcomes(passed=1, failed=2)
    results = pytester.path / "results" / "results.json"
    result.stdout.fnmatch_lines(
        ["*against the history*", f"history: this run was not added to {history}: *; {results} is kept"]
    )


def test_a_known_failure_is_reported_with_its_issue_and_still_counted(
    pytester: pytest.Pytester, project: Path
) -> None:
    known = pytester.path / "known.toml"
    known.write_text(
        '[[known]]\nscenario = "PIPELINES-91-TC03"\nissue = "https://issues.example/SRVKP-9"\n'
        "expires = 2099-01-01\n"
    )
    result = _run(pytester, project, f"--known-failures={known}")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(["known: specs/h.spec::PIPELINES-91-TC03 -> https://issues.example/SRVKP-9"])
    document = json.loads((pytester.path / "results" / "results.json").read_text())
    third = next(s for s in document["scenarios"] if "TC03" in s["scenario"])
    assert third["known_issue"] == "https://issues.example/SRVKP-9"
    assert document["counts"]["failed"] == 2


def test_fail_on_minus_known_leaves_known_failures_out_of_the_exit_code(
    pytester: pytest.Pytester, project: Path
) -> None:
    known = pytester.path / "known.toml"
    known.write_text(
        '[[known]]\nscenario = "PIPELINES-91-TC0[23]"\nissue = "https://issues.example/SRVKP-9"\n'
        "expires = 2099-01-01\n"
    )
    gated = _run(pytester, project, f"--known-failures={known}")
    assert gated.ret == pytest.ExitCode.TESTS_FAILED
    excused = _run(pytester, project, f"--known-failures={known}", "--fail-on=all,-known")
    excused.assert_outcomes(passed=1, failed=2)
    assert excused.ret == pytest.ExitCode.OK
    excused.stdout.fnmatch_lines(
        ["verdict: PASSED: 2 failures, none gates the job (--fail-on all,-known); exit 0"]
    )


def test_an_expired_known_entry_does_not_excuse_a_failure(pytester: pytest.Pytester, project: Path) -> None:
    known = pytester.path / "known.toml"
    known.write_text(
        '[[known]]\nscenario = "PIPELINES-91-TC0[23]"\nissue = "https://issues.example/SRVKP-9"\n'
        "expires = 2020-01-01\n"
    )
    result = _run(pytester, project, f"--known-failures={known}", "--fail-on=all,-known")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["known (STALE entry): *"])
