"""`--since-last-run`: a quiet day ends at once; a moved component runs pinned at the head compared.

The upstream is a local git repository; the history is a directory of results.json documents
(`testing.histories`) whose pipeline commit is set to that repository's SHAs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from pytest_streamstress._infra import proc as _proc
from pytest_streamstress.testing.histories import generate_run, write_results_dirs

pytestmark = pytest.mark.tools

QUIET = "Exit: streamstress --since-last-run: nothing moved since run-* (pipeline *): nothing to build*"


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "U",
        "GIT_AUTHOR_EMAIL": "u@example.com",
        "GIT_COMMITTER_NAME": "U",
        "GIT_COMMITTER_EMAIL": "u@example.com",
    }
    return _proc.run(["git", *args], timeout=30, cwd=cwd, env=env, check=True).stdout.strip()


def arrange(root: Path) -> tuple[Path, Path, Path]:
    """A one-image pipeline upstream, its components.toml, and a history whose last run built its head."""
    work = root / "pipeline-work"
    (work / "cmd" / "controller").mkdir(parents=True)
    (work / "go.mod").write_text("module github.com/tektoncd/pipeline\n\ngo 1.22\n", encoding="utf-8")
    (work / "cmd" / "controller" / "main.go").write_text("package main\n", encoding="utf-8")
    git(work, "init", "-q", "-b", "main")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "first")
    bare = root / "pipeline.git"
    git(root, "clone", "-q", "--bare", str(work), str(bare))
    git(work, "remote", "add", "origin", str(bare))
    config = root / "components.toml"
    config.write_text(
        f'[pipeline]\nrepo = "{bare}"\nbuild = "ko"\ntekton_config_field = "pipeline"\n'
        'installer_sets = [{ created_by = "TektonPipeline" }]\n'
        'images = [{ name = "pipeline-controller", path = "./cmd/controller",'
        ' env_vars = ["IMAGE_PIPELINES_TEKTON_PIPELINES_CONTROLLER"],'
        ' deployment = "tekton-pipelines-controller", container = "tekton-pipelines-controller" }]\n',
        encoding="utf-8",
    )
    doc: dict[str, Any] = generate_run(0, runs=1, scenarios=3)
    doc["status"] = "passed"
    doc["components"] = [
        {
            "name": "pipeline",
            "repo": str(bare),
            "status": "built",
            "commit": {"sha": git(bare, "rev-parse", "main")},
        }
    ]
    write_results_dirs([doc], root / "history" / "runs")
    return work, config, root / "history"


def test_quiet_day_ends_the_session_before_building(pytester: pytest.Pytester) -> None:
    _, config, history = arrange(pytester.path)

    result = pytester.runpytest_subprocess(
        "--streamstress",
        "--cluster",
        "emulated",
        "--since-last-run",
        f"--history={history}",
        f"--components-config={config}",
        f"--results-dir={pytester.path / 'results'}",
    )

    assert result.ret == 0
    result.stderr.fnmatch_lines([QUIET])
    assert not (pytester.path / "results" / "results.json").exists()


def test_moved_component_is_built_at_the_head_that_was_compared(pytester: pytest.Pytester) -> None:
    work, config, history = arrange(pytester.path)
    (work / "cmd" / "controller" / "main.go").write_text("package main // changed\n", encoding="utf-8")
    git(work, "commit", "-q", "-am", "second")
    git(work, "push", "-q", "origin", "main")
    head = git(work, "rev-parse", "HEAD")

    result = pytester.runpytest_subprocess(
        "--streamstress",
        "--cluster",
        "emulated",
        "--since-last-run",
        f"--history={history}",
        f"--components-config={config}",
        f"--results-dir={pytester.path / 'results'}",
        "-o",
        f"cache_dir={pytester.path / 'cache'}",
        "specs/versions.spec",
    )

    result.stdout.fnmatch_lines([f"*components pipeline:{head}*"])
    document = json.loads((pytester.path / "results" / "results.json").read_text(encoding="utf-8"))
    assert document["components"][0]["commit"]["sha"] == head


def test_since_last_run_without_history_is_a_usage_error(pytester: pytest.Pytester) -> None:
    _, config, _ = arrange(pytester.path)

    result = pytester.runpytest_subprocess(
        "--streamstress", "--since-last-run", f"--components-config={config}"
    )

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--since-last-run needs --history DIR*"])
