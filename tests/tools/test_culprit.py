"""Culprit ranges against real local git repositories with known commits between two runs.

The upstreams are bare repositories with real commits; the "cached clone" is made the way the
build makes it (`gitrepo.checkout_ref`, shallow), so the range code must fetch the history itself.
Includes a component that did not change (ruled out) and a force-pushed branch whose old commit
is gone (said so, no crash).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_streamstress._infra import git as gitrepo
from pytest_streamstress._infra import proc as _proc
from pytest_streamstress.history.analyze import analyze
from pytest_streamstress.history.culprits import (
    RangeState,
    bracketing_runs,
    clones_under,
    compare_url,
    culprit_ranges,
    culprits_from_analysis,
    summary_lines,
)
from pytest_streamstress.history.model import RunOutcomes
from pytest_streamstress.model import Status

pytestmark = pytest.mark.tools

TEST = "specs/pipelines/run.spec::PIPELINES-01-TC01"


def git(cwd: Path, *args: str, date: str = "2024-03-01T12:00:00Z", author: str = "Up Stream") -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": author,
        "GIT_AUTHOR_EMAIL": "up@example.com",
        "GIT_COMMITTER_NAME": author,
        "GIT_COMMITTER_EMAIL": "up@example.com",
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
    }
    return _proc.run(["git", *args], timeout=30, cwd=cwd, env=env, check=True).stdout.strip()


@dataclass
class Upstream:
    work: Path
    bare: Path
    shas: list[str]

    def commit(self, subject: str, *, day: int, author: str = "Up Stream") -> str:
        (self.work / "file.txt").write_text(subject + "\n", encoding="utf-8")
        git(self.work, "add", "-A")
        git(self.work, "commit", "-q", "-m", subject, date=f"2024-03-{day:02d}T10:00:00Z", author=author)
        sha = git(self.work, "rev-parse", "HEAD")
        self.shas.append(sha)
        return sha

    def push(self, *, force: bool = False) -> None:
        git(self.work, "push", "-q", *(["--force"] if force else []), "origin", "main")


def make_upstream(root: Path, name: str, subjects: list[str]) -> Upstream:
    work = root / f"{name}-work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    bare = root / f"{name}.git"
    up = Upstream(work=work, bare=bare, shas=[])
    for day, subject in enumerate(subjects, start=1):
        up.commit(subject, day=day, author="Ada Lovelace" if day % 2 else "Grace Hopper")
    git(root, "clone", "-q", "--bare", str(work), str(bare))
    git(work, "remote", "add", "origin", str(bare))
    return up


def build_clone(cache: Path, up: Upstream, sha: str) -> None:
    """What the build leaves behind: a shallow cached clone checked out at `sha`."""
    clone = gitrepo.clone_dir_for(cache, str(up.bare))
    gitrepo.checkout_ref(
        gitrepo.Git(url=str(up.bare), clone_dir=clone, timeout=60), ref=sha, default_branch="main"
    )


def run_doc(run_id: str, status: str, commits: dict[str, tuple[str, str]]) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "started_at": "2024-03-01T00:00:00Z",
        "components": [
            {"name": name, "repo": repo, "status": "built", "commit": {"sha": sha} if sha else None}
            for name, (repo, sha) in commits.items()
        ],
        "scenarios": [
            {"nodeid": "x", "id": TEST, "spec": "specs/pipelines/run.spec", "scenario": "s", "status": status}
        ],
    }


@pytest.fixture
def repos(tmp_path: Path) -> tuple[Upstream, Upstream]:
    pipeline = make_upstream(tmp_path, "pipeline", [f"pipeline change {n}" for n in range(6)])
    triggers = make_upstream(tmp_path, "triggers", ["triggers change 0", "triggers change 1"])
    return pipeline, triggers


def test_range_lists_the_commits_between_the_last_good_and_first_bad_run(
    tmp_path: Path, repos: tuple[Upstream, Upstream]
) -> None:
    pipeline, triggers = repos
    cache = tmp_path / "cache"
    build_clone(cache, pipeline, pipeline.shas[4])
    good = run_doc(
        "run-1",
        "passed",
        {
            "pipeline": (str(pipeline.bare), pipeline.shas[1]),
            "triggers": (str(triggers.bare), triggers.shas[1]),
        },
    )
    bad = run_doc(
        "run-2",
        "failed",
        {
            "pipeline": (str(pipeline.bare), pipeline.shas[4]),
            "triggers": (str(triggers.bare), triggers.shas[1]),
        },
    )

    (culprit,) = culprit_ranges(bad, [good], new_failures=[TEST], regressions=[], git_for=clones_under(cache))

    (suspect,) = culprit.suspects
    assert (culprit.good_run, culprit.bad_run, suspect.state) == ("run-1", "run-2", RangeState.CHANGED)
    assert [c.sha for c in suspect.commits] == pipeline.shas[2:5]
    assert [c.subject for c in suspect.commits] == [
        "pipeline change 2",
        "pipeline change 3",
        "pipeline change 4",
    ]
    assert suspect.commits[0].author == "Ada Lovelace"
    assert suspect.commits[0].date.startswith("2024-03-03T10:00:00")


def test_component_whose_commit_did_not_change_is_ruled_out_by_name(
    tmp_path: Path, repos: tuple[Upstream, Upstream]
) -> None:
    pipeline, triggers = repos
    good = run_doc(
        "run-1",
        "passed",
        {
            "pipeline": (str(pipeline.bare), pipeline.shas[1]),
            "triggers": (str(triggers.bare), triggers.shas[0]),
        },
    )
    bad = run_doc(
        "run-2",
        "failed",
        {
            "pipeline": (str(pipeline.bare), pipeline.shas[2]),
            "triggers": (str(triggers.bare), triggers.shas[0]),
        },
    )

    (culprit,) = culprit_ranges(
        bad, [good], new_failures=[TEST], regressions=[], git_for=clones_under(tmp_path / "cache")
    )

    assert culprit.ruled_out == ("triggers",)
    assert culprit.to_json()["ruled_out"] == ["triggers"]
    assert [r["component"] for r in culprit.to_json()["components"]] == ["pipeline"]
    assert any(line == "  ruled out (unchanged): triggers" for line in summary_lines([culprit]))


def test_bad_run_is_the_start_of_the_failure_streak_not_the_current_run(
    tmp_path: Path, repos: tuple[Upstream, Upstream]
) -> None:
    pipeline, _ = repos
    repo = str(pipeline.bare)
    runs = [
        run_doc("run-1", "passed", {"pipeline": (repo, pipeline.shas[0])}),
        run_doc("run-2", "passed", {"pipeline": (repo, pipeline.shas[1])}),
        run_doc("run-3", "failed", {"pipeline": (repo, pipeline.shas[3])}),
    ]
    current = run_doc("run-4", "failed", {"pipeline": (repo, pipeline.shas[5])})

    (culprit,) = culprit_ranges(
        current, runs, new_failures=[TEST], regressions=[], git_for=clones_under(tmp_path / "cache")
    )

    assert (culprit.good_run, culprit.bad_run) == ("run-2", "run-3")
    assert [c.sha for c in culprit.ranges[0].commits] == pipeline.shas[2:4]


def test_force_pushed_branch_whose_old_commit_is_gone_is_reported_not_raised(
    tmp_path: Path, repos: tuple[Upstream, Upstream]
) -> None:
    pipeline, _ = repos
    old = pipeline.shas[4]
    git(pipeline.work, "reset", "-q", "--hard", pipeline.shas[2])
    new = pipeline.commit("rewritten change", day=20)
    pipeline.push(force=True)
    # Make the old commit really gone upstream, as after GitHub's garbage collection.
    git(pipeline.bare, "reflog", "expire", "--expire=now", "--all")
    git(pipeline.bare, "gc", "-q", "--prune=now")
    good = run_doc("run-1", "passed", {"pipeline": (str(pipeline.bare), old)})
    bad = run_doc("run-2", "failed", {"pipeline": (str(pipeline.bare), new)})

    (culprit,) = culprit_ranges(
        bad, [good], new_failures=[TEST], regressions=[], git_for=clones_under(tmp_path / "fresh-cache")
    )

    (gone,) = culprit.ranges
    assert gone.state is RangeState.OLD_COMMIT_GONE
    assert "force-pushed" in gone.note and old[:12] in gone.note
    assert any("force-pushed" in line for line in summary_lines([culprit]))


def test_rewritten_history_still_in_the_cached_clone_lists_what_the_bad_run_lacks(
    tmp_path: Path, repos: tuple[Upstream, Upstream]
) -> None:
    pipeline, _ = repos
    cache = tmp_path / "cache"
    old = pipeline.shas[4]
    build_clone(cache, pipeline, old)
    git(pipeline.work, "reset", "-q", "--hard", pipeline.shas[2])
    new = pipeline.commit("rewritten change", day=20)
    pipeline.push(force=True)
    good = run_doc("run-1", "passed", {"pipeline": (str(pipeline.bare), old)})
    bad = run_doc("run-2", "failed", {"pipeline": (str(pipeline.bare), new)})

    (culprit,) = culprit_ranges(bad, [good], new_failures=[TEST], regressions=[], git_for=clones_under(cache))

    (rewritten,) = culprit.ranges
    assert rewritten.state is RangeState.REWRITTEN
    assert [c.subject for c in rewritten.commits] == ["rewritten change"]
    assert "force-push" in rewritten.note


def test_component_without_a_recorded_commit_gets_a_note(
    tmp_path: Path, repos: tuple[Upstream, Upstream]
) -> None:
    pipeline, _ = repos
    good = run_doc("run-1", "passed", {"pipeline": (str(pipeline.bare), "")})
    bad = run_doc("run-2", "failed", {"pipeline": (str(pipeline.bare), pipeline.shas[3])})

    (culprit,) = culprit_ranges(
        bad, [good], new_failures=[TEST], regressions=[], git_for=clones_under(tmp_path / "cache")
    )

    assert culprit.ranges[0].state is RangeState.UNAVAILABLE
    assert "good run recorded no commit" in culprit.ranges[0].note


def test_unreachable_repository_becomes_a_note(tmp_path: Path) -> None:
    missing = str(tmp_path / "nowhere.git")
    good = run_doc("run-1", "passed", {"pipeline": (missing, "a" * 40)})
    bad = run_doc("run-2", "failed", {"pipeline": (missing, "b" * 40)})

    (culprit,) = culprit_ranges(
        bad, [good], new_failures=[TEST], regressions=[], git_for=clones_under(tmp_path / "cache", timeout=30)
    )

    assert culprit.ranges[0].state is RangeState.UNAVAILABLE
    assert "not in" in culprit.ranges[0].note


def test_new_failure_found_by_the_analysis_gets_its_range_from_the_build_cache(
    tmp_path: Path, repos: tuple[Upstream, Upstream]
) -> None:
    pipeline, _ = repos
    cache = tmp_path / "cache"
    build_clone(cache, pipeline, pipeline.shas[3])
    repo = str(pipeline.bare)
    history = [run_doc(f"run-{n}", "passed", {"pipeline": (repo, pipeline.shas[1])}) for n in range(3)]
    current = run_doc("run-9", "failed", {"pipeline": (repo, pipeline.shas[3])})
    analysis = analyze(current, history).to_json()

    (culprit,) = culprits_from_analysis(current, history, analysis, cache_dir=cache)

    assert (culprit.test, culprit.reason, culprit.good_run) == (TEST, "new-failure", "run-2")
    assert [c.sha for c in culprit.ranges[0].commits] == pipeline.shas[2:4]


def test_failure_without_any_earlier_pass_has_no_culprit(tmp_path: Path) -> None:
    good = run_doc("run-1", "failed", {})
    bad = run_doc("run-2", "failed", {})

    assert (
        culprit_ranges(bad, [good], new_failures=[TEST], regressions=[], git_for=clones_under(tmp_path)) == ()
    )


# -- pure parts -----------------------------------------------------------------------------------


def outcomes(run_id: str, status: str | None) -> RunOutcomes:
    return RunOutcomes(run_id=run_id, timestamp="", outcomes={} if status is None else {TEST: Status(status)})


def test_regression_window_starts_at_its_earliest_failure() -> None:
    runs = [
        outcomes("r1", "passed"),
        outcomes("r2", "passed"),
        outcomes("r3", "failed"),
        outcomes("r4", "passed"),
        outcomes("r5", "failed"),
        outcomes("r6", "passed"),
    ]

    pair = bracketing_runs(TEST, runs, window=4)

    assert pair is not None
    assert (pair[0].run_id, pair[1].run_id) == ("r2", "r3")


def test_runs_that_did_not_run_the_test_are_transparent() -> None:
    runs = [
        outcomes("r1", "passed"),
        outcomes("r2", None),
        outcomes("r3", "skipped"),
        outcomes("r4", "error"),
    ]

    pair = bracketing_runs(TEST, runs)

    assert pair is not None
    assert (pair[0].run_id, pair[1].run_id) == ("r1", "r4")


def test_new_failure_needs_the_current_run_to_fail() -> None:
    assert bracketing_runs(TEST, [outcomes("r1", "failed"), outcomes("r2", "passed")]) is None


@pytest.mark.parametrize(
    ("repo", "expected"),
    [
        ("https://github.com/tektoncd/pipeline", "https://github.com/tektoncd/pipeline/compare/a...b"),
        ("https://github.com/tektoncd/pipeline.git/", "https://github.com/tektoncd/pipeline/compare/a...b"),
        ("git@github.com:tektoncd/pipeline.git", "https://github.com/tektoncd/pipeline/compare/a...b"),
        ("https://user:tok@github.com/o/r", "https://github.com/o/r/compare/a...b"),
        ("/srv/git/pipeline.git", ""),
        ("file:///srv/git/pipeline.git", ""),
    ],
    ids=["https", "dot-git-slash", "scp-like", "credentials-dropped", "local-path", "file-url"],
)
def test_compare_url_is_the_web_compare_view(repo: str, expected: str) -> None:
    assert compare_url(repo, "a", "b") == expected
