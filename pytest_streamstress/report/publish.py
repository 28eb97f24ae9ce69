"""Publish a run to the dashboard branch (gh-pages) of a git remote, with real git.

It owns the git conversation of publishing: fetch the branch (or start an orphan), add the run to
the history, rebuild index and site, commit, push. It must not decide what the page shows
(`site.py`) or how the history is stored (`history.store`); git runs only through `_infra.git` (R15).

Race safety: a push that is rejected because another publisher moved the branch is answered by
fetching the new tip and redoing the whole change on it, after a jittered back-off (full jitter,
growing to 8 s), for as long as the time budget lasts (`--publish-timeout`, 120 s): publishers
that lost a race together do not retry in lock step, so eight at once all land (issue 19). A normal
publish never forces. To keep the branch short, every `squash_after` commits one publish replaces
the branch by a single root commit holding the current tree, pushed with
`--force-with-lease=<branch>:<the tip it was built from>`: a compare-and-swap that fails if anybody
pushed in between, in which case that publisher, too, fetches and redoes its change. No run is
ever lost, because a squash only lands when it contains everything the branch had (docs/dashboard.md).

Secrets: the token (GITHUB_TOKEN/GH_TOKEN) travels only in the child's environment as
`GIT_CONFIG_KEY_n=http.extraHeader` (git >= 2.31), never on the command line, in the remote URL
or in `.git/config`, and it is registered with the redactor so no log shows it.
"""

from __future__ import annotations

import base64
import logging
import os
import random
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from pytest_streamstress._infra import proc as _proc
from pytest_streamstress._infra.git import Git
from pytest_streamstress._infra.redact import Redactor, Secret
from pytest_streamstress._infra.waits import SYSTEM_CLOCK, Clock
from pytest_streamstress.errors import ConfigError, ToolFailed
from pytest_streamstress.history.store import (
    RESULTS_FILE,
    add_run,
    enforce_budget,
    read_results,
    update_index,
)
from pytest_streamstress.report.site import build_site

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S: Final = 120.0
"""How long publishing may keep retrying lost races (`--publish-timeout`); a started attempt finishes."""
BACKOFF_BASE_S: Final = 0.25
BACKOFF_MAX_S: Final = 8.0
"""Full-jitter back-off after the n-th lost race: uniform(0, min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2**n))."""
SQUASH_AFTER: Final = 30
"""Commits on the branch before a publish squashes it into one root commit."""
GIT_TIMEOUT_S: Final = 300.0
"""One git command (fetch or push of a site of some MB) on a slow network."""
COMMITTER: Final = ("pytest-streamstress", "streamstress@users.noreply.github.com")
_REJECTED: Final = re.compile(
    r"\[rejected\]|\[remote rejected\]|non-fast-forward|fetch first|stale info|failed to lock|cannot lock ref"
    r"|incorrect old value",
    re.IGNORECASE,
)
_GITHUB: Final = re.compile(r"github\.com[:/]([^/]+)/([^/]+?)(?:\.git)?/?$")


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishResult:
    """What a publish did; `repo` is the token-free remote as stored."""

    run_id: str
    repo: str
    branch: str
    commit: str
    attempts: int
    squashed: bool
    runs: int
    already_published: bool = False
    pages_url: str = ""


def token_from_env(environ: Mapping[str, str]) -> Secret | None:
    """GITHUB_TOKEN, else GH_TOKEN (the names GitHub Actions and the gh CLI use)."""
    for name in ("GITHUB_TOKEN", "GH_TOKEN"):
        value = environ.get(name, "").strip()
        if value:
            return Secret(value)
    return None


def default_repo(environ: Mapping[str, str]) -> str:
    """`https://github.com/<GITHUB_REPOSITORY>.git` in GitHub Actions, else ""."""
    slug = environ.get("GITHUB_REPOSITORY", "").strip()
    return f"https://github.com/{slug}.git" if slug else ""


def pages_url(repo: str) -> str:
    """Where GitHub Pages serves a github.com repository's site; "" for other remotes."""
    match = _GITHUB.search(repo)
    if not match:
        return ""
    owner, name = match.groups()
    if name.lower() == f"{owner.lower()}.github.io":
        return f"https://{name}/"
    return f"https://{owner}.github.io/{name}/"


