"""Where the release-tests specs come from: `--release-tests-dir`, or a real git clone in the pytest cache.

Owns only the choice of the project root and a minimal clone/fetch at a ref. Git runs through
`_proc.run` (STYLE R15) with a timeout; the clone lives under the pytest cache directory
(`<cache_dir>/d/streamstress-release-tests/<repo slug>`) and is guarded by a file lock so that
xdist workers or parallel sessions never fetch into the same directory at once. The session decides
where the cache is (`CheckoutParams`); this module never reads pytest's config.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pytest

from pytest_streamstress._infra import proc as _proc
from pytest_streamstress._infra.git import Git
from pytest_streamstress.errors import ToolError

log = logging.getLogger(__name__)

GIT_TIMEOUT_S: Final = 600.0
"""One git command (init, fetch, checkout) of the release-tests clone; a fetch of the suite takes seconds."""
LOCK_TIMEOUT_S: Final = 900.0
"""How long a session waits for another session's clone of the same repo to finish."""


def _git(*args: str, cwd: Path) -> _proc.Completed:
    """git through the one git door (`gitrepo.Git`, STYLE R15)."""
    return Git(url=str(cwd), clone_dir=cwd, timeout=GIT_TIMEOUT_S).run(*args, what="fetching release-tests")


def fetch_at_ref(repo: str, ref: str, target: Path) -> Path:
    """Make `target` a checkout of `repo` at `ref` (branch, tag or commit); returns `target`.

    Reuses an existing clone: only the ref is fetched (shallow when the server allows it) and checked
    out detached, so a second session with the same ref costs one small fetch.
    """
    target.mkdir(parents=True, exist_ok=True)
    if not (target / ".git").exists():
        _git("init", "--quiet", ".", cwd=target)
    try:
        _git("fetch", "--quiet", "--depth", "1", repo, ref, cwd=target)
        commit = "FETCH_HEAD"
    except ToolError:
        log.debug("shallow fetch of %s at %s refused; fetching all branches and tags", repo, ref)
        _git(
            "fetch",
            "--quiet",
            repo,
            "+refs/heads/*:refs/remotes/source/*",
            "+refs/tags/*:refs/tags/*",
            cwd=target,
        )
        commit = _resolve(ref, target)
    _git("checkout", "--quiet", "--force", "--detach", commit, cwd=target)
    return target


def _resolve(ref: str, target: Path) -> str:
    for candidate in (f"refs/remotes/source/{ref}", f"refs/tags/{ref}", ref):
        try:
            _git("rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}", cwd=target)
        except ToolError:
            continue
        return candidate
    raise ToolError(f"ref {ref!r} is neither a branch, a tag nor a commit of the fetched repository")


def _slug(repo: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", repo.rstrip("/").removesuffix(".git"))[-80:] or "repo"


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckoutParams:
    """Where the suite comes from: a local checkout, or a repository and ref to fetch into `cache_base`."""

    directory: Path | None
    repo: str
    ref: str
    cache_base: Path
    """`<pytest cache>/d/streamstress-release-tests`: one clone per repository lives under it."""


def release_tests_root(params: CheckoutParams) -> Path:
    """The release-tests project root (holds manifest.json); a bad source is one UsageError."""
    if params.directory is not None:
        root = params.directory.resolve()
        if not root.is_dir():
            raise pytest.UsageError(f"--release-tests-dir: {root} is not a directory")
        if not (root / "manifest.json").is_file():
            raise pytest.UsageError(
                f"--release-tests-dir: {root} is not a Gauge project (no manifest.json); "
                "point it at the root of a release-tests checkout"
            )
        return root
    return _cloned_root(params)


def _cloned_root(params: CheckoutParams) -> Path:
    from filelock import FileLock, Timeout

    params.cache_base.mkdir(parents=True, exist_ok=True)
    target = params.cache_base / _slug(params.repo)
    what = f"{params.repo} at {params.ref!r}"
    try:
        with FileLock(str(target) + ".lock", timeout=LOCK_TIMEOUT_S):
            log.info("fetching release-tests %s into %s", what, target)
            fetch_at_ref(params.repo, params.ref, target)
    except Timeout:
        raise pytest.UsageError(f"--release-tests-repo: another session holds {target}.lock") from None
    except ToolError as exc:
        raise pytest.UsageError(
            f"--release-tests-repo/--release-tests-ref: cannot check out {what}: {exc}\n"
            "  hint: check the URL and ref, or use --release-tests-dir with a local checkout"
        ) from None
    if not (target / "manifest.json").is_file():
        raise pytest.UsageError(f"--release-tests-repo: {what} has no manifest.json; is it a Gauge project?")
    return target
