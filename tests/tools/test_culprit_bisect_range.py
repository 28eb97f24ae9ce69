"""The commit list a bisect walks (`bisect.commits_between`), read with real git from a local upstream.

The clone starts shallow, the way the build leaves it, so the list must fetch the history itself.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_streamstress._infra import git as gitrepo
from pytest_streamstress._infra import proc as _proc
from pytest_streamstress.errors import ConfigError
from pytest_streamstress.history.bisection import commits_between

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


def commit(work: Path, name: str) -> str:
    (work / f"{name}.txt").write_text(name + "\n", encoding="utf-8")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", name)
    return git(work, "rev-parse", "HEAD")


@pytest.fixture
def upstream(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """main: c0 c1 c2 M(c2 + side s1 s2) c3; the bare repo is the remote."""
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    shas = {name: commit(work, name) for name in ("c0", "c1", "c2")}
    git(work, "checkout", "-q", "-b", "side")
    shas |= {name: commit(work, name) for name in ("s1", "s2")}
    git(work, "checkout", "-q", "main")
    git(work, "merge", "-q", "--no-ff", "-m", "merge side", "side")
    shas["merge"] = git(work, "rev-parse", "HEAD")
    shas["c3"] = commit(work, "c3")
    bare = tmp_path / "upstream.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    return bare, shas


def shallow_clone(tmp_path: Path, bare: Path, at: str) -> gitrepo.Git:
    handle = gitrepo.Git(url=str(bare), clone_dir=tmp_path / "clone", timeout=60)
    gitrepo.checkout_ref(handle, ref=at, default_branch="main")
    return handle


def test_commit_list_follows_the_first_parent_line_from_good_to_bad(
    tmp_path: Path, upstream: tuple[Path, dict[str, str]]
) -> None:
    bare, shas = upstream
    handle = shallow_clone(tmp_path, bare, shas["c3"])

    listed = commits_between(handle, shas["c0"], shas["c3"])

    assert listed == tuple(shas[n] for n in ("c0", "c1", "c2", "merge", "c3"))


def test_short_shas_are_expanded(tmp_path: Path, upstream: tuple[Path, dict[str, str]]) -> None:
    bare, shas = upstream
    handle = shallow_clone(tmp_path, bare, shas["c3"])

    listed = commits_between(handle, shas["c1"][:10], shas["c2"][:10])

    assert listed == (shas["c1"], shas["c2"])


def test_merged_side_branch_is_one_step_through_its_merge_commit(
    tmp_path: Path, upstream: tuple[Path, dict[str, str]]
) -> None:
    bare, shas = upstream
    handle = shallow_clone(tmp_path, bare, shas["c3"])

    listed = commits_between(handle, shas["s1"], shas["c3"])

    assert listed == (shas["s1"], shas["merge"], shas["c3"])


def test_good_after_bad_is_an_error_suggesting_to_swap(
    tmp_path: Path, upstream: tuple[Path, dict[str, str]]
) -> None:
    bare, shas = upstream
    handle = shallow_clone(tmp_path, bare, shas["c3"])

    with pytest.raises(ConfigError, match=f"--good {shas['c3'][:12]} is not an ancestor of --bad") as caught:
        commits_between(handle, shas["c3"], shas["c1"])

    assert "swap" in caught.value.hint


def test_same_good_and_bad_is_an_error(tmp_path: Path, upstream: tuple[Path, dict[str, str]]) -> None:
    bare, shas = upstream
    handle = shallow_clone(tmp_path, bare, shas["c3"])

    with pytest.raises(ConfigError, match="--good and --bad are the same commit"):
        commits_between(handle, shas["c1"], shas["c1"])


def test_unknown_commit_names_the_option(tmp_path: Path, upstream: tuple[Path, dict[str, str]]) -> None:
    bare, shas = upstream
    handle = shallow_clone(tmp_path, bare, shas["c3"])

    with pytest.raises(ConfigError, match="--bad 0123456789ab: no such commit"):
        commits_between(handle, shas["c0"], "0123456789ab")