def check_remote(repo: str) -> str:
    """Refuse credentials in the URL: they would land in `.git/config` and in logs."""
    if re.match(r"^[a-z][a-z0-9+.-]*://[^/@]*:[^/@]*@", repo, re.IGNORECASE):
        raise ConfigError(
            f"--publish-repo: the URL holds credentials ({re.sub(r'//[^/@]*@', '//***@', repo)})",
            hint="put the token in GITHUB_TOKEN (or GH_TOKEN) and give the URL without user:password",
        )
    if not repo:
        raise ConfigError(
            "--publish-repo is empty", hint="give the git remote, e.g. https://github.com/org/repo.git"
        )
    return repo


def auth_environment(token: Secret | None, environ: Mapping[str, str], redactor: Redactor) -> dict[str, str]:
    """The child environment for git: no prompts, committer identity, and the token as an extra header.

    `GIT_CONFIG_COUNT/KEY/VALUE` adds configuration for one process only (git >= 2.31), so nothing is
    written to `.git/config` and the command line stays clean. GitHub accepts
    `Basic base64(x-access-token:<token>)` for both installation and personal tokens.
    """
    env = dict(environ)
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["GIT_AUTHOR_NAME"] = env["GIT_COMMITTER_NAME"] = COMMITTER[0]
    env["GIT_AUTHOR_EMAIL"] = env["GIT_COMMITTER_EMAIL"] = COMMITTER[1]
    if token:
        basic = base64.b64encode(f"x-access-token:{token.reveal()}".encode()).decode("ascii")
        redactor.add(token)
        redactor.add(basic)
        count = int(env.get("GIT_CONFIG_COUNT", "0") or "0")
        env[f"GIT_CONFIG_KEY_{count}"] = "http.extraHeader"
        env[f"GIT_CONFIG_VALUE_{count}"] = f"Authorization: Basic {basic}"
        env["GIT_CONFIG_COUNT"] = str(count + 1)
    return env


class _Git:
    """git in the pages work tree, through the one git door (`gitrepo.Git`, STYLE R15)."""

    def __init__(
        self, cwd: Path, *, env: Mapping[str, str], redactor: Redactor, log_to: Path, timeout: float
    ):
        self.cwd = cwd
        self.log_to = log_to
        self._git = Git(
            url=str(cwd), clone_dir=cwd, timeout=timeout, log_to=log_to, env=env, redactor=redactor
        )

    def __call__(self, *args: str, check: bool = True) -> _proc.Completed:
        return self._git.run(*args, what="publishing the dashboard", check=check)

    def out(self, *args: str) -> str:
        return self(*args).stdout.strip()


def _prepare_checkout(git: _Git, repo: str, branch: str, depth: int) -> str:
    """Fetch the branch tip into a clean work tree; returns the tip sha, or "" for a new orphan branch."""
    if not (git.cwd / ".git").is_dir():
        git.cwd.mkdir(parents=True, exist_ok=True)
        git("init", "-q")
        git("remote", "add", "origin", repo)
    else:
        git("remote", "set-url", "origin", repo)
    listed = git("ls-remote", "--heads", "origin", f"refs/heads/{branch}").stdout.strip()
    if listed:
        git(
            "fetch",
            "-q",
            "--no-tags",
            f"--depth={depth}",
            "origin",
            f"+refs/heads/{branch}:refs/remotes/origin/{branch}",
        )
        git("checkout", "-q", "-f", "-B", branch, f"refs/remotes/origin/{branch}")
        git("clean", "-q", "-f", "-d", "-x")
        return git.out("rev-parse", "HEAD")
    log.info("branch %s does not exist on the remote yet; starting it as an orphan", branch)
    git("symbolic-ref", "HEAD", f"refs/heads/{branch}")
    git("update-ref", "-d", f"refs/heads/{branch}", check=False)
    git("read-tree", "--empty")
    git("clean", "-q", "-f", "-d", "-x")
    return ""


