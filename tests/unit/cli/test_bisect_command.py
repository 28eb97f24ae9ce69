"""The pure parts of `streamstress bisect`: judging a step's results.json, endpoints, the step command."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from pytest_streamstress.cli import main as cli
from pytest_streamstress.cli.bisect_step import StepCommand, endpoints_from, judge_document, judge_step
from pytest_streamstress.errors import ConfigError, ToolFailed
from pytest_streamstress.history.bisection import Verdict
from pytest_streamstress.history.store import run_from_json

NODEID = "specs/pipelines/run.spec::Run sample pipeline: DEMO-03-TC01"


def results(status: str = "passed", *, build: str = "built", **scenario: Any) -> dict[str, Any]:
    return {
        "components": [
            {
                "name": "pipeline",
                "status": build,
                "error": "ko build failed\nmore",
                "repo": "https://github.com/tektoncd/pipeline",
                "commit": {"sha": "c" * 40},
            }
        ],
        "scenarios": [
            {"nodeid": NODEID, "id": "specs/pipelines/run.spec::DEMO-03-TC01", "status": status, **scenario}
        ],
    }


@pytest.mark.parametrize(
    ("doc", "verdict", "detail"),
    [
        (results("passed"), Verdict.GOOD, "passed"),
        (results("passed", flaky=True), Verdict.GOOD, "passed (flaky: passed on a retry)"),
        (
            results("failed", attempts=2, message="boom\ntrace"),
            Verdict.BAD,
            "failed after 2 attempt(s): boom",
        ),
        (results("error", message="deploy failed"), Verdict.BAD, "error: deploy failed"),
        (results("error", build="failed"), Verdict.SKIP, "build failed: ko build failed"),
        (results("skipped"), Verdict.SKIP, "scenario skipped: cannot judge this commit"),
    ],
    ids=["passed", "flaky-pass-is-good", "failed", "error-is-bad", "build-failure-skips", "skipped-skips"],
)
def test_step_verdict_comes_from_the_scenario_in_results_json(
    doc: dict[str, Any], verdict: Verdict, detail: str
) -> None:
    outcome = judge_document(
        run_from_json(doc, source="r.json"), component="pipeline", scenario=NODEID, results=Path("r.json")
    )

    assert (outcome.verdict, outcome.detail) == (verdict, detail)


def test_scenario_can_be_named_by_its_stable_id() -> None:
    outcome = judge_document(
        run_from_json(results("failed"), source="r.json"),
        component="pipeline",
        scenario="specs/pipelines/run.spec::DEMO-03-TC01",
        results=Path("r.json"),
    )

    assert outcome.verdict is Verdict.BAD


def test_scenario_missing_from_the_step_is_a_config_error_naming_the_file() -> None:
    with pytest.raises(ConfigError, match=r"r\.json: scenario 'specs/x.spec::nope' did not run"):
        judge_document(
            run_from_json(results(), source="r.json"),
            component="pipeline",
            scenario="specs/x.spec::nope",
            results=Path("r.json"),
        )


def test_step_without_results_json_fails_with_the_output_tail(tmp_path: Path) -> None:
    with pytest.raises(ToolFailed, match=r"wrote no results\.json \(pytest exit code 4\)") as caught:
        judge_step(
            tmp_path / "results.json",
            component="pipeline",
            scenario=NODEID,
            exit_code=4,
            tail="ERROR: usage: --bogus",
        )

    assert "--bogus" in str(caught.value)


def namespace(**values: Any) -> argparse.Namespace:
    base = {"component": "pipeline", "good": "", "bad": "", "good_run": None, "bad_run": None, "repo": ""}
    return argparse.Namespace(**(base | values))


def test_endpoints_come_from_two_results_json_files(tmp_path: Path) -> None:
    good = results("passed")
    good["components"][0]["commit"] = {"sha": "a" * 40}
    (tmp_path / "good.json").write_text(json.dumps(good), encoding="utf-8")
    (tmp_path / "bad.json").write_text(json.dumps(results("failed")), encoding="utf-8")

    ends = endpoints_from(
        namespace(good_run=tmp_path / "good.json", bad_run=tmp_path / "bad.json"), catalog_repo="unused"
    )

    assert (ends.good, ends.bad, ends.repo) == ("a" * 40, "c" * 40, "https://github.com/tektoncd/pipeline")


def test_run_without_the_component_commit_names_the_option_and_file(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text(json.dumps({"components": []}), encoding="utf-8")

    with pytest.raises(ConfigError, match=r"--bad-run: .*bad\.json records no commit of 'pipeline'"):
        endpoints_from(namespace(good="a" * 40, bad_run=tmp_path / "bad.json"), catalog_repo="x")


def test_missing_endpoints_say_which_options_to_give() -> None:
    with pytest.raises(ConfigError, match="needs a good and a bad commit") as caught:
        endpoints_from(namespace(good="a" * 40), catalog_repo="x")

    assert "--good-run/--bad-run" in caught.value.hint


def test_step_command_runs_one_scenario_at_one_commit_with_retries() -> None:
    command = StepCommand(
        component="pipeline",
        scenario=NODEID,
        retries=2,
        cluster="kubeconfig",
        kubeconfig=Path("/k/config"),
        extra=("--gauge-env=ci",),
        pytest_cache=Path("/s/cache"),
    )

    argv = command.argv("d" * 40, Path("/s/step"))

    assert argv[1:5] == ["-m", "pytest", "--streamstress", "--components"]
    assert argv[5] == f"pipeline:{'d' * 40}"
    assert argv[-1] == NODEID
    assert " ".join(argv[6:-1]) == (
        "--results-dir /s/step --gauge-retries 2 --cluster kubeconfig"
        " --kubeconfig /k/config -o cache_dir=/s/cache --gauge-env=ci"
    )


def test_unknown_component_is_an_error_listing_known_ones(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = cli.main(
        [
            "bisect",
            "--component",
            "pipline",
            "--scenario",
            NODEID,
            "--good",
            "a",
            "--bad",
            "b",
            "--state-dir",
            str(tmp_path),
        ]
    )

    assert code == 2
    assert "unknown component 'pipline'; known: pipeline," in capsys.readouterr().err


def test_step_session_that_broke_before_the_scenario_is_no_verdict(tmp_path: Path) -> None:
    doc = {
        "status": "error",
        "components": [],
        "scenarios": [],
        "errors": [{"phase": "internal", "message": "AttributeError: boom\ntraceback"}],
    }
    (tmp_path / "results.json").write_text(json.dumps(doc), encoding="utf-8")

    with pytest.raises(ToolFailed, match=r"ended with status error .*before .*: AttributeError: boom"):
        judge_step(tmp_path / "results.json", component="pipeline", scenario=NODEID, exit_code=3)


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        ("specs/pipelines/run.spec::nope", "specs/pipelines/run.spec has no scenario 'nope'"),
        (
            "specs/pipelines/runs.spec::Run sample pipeline: DEMO-03-TC01",
            "no spec file 'specs/pipelines/runs.spec'",
        ),
        ("Run sample pipeline", "no spec file 'Run sample pipeline'"),
    ],
    ids=["heading", "file", "no-file-part"],
)
def test_a_scenario_the_suite_lacks_is_named_before_anything_is_cloned_or_built(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, scenario: str, message: str
) -> None:
    """A typo used to surface in the first step's pytest log, after a whole build and deploy."""
    args = ["bisect", "--component", "pipeline", "--scenario", scenario, "--good", "a", "--bad", "b"]
    code = cli.main([*args, "--cluster", "emulated", "--state-dir", str(tmp_path / "state")])
    assert code == 2
    error = capsys.readouterr().err
    assert message in error
    assert not (tmp_path / "state").exists(), "nothing was cloned"


def test_the_scenario_check_lists_the_spec_s_scenarios(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    suite = tmp_path / "rt"
    (suite / "specs").mkdir(parents=True)
    (suite / "specs" / "a.spec").write_text("# A\n\n## One: X-01-TC01\n* Step\n\n## Two: X-01-TC02\n* Step\n")
    args = [
        "bisect",
        "--component",
        "pipeline",
        "--scenario",
        "specs/a.spec::Three",
        "--good",
        "a",
        "--bad",
        "b",
    ]
    code = cli.main([*args, "--release-tests-dir", str(suite), "--state-dir", str(tmp_path / "state")])
    assert code == 2
    assert "hint: its scenarios: One: X-01-TC01; Two: X-01-TC02" in capsys.readouterr().err
