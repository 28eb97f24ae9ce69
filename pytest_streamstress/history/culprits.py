"""Culprit ranges: which upstream commits landed between the last good run and the first bad run.

For every new failure or statistically flagged regression, this module finds the pair of runs
that brackets the breakage (the last run where the scenario passed, the first run after it where
it failed) and, per deployed component, lists the commits between the two recorded SHAs from the
build's cached clone, with real git (STYLE R15: every git call goes through `gitrepo.Git.run`).
A component whose commit did not change is ruled out by name. A force-pushed branch whose old
commit is gone is reported as such, never as a crash: culprit ranges are advice, so a git failure
becomes a note on that component's range, not an error of the run.

It does not decide what a new failure is (that is `history/classify.py`), nor write results.json, the
terminal summary or the dashboard: it returns values with `to_json()` and `summary_lines()`.
"""

from __future__ import annotations

import enum
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from pytest_streamstress._infra import git as gitrepo
from pytest_streamstress.errors import ToolError
from pytest_streamstress.history.model import EARLIER_RUN, FAILING, THIS_RUN, RunOutcomes
from pytest_streamstress.history.store import ComponentResult, components_from_json, outcomes_from_json
from pytest_streamstress.model import Status

log = logging.getLogger(__name__)
MAX_COMMITS: Final = 200
"""Commits listed per component range; a longer range is truncated (and says so)."""
GIT_TIMEOUT_S: Final = 300.0
"""Seconds one git command may take while reading a range (a first full fetch of a big repo)."""
_SCP_LIKE: Final = re.compile(r"^(?:[^@/]+@)?([^:/]+):(?!//)(.+)$")


CulpritReason = Literal["new-failure", "regression"]
"""Why a test gets a culprit range: it failed for the first time, or its pass rate dropped."""


class RangeState(enum.Enum):
    """What could be said about one component between two runs."""

    CHANGED = "changed"
    UNCHANGED = "unchanged"
    """Same commit in both runs: ruled out."""
    OLD_COMMIT_GONE = "old-commit-gone"
    """The good run's commit no longer exists upstream (force-pushed away)."""
    REWRITTEN = "rewritten"
    """The good commit exists but is not an ancestor of the bad one: history was rewritten."""
    UNAVAILABLE = "unavailable"
    """No commit recorded in one of the runs, or git could not read the repository."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RangeCommit:
    """One upstream commit of a range."""

    sha: str
    author: str
    date: str
    """ISO-8601 author date."""
    subject: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CommitRange:
    """The commits of one component between the good and the bad run, oldest first."""

    component: str
    repo: str
    old_sha: str
    new_sha: str
    state: RangeState
    commits: tuple[RangeCommit, ...] = ()
    truncated: bool = False
    """More than `MAX_COMMITS` commits: only the newest ones are listed."""
    note: str = ""

    @property
    def compare_url(self) -> str:
        return (
            compare_url(self.repo, self.old_sha, self.new_sha)
            if self.state is not RangeState.UNCHANGED
            else ""
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "component": self.component,
            "repo": self.repo,
            "old": self.old_sha,
            "new": self.new_sha,
            "state": self.state.value,
            "compare_url": self.compare_url,
            "note": self.note,
            "truncated": self.truncated,
            "commits": [
                {"sha": c.sha, "author": c.author, "date": c.date, "subject": c.subject} for c in self.commits
            ],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Culprit:
    """The culprit range of one failing scenario: the runs that bracket it and each component's range."""

    test: str
    reason: CulpritReason
    good_run: str
    bad_run: str
    ranges: tuple[CommitRange, ...]

    @property
    def ruled_out(self) -> tuple[str, ...]:
        return tuple(r.component for r in self.ranges if r.state is RangeState.UNCHANGED)

    @property
    def suspects(self) -> tuple[CommitRange, ...]:
        return tuple(r for r in self.ranges if r.state is not RangeState.UNCHANGED)

    def to_json(self) -> dict[str, Any]:
        return {
            "test": self.test,
            "reason": self.reason,
            "good_run": self.good_run,
            "bad_run": self.bad_run,
            "ruled_out": list(self.ruled_out),
            "components": [r.to_json() for r in self.suspects],
        }


# -- pure parts ------------------------------------------------------------------------------------


