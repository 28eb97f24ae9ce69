"""gitrepo against a real local upstream: every ref form, --as-of, fetch-not-reclone, failures.

The upstream is a bare repository with real commits (committer dates set through
GIT_COMMITTER_DATE), a lightweight and an annotated tag, a release branch, and a pull request
head created with `git update-ref refs/pull/7/head`, like GitHub's.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_streamstress._infra import git as gitrepo
from pytest_streamstress._infra import proc as _proc
from pytest_streamstress.errors import ToolFailed, ToolNotFound
from pytest_streamstress.model import ComponentName, ComponentRequest

pytestmark = pytest.mark.tools


def git(cwd: Path, *args: str, date: str = "2024-01-01T12:00:00Z") -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Up Stream",
        "GIT_AUTHOR_EMAIL": "up@example.com",
        "GIT_COMMITTER_NAME": "Up Stream",
        "GIT_COMMITTER_EMAIL": "up@example.com",
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
    }
    return _proc.run(["git", *args], timeout=30, cwd=cwd, env=env, check=True).stdout.strip()


def commit(work: Path, name: str, subject: str, date: str) -> str:
    (work / name).write_text(subject + "\n", encoding="utf-8")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", subject, date=date)
    return git(work, "rev-parse", "HEAD")


@dataclass
class Upstream:
    work: Path
    bare: Path
    shas: dict[str, str]

    def add_commit(self, subject: str, date: str) -> str:
        sha = commit(self.work, "later.txt", subject, date)
        git(self.work, "push", "-q", "origin", "main")
        return sha


@pytest.fixture
def upstream(tmp_path: Path) -> Upstream:
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    shas = {
        "first": commit(work, "a.txt", "first commit", "2024-01-01T10:00:00Z"),
        "second": commit(work, "a.txt", "second commit", "2024-01-02T10:00:00Z"),
        "third": commit(work, "a.txt", "third commit", "2024-01-03T10:00:00Z"),
    }
    git(work, "tag", "v0.1.0", shas["first"])
    git(work, "tag", "-a", "-m", "release 0.2.0", "v0.2.0", shas["second"], date="2024-01-02T11:00:00Z")
    git(work, "checkout", "-q", "-b", "release-v0.2.x", shas["second"])
    shas["release"] = commit(work, "b.txt", "backport fix", "2024-01-05T10:00:00Z")
    git(work, "checkout", "-q", "-b", "pr-7", shas["third"])
    shas["pr"] = commit(work, "c.txt", "proposed change", "2024-01-06T10:00:00Z")
    git(work, "checkout", "-q", "main")
    bare = tmp_path / "upstream.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    git(bare, "update-ref", "refs/pull/7/head", shas["pr"])
    git(bare, "branch", "-D", "pr-7")
    git(work, "remote", "add", "origin", str(bare))
    return Upstream(work=work, bare=bare, shas=shas)


def checkout(
    upstream: Upstream, cache: Path, ref: str | None, *, as_of: dt.date | None = None
) -> gitrepo.SourceCommit:
    handle = gitrepo.Git(
        url=str(upstream.bare), clone_dir=cache / "clone", timeout=60, log_to=cache / "git.log"
    )
    return gitrepo.checkout_ref(handle, ref=ref, default_branch="main", as_of=as_of)


def test_default_branch_resolves_to_its_head_with_date_and_subject(
    upstream: Upstream, tmp_path: Path
) -> None:
    source = checkout(upstream, tmp_path / "cache", None)
    assert (source.sha, source.subject) == (upstream.shas["third"], "third commit")
    assert dt.datetime.fromisoformat(source.date) == dt.datetime(2024, 1, 3, 10, tzinfo=dt.timezone.utc)


def test_default_branch_fetch_is_shallow(upstream: Upstream, tmp_path: Path) -> None:
    checkout(upstream, tmp_path / "cache", None)
    assert (tmp_path / "cache" / "clone" / ".git" / "shallow").is_file()


def test_branch_name_resolves_to_the_branch_head(upstream: Upstream, tmp_path: Path) -> None:
    assert checkout(upstream, tmp_path / "cache", "release-v0.2.x").sha == upstream.shas["release"]


def test_lightweight_tag_resolves_to_its_commit(upstream: Upstream, tmp_path: Path) -> None:
    assert checkout(upstream, tmp_path / "cache", "v0.1.0").sha == upstream.shas["first"]


def test_annotated_tag_resolves_to_the_commit_not_the_tag_object(upstream: Upstream, tmp_path: Path) -> None:
    assert checkout(upstream, tmp_path / "cache", "v0.2.0").sha == upstream.shas["second"]


def test_full_commit_sha_resolves_to_itself(upstream: Upstream, tmp_path: Path) -> None:
    assert checkout(upstream, tmp_path / "cache", upstream.shas["first"]).sha == upstream.shas["first"]


def test_short_commit_sha_is_expanded_after_fetching_history(upstream: Upstream, tmp_path: Path) -> None:
    source = checkout(upstream, tmp_path / "cache", upstream.shas["first"][:8])
    assert source.sha == upstream.shas["first"]
    assert source.ref == upstream.shas["first"][:8]


def test_short_sha_of_a_commit_only_on_another_branch_is_found(upstream: Upstream, tmp_path: Path) -> None:
    assert (
        checkout(upstream, tmp_path / "cache", upstream.shas["release"][:9]).sha == upstream.shas["release"]
    )


def test_pull_request_resolves_to_refs_pull_head(upstream: Upstream, tmp_path: Path) -> None:
    request = ComponentRequest(name=ComponentName("pipeline"), pull_request=7)
    source = checkout(upstream, tmp_path / "cache", request.git_ref)
    assert (source.sha, source.subject) == (upstream.shas["pr"], "proposed change")


def test_checkout_puts_the_commit_in_the_work_tree(upstream: Upstream, tmp_path: Path) -> None:
    checkout(upstream, tmp_path / "cache", "release-v0.2.x")
    assert (tmp_path / "cache" / "clone" / "b.txt").read_text(encoding="utf-8") == "backport fix\n"


def test_as_of_picks_the_last_commit_of_that_day(upstream: Upstream, tmp_path: Path) -> None:
    source = checkout(upstream, tmp_path / "cache", None, as_of=dt.date(2024, 1, 2))
    assert source.sha == upstream.shas["second"]


def test_as_of_works_on_a_clone_made_shallow_by_an_earlier_run(upstream: Upstream, tmp_path: Path) -> None:
    checkout(upstream, tmp_path / "cache", None)
    assert (
        checkout(upstream, tmp_path / "cache", None, as_of=dt.date(2024, 1, 1)).sha == upstream.shas["first"]
    )


def test_as_of_is_ignored_when_the_ref_is_explicit(upstream: Upstream, tmp_path: Path) -> None:
    source = checkout(upstream, tmp_path / "cache", "release-v0.2.x", as_of=dt.date(2024, 1, 1))
    assert source.sha == upstream.shas["release"]


def test_as_of_before_the_first_commit_names_the_date(upstream: Upstream, tmp_path: Path) -> None:
    with pytest.raises(ToolFailed, match=r"no commit on main at or before 2023-12-31T23:59:59Z"):
        checkout(upstream, tmp_path / "cache", None, as_of=dt.date(2023, 12, 31))


def test_cached_clone_is_fetched_not_recloned(upstream: Upstream, tmp_path: Path) -> None:
    checkout(upstream, tmp_path / "cache", None)
    git_dir = tmp_path / "cache" / "clone" / ".git"
    marker = git_dir / "streamstress-test-marker"
    marker.write_text("kept", encoding="utf-8")
    inode = git_dir.stat().st_ino
    newest = upstream.add_commit("fourth commit", "2024-01-07T10:00:00Z")
    source = checkout(upstream, tmp_path / "cache", None)
    assert source.sha == newest
    assert marker.read_text(encoding="utf-8") == "kept"
    assert git_dir.stat().st_ino == inode


def test_unknown_ref_is_a_tool_failure_naming_the_ref(upstream: Upstream, tmp_path: Path) -> None:
    with pytest.raises(ToolFailed, match=r"cannot fetch 'no-such-branch' from .*upstream\.git") as info:
        checkout(upstream, tmp_path / "cache", "no-such-branch")
    assert "pr/<number>" in info.value.hint


def test_unknown_short_sha_says_it_is_no_branch_tag_or_commit(upstream: Upstream, tmp_path: Path) -> None:
    with pytest.raises(ToolFailed, match=r"'abcdef12' is neither a branch, a tag nor a commit"):
        checkout(upstream, tmp_path / "cache", "abcdef12")


def test_missing_git_is_tool_not_found_with_install_hint(upstream: Upstream, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    handle = gitrepo.Git(
        url=str(upstream.bare), clone_dir=tmp_path / "clone", timeout=30, env={"PATH": str(empty)}
    )
    with pytest.raises(ToolNotFound, match="cannot run 'git'") as info:
        gitrepo.checkout_ref(handle, ref=None, default_branch="main")
    assert "apt-get install git" in info.value.hint


@pytest.mark.parametrize(
    ("ref", "kind"),
    [
        (None, gitrepo.RefKind.DEFAULT),
        ("refs/pull/12/head", gitrepo.RefKind.PULL),
        ("0123456789abcdef0123456789abcdef01234567", gitrepo.RefKind.FULL_SHA),
        ("0123456", gitrepo.RefKind.NAME),
        ("v0.62.0", gitrepo.RefKind.NAME),
    ],
    ids=["default", "pull", "full-sha", "short-sha-tried-as-name-first", "tag"],
)
def test_classify_ref_picks_the_fetch_strategy(ref: str | None, kind: gitrepo.RefKind) -> None:
    assert gitrepo.classify_ref(ref) is kind
