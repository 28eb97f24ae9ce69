"""`streamstress bisect` end to end on the emulator: real git, the ko and gauge stand-ins, real sessions.

The upstream is a local repository of 16 commits shaped like tektoncd/pipeline; one of them (the
planted culprit) changes `cmd/controller`, so from there on the controller image has another
digest. The gauge stand-in's outcome file says "DEMO-03-TC01 fails while the Deployment
tekton-pipelines-controller runs an image with that digest" (`when_running`), which the stand-in
checks by reading the cluster through `$KUBECONFIG`, as release-tests' step code does. Every
bisect step is a whole `pytest --streamstress --cluster emulated` session: build with ko, deploy
through the operator, run the one scenario.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_streamstress._infra import proc as _proc
from pytest_streamstress._infra.redact import Redactor
from pytest_streamstress.cluster.access import Access
from pytest_streamstress.cluster.client import Cluster
from pytest_streamstress.cluster.operator_env import current_values, find_operator
from pytest_streamstress.history.bisection import cache_path
from pytest_streamstress.testing.embedded import DEMO_SUITE
from pytest_streamstress.testing.emulator import Emulator
from pytest_streamstress.testing.standins import install_standins, path_with

pytestmark = [pytest.mark.emulator, pytest.mark.slow]

SCENARIO = "specs/pipelines/run.spec::Run sample pipeline: DEMO-03-TC01"
PLANTED = 11
IMAGES = (
    "controller",
    "webhook",
    "entrypoint",
    "nop",
    "workingdirinit",
    "sidecarlogresults",
    "resolvers",
    "events",
)
STEP_BOUND_S = 600.0


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Up Stream",
        "GIT_AUTHOR_EMAIL": "up@example.com",
        "GIT_COMMITTER_NAME": "Up Stream",
        "GIT_COMMITTER_EMAIL": "up@example.com",
    }
    return _proc.run(["git", *args], timeout=30, cwd=cwd, env=env, check=True).stdout.strip()


def make_upstream(root: Path) -> tuple[Path, list[str]]:
    """16 commits; only commit `PLANTED` touches cmd/controller (the others change docs/)."""
    work = root / "pipeline-work"
    (work / "docs").mkdir(parents=True)
    (work / "go.mod").write_text("module github.com/tektoncd/pipeline\n\ngo 1.22\n", encoding="utf-8")
    for image in IMAGES:
        (work / "cmd" / image).mkdir(parents=True)
        (work / "cmd" / image / "main.go").write_text(f"package main // {image}\n", encoding="utf-8")
    git(work, "init", "-q", "-b", "main")
    shas = []
    for number in range(16):
        (work / "docs" / f"change-{number}.md").write_text(f"change {number}\n", encoding="utf-8")
        if number == PLANTED:
            (work / "cmd" / "controller" / "reconcile.go").write_text(
                "package main // regression\n", encoding="utf-8"
            )
        git(work, "add", "-A")
        git(work, "commit", "-q", "-m", f"change {number}")
        shas.append(git(work, "rev-parse", "HEAD"))
    bare = root / "pipeline.git"
    git(root, "clone", "-q", "--bare", str(work), str(bare))
    return work, shas


def controller_digest(work: Path, sha: str, env: dict[str, str]) -> str:
    """The digest ko (here its stand-in) gives the controller at `sha`: images are content-addressed."""
    git(work, "checkout", "-q", sha)
    out = _proc.run(
        ["ko", "build", "--bare", "--sbom=none", "--push=false", "./cmd/controller"],
        timeout=60,
        cwd=work,
        env={**env, "KO_DOCKER_REPO": "example.test/digest"},
        check=True,
    ).stdout
    git(work, "checkout", "-q", "main")
    return out.strip().rsplit("@", 1)[1]


@pytest.fixture
def arranged(tmp_path: Path) -> tuple[list[str], list[str], dict[str, str]]:
    """The upstream, a components.toml pointing at it, the outcome file; returns (shas, argv, env)."""
    work, shas = make_upstream(tmp_path)
    bin_dir = install_standins(tmp_path / "bin", ("ko", "gauge"))
    env = {**os.environ, "PATH": path_with(bin_dir), "HOME": str(tmp_path / "home")}
    bad_digest = controller_digest(work, shas[PLANTED], env)
    # Only the controller image: one ko build and one IMAGE_* variable per step keeps each step short.
    (tmp_path / "components.toml").write_text(
        f'[pipeline]\nrepo = "{tmp_path / "pipeline.git"}"\nbuild = "ko"\ntekton_config_field = "pipeline"\n'
        'installer_sets = [{ created_by = "TektonPipeline" }]\n'
        'images = [{ name = "pipeline-controller", path = "./cmd/controller",'
        ' env_vars = ["IMAGE_PIPELINES_TEKTON_PIPELINES_CONTROLLER"],'
        ' deployment = "tekton-pipelines-controller",'
        ' container = "tekton-pipelines-controller" }]\n',
        encoding="utf-8",
    )
    (tmp_path / "outcomes.toml").write_text(
        '[[scenario]]\nmatch = "DEMO-03-TC01"\nstatus = "fail"\nstep = "Verify pipelinerun"\n'
        'message = "pipelinerun sample-run failed: the controller regressed"\n'
        f'when_running = {{ deployment = "tekton-pipelines-controller", image_in = ["{bad_digest}"] }}\n',
        encoding="utf-8",
    )
    env["GAUGE_STANDIN_OUTCOMES"] = str(tmp_path / "outcomes.toml")
    argv = [*bisect_argv(tmp_path, good=shas[0], bad=shas[-1]), "--cluster", "emulated"]
    return shas, argv, env


def bisect_argv(root: Path, *, good: str, bad: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pytest_streamstress.cli.main",
        "bisect",
        "--component",
        "pipeline",
        "--scenario",
        SCENARIO,
        "--good",
        good,
        "--bad",
        bad,
        "--components-config",
        str(root / "components.toml"),
        "--state-dir",
        str(root / "state"),
        "--retries",
        "0",
        "--workdir",
        str(root),
    ]


def recorded_steps(state_dir: Path, shas: list[str]) -> list[dict[str, str]]:
    path = cache_path(state_dir, "pipeline", shas[0], shas[-1])
    doc = json.loads(path.read_text(encoding="utf-8"))
    return list(doc["scenarios"][SCENARIO]["steps"])


def test_bisect_finds_the_planted_commit_and_resumes_after_a_kill(
    tmp_path: Path, arranged: tuple[list[str], list[str], dict[str, str]]
) -> None:
    shas, argv, env = arranged

    # First invocation: killed (SIGTERM, like `kill`) as soon as it reports its second step.
    running: list[_proc.Running] = []

    def kill_after_step_two(_stream: str, line: str) -> None:
        if line.startswith("bisect: step 2:"):
            os.kill(running[0].pid, signal.SIGTERM)

    running.append(_proc.spawn(argv, env=env, cwd=tmp_path, on_line=kill_after_step_two))
    killed = running[0].wait(timeout=STEP_BOUND_S * 3)
    assert killed.returncode != 0
    assert len(recorded_steps(tmp_path / "state", shas)) == 2

    # Second invocation: resumes from the state file and finishes.
    done = _proc.run(argv, env=env, cwd=tmp_path, timeout=STEP_BOUND_S * 5)

    assert done.returncode == 0, done.tail()
    steps = recorded_steps(tmp_path / "state", shas)
    assert f"culprit: {shas[PLANTED]} (confirmed: its parent passes)" in done.stdout
    assert "2 from the cache" in done.stdout
    assert len(steps) <= 5
    assert [s["kind"] for s in steps].count("confirm") == 1
    assert len({s["sha"] for s in steps if s["kind"] == "step"}) == len(
        [s for s in steps if s["kind"] == "step"]
    )


def test_bisect_on_a_kubeconfig_cluster_restores_the_operator_images(
    tmp_path: Path,
    arranged: tuple[list[str], list[str], dict[str, str]],
    make_emulator: Callable[..., Emulator],
) -> None:
    shas, _, env = arranged
    emulator = make_emulator(state="installed")
    cluster = Cluster.connect(Access(kubeconfig=emulator.kubeconfig, request_timeout=10), redactor=Redactor())
    before = current_values(cluster, find_operator(cluster))
    argv = [
        *bisect_argv(tmp_path, good=shas[PLANTED - 1], bad=shas[PLANTED + 1]),
        "--cluster",
        "kubeconfig",
        "--kubeconfig",
        str(emulator.kubeconfig),
        "--release-tests-dir",
        str(DEMO_SUITE),
        "--restore",
    ]

    done = _proc.run(argv, env=env, cwd=tmp_path, timeout=STEP_BOUND_S * 3)

    after = current_values(cluster, find_operator(cluster))
    cluster.close()
    assert done.returncode == 0, done.tail()
    assert f"culprit: {shas[PLANTED]} (confirmed: its parent passes)" in done.stdout
    assert "--restore: the operator images from before the bisect are back" in done.stdout
    assert list(
        (tmp_path / "state").glob("bisect-pipeline-*/restore.json.restored")
    )  # the first step's record
    assert after == before
