"""Selecting scenarios by node id, -k, -m, --gauge-tags and --lf (issue 2 item 5)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pytest_streamstress._infra import proc as _proc

RUN_SPEC = """\
# Run pipelines
* Validate Operator should be installed

## Run sample pipeline: PIPELINES-03-TC01
Tags: e2e, sanity, non-admin
* Create "pipeline.yaml"

## Cancel pipelinerun Test: PIPELINES-03-TC06
Tags: e2e, admin, linux/amd64
* Cancel "run"

## Eventlistener with TLS: PIPELINES-05-TC01
Tags: e2e, tls, non-admin
* Expose "el"
"""
TODO_SPEC = """\
PIPELINES-99
# Later
Tags: to-do

## Not yet: PIPELINES-99-TC01
* Nothing
"""
RUN_1 = "specs/pipelines/run.spec::Run sample pipeline: PIPELINES-03-TC01"
RUN_6 = "specs/pipelines/run.spec::Cancel pipelinerun Test: PIPELINES-03-TC06"
RUN_TLS = "specs/pipelines/run.spec::Eventlistener with TLS: PIPELINES-05-TC01"
TODO = "specs/later.spec::Not yet: PIPELINES-99-TC01"


@pytest.fixture
def project(pytester: pytest.Pytester) -> Path:
    root = pytester.path / "release-tests"
    (root / "specs" / "pipelines").mkdir(parents=True)
    (root / "manifest.json").write_text('{"Language": "go"}')
    (root / "specs" / "pipelines" / "run.spec").write_text(RUN_SPEC)
    (root / "specs" / "later.spec").write_text(TODO_SPEC)
    return root


def collect(pytester: pytest.Pytester, project: Path, *args: str) -> tuple[list[str], pytest.RunResult]:
    result = pytester.runpytest(
        "--streamstress", "--strict-markers", "--collect-only", "-q", f"--release-tests-dir={project}", *args
    )
    return [line for line in result.outlines if "::" in line], result


def test_node_id_relative_to_the_project_root_selects_one_scenario(
    pytester: pytest.Pytester, project: Path
) -> None:
    items, result = collect(pytester, project, RUN_6)
    assert items == [RUN_6]
    assert result.ret == 0


def test_node_id_works_from_inside_the_project_root(
    pytester: pytest.Pytester, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    result = pytester.runpytest("--streamstress", "--collect-only", "-q", RUN_1)
    assert [line for line in result.outlines if "::" in line] == [RUN_1]


def test_keyword_expression_selects_by_scenario_name(pytester: pytest.Pytester, project: Path) -> None:
    items, _ = collect(pytester, project, "-k", "PIPELINES-03 and not Cancel")
    assert items == [RUN_1]


def test_keyword_expression_matches_tags_too(pytester: pytest.Pytester, project: Path) -> None:
    items, _ = collect(pytester, project, "-k", "tls")
    assert items == [RUN_TLS]


def test_marker_expression_selects_by_gauge_tags_with_strict_markers(
    pytester: pytest.Pytester, project: Path
) -> None:
    items, result = collect(pytester, project, "-m", "e2e and not admin")
    assert items == [RUN_1, RUN_TLS]
    assert "PytestUnknownMarkWarning" not in result.stdout.str()


def test_marker_expression_accepts_tags_with_slashes_and_inherited_spec_tags(
    pytester: pytest.Pytester, project: Path
) -> None:
    assert collect(pytester, project, "-m", "linux/amd64 or to-do")[0] == [TODO, RUN_6]


def test_gauge_tags_use_gauge_grammar_and_deselect_the_rest(pytester: pytest.Pytester, project: Path) -> None:
    items, result = collect(pytester, project, "--gauge-tags", "E2E & !tls, non-admin")
    assert items == [RUN_1]
    result.stdout.fnmatch_lines(["*1/4 tests collected (3 deselected)*"])


def test_gauge_tags_and_binds_tighter_than_or(pytester: pytest.Pytester, project: Path) -> None:
    items, _ = collect(pytester, project, "--gauge-tags", "to-do | admin & sanity")
    assert items == [TODO]


def test_invalid_gauge_tags_is_a_usage_error_naming_the_option(
    pytester: pytest.Pytester, project: Path
) -> None:
    _, result = collect(pytester, project, "--gauge-tags", "e2e & (tls")
    result.stderr.fnmatch_lines(["*--gauge-tags: 'e2e & (tls': Invalid Expression.*"])
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_last_failed_reruns_the_recorded_scenario(pytester: pytest.Pytester, project: Path) -> None:
    cache = pytester.path / ".pytest_cache" / "v" / "cache"
    cache.mkdir(parents=True)
    (cache / "lastfailed").write_text(json.dumps({RUN_6: True}))
    items, result = collect(pytester, project, "--lf")
    assert items == [RUN_6]
    result.stdout.fnmatch_lines(["*1/4 tests collected (3 deselected)*"])


@pytest.mark.tools
def test_no_paths_and_no_dir_clones_the_release_tests_repo_at_the_ref(
    pytester: pytest.Pytester, project: Path
) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-C", str(project)]
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "v1"], ["tag", "v1"]):
        _proc.run([*git, *args], timeout=60, check=True)
    (project / "specs" / "later.spec").unlink()
    _proc.run([*git, "commit", "-q", "-am", "drop later"], timeout=60, check=True)
    result = pytester.runpytest(
        "--streamstress", "--collect-only", "-q", f"--release-tests-repo={project}", "--release-tests-ref=v1"
    )
    assert [line for line in result.outlines if "::" in line] == [TODO, RUN_1, RUN_6, RUN_TLS]
    assert (pytester.path / ".pytest_cache" / "d" / "streamstress-release-tests").is_dir()
