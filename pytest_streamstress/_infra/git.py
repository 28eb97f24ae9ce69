"""The single door to git (STYLE R15): cached clones, fetching a ref, resolving it to a commit.

Every git command goes through `_proc.run` with an explicit timeout (R17); a failing git becomes
`ToolFailed` naming the repository, the ref and what we were doing, with git's last lines (R16).
This module knows nothing about components, ko or registries; `build/` tells it which URL and ref.

Clones live under a cache directory and are updated by `git fetch`, never re-cloned. Fetches are
shallow (`--depth 1`) where git allows: a branch, a tag, a full commit SHA (protocol v2 servers,
GitHub included, accept a SHA "want") and `refs/pull/N/head`. Two forms need history: a short SHA
cannot be fetched by name, so the default branch (then every branch and tag) is fetched in full
before resolving it; and `--as-of` needs the default branch's history for `git rev-list --before`.
`--depth=2147483647` is git's documented spelling of "all history" that works on shallow and
complete clones alike (`--unshallow` fails on a complete one).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import hashlib
import logging
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from pytest_streamstress._infra import proc as _proc
from pytest_streamstress._infra.redact import NO_REDACTION, Redactor
from pytest_streamstress.errors import ToolFailed
from pytest_streamstress.model import SourceCommit

log = logging.getLogger(__name__)

FULL_DEPTH: Final = "--depth=2147483647"
"""All history; git-fetch(1): `--unshallow` ... or `--depth=2147483647`."""
_FULL_SHA: Final = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_SHORT_SHA: Final = re.compile(r"^[0-9a-f]{4,39}$")
_PULL: Final = re.compile(r"^refs/pull/(\d+)/head$")


class RefKind(enum.Enum):
    """How a requested ref is fetched."""

    DEFAULT = "default"
    PULL = "pull"
    FULL_SHA = "full-sha"
    NAME = "name"
    """A branch or tag name; when it looks hex and no such name exists, it is tried as a short SHA."""


def classify_ref(ref: str | None) -> RefKind:
    """Pure: which fetch strategy a ref needs."""
    if ref is None or not ref.strip():
        return RefKind.DEFAULT
    if _PULL.match(ref):
        return RefKind.PULL
    if _FULL_SHA.match(ref.lower()):
        return RefKind.FULL_SHA
    return RefKind.NAME


def looks_like_short_sha(ref: str) -> bool:
    return bool(_SHORT_SHA.match(ref.lower()))


def as_of_bound(day: dt.date) -> str:
    """`--as-of DATE` means "at or before the end of that day, UTC"."""
    return f"{day.isoformat()}T23:59:59Z"


@dataclass(frozen=True, slots=True, kw_only=True)
class Git:
    """How to run git for one clone: where, how long each command may take, where output goes."""

    url: str
    clone_dir: Path
    timeout: float
    log_to: Path | None = None
    env: Mapping[str, str] | None = None
    redactor: Redactor = NO_REDACTION

    def run(self, *args: str, what: str, check: bool = True) -> _proc.Completed:
        """Run `git <args>` in the clone; a failure names the URL and what we were doing."""
        base = dict(self.env) if self.env is not None else dict(os.environ)
        # Never wait for a password prompt, and keep messages in English for the error text.
        base.update({"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"})
        done = _proc.run(
            ["git", *args],
            timeout=self.timeout,
            env=base,
            cwd=self.clone_dir,
            log_to=self.log_to,
            redactor=self.redactor,
            what=f"git {args[0]}",
        )
        if check and not done.ok:
            raise ToolFailed(
                f"git {args[0]} failed while {what} ({self.redactor(self.url)}), exit code {done.returncode};"
                f" last output:\n{done.tail()}",
                hint="check that the repository URL and the ref exist and are reachable"
                + (f"; full log: {self.log_to}" if self.log_to else ""),
                returncode=done.returncode,
                log_path=self.log_to,
            )
        return done


def clone_dir_for(cache_dir: Path, repo: str) -> Path:
    """One cached clone per repository URL: `<last path element>-<8 hex of the URL>`.

    The build clones into it and the culprit ranges and bisect read the same clone, fetched further,
    so the naming rule lives here, in the door to git, where every room that reads clones can reach it.
    """
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", repo.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")) or "repo"
    return cache_dir / f"{stem}-{hashlib.sha256(repo.encode()).hexdigest()[:8]}"


@contextlib.contextmanager
def locked(clone_dir: Path, *, timeout: float) -> Iterator[None]:
    """Hold the clone for one user: xdist workers and parallel sessions share the cache."""
    from filelock import FileLock

    clone_dir.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(clone_dir) + ".lock", timeout=timeout):
        yield


def ensure_clone(git: Git) -> bool:
    """Create the cached clone if missing (git init + remote); True when it already existed."""
    existed = (git.clone_dir / ".git").is_dir()
    git.clone_dir.mkdir(parents=True, exist_ok=True)
    if not existed:
        git.run("init", "-q", what="creating the cached clone")
        git.run("remote", "add", "origin", git.url, what="adding the remote")
    else:
        # The URL may have changed in components.toml since the clone was made.
        git.run("remote", "set-url", "origin", git.url, what="updating the remote URL")
    return existed


def checkout_ref(
    git: Git, *, ref: str | None, default_branch: str, as_of: dt.date | None = None
) -> SourceCommit:
    """Fetch `ref` into the cached clone, check it out detached, and describe the commit.

    `as_of` applies only when `ref` is None (an explicit ref always wins, as the option's help says).
    """
    ensure_clone(git)
    sha = resolve(git, ref=ref, default_branch=default_branch, as_of=as_of)
    git.run(
        "-c",
        "advice.detachedHead=false",
        "checkout",
        "-q",
        "--force",
        "--detach",
        sha,
        what=f"checking out {sha}",
    )
    # A clean tree, so the same commit always yields the same build input.
    git.run("clean", "-q", "-ffdx", what="cleaning the work tree")
    return describe(git, sha, ref=ref)


def resolve(git: Git, *, ref: str | None, default_branch: str, as_of: dt.date | None) -> str:
    """Fetch what `ref` needs and return the full commit SHA it names."""
    kind = classify_ref(ref)
    branch_ref = f"refs/remotes/origin/{default_branch}"
    branch_spec = f"+refs/heads/{default_branch}:{branch_ref}"
    if kind is RefKind.DEFAULT:
        if as_of is None:
            git.run("fetch", "-q", "--depth", "1", "origin", branch_spec, what=f"fetching {default_branch}")
            return _rev_parse(git, branch_ref)
        git.run(
            "fetch", "-q", FULL_DEPTH, "origin", branch_spec, what=f"fetching the history of {default_branch}"
        )
        return _commit_as_of(git, branch_ref, as_of)
    assert ref is not None
    if kind is RefKind.PULL:
        local = "refs/streamstress/" + ref.removeprefix("refs/")
        git.run("fetch", "-q", "--depth", "1", "origin", f"+{ref}:{local}", what=f"fetching {ref}")
        return _rev_parse(git, local)
    if kind is RefKind.FULL_SHA:
        done = git.run(
            "fetch", "-q", "--depth", "1", "origin", ref, what=f"fetching commit {ref}", check=False
        )
        if done.ok:
            return _rev_parse(git, ref)
        log.info("server refused to fetch %s by SHA; fetching all branches and tags", ref)
        _fetch_everything(git, default_branch)
        return _rev_parse(git, ref)
    done = git.run("fetch", "-q", "--depth", "1", "origin", ref, what=f"fetching {ref}", check=False)
    if done.ok:
        return _rev_parse(git, "FETCH_HEAD")
    if not looks_like_short_sha(ref):
        raise _no_such_ref(git, ref, done)
    return _resolve_short_sha(git, ref, default_branch=default_branch, branch_spec=branch_spec)


def _resolve_short_sha(git: Git, ref: str, *, default_branch: str, branch_spec: str) -> str:
    """A short SHA cannot be fetched by name: get history, then let git expand it."""
    git.run(
        "fetch", "-q", FULL_DEPTH, "origin", branch_spec, what=f"fetching the history of {default_branch}"
    )
    found = git.run(
        "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", what=f"resolving {ref}", check=False
    )
    if found.ok:
        return found.stdout.strip()
    _fetch_everything(git, default_branch)
    found = git.run(
        "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", what=f"resolving {ref}", check=False
    )
    if found.ok:
        return found.stdout.strip()
    raise ToolFailed(
        f"{ref!r} is neither a branch, a tag nor a commit of {git.redactor(git.url)}"
        f" (git says: {found.tail(3) or 'no match'})",
        hint="give a branch, a tag, a full commit SHA, a longer unambiguous short SHA, or pr/<number>",
        log_path=git.log_to,
    )


def _fetch_everything(git: Git, default_branch: str) -> None:
    git.run(
        "fetch",
        "-q",
        FULL_DEPTH,
        "origin",
        "+refs/heads/*:refs/remotes/origin/*",
        "+refs/tags/*:refs/tags/*",
        what="fetching every branch and tag",
    )


def _commit_as_of(git: Git, branch_ref: str, as_of: dt.date) -> str:
    bound = as_of_bound(as_of)
    done = git.run(
        "rev-list", "-1", f"--before={bound}", branch_ref, what=f"finding the commit as of {bound}"
    )
    sha = done.stdout.strip()
    if not sha:
        raise ToolFailed(
            f"{git.redactor(git.url)} has no commit on {branch_ref.rsplit('/', 1)[-1]} at or before {bound}",
            hint="pick a later --as-of date, or give the component an explicit ref",
            log_path=git.log_to,
        )
    return sha


def _rev_parse(git: Git, rev: str) -> str:
    return git.run("rev-parse", "--verify", f"{rev}^{{commit}}", what=f"resolving {rev}").stdout.strip()


def _no_such_ref(git: Git, ref: str, done: _proc.Completed) -> ToolFailed:
    return ToolFailed(
        f"cannot fetch {ref!r} from {git.redactor(git.url)}: git exit code {done.returncode}; last output:\n"
        f"{done.tail()}",
        hint="give an existing branch, tag, commit SHA or pr/<number>",
        returncode=done.returncode,
        log_path=git.log_to,
    )


def describe(git: Git, sha: str, *, ref: str | None) -> SourceCommit:
    """The commit's SHA, ISO committer date and subject, for results.json."""
    out = git.run("show", "-s", "--format=%H%x00%cI%x00%s", sha, what=f"describing {sha}").stdout
    full, date, subject = out.rstrip("\n").split("\x00", 2)
    return SourceCommit(sha=full, date=date, subject=subject, ref=ref)
