"""`--since-last-run`: build, deploy and test only when a component's default branch moved.

A scheduled job runs every night; on a quiet day nothing upstream changed and the whole run would
repeat the last one. This module decides, before anything is built: it reads the last finished
run of the history (`--history`), asks each requested component's remote for its default-branch
head (`git ls-remote`, through `gitrepo.Git.run`: no clone, no fetch), and compares. The answer
pins the run to the heads it compared (`<component>:<sha>`), so what is built is exactly what was
judged "moved", even if upstream moves again during the build.

A component that did not move is not rebuilt when the last run's images of it can be deployed
again (every ref carries a digest): its entries are written to `since-last-run-images.json` in the
results directory and deployed through `--images-from`, which covers the components a run does not
build. Only what moved is built.

It does not build, deploy or stop the session: `run/session.py` applies the decision (replace the
requested components, or end the session with exit code 0 and the reason).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from pytest_streamstress._infra import git as gitrepo
from pytest_streamstress._infra.files import write_json_atomically
from pytest_streamstress.errors import ConfigError, ToolError
from pytest_streamstress.model import ComponentName, ComponentRequest, ComponentSpec

if TYPE_CHECKING:
    from pytest_streamstress.components import ComponentCatalog
    from pytest_streamstress.history.store import ComponentResult, RunResults, RunStatus
    from pytest_streamstress.options import Settings

log = logging.getLogger(__name__)

FINISHED: Final[frozenset[RunStatus]] = frozenset({"passed", "failed"})
"""Runs that really tested: an errored (build/deploy) or interrupted run is no baseline to skip against."""
LS_REMOTE_TIMEOUT_S: Final = 120.0
DECISION_ENV: Final = "STREAMSTRESS_SINCE_LAST_RUN"
"""Set by the controller before xdist starts workers: its decision, so workers never decide again
(upstream may move in between, and every worker must deploy and test what the controller judged)."""
REUSE_FILE: Final = "since-last-run-images.json"
"""In the results directory: the last run's component entries this run deploys again unbuilt."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LastRun:
    """The baseline: the last finished run, and the commit each component was built from in it."""

    run_id: str
    commits: Mapping[str, str]
    reusable: Mapping[str, ComponentResult] = dataclasses.field(default_factory=dict)
    """Component -> its results.json entry, for components whose images all carry a digest."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ComponentMove:
    component: ComponentName
    branch: str
    last_sha: str
    """"" when the last run did not build this component from source."""
    head_sha: str
    reusable: bool = False
    """The last run's images of this component can be deployed again (refs with digests)."""

    @property
    def moved(self) -> bool:
        return self.last_sha != self.head_sha

    @property
    def needs_build(self) -> bool:
        return self.moved or not self.reusable


@dataclass(frozen=True, slots=True, kw_only=True)
class SinceLastRun:
    """The decision: run or not, why, and the pinned requests to run with."""

    last_run: str | None
    moves: tuple[ComponentMove, ...]
    reuse_images: bool = True
    """False when the user gave --image/--images-from: then every requested component is built."""
    baseline: LastRun | None = None

    @property
    def should_run(self) -> bool:
        return self.last_run is None or any(move.moved for move in self.moves)

    @property
    def reused(self) -> tuple[ComponentName, ...]:
        """Components deployed from the last run's images instead of being rebuilt."""
        if not self.reuse_images:
            return ()
        return tuple(move.component for move in self.moves if not move.needs_build)

    @property
    def requests(self) -> tuple[ComponentRequest, ...]:
        """The components to build, pinned at the head that was compared."""
        reused = set(self.reused)
        return tuple(
            ComponentRequest(name=move.component, ref=move.head_sha)
            for move in self.moves
            if move.component not in reused
        )

    def reason(self) -> str:
        if self.last_run is None:
            return "no finished run in the history yet: running"
        moved = [
            f"{m.component} {m.last_sha[:12] or '(not built)'} -> {m.head_sha[:12]}"
            for m in self.moves
            if m.moved
        ]
        if moved:
            reused = f"; reusing the images of {', '.join(self.reused)} (unchanged)" if self.reused else ""
            return f"moved since {self.last_run}: {', '.join(moved)}{reused}: running"
        quiet = ", ".join(f"{m.component} {m.head_sha[:12]}" for m in self.moves)
        return f"nothing moved since {self.last_run} ({quiet}): nothing to build, deploy or test"


def last_finished_run(history_dir: Path, *, selection: str = "", cluster: str = "") -> LastRun | None:
    """The newest run with status passed/failed under `runs/*/results.json` that was asked the same
    way (`settings.selection`) on the same `--cluster-name` (malformed files are skipped).

    Not any newest run: after a `-k` rerun of one scenario at noon, which built that morning's heads,
    the nightly found "nothing moved since" that rerun and skipped the whole suite on code only one
    scenario had seen; a fleet's other cluster is no baseline for this one either."""
    from pytest_streamstress.history.store import HistoryError, read_history_run

    runs = sorted((history_dir / "runs").glob("*/results.json"))
    best: RunResults | None = None
    for path in runs:
        try:
            run = read_history_run(path)
        except HistoryError as exc:
            log.warning("--since-last-run: skipping %s: %s", path, exc)
            continue
        if run.status not in FINISHED or run.selection != selection or run.cluster.name != cluster:
            continue
        if best is None or run.started_at > best.started_at:
            best = run
    if best is None:
        return None
    return LastRun(run_id=best.run_id, commits=_built_commits(best), reusable=_reusable(best))