def publish_run(
    results_dir: Path,
    *,
    repo: str,
    branch: str,
    label: str,
    token: Secret | None,
    budget: int,
    work_dir: Path,
    redactor: Redactor,
    publish_timeout: float = DEFAULT_TIMEOUT_S,
    squash_after: int = SQUASH_AFTER,
    timeout: float = GIT_TIMEOUT_S,
    environ: Mapping[str, str] | None = None,
    clock: Clock = SYSTEM_CLOCK,
    jitter: random.Random | None = None,
) -> PublishResult:
    """Add the run in `results_dir` to the history on `branch` of `repo` and push it.

    `work_dir` holds the checkout (`work_dir/checkout`) and `publish.log`; it can be reused by the
    next publish. Lost races are retried after a jittered back-off while `publish_timeout` lasts
    (a new attempt starts only within it; `timeout` bounds each git command). Raises `ToolFailed`
    when git fails for another reason than a lost race, or when the budget ran out.
    """
    repo = check_remote(repo)
    results_path = results_dir / RESULTS_FILE if results_dir.is_dir() else results_dir
    record = read_results(results_path)  # a bad input fails before any git work
    run_id = record.summary.run_id
    env = auth_environment(token, os.environ if environ is None else environ, redactor)
    work_dir.mkdir(parents=True, exist_ok=True)
    git = _Git(
        work_dir / "checkout", env=env, redactor=redactor, log_to=work_dir / "publish.log", timeout=timeout
    )
    rng = jitter or random.Random()
    deadline = clock.monotonic() + publish_timeout
    attempt = 0
    while True:
        attempt += 1
        started = time.monotonic()
        tip = _prepare_checkout(git, repo, branch, depth=squash_after + 1)
        if tip and (git.cwd / record.summary.file).is_file():
            add_run(git.cwd, results_path, label=label)  # raises if the published file differs
            log.info("%s is already published on %s at %s", run_id, branch, tip[:12])
            return PublishResult(
                run_id=run_id,
                repo=repo,
                branch=branch,
                commit=tip,
                attempts=attempt,
                squashed=False,
                runs=len(update_index(git.cwd).runs),
                already_published=True,
                pages_url=pages_url(repo),
            )
        add_run(git.cwd, results_path, label=label)
        index = enforce_budget(git.cwd, update_index(git.cwd), budget)
        build_site(git.cwd, git.cwd)
        git("add", "-A")
        counts = dict(record.summary.counts)
        message = f"publish: {run_id} ({counts['total']} total, {counts['passed']} passed)"
        depth = int(git.out("rev-list", "--count", "HEAD")) if tip else 0
        squash = bool(tip) and depth >= squash_after
        if squash:
            tree = git.out("write-tree")
            commit = git.out(
                "commit-tree",
                tree,
                "-m",
                f"{message}\n\nSquashed the dashboard history ({depth} commits) into one.",
            )
            git("update-ref", f"refs/heads/{branch}", commit)
            pushed = git(
                "push",
                "--porcelain",
                f"--force-with-lease=refs/heads/{branch}:{tip}",
                "origin",
                f"{commit}:refs/heads/{branch}",
                check=False,
            )
        else:
            git("commit", "-q", "--no-verify", "-m", message)
            commit = git.out("rev-parse", "HEAD")
            pushed = git("push", "--porcelain", "origin", f"HEAD:refs/heads/{branch}", check=False)
        if pushed.ok:
            log.info(
                "published %s to %s (%s) as %s%s in %.1fs, attempt %d",
                run_id,
                redactor(repo),
                branch,
                commit[:12],
                " (squashed)" if squash else "",
                time.monotonic() - started,
                attempt,
            )
            return PublishResult(
                run_id=run_id,
                repo=repo,
                branch=branch,
                commit=commit,
                attempts=attempt,
                squashed=squash,
                runs=len(index.runs),
                pages_url=pages_url(repo),
            )
        output = pushed.stdout + pushed.stderr
        if not _REJECTED.search(output):
            raise ToolFailed(
                f"git push to {redactor(repo)} ({branch}) failed; last output:\n{pushed.tail()}",
                hint=f"full log: {git.log_to}",
                returncode=pushed.returncode,
                log_path=git.log_to,
            )
        pause = rng.uniform(0.0, min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2.0**attempt))
        left = deadline - clock.monotonic()
        if left <= pause:
            raise ToolFailed(
                f"could not publish {run_id} to {redactor(repo)} ({branch}) within {publish_timeout:g}s"
                f" (--publish-timeout): the branch moved under it {attempt} times",
                hint="other publishers are very busy: raise --publish-timeout, or run `streamstress"
                " publish` again later",
                log_path=git.log_to,
            )
        log.info(
            "push of %s lost a race on %s (attempt %d); redoing it on the new tip in %.2fs",
            run_id,
            branch,
            attempt,
            pause,
        )
        clock.sleep(pause)