def compare_url(repo: str, old: str, new: str) -> str:
    """`<repo>/compare/<old>...<new>` for a web-hosted repository; "" for a local path.

    `git@github.com:org/repo.git` and `https://github.com/org/repo.git` both become
    `https://github.com/org/repo`; GitHub and GitLab (`/-/compare/`) serve the same three-dot form.
    """
    if not old or not new:
        return ""
    base = repo.strip().rstrip("/")
    if base.startswith(("http://", "https://")):
        base = re.sub(r"^(https?://)[^@/]+@", r"\1", base)  # never echo credentials in a URL
    else:
        scp = _SCP_LIKE.match(base)
        if scp is None or base.startswith(("/", ".", "file:")):
            return ""
        base = f"https://{scp.group(1)}/{scp.group(2)}"
    base = base.removesuffix(".git")
    return f"{base}/compare/{old}...{new}"


def bracketing_runs(
    test: str, runs: Sequence[RunOutcomes], *, window: int | None = None
) -> tuple[RunOutcomes, RunOutcomes] | None:
    """The last run where `test` passed and the first failing run after it; runs oldest first.

    Without `window` (a new failure) the bad run is the start of the current failure streak. With
    `window` (a regression, which may still pass now and then) it is the start of the failure
    streak holding the earliest failure among the last `window` runs. Runs that did not run the
    test (or skipped it) are transparent. None when no pass precedes the failure: no range to give.
    """
    ran = [
        (index, status)
        for index, run in enumerate(runs)
        if (status := run.outcomes.get(test)) is Status.PASSED or status in FAILING
    ]
    if window is None:
        if not ran or ran[-1][1] not in FAILING:
            return None
        k = len(ran) - 1
    else:
        first_in_window = max(0, len(runs) - window)
        candidates = [
            k for k, (index, status) in enumerate(ran) if index >= first_in_window and status in FAILING
        ]
        if not candidates:
            return None
        k = candidates[0]
    while k > 0 and ran[k - 1][1] in FAILING:
        k -= 1
    if k == 0:
        return None
    return runs[ran[k - 1][0]], runs[ran[k][0]]


def parse_log(text: str) -> tuple[RangeCommit, ...]:
    """Records of `git log --format=%H%x00%an%x00%aI%x00%s%x1e`, newest first as git prints them."""
    commits = []
    for raw in text.split("\x1e"):
        record = raw.strip("\n")
        if not record:
            continue
        sha, author, date, subject = record.split("\x00", 3)
        commits.append(RangeCommit(sha=sha, author=author, date=date, subject=subject))
    return tuple(commits)


# -- git -------------------------------------------------------------------------------------------


def has_commit(git: gitrepo.Git, sha: str) -> bool:
    return git.run("cat-file", "-e", f"{sha}^{{commit}}", what=f"looking for {sha}", check=False).ok


def fetch_history(git: gitrepo.Git, shas: Sequence[str], *, default_branch: str) -> None:
    """Make `shas` and the history between them available in the (possibly shallow) cached clone.

    The build fetches `--depth 1`; a range needs history, so fetch the default branch in full and
    each SHA by name (protocol v2 servers accept a SHA "want"). A SHA the server no longer has is
    not an error here: the caller reports it.
    """
    gitrepo.ensure_clone(git)
    branch_spec = f"+refs/heads/{default_branch}:refs/remotes/origin/{default_branch}"
    git.run(
        "fetch",
        "-q",
        gitrepo.FULL_DEPTH,
        "origin",
        branch_spec,
        what=f"fetching the history of {default_branch}",
        check=False,
    )
    for sha in shas:
        if has_commit(git, sha) and not _is_shallow_boundary(git, sha):
            continue
        git.run("fetch", "-q", gitrepo.FULL_DEPTH, "origin", sha, what=f"fetching commit {sha}", check=False)


def _is_shallow_boundary(git: gitrepo.Git, sha: str) -> bool:
    shallow = git.clone_dir / ".git" / "shallow"
    if not shallow.is_file():
        return False
    return sha in shallow.read_text(encoding="utf-8").split()


def log_range(
    git: gitrepo.Git, old: str, new: str, *, limit: int = MAX_COMMITS
) -> tuple[tuple[RangeCommit, ...], bool]:
    """Commits reachable from `new` and not from `old`, oldest first, and whether the list was cut."""
    out = git.run(
        "log",
        f"--max-count={limit + 1}",
        "--format=%H%x00%an%x00%aI%x00%s%x1e",
        f"{old}..{new}",
        what=f"listing the commits {old[:12]}..{new[:12]}",
    ).stdout
    commits = parse_log(out)
    truncated = len(commits) > limit
    return tuple(reversed(commits[:limit])), truncated