def _built_commits(run: RunResults) -> dict[str, str]:
    return {c.name: c.sha for c in run.components if c.sha and c.status in ("built", "reused")}


def _reusable(run: RunResults) -> dict[str, ComponentResult]:
    from pytest_streamstress.build.reuse import has_digest

    return {
        c.name: c
        for c in run.components
        if c.status in ("built", "reused") and c.images and all(has_digest(i.ref) for i in c.images)
    }


def write_reuse_file(results_dir: Path, last: LastRun, components: Sequence[str]) -> Path:
    """The last run's entries of `components`, in the results.json shape `--images-from` reads."""
    path = results_dir / REUSE_FILE
    document = {"run_id": last.run_id, "components": [last.reusable[name].to_json() for name in components]}
    write_json_atomically(path, document)
    return path


def remote_head(git: gitrepo.Git, branch: str) -> str:
    """The commit `refs/heads/<branch>` names on the remote, without cloning."""
    ref = f"refs/heads/{branch}"
    out = git.run("ls-remote", "--exit-code", git.url, ref, what=f"reading the head of {branch}").stdout
    for line in out.splitlines():
        sha, _, name = line.partition("\t")
        if name.strip() == ref:
            return sha.strip()
    raise ConfigError(
        f"{git.redactor(git.url)} has no branch {branch!r}", hint="fix default_branch in components.toml"
    )


def decide(
    requested: Sequence[ComponentSpec],
    last: LastRun | None,
    heads: Mapping[str, str],
    *,
    reuse_images: bool = True,
) -> SinceLastRun:
    """Pure: compare each component's head with the commit the last finished run built."""
    moves = tuple(
        ComponentMove(
            component=spec.name,
            branch=spec.default_branch,
            last_sha=last.commits.get(spec.name, "") if last else "",
            head_sha=heads[spec.name],
            reusable=last is not None and spec.name in last.reusable,
        )
        for spec in requested
    )
    return SinceLastRun(
        last_run=last.run_id if last else None, moves=moves, reuse_images=reuse_images, baseline=last
    )


def check_requests(requests: Sequence[ComponentRequest]) -> None:
    """`--since-last-run` follows default branches; a pinned ref contradicts it."""
    pinned = [str(r) for r in requests if r.ref is not None or r.pull_request is not None]
    if pinned:
        raise ConfigError(
            f"--since-last-run builds default-branch heads, but --components pins {', '.join(pinned)}",
            hint="drop the refs (e.g. --components pipeline,triggers) or drop --since-last-run",
        )


def plan(
    requested: Sequence[ComponentSpec],
    requests: Sequence[ComponentRequest],
    *,
    history_dir: Path | None,
    work_dir: Path,
    env: Mapping[str, str] | None = None,
    reuse_images: bool = True,
    selection: str = "",
    cluster: str = "",
) -> SinceLastRun:
    """The whole check: history, remote heads, decision. Errors name the option and the fix."""
    if history_dir is None:
        raise ConfigError(
            "--since-last-run needs --history DIR (the runs to compare with)",
            hint="pass the history directory or the checkout of the published site",
        )
    check_requests(requests)
    last = last_finished_run(history_dir, selection=selection, cluster=cluster)
    work_dir.mkdir(parents=True, exist_ok=True)
    heads: dict[str, str] = {}
    for spec in requested:
        git = gitrepo.Git(url=spec.repo, clone_dir=work_dir, timeout=LS_REMOTE_TIMEOUT_S, env=env)
        try:
            heads[spec.name] = remote_head(git, spec.default_branch)
        except ToolError as exc:
            raise ConfigError(
                f"--since-last-run: cannot read the head of {spec.name}: {exc.message}", hint=exc.hint
            ) from exc
    return decide(requested, last, heads, reuse_images=reuse_images)


def apply(
    settings: Settings, catalog: ComponentCatalog, *, worker: bool = False, selection: str = ""
) -> tuple[Settings, str]:
    """For `run/session.py`: (the settings pinned to the heads, the reason), or `pytest.exit(returncode=0)`
    when nothing moved.

    Bad input (no --history, pinned refs, unreadable remote) is a `pytest.UsageError` naming the option.
    An xdist worker takes the controller's decision from DECISION_ENV.
    """
    import pytest

    from pytest_streamstress.options import parse_components

    inherited = os.environ.get(DECISION_ENV, "")
    if worker and inherited:
        shared = json.loads(inherited)
        pinned = dataclasses.replace(
            settings,
            components=parse_components(",".join(shared["components"])),
            images_from=Path(shared["images_from"]) if shared["images_from"] else settings.images_from,
        )
        return pinned, str(shared.get("reason", ""))
    selected = catalog.select(settings.components)
    try:
        decision = plan(
            [spec for spec, _ in selected],
            [request for _, request in selected],
            history_dir=settings.history,
            work_dir=settings.results_dir,
            reuse_images=not (settings.image or settings.images_from),
            selection=selection,
            cluster=settings.cluster_name,
        )
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    log.info("--since-last-run: %s", decision.reason())
    if not decision.should_run:
        pytest.exit(f"streamstress --since-last-run: {decision.reason()}", returncode=0)
    reuse: Path | None = None
    if decision.reused and decision.baseline is not None:
        reuse = write_reuse_file(settings.results_dir, decision.baseline, decision.reused)
    reason = decision.reason()
    os.environ[DECISION_ENV] = json.dumps(
        {"components": [str(r) for r in decision.requests], "images_from": str(reuse or ""), "reason": reason}
    )
    images_from = reuse or settings.images_from
    return dataclasses.replace(settings, components=decision.requests, images_from=images_from), reason
