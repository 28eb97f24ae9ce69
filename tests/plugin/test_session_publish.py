"""Session end: the local dashboard is built and, with --publish, the run lands on gh-pages."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.tools

SPEC = """\
# Publish spec

## Only: PIPELINES-92-TC01
Tags: e2e
* Create "a.yaml"
"""


@pytest.fixture
def project(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, gauge_project: Callable[..., Path]
) -> Path:
    monkeypatch.setenv("KUBECONFIG", str(pytester.path / "no-kubeconfig"))
    for name, value in {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t.invalid",
    }.items():
        monkeypatch.setenv(name, value)
    return gauge_project({"p.spec": SPEC})


def _args(pytester: pytest.Pytester, project: Path, *extra: str) -> list[str]:
    return [
        "--streamstress",
        f"--release-tests-dir={project}",
        "--skip-build",
        "--skip-deploy",
        f"--results-dir={pytester.path / 'results'}",
        "-p",
        "no:cacheprovider",
        *extra,
    ]


def test_every_run_builds_the_local_dashboard(pytester: pytest.Pytester, project: Path) -> None:
    result = pytester.runpytest(*_args(pytester, project))
    result.assert_outcomes(passed=1)
    site = pytester.path / "results" / "site"
    result.stdout.fnmatch_lines(
        [
            f"dashboard: file://{site}/index.html",
            f"  open that file in a browser, or serve the folder: * --directory {site} 8000,*",
        ]
    )
    index = json.loads((site / "index.json").read_text())
    assert len(index["runs"]) == 1


def test_publish_pushes_the_run_to_the_pages_branch(pytester: pytest.Pytester, project: Path) -> None:
    remote = pytester.path / "pages.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True, timeout=30)
    result = pytester.runpytest(*_args(pytester, project, "--publish", f"--publish-repo={remote}"))
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["published: *"])
    run_id = json.loads((pytester.path / "results" / "results.json").read_text())["run_id"]
    listing = subprocess.run(
        ["git", "--git-dir", str(remote), "ls-tree", "-r", "--name-only", "gh-pages"],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout.split()
    assert f"runs/{run_id}/results.json" in listing
    assert "index.html" in listing


def test_publish_without_a_repository_is_a_usage_error(
    pytester: pytest.Pytester, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    result = pytester.runpytest(*_args(pytester, project, "--publish"))
    result.stderr.fnmatch_lines(["*--publish needs a repository: pass --publish-repo URL*"])
    assert result.ret == pytest.ExitCode.USAGE_ERROR