def component_range(
    component: str,
    repo: str,
    old: str,
    new: str,
    *,
    git: gitrepo.Git | None,
    default_branch: str = "main",
    limit: int = MAX_COMMITS,
) -> CommitRange:
    """The range of one component; git trouble becomes a note, never an exception (ranges are advice)."""
    base = CommitRange(component=component, repo=repo, old_sha=old, new_sha=new, state=RangeState.UNAVAILABLE)
    if old and new and old == new:
        return _replace(base, state=RangeState.UNCHANGED)
    if not old or not new:
        missing = "the good run" if not old else "the bad run"
        return _replace(base, note=f"{missing} recorded no commit for {component} (not built from source)")
    if git is None:
        return _replace(base, note=f"no clone of {repo} to read the commits from")
    try:
        fetch_history(git, (old, new), default_branch=default_branch)
        if not has_commit(git, new):
            return _replace(
                base, note=f"the bad run's commit {new[:12]} is not in {git.redactor(repo)} any more"
            )
        if not has_commit(git, old):
            return _replace(
                base,
                state=RangeState.OLD_COMMIT_GONE,
                note=f"the good run's commit {old[:12]} is gone from {git.redactor(repo)} (the branch was"
                " probably force-pushed); no range can be listed, compare the two runs by date instead",
            )
        commits, truncated = log_range(git, old, new, limit=limit)
        is_ancestor = git.run(
            "merge-base", "--is-ancestor", old, new, what="comparing the two commits", check=False
        ).ok
    except ToolError as exc:
        log.warning("culprit range of %s %s..%s: %s", component, old[:12], new[:12], exc)
        return _replace(base, note=f"git could not read the range: {exc.message.splitlines()[0]}")
    if not is_ancestor:
        return _replace(
            base,
            state=RangeState.REWRITTEN,
            commits=commits,
            truncated=truncated,
            note=f"{old[:12]} is not an ancestor of {new[:12]}: the history was rewritten (force-push);"
            " listed are the commits of the bad run that the good run lacks",
        )
    note = f"only the newest {limit} commits are listed" if truncated else ""
    return _replace(base, state=RangeState.CHANGED, commits=commits, truncated=truncated, note=note)


def _replace(base: CommitRange, **changes: Any) -> CommitRange:
    import dataclasses

    return dataclasses.replace(base, **changes)


GitFor = Callable[[str], "gitrepo.Git | None"]
"""Repository URL -> how to run git in its cached clone (None: no clone available)."""


