"""`--since-last-run` decisions against a real local upstream (git ls-remote) and a history directory.

History runs are schema-valid results.json documents from `testing.histories`, with the pipeline
component's commit set to the SHAs of the local upstream.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from pytest_streamstress._infra import proc as _proc
from pytest_streamstress.errors import ConfigError
from pytest_streamstress.model import BuildSystem, ComponentName, ComponentRequest, ComponentSpec
from pytest_streamstress.run.since_last_run import plan
from pytest_streamstress.testing.histories import generate_run, write_results_dirs

pytestmark = pytest.mark.tools


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "U",
        "GIT_AUTHOR_EMAIL": "u@example.com",
        "GIT_COMMITTER_NAME": "U",
        "GIT_COMMITTER_EMAIL": "u@example.com",
    }
    return _proc.run(["git", *args], timeout=30, cwd=cwd, env=env, check=True).stdout.strip()


class Upstream:
    def __init__(self, root: Path) -> None:
        self.work = root / "work"
        self.work.mkdir()
        git(self.work, "init", "-q", "-b", "main")
        self.commit("first")
        self.bare = root / "pipeline.git"
        git(root, "clone", "-q", "--bare", str(self.work), str(self.bare))
        git(self.work, "remote", "add", "origin", str(self.bare))

    def commit(self, subject: str) -> str:
        (self.work / "f.txt").write_text(subject, encoding="utf-8")
        git(self.work, "add", "-A")
        git(self.work, "commit", "-q", "-m", subject)
        return git(self.work, "rev-parse", "HEAD")

    def push(self) -> None:
        git(self.work, "push", "-q", "origin", "main")

    @property
    def head(self) -> str:
        return git(self.bare, "rev-parse", "main")

    def spec(self, branch: str = "main") -> ComponentSpec:
        return ComponentSpec(
            name=ComponentName("pipeline"),
            repo=str(self.bare),
            build=BuildSystem.KO,
            images=(),
            installer_sets=(),
            default_branch=branch,
        )


def history_run(
    index: int, *, sha: str, status: str = "failed", component_status: str = "built"
) -> dict[str, Any]:
    doc = generate_run(index, runs=5, scenarios=3)
    doc["status"] = status
    for component in doc["components"]:
        if component["name"] == "pipeline":
            component["commit"]["sha"] = sha
            component["status"] = component_status
    return doc


@pytest.fixture
def upstream(tmp_path: Path) -> Upstream:
    return Upstream(tmp_path)


REQUEST = (ComponentRequest(name=ComponentName("pipeline")),)


def test_quiet_day_needs_no_run(tmp_path: Path, upstream: Upstream) -> None:
    history = tmp_path / "history"
    write_results_dirs([history_run(0, sha="0" * 40), history_run(1, sha=upstream.head)], history / "runs")

    decision = plan([upstream.spec()], REQUEST, history_dir=history, work_dir=tmp_path / "work-dir")

    assert not decision.should_run
    assert decision.reason().startswith(f"nothing moved since {history_run(1, sha='').get('run_id')}")


def test_moved_component_runs_pinned_at_the_compared_head(tmp_path: Path, upstream: Upstream) -> None:
    history = tmp_path / "history"
    old = upstream.head
    write_results_dirs([history_run(0, sha=old)], history / "runs")
    new = upstream.commit("second")
    upstream.push()

    decision = plan([upstream.spec()], REQUEST, history_dir=history, work_dir=tmp_path / "work-dir")

    assert decision.should_run
    assert decision.requests == (ComponentRequest(name=ComponentName("pipeline"), ref=new),)
    assert f"pipeline {old[:12]} -> {new[:12]}" in decision.reason()


def test_a_newer_rerun_asked_another_way_or_on_another_cluster_is_no_baseline(
    tmp_path: Path, upstream: Upstream
) -> None:
    """A noon `-k` rerun had built the new head; the nightly then found "nothing moved" and skipped
    the whole suite on code only one scenario had seen."""
    history = tmp_path / "history"
    old = upstream.head
    new = upstream.commit("second")
    upstream.push()
    nightly = history_run(0, sha=old)
    rerun = history_run(1, sha=new)
    rerun["settings"] = {**rerun["settings"], "selection": "-k TC02"}
    elsewhere = history_run(2, sha=new)
    elsewhere["cluster"] = {**elsewhere["cluster"], "name": "ocp-4-16"}
    write_results_dirs([nightly, rerun, elsewhere], history / "runs")

    def decide(**asked: str) -> Any:
        return plan([upstream.spec()], REQUEST, history_dir=history, work_dir=tmp_path / "w", **asked)

    assert decide().should_run, "the nightly compares with the last nightly"
    assert decide().moves[0].last_sha == old
    assert not decide(selection="-k TC02").should_run, "the rerun compares with the last rerun"
    assert not decide(cluster="ocp-4-16").should_run, "the other cluster with its own run"


def test_errored_last_run_is_no_baseline(tmp_path: Path, upstream: Upstream) -> None:
    history = tmp_path / "history"
    write_results_dirs(
        [history_run(0, sha="0" * 40), history_run(1, sha=upstream.head, status="error")], history / "runs"
    )

    decision = plan([upstream.spec()], REQUEST, history_dir=history, work_dir=tmp_path / "work-dir")

    assert decision.should_run
    assert decision.moves[0].last_sha == "0" * 40


def test_component_not_built_in_the_last_run_counts_as_moved(tmp_path: Path, upstream: Upstream) -> None:
    history = tmp_path / "history"
    write_results_dirs([history_run(0, sha=upstream.head, component_status="failed")], history / "runs")

    decision = plan([upstream.spec()], REQUEST, history_dir=history, work_dir=tmp_path / "work-dir")

    assert decision.should_run
    assert "(not built)" in decision.reason()


def test_empty_history_runs(tmp_path: Path, upstream: Upstream) -> None:
    decision = plan([upstream.spec()], REQUEST, history_dir=tmp_path / "empty", work_dir=tmp_path / "w")

    assert decision.should_run
    assert decision.reason() == "no finished run in the history yet: running"


def test_pinned_ref_contradicts_since_last_run(tmp_path: Path, upstream: Upstream) -> None:
    pinned = (ComponentRequest(name=ComponentName("pipeline"), ref="v0.62.0"),)

    with pytest.raises(ConfigError, match=r"--components pins pipeline:v0\.62\.0"):
        plan([upstream.spec()], pinned, history_dir=tmp_path, work_dir=tmp_path / "w")


def test_since_last_run_without_history_names_the_missing_option(tmp_path: Path, upstream: Upstream) -> None:
    with pytest.raises(ConfigError, match="--since-last-run needs --history DIR"):
        plan([upstream.spec()], REQUEST, history_dir=None, work_dir=tmp_path / "w")


def test_missing_default_branch_is_a_config_error(tmp_path: Path, upstream: Upstream) -> None:
    with pytest.raises(ConfigError, match="cannot read the head of pipeline"):
        plan([upstream.spec(branch="trunk")], REQUEST, history_dir=tmp_path, work_dir=tmp_path / "w")


def spec_named(name: str) -> ComponentSpec:
    return ComponentSpec(
        name=ComponentName(name),
        repo=f"https://example.invalid/{name}",
        build=BuildSystem.KO,
        images=(),
        installer_sets=(),
        default_branch="main",
    )


DIGEST = "sha256:" + "a" * 64


def test_only_the_moved_component_is_built_when_the_others_images_can_be_reused() -> None:
    from pytest_streamstress.history.store import ComponentResult, ImageResult
    from pytest_streamstress.run.since_last_run import LastRun, decide

    entry = ComponentResult(
        name="triggers", status="built", images=(ImageResult(name="t", ref=f"r/t@{DIGEST}"),)
    )
    last = LastRun(
        run_id="run-1", commits={"pipeline": "1" * 40, "triggers": "2" * 40}, reusable={"triggers": entry}
    )
    heads = {"pipeline": "3" * 40, "triggers": "2" * 40}
    specs = [spec_named("pipeline"), spec_named("triggers")]

    decision = decide(specs, last, heads)

    assert decision.requests == (ComponentRequest(name=ComponentName("pipeline"), ref="3" * 40),)
    assert decision.reused == ("triggers",)
    assert "reusing the images of triggers (unchanged)" in decision.reason()
    # The user's own --image/--images-from turn reuse off: everything requested is built.
    assert len(decide(specs, last, heads, reuse_images=False).requests) == 2
    # An unmoved component without reusable images (no digest, or not built) is built again.
    bare = LastRun(run_id="run-1", commits=last.commits)
    assert [r.name for r in decide(specs, bare, heads).requests] == ["pipeline", "triggers"]


def test_the_reuse_file_holds_the_last_runs_entries_in_the_images_from_shape(tmp_path: Path) -> None:
    from pytest_streamstress.build.reuse import images_from_results
    from pytest_streamstress.history.store import CommitResult, ComponentResult, ImageResult
    from pytest_streamstress.run.since_last_run import LastRun, write_reuse_file

    entry = ComponentResult(
        name="triggers",
        status="built",
        commit=CommitResult(sha="2" * 40),
        images=(ImageResult(name="triggers-controller", ref=f"r/t@{DIGEST}", env_vars=("IMAGE_X",)),),
    )
    last = LastRun(run_id="run-1", commits={"triggers": "2" * 40}, reusable={"triggers": entry})

    path = write_reuse_file(tmp_path / "results", last, ["triggers"])

    (reused,) = images_from_results(path)
    assert reused.component == "triggers"
    assert [str(i.ref) for i in reused.images] == [f"r/t@{DIGEST}"]
    assert reused.source is not None and reused.source.sha == "2" * 40


def test_an_xdist_worker_takes_the_controllers_decision_instead_of_deciding_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses
    import json

    from pytest_streamstress.components import load_catalog
    from pytest_streamstress.options import OPTIONS, Settings
    from pytest_streamstress.run.since_last_run import DECISION_ENV, apply

    defaults = Settings(**{o.name: o.default for o in OPTIONS}, rootdir=tmp_path, full_trace=False)
    # No --history: deciding here would be a usage error, so the result can only come from the controller.
    settings = dataclasses.replace(defaults, since_last_run=True, history=None, results_dir=tmp_path)
    reuse = tmp_path / "since-last-run-images.json"
    monkeypatch.setenv(
        DECISION_ENV, json.dumps({"components": [f"pipeline:{'3' * 40}"], "images_from": str(reuse)})
    )

    applied, _reason = apply(settings, load_catalog(), worker=True)

    assert applied.components == (ComponentRequest(name=ComponentName("pipeline"), ref="3" * 40),)
    assert applied.images_from == reuse
    with pytest.raises(pytest.UsageError, match="--since-last-run needs --history DIR"):
        apply(settings, load_catalog(), worker=False)