def clones_under(
    cache_dir: Path,
    *,
    timeout: float = GIT_TIMEOUT_S,
    log_to: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> GitFor:
    """The build's cached clones (`gitrepo.clone_dir_for`): the same clone, fetched further."""

    def git_for(repo: str) -> gitrepo.Git | None:
        if not repo:
            return None
        clone_dir = gitrepo.clone_dir_for(cache_dir, repo)
        return gitrepo.Git(url=repo, clone_dir=clone_dir, timeout=timeout, log_to=log_to, env=env)

    return git_for


@dataclass(frozen=True, slots=True, kw_only=True)
class _RunComponents:
    commits: Mapping[str, str]
    repos: Mapping[str, str]


def _components_of(components: Sequence[ComponentResult]) -> _RunComponents:
    return _RunComponents(
        commits={c.name: c.sha for c in components}, repos={c.name: c.repo for c in components}
    )


def culprit_ranges(
    current: Mapping[str, Any],
    history: Sequence[Mapping[str, Any]],
    *,
    new_failures: Sequence[str],
    regressions: Sequence[str],
    git_for: GitFor,
    default_branches: Mapping[str, str] | None = None,
    regression_window: int = 10,
    lock_timeout: float = GIT_TIMEOUT_S,
) -> tuple[Culprit, ...]:
    """One `Culprit` per new failure and per regressed test; `history` oldest first, without `current`.

    `new_failures` and `regressions` are test identities (`Analysis.to_json()["new_failures"]`, the
    regressions' subjects; `component:` subjects have no single scenario and are skipped). Ranges
    are computed once per (component, old, new) and shared by the tests that break together.
    """
    sources = [*(EARLIER_RUN for _ in history), THIS_RUN]
    docs = [*history, current]
    runs = [outcomes_from_json(doc, source=source) for doc, source in zip(docs, sources, strict=True)]
    by_run = {
        run.run_id: _components_of(components_from_json(doc, source=source))
        for run, doc, source in zip(runs, docs, sources, strict=True)
    }
    branches = default_branches or {}
    memo: dict[tuple[str, str, str], CommitRange] = {}
    found: list[Culprit] = []
    wanted: list[tuple[str, CulpritReason]] = [(t, "new-failure") for t in new_failures]
    wanted += [
        (t, "regression") for t in regressions if not t.startswith("component:") and t not in new_failures
    ]
    for test, reason in wanted:
        pair = bracketing_runs(test, runs, window=regression_window if reason == "regression" else None)
        if pair is None:
            log.info("no passing run before %s failed: no culprit range", test)
            continue
        good, bad = pair
        old, new = by_run[good.run_id], by_run[bad.run_id]
        ranges = []
        for name in sorted(set(old.commits) | set(new.commits)):
            repo = new.repos.get(name) or old.repos.get(name, "")
            key = (name, old.commits.get(name, ""), new.commits.get(name, ""))
            if key not in memo:
                memo[key] = _locked_range(
                    name,
                    repo,
                    key[1],
                    key[2],
                    git_for=git_for,
                    default_branch=branches.get(name, "main"),
                    lock_timeout=lock_timeout,
                )
            ranges.append(memo[key])
        found.append(
            Culprit(test=test, reason=reason, good_run=good.run_id, bad_run=bad.run_id, ranges=tuple(ranges))
        )
    return tuple(found)


def _locked_range(
    name: str, repo: str, old: str, new: str, *, git_for: GitFor, default_branch: str, lock_timeout: float
) -> CommitRange:
    if old and old == new:
        return component_range(name, repo, old, new, git=None)
    git = git_for(repo)
    if git is None or not old or not new:
        return component_range(name, repo, old, new, git=git, default_branch=default_branch)
    from filelock import Timeout

    try:
        with gitrepo.locked(git.clone_dir, timeout=lock_timeout):
            return component_range(name, repo, old, new, git=git, default_branch=default_branch)
    except Timeout:
        return CommitRange(
            component=name,
            repo=repo,
            old_sha=old,
            new_sha=new,
            state=RangeState.UNAVAILABLE,
            note=f"the cached clone {git.clone_dir} stayed locked for {lock_timeout:g}s",
        )


def summary_lines(culprits: Sequence[Culprit], *, max_commits: int = 10) -> list[str]:
    """Terminal lines: per failing test, the runs, the ruled-out components and each suspect range."""
    lines: list[str] = []
    for culprit in culprits:
        lines.append(
            f"{culprit.test} ({culprit.reason}): between {culprit.good_run} (good) and"
            f" {culprit.bad_run} (bad)"
        )
        if culprit.ruled_out:
            lines.append(f"  ruled out (unchanged): {', '.join(culprit.ruled_out)}")
        for rng in culprit.suspects:
            head = f"  {rng.component} {rng.old_sha[:12] or '?'}..{rng.new_sha[:12] or '?'}"
            if rng.state in (RangeState.CHANGED, RangeState.REWRITTEN):
                head += f": {len(rng.commits)}{'+' if rng.truncated else ''} commit(s)"
            if rng.compare_url:
                head += f" {rng.compare_url}"
            lines.append(head)
            if rng.note:
                lines.append(f"    note: {rng.note}")
            for commit in rng.commits[-max_commits:][::-1]:
                lines.append(f"    {commit.sha[:12]} {commit.date[:10]} {commit.author}: {commit.subject}")
            if len(rng.commits) > max_commits:
                lines.append(f"    ... {len(rng.commits) - max_commits} older commit(s) not shown")
    return lines


def culprits_from_analysis(
    current: Mapping[str, Any],
    history: Sequence[Mapping[str, Any]],
    analysis: Mapping[str, Any],
    *,
    cache_dir: Path,
    default_branches: Mapping[str, str] | None = None,
) -> tuple[Culprit, ...]:
    """The run's culprit ranges from its `analysis` section (`Analysis.to_json()`), from the build's clones.

    For the Recorder: `analysis["culprits"] = [c.to_json() for c in culprits_from_analysis(...)]` and
    `summary_lines(...)` for the terminal; `cache_dir` is the build's `config.cache.mkdir("streamstress")`.
    """
    regressions = [str(r["subject"]) for r in analysis.get("regressions", [])]
    return culprit_ranges(
        current,
        history,
        new_failures=[str(t) for t in analysis.get("new_failures", [])],
        regressions=regressions,
        git_for=clones_under(cache_dir),
        default_branches=default_branches,
    )
